"""Per-batch notifications: API calls per ``send_to_audience`` batch (issue 15 item 3).

Runs BATCHES batches of ROWS contacts each through one ListPool on the simulator (in this
process, limits off, a virtual clock the client's sleeps advance, so the poll counts are those
of production's default ``poll_interval`` against the simulator's send and import times), in
four set-ups: with a journal (``journal=``/``job_id=``) and a 5-list pool, without a journal,
with a one-list pool, and a rerun of a batch whose send outlived its timeout. Prints the calls
of each batch, the steady state and the daily calls at one batch every 15 minutes, and the
calls of the steady-state batch by endpoint. Call counts are deterministic (tests pin them).

Run:  python benchmarks/bench_audience.py [--batches 10] [--rows 200]
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import datetime as dt
import re
import tempfile
from typing import Any

from ccasync import Client, MemoryJournal, RateLimiter
from ccasync.errors import WaitTimeoutError
from ccasync.events import RequestEvent
from ccasync.ops import CampaignTemplate, ListPool, send_to_audience
from ccasync.sim import SimConfig, serve

START = dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.UTC)
TEMPLATE = CampaignTemplate(
    name="Orders $batch",
    subject="Your latest orders",
    from_name="Acme",
    from_email="owner@example.com",
    html_content="<html><body>[[trackingImage]]<p>Total: [[order_total]]</p></body></html>",
)
_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f-]{27}")


def rows(batch: int, count: int) -> list[dict[str, str]]:
    """``count`` customers of batch ``batch``, each with their own order total."""
    return [
        {"email": f"c{batch}-{n}@example.net", "cf:order_total": f"{n}.50"} for n in range(count)
    ]


async def scenario(name: str, batches: int, count: int, *, size: int, journal: bool) -> None:
    """Run ``batches`` batches on a fresh simulator and print their calls."""
    async with serve(
        SimConfig(per_second=None, per_day=None, time_scale=0, start_time=START)
    ) as sim:
        log: list[str] = []

        def record(event: RequestEvent) -> None:
            log.append(f"{event.method} {_ID.sub('{id}', event.path.removeprefix('/v3'))}")

        async def sleep(seconds: float) -> None:
            sim.clock.advance(seconds)

        async with Client(
            access_token=sim.token,
            base_url=sim.base_url,
            rate_limiter=RateLimiter.unlimited(),
            sleep=sleep,
            on_event=record,
        ) as cc:
            cc.campaigns.clock = sim.clock.now
            pool = ListPool(prefix=f"bench-{name}", size=size)
            store = MemoryJournal() if journal else None
            calls = []
            for n in range(batches):
                log.clear()
                result = await send_to_audience(
                    cc,
                    rows(n, count),
                    TEMPLATE,
                    batch_id=f"{name}-{n}",
                    pool=pool,
                    sleep=sleep,
                    journal=store,
                    job_id=f"{name}-{n}" if journal else None,
                )
                assert result.sent == count, result
                calls.append(result.calls)
                sim.clock.advance(15 * 60)  # the next batch comes 15 minutes later
            last = list(log)
            await pool.drain(cc, sleep=sleep)
    steady = calls[-1]
    print(f"{name:<22} calls per batch {calls}  steady {steady}  per day {96 * steady}")
    if name == "journal":
        for path, times in collections.Counter(last).items():
            print(f"    {times} x {path}")


async def resumed(count: int) -> None:
    """A batch whose send outlived its timeout, rerun with its journal: its calls."""
    async with serve(
        SimConfig(per_second=None, per_day=None, time_scale=0, start_time=START)
    ) as sim:

        async def stuck(seconds: float) -> None:
            if seconds < 5:  # the import's polls move the clock, the send's do not
                sim.clock.advance(seconds)

        async def sleep(seconds: float) -> None:
            sim.clock.advance(seconds)

        async with Client(
            access_token=sim.token,
            base_url=sim.base_url,
            rate_limiter=RateLimiter.unlimited(),
            sleep=sleep,
        ) as cc:
            cc.campaigns.clock = sim.clock.now
            pool, store = ListPool(prefix="bench-resume", size=2), MemoryJournal()
            kw: dict[str, Any] = {"pool": pool, "journal": store, "job_id": "r-1"}
            with contextlib.suppress(WaitTimeoutError):
                await send_to_audience(
                    cc, rows(1, count), TEMPLATE, batch_id="r-1", timeout=30, sleep=stuck, **kw
                )
            sim.clock.advance(60)
            again = await send_to_audience(
                cc, rows(1, count), TEMPLATE, batch_id="r-1", sleep=sleep, **kw
            )
            history = await cc.campaigns.send_history(again.activity_id)
    print(f"{'resumed (journal)':<22} calls {again.calls}  sends {len(history)}")


async def main() -> None:
    """Parse the options and run every set-up."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--batches", type=int, default=10)
    parser.add_argument("--rows", type=int, default=200)
    args = parser.parse_args()
    tempfile.tempdir = tempfile.mkdtemp()  # private list leases (simulated ids repeat)
    await scenario("journal", args.batches, args.rows, size=5, journal=True)
    await scenario("no-journal", args.batches, args.rows, size=5, journal=False)
    await scenario("one-list-pool", args.batches, args.rows, size=1, journal=True)
    await resumed(args.rows)


if __name__ == "__main__":
    asyncio.run(main())
