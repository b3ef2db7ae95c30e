"""Crash-safe jobs (issue 11): rerun costs, quota days, faults, SIGKILL, journal step latency.

Parts (all against the simulator on loopback, in this process; counts, not CPU):

- ``rerun``: a 100,000-row import + a 200-location fan-out (one account, limits off); the calls of
  a clean run, of a rerun with the journal, and of a rerun without one.
- ``quota``: the same job under a 300-call daily quota on the simulator's virtual clock, rerun
  once a simulated day: days taken vs ceil(calls / 300) + 1, calls and the estimate per day.
- ``faults``: 3 seeds x (200 locations + 20,000 rows) under 5% 5xx, 2% resets, 1% hangs; the
  first pass's share of locations scheduled, reruns (with the journal) until done, and the
  duplicate / double-schedule / lost-row checks.
- ``kill``: the job (20,000 rows + 40 locations, with tests) SIGKILLed in a child process at
  ``--kills`` seeded random points, then finished; the same checks, plus every import payload
  accepted exactly once and no test sent twice.
- ``journal``: SqliteJournal milliseconds per step, one writer and 200 concurrent writers.

Run:  python benchmarks/bench_chaos.py [--part rerun,quota,faults,kill,journal] [--kills 20]
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import importlib
import math
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from ccasync import Client, RateLimiter, SqliteJournal
from ccasync.journal import JobRun
from ccasync.ops import create_campaigns_for_locations, import_contacts
from ccasync.sim import SimConfig, serve

ROOT = Path(__file__).resolve().parents[1]
# The job, the daily driver and the checks are the chaos tests' own (one definition of "no
# loss, no duplicate"): loaded from this checkout's tests package, which is not a distribution.
sys.path.insert(0, str(ROOT))
chaos_job = importlib.import_module("tests.chaos_job")
test_chaos = importlib.import_module("tests.ops.test_chaos")
quota_days = importlib.import_module("tests.quota_days")
run_days = quota_days.run_days
write_csv = quota_days.write_csv


async def part_rerun(tmp: Path) -> None:
    config = SimConfig(per_second=None, per_day=None, time_scale=0)
    async with serve(config) as sim:

        async def advance(seconds: float) -> None:
            sim.clock.advance(seconds)
            await asyncio.sleep(0)

        source = write_csv(tmp / "rerun.csv", 100_000)
        async with Client(
            access_token=sim.token,
            base_url=sim.base_url,
            rate_limiter=RateLimiter.unlimited(),
            sleep=advance,
        ) as cc:
            cc.campaigns.clock = sim.clock.now
            list_id = (await cc.lists.create("rerun")).list_id
            places = chaos_job.locations(200, list_id)

            async def job(journal: Any, tag: str) -> tuple[int, int, int]:
                def extra(kind: str) -> dict[str, Any]:
                    return {"journal": journal, "job_id": f"{tag}-{kind}"} if journal else {}

                imported = await import_contacts(
                    cc,
                    source,
                    list_ids=[list_id],
                    clock=sim.clock.timestamp,
                    sleep=advance,
                    **extra("import"),
                )
                fanout = await create_campaigns_for_locations(
                    cc, chaos_job.TEMPLATE, places, clock=sim.clock.now, **extra("fanout")
                )
                return imported.calls, fanout.calls, imported.payloads

            async with SqliteJournal(tmp / "rerun.db") as journal:
                clean = await job(journal, "r")
                again = await job(journal, "r")
            bare = await job(None, "")
    print("rerun: 100,000 rows + 200 locations, one account")
    print(f"  clean run: {sum(clean[:2])} calls (import {clean[0]}, fan-out {clean[1]})")
    print(f"  rerun with journal: {sum(again[:2])} calls (import {again[0]}, fan-out {again[1]})")
    print(f"  rerun without journal: {sum(bare[:2])} calls (import {bare[0]}: all {bare[2]} ")
    print(f"    payloads again, an upsert; fan-out {bare[1]}: the GET /emails listing)")


async def part_quota(tmp: Path) -> None:
    started = time.perf_counter()
    report = await run_days(tmp, per_day=300, rows=100_000, count=200, max_rows=40_000, max_days=20)
    bound = math.ceil(report.calls / 300) + 1
    print("quota: 300 calls/day, 100,000 rows + 200 locations, rerun once a simulated day")
    for n, day in enumerate(report.days, 1):
        print(
            f"  day {n}: {day.calls} calls, rows imported {day.rows_imported:,}, "
            f"locations done {day.locations_done}, estimate left {day.calls_needed}"
        )
    print(
        f"  finished={report.finished} in {len(report.days)} days for {report.calls} calls "
        f"(bound ceil(calls/300)+1 = {bound}); wall {time.perf_counter() - started:.1f} s"
    )


async def part_faults(tmp: Path) -> None:
    print("faults: 500:0.05, reset:0.02, hang:0.01 (hang 2 s, request timeout 1 s)")
    for seed in (1, 2, 3):
        config = SimConfig(
            per_second=None,
            per_day=None,
            seed=seed,
            faults="500:0.05,reset:0.02,hang:0.01",
            hang_seconds=2.0,
        )
        async with serve(config) as sim:
            settings = await test_chaos._setup(sim, tmp / f"s{seed}", 20_000, 200)
            settings.update(test_to=None, job=f"f{seed}")
            runs = []
            for _ in range(8):
                runs.append(await chaos_job.run(settings, announce=False))
                if not runs[-1]["fanout_failed"] and not runs[-1]["failed_rows"]:
                    break
            account = sim.state.default_account
            names = [c.name for c in account.campaigns.campaigns.values() if not c.removed]
            emails = {c.email for c in account.contacts.values()}
            scheduled = collections.Counter(
                e.path
                for e in sim.log
                if e.method == "POST" and e.path.endswith("/schedules") and e.status == 201
            )
            first = runs[0]["fanout_failed"]
            print(
                f"  seed {seed}: first pass {200 - first}/200 locations scheduled "
                f"({100 * (200 - first) / 200:.1f}%), {runs[0]['failed_rows']} rows failed; "
                f"runs to finish {len(runs)}; campaigns {len(names)} (unique "
                f"{len(set(names))}); max schedules per activity {max(scheduled.values())}; "
                f"rows present {len(emails):,}/20,000; faults injected {sim.state.faults.injected}"
            )


async def part_kill(tmp: Path, kills: int) -> None:
    rng = random.Random(11)
    config = SimConfig(per_second=None, per_day=None, seed=5, faults="latency:10ms")
    async with serve(config) as sim:
        (tmp / "k").mkdir()
        settings = await test_chaos._setup(sim, tmp / "k", 20_000, 40)
        killed = 0
        for _ in range(kills):
            killed += await test_chaos._run_and_kill(settings, rng.uniform(0.02, 3.0))
        final = await chaos_job.run(settings, announce=False)
        test_chaos.check_no_loss_no_duplicate(sim, 20_000, 40, final["payloads"])
        modes = collections.Counter(final["resume"])
    print(
        f"kill: {killed} of {kills} runs SIGKILLed at random points, then finished: "
        f"20,000/20,000 rows, 40 campaigns scheduled once each, every one of "
        f"{final['payloads']} payloads accepted once, no test twice; final run's payloads: "
        f"{dict(modes)}"
    )


async def part_journal(tmp: Path) -> None:
    async with (
        SqliteJournal(tmp / "steps.db") as journal,
        JobRun(journal, "bench", "fp") as run,
    ):
        n = 2_000
        started = time.perf_counter()
        for i in range(n):
            await run.intend(f"s/{i}", i=i)
        one = (time.perf_counter() - started) / n
        started = time.perf_counter()
        for _ in range(10):
            await asyncio.gather(*(run.record(f"s/{i}", done=True) for i in range(200)))
        many = (time.perf_counter() - started) / 2_000
    print(f"journal: {one * 1e3:.3f} ms per step (one writer), {many * 1e3:.3f} ms per step")
    print("  (200 concurrent writers, group commit); SqliteJournal, WAL, synchronous=NORMAL")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--part", default="rerun,quota,faults,kill,journal")
    parser.add_argument("--kills", type=int, default=20)
    args = parser.parse_args()
    parts = args.part.split(",")
    with tempfile.TemporaryDirectory() as tmp_dir:
        tmp = Path(tmp_dir)
        if "journal" in parts:
            await part_journal(tmp)
        if "rerun" in parts:
            await part_rerun(tmp)
        if "quota" in parts:
            (tmp / "q").mkdir()
            await part_quota(tmp / "q")
        if "faults" in parts:
            for seed in (1, 2, 3):
                (tmp / f"s{seed}").mkdir()
            await part_faults(tmp)
        if "kill" in parts:
            await part_kill(tmp, args.kills)


if __name__ == "__main__":
    asyncio.run(main())
