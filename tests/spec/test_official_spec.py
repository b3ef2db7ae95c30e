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


def _write_spec(swagger: Path) -> Path:
    """Both files of a (pretend) spec: ``swagger`` and the OpenAPI 3 file beside it."""
    swagger.parent.mkdir(parents=True, exist_ok=True)
    swagger.write_text("swagger: '2.0'\n", encoding="utf-8")
    openapi3 = swagger.with_name(official_spec.OPENAPI3_NAME)
    openapi3.write_text("openapi: 3.0.0\n", encoding="utf-8")
    return swagger


def test_ccasync_spec_names_the_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """CCASYNC_SPEC wins; without it the file beside the repository is used; else None."""
    named = _write_spec(tmp_path / "elsewhere.yaml")
    beside = _write_spec(tmp_path / "shared" / "reference" / official_spec.SPEC_NAME)
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


def test_swagger_file_alone_is_no_spec(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Without the OpenAPI 3 file beside it, ``spec`` tests skip for the one reason, naming both."""
    alone = tmp_path / official_spec.SPEC_NAME
    alone.write_text("swagger: '2.0'\n", encoding="utf-8")
    monkeypatch.setattr(official_spec, "REPO_ROOT", tmp_path / "repo")
    monkeypatch.setenv("CCASYNC_SPEC", str(alone))
    assert official_spec.spec_path() is None
    with pytest.raises(pytest.skip.Exception, match="licence is private") as skipped:
        conftest.pytest_runtest_setup(_Item("spec"))  # type: ignore[arg-type]
    assert str(skipped.value) == official_spec.SKIP_REASON
    assert official_spec.OPENAPI3_NAME in official_spec.SKIP_REASON


@pytest.mark.usefixtures("no_spec")
def test_unmarked_test_runs() -> None:
    """Without the spec, a test that is not marked ``spec`` is not skipped by the hook."""
    assert conftest.pytest_runtest_setup(_Item("timeout")) is None  # type: ignore[arg-type]


@pytest.mark.usefixtures("no_spec")
@pytest.mark.parametrize("loader", ["load_spec", "load_openapi3"])
def test_unmarked_reader_fails_and_names_the_marker(loader: str) -> None:
    """Reading either spec file without the marker fails (not skips) when the spec is absent."""
    with pytest.raises(pytest.fail.Exception, match=r"must be marked @pytest.mark.spec"):
        getattr(official_spec, loader).__wrapped__()
