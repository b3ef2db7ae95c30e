"""`ccasync demo` end to end on a small size: the table, next Monday, calls per location."""

from __future__ import annotations

import json
import re

import pytest

from ccasync.cli import main


def test_small_demo_runs_end_to_end(capsys: pytest.CaptureFixture[str]) -> None:
    """3 locations: imports, schedules for next Monday, sends, prints calls and what to try."""
    status = main(["demo", "--locations", "3", "--contacts", "300", "--rate", "200"])
    out = capsys.readouterr().out
    assert status == 0
    assert "New York" in out
    assert "Contacts imported: 300" in out
    assert "simulator ON at 200 requests/s" in out
    assert re.search(r'"next Monday 09:00" .* is Monday\s+2026-11-30', out)
    assert "API calls per location" in out
    assert "What to try next" in out
    total = int(re.search(r"API calls used: (\d+)", out).group(1))  # type: ignore[union-attr]
    shared = int(re.search(r"the other (\d+) calls", out).group(1))  # type: ignore[union-attr]
    assert 0 < shared < total


def test_demo_json_is_one_document(capsys: pytest.CaptureFixture[str]) -> None:
    """With --json the report is one JSON document on stdout, the tables go to stderr."""
    status = main(["--json", "demo", "--locations", "2", "--contacts", "50", "--rate", "200"])
    captured = capsys.readouterr()
    assert status == 0
    document = json.loads(captured.out)
    assert document["imported"] == 50
    assert set(document["locations"]) == {"loc00", "loc01"}
    assert "What to try next" in captured.err
