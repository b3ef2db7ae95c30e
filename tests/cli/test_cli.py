"""The ccasync command line: a small demo end to end, argument errors, import without a token."""

from __future__ import annotations

import pytest

from ccasync.cli import main


def test_small_demo_runs_end_to_end(capsys: pytest.CaptureFixture[str]) -> None:
    """`ccasync demo` on 3 locations imports, schedules, sends and prints the report table."""
    status = main(["demo", "--locations", "3", "--contacts", "300", "--rate", "200"])
    out = capsys.readouterr().out
    assert status == 0
    assert "New York" in out
    assert "Contacts imported: 300" in out
    assert "API calls used" in out
    assert "simulator ON at 200 requests/s" in out


def test_demo_rejects_non_positive_sizes(capsys: pytest.CaptureFixture[str]) -> None:
    """Zero locations is a usage error (exit status 2)."""
    assert main(["demo", "--locations", "0"]) == 2
    assert "must be positive" in capsys.readouterr().out


def test_import_needs_a_token(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`ccasync import` without CCASYNC_ACCESS_TOKEN exits 2 with a hint."""
    monkeypatch.delenv("CCASYNC_ACCESS_TOKEN", raising=False)
    assert main(["import", "x.csv", "--list", "x"]) == 2
    assert "CCASYNC_ACCESS_TOKEN" in capsys.readouterr().out


def test_unknown_command_is_a_usage_error() -> None:
    """argparse exits with status 2 on an unknown command."""
    with pytest.raises(SystemExit) as info:
        main(["nope"])
    assert info.value.code == 2
