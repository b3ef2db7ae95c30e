"""Quota-aware resume: under a small daily quota a journaled import + fan-out resumes each day
where it stopped and finishes in ceil(calls / quota) + 1 days (scaled down from the issue's
300 calls/day, 200 locations + 100,000 rows, which ``benchmarks/bench_chaos.py`` runs)."""

from __future__ import annotations

import math
from pathlib import Path

from tests.quota_days import run_days


async def test_daily_reruns_never_stall(tmp_path: Path) -> None:
    """30 calls/day, 20 locations + 3,000 rows: done within ceil(calls/30)+1 days, each day
    moving forward, never over the quota, the estimate announcing a reset each stop."""
    report = await run_days(tmp_path, per_day=30, rows=3_000, count=20, max_rows=300, max_days=12)
    assert report.finished
    days = report.days
    assert len(days) <= math.ceil(report.calls / 30) + 1
    assert all(day.calls <= 30 for day in days)
    progress = [day.rows_imported + day.locations_done for day in days]
    assert progress == sorted(progress)
    assert len(set(progress)) == len(progress)
    assert (days[-1].rows_imported, days[-1].locations_done) == (3_000, 20)
    assert all(day.resets_at is not None and day.calls_needed for day in days[:-1])
