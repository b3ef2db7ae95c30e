"""Run a journaled import + fan-out once a simulated day under a daily quota until it finishes.

Used by ``tests/ops/test_quota_resume.py`` (scaled down) and ``benchmarks/bench_chaos.py`` (300
calls/day, 200 locations + 100,000 rows). The simulator runs on virtual time (``time_scale`` 0):
the client's sleeps advance its clock, and "the next day" is its next 00:00 UTC.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path
from typing import Any

import attrs

from ccasync import BulkError, Client, RateLimiter, SqliteJournal
from ccasync.ops import create_campaigns_for_locations, import_contacts
from ccasync.sim import SimConfig, serve
from tests.chaos_job import TEMPLATE, locations

START = dt.datetime(2026, 12, 1, 0, 5, tzinfo=dt.UTC)  # a Tuesday


@attrs.define
class Day:
    """One day's run: calls spent, what was done by its end, the quota stop's estimate."""

    calls: int
    rows_imported: int
    locations_done: int
    calls_needed: int | None
    resets_at: dt.datetime | None


@attrs.define
class Report:
    """Every day of the job, and the totals."""

    days: list[Day]
    finished: bool

    @property
    def calls(self) -> int:
        """Calls spent over all days."""
        return sum(day.calls for day in self.days)


def write_csv(path: Path, rows: int) -> Path:
    """A CSV of ``rows`` contacts with a few fields each."""
    with path.open("w", encoding="utf-8") as out:
        out.write("email,first_name,last_name,company_name\n")
        for i in range(rows):
            out.write(f"q{i}@example.com,First{i},Last{i},Company {i % 97}\n")
    return path


async def run_days(
    tmp: Path, *, per_day: int, rows: int, count: int, max_rows: int, max_days: int
) -> Report:
    """Run the job once per simulated day (quota ``per_day``) until done or ``max_days``."""
    config = SimConfig(per_second=None, per_day=per_day, time_scale=0, start_time=START)
    async with serve(config) as sim:
        limiter = RateLimiter(per_second=None, per_day=per_day, clock=sim.clock.now)

        async def advance(seconds: float) -> None:
            sim.clock.advance(seconds)
            await asyncio.sleep(0)

        source = write_csv(tmp / "quota.csv", rows)
        report = Report(days=[], finished=False)
        async with SqliteJournal(tmp / "quota.db") as journal:
            list_id = ""
            for _ in range(max_days):
                async with Client(
                    access_token=sim.token,
                    base_url=sim.base_url,
                    rate_limiter=limiter,
                    sleep=advance,
                ) as cc:
                    cc.campaigns.clock = sim.clock.now
                    if not list_id:
                        list_id = (await cc.lists.create("quota days")).list_id
                    day = await _one_day(cc, sim, journal, source, list_id, count, max_rows)
                report.days.append(day)
                if day.calls_needed is None:
                    report.finished = True
                    break
                now = sim.clock.now()
                midnight = dt.datetime.combine(now.date() + dt.timedelta(days=1), dt.time(), dt.UTC)
                sim.clock.advance((midnight - now).total_seconds() + 60)
        return report


async def _one_day(
    cc: Client,
    sim: Any,
    journal: SqliteJournal,
    source: Path,
    list_id: str,
    count: int,
    max_rows: int,
) -> Day:
    async def advance(seconds: float) -> None:
        sim.clock.advance(seconds)
        await asyncio.sleep(0)

    try:
        imported = await import_contacts(
            cc,
            source,
            list_ids=[list_id],
            max_rows=max_rows,
            clock=sim.clock.timestamp,
            sleep=advance,
            journal=journal,
            job_id="quota-import",
        )
    except BulkError as stopped:
        imported = stopped.result
    fanout = await create_campaigns_for_locations(
        cc,
        TEMPLATE,
        locations(count, list_id),
        clock=sim.clock.now,
        journal=journal,
        job_id="quota-fanout",
    )
    stops = [s for s in (imported.quota_stop, fanout.quota_stop) if s is not None]
    done = imported.ok and fanout.ok
    return Day(
        calls=cc.calls,
        rows_imported=imported.imported,
        locations_done=sum(item.ok for item in fanout),
        calls_needed=None if done else sum(s.calls_needed for s in stops),
        resets_at=stops[0].resets_at if stops else None,
    )
