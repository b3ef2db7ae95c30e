"""The call ledger: per key and UTC day, added up across runs, read back by the limiter."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from ccasync.cli._session import Ledger


def test_runs_add_up_and_a_new_day_starts_at_zero(tmp_path: Path) -> None:
    """Two runs of one key add up today; another day's count does not carry over."""
    ledger = Ledger(tmp_path / "state" / "usage.json")
    assert ledger.used_today("key-1") == 0
    ledger.add("key-1", 5)
    ledger.add("key-1", 7)
    ledger.add("key-2", 1)
    assert ledger.used_today("key-1") == 12
    assert ledger.used_today("key-2") == 1
    tomorrow = dt.datetime.now(dt.UTC).date() + dt.timedelta(days=1)
    assert ledger.used_today("key-1", tomorrow) == 0


def test_a_damaged_ledger_counts_as_empty(tmp_path: Path) -> None:
    """A ledger that is not JSON loses the count, it never stops a command."""
    path = tmp_path / "usage.json"
    path.write_text("{not json", encoding="utf-8")
    ledger = Ledger(path)
    assert ledger.used_today("k") == 0
    ledger.add("k", 2)
    assert json.loads(path.read_text(encoding="utf-8"))["k"]["calls"] == 2
