"""Where the official spec is looked for, and how tests that need it are skipped without it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests import conftest
from tests.spec import official_spec


@pytest.fixture
def no_spec(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No CCASYNC_SPEC and no ../shared/reference beside the (pretend) repository."""
    monkeypatch.delenv("CCASYNC_SPEC", raising=False)
    monkeypatch.setattr(official_spec, "REPO_ROOT", tmp_path / "repo")


class _Item:
    """The one method of a pytest item that the skip hook reads."""

    def __init__(self, *markers: str) -> None:
        self.markers = markers

    def get_closest_marker(self, name: str) -> Any:
        return getattr(pytest.mark, name) if name in self.markers else None


def test_ccasync_spec_names_the_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """CCASYNC_SPEC wins; without it the file beside the repository is used; else None."""
    named = tmp_path / "elsewhere.yaml"
    named.write_text("swagger: '2.0'\n", encoding="utf-8")
    beside = tmp_path / "shared" / "reference" / official_spec.SPEC_NAME
    beside.parent.mkdir(parents=True)
    beside.write_text("swagger: '2.0'\n", encoding="utf-8")
    monkeypatch.setattr(official_spec, "REPO_ROOT", tmp_path / "repo")
    monkeypatch.setenv("CCASYNC_SPEC", str(named))
    assert official_spec.spec_path() == named
    monkeypatch.delenv("CCASYNC_SPEC")
    assert official_spec.spec_path() == beside
    beside.unlink()
    assert official_spec.spec_path() is None


@pytest.mark.usefixtures("no_spec")
def test_marked_test_skips_with_the_one_reason() -> None:
    """Without the spec, a test marked ``spec`` is skipped with the licence reason."""
    with pytest.raises(pytest.skip.Exception, match="licence is private"):
        conftest.pytest_runtest_setup(_Item("spec"))  # type: ignore[arg-type]


@pytest.mark.usefixtures("no_spec")
def test_unmarked_test_runs() -> None:
    """Without the spec, a test that is not marked ``spec`` is not skipped by the hook."""
    assert conftest.pytest_runtest_setup(_Item("timeout")) is None  # type: ignore[arg-type]


@pytest.mark.usefixtures("no_spec")
def test_unmarked_reader_fails_and_names_the_marker() -> None:
    """Reading the spec without the marker fails (not skips) when the file is absent."""
    with pytest.raises(pytest.fail.Exception, match=r"must be marked @pytest.mark.spec"):
        official_spec.load_spec.__wrapped__()
