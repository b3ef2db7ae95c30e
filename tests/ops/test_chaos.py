"""Chaos (bounded, seeded): a journaled import + fan-out under simulator faults, and the same job
killed with SIGKILL at random points in a child process, then rerun against the same simulator:
0 rows lost, 0 duplicate campaigns, 0 double schedules, 0 tests sent twice, 0 accepted import
payloads sent again. The long versions are in ``benchmarks/bench_chaos.py``."""

from __future__ import annotations

import asyncio
import collections
import json
import os
import random
import signal
import sys
from pathlib import Path
from typing import Any

from ccasync import Client, RateLimiter
from ccasync.sim import SimConfig, serve
from tests import chaos_job

ROOT = str(Path(__file__).resolve().parents[2])
IMPORT_POST = "/v3/activities/contacts_json_import"


def _csv(path: Path, rows: int) -> str:
    lines = ["email,first_name"] + [f"c{i}@example.com,F{i}" for i in range(rows)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return str(path)


async def _setup(sim: Any, tmp_path: Path, rows: int, locations: int) -> dict[str, Any]:
    async with Client(
        access_token=sim.token, base_url=sim.base_url, rate_limiter=RateLimiter.unlimited()
    ) as cc:
        target = await cc.lists.create("chaos")
    return {
        "base_url": sim.base_url,
        "token": sim.token,
        "journal": str(tmp_path / "jobs.db"),
        "csv": _csv(tmp_path / "rows.csv", rows),
        "list_id": target.list_id,
        "locations": locations,
        "max_rows": 200,
        "job": "chaos",
        "test_to": "owner@example.com",
        "timeout": 1.0,
    }


def check_no_loss_no_duplicate(sim: Any, rows: int, locations: int, payloads: int) -> None:
    """The simulator's state after a finished job: every row there, every campaign once,
    scheduled once, tested at most once, every import payload accepted exactly once."""
    account = sim.state.default_account
    emails = {c.email for c in account.contacts.values()}
    assert emails == {f"c{i}@example.com" for i in range(rows)}
    book = account.campaigns
    names = [c.name for c in book.campaigns.values() if not c.removed]
    assert sorted(names) == sorted(f"Chaos l{n:04d}" for n in range(locations))
    scheduled = collections.Counter(
        e.path
        for e in sim.log
        if e.method == "POST" and e.path.endswith("/schedules") and e.status == 201
    )
    assert len(scheduled) == locations
    assert max(scheduled.values()) == 1
    tests = collections.Counter(t.activity_id for t in book.test_sends)
    assert max(tests.values()) == 1
    accepted = sum(1 for e in sim.log if e.path == IMPORT_POST and e.status == 201)
    assert accepted == payloads


async def test_faults_then_reruns_lose_and_duplicate_nothing(tmp_path: Path) -> None:
    """Under 5% 5xx, 2% resets and 1% hangs, reruns with the journal finish the job cleanly."""
    config = SimConfig(
        per_second=None,
        per_day=None,
        seed=7,
        faults="500:0.05,reset:0.02,hang:0.01",
        hang_seconds=2.0,
    )
    async with serve(config) as sim:
        settings = await _setup(sim, tmp_path, rows=2_000, locations=12)
        summary: dict[str, Any] = {}
        for _ in range(6):
            summary = await chaos_job.run(settings, announce=False)
            if not summary["fanout_failed"] and not summary["failed_rows"]:
                break
        assert sim.state.faults.injected > 0
        assert (summary["fanout_failed"], summary["failed_rows"]) == (0, 0)
        # A reset answer to an import POST is retried by the client (an upsert): the same rows
        # may be accepted twice under faults, never lost. The no-resend rule is checked below.
        account = sim.state.default_account
        assert {c.email for c in account.contacts.values()} == {
            f"c{i}@example.com" for i in range(2_000)
        }
        names = [c.name for c in account.campaigns.campaigns.values() if not c.removed]
        assert len(names) == len(set(names)) == 12


async def test_sigkill_at_random_points_then_rerun(tmp_path: Path) -> None:
    """A job SIGKILLed at 6 random points and rerun loses no row and duplicates nothing."""
    rng = random.Random(20261206)
    # 10 ms of latency per call spreads the fan-out over the kill window (limits are off).
    config = SimConfig(per_second=None, per_day=None, seed=5, faults="latency:10ms")
    async with serve(config) as sim:
        settings = await _setup(sim, tmp_path, rows=3_000, locations=16)
        killed = 0
        for _ in range(6):
            killed += await _run_and_kill(settings, rng.uniform(0.05, 1.0))
        final = await chaos_job.run(settings, announce=False)
        assert killed >= 1
        assert (final["fanout_failed"], final["failed_rows"]) == (0, 0)
        check_no_loss_no_duplicate(sim, 3_000, 16, final["payloads"])


async def _run_and_kill(settings: dict[str, Any], after: float) -> int:
    """Start the job in a child; SIGKILL it ``after`` seconds past its start. 1 if killed."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.chaos_job",
        json.dumps(settings),
        stdout=asyncio.subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": ROOT},
        cwd=ROOT,
    )
    assert proc.stdout is not None
    try:
        assert await asyncio.wait_for(proc.stdout.readline(), 60) == b"started\n"
        await asyncio.sleep(after)
    finally:
        alive = proc.returncode is None
        if alive:
            proc.send_signal(signal.SIGKILL)
        await proc.wait()
        await proc.stdout.read()
    return int(alive)
