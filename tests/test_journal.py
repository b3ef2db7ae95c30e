"""The job journal: the Journal rules on MemoryJournal and SqliteJournal, fingerprints,
durability of SqliteJournal across SIGKILL."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
import textwrap
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

import ccasync
from ccasync.errors import CoordinationError
from ccasync.journal import JobRun, StepWrite, fingerprint, new_owner
from tests import journal_contract as contract


class _Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now

    async def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture(params=["memory", "sqlite"])
async def journal_and_clock(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[tuple[Any, _Clock]]:
    """Each local journal, reading claim expiry from a manual clock."""
    clock = _Clock()
    if request.param == "memory":
        yield ccasync.MemoryJournal(clock=clock), clock
        return
    async with ccasync.SqliteJournal(tmp_path / "jobs.db", clock=clock) as journal:
        yield journal, clock


async def test_steps_round_trip(journal_and_clock: tuple[Any, _Clock]) -> None:
    """Steps written under a claim read back with their phase and data."""
    await contract.check_steps_round_trip(journal_and_clock[0])


async def test_fingerprint_mismatch(journal_and_clock: tuple[Any, _Clock]) -> None:
    """A job id reused with another input is a ValidationError."""
    await contract.check_fingerprint_mismatch(journal_and_clock[0])


async def test_claims_exclude_and_fence(journal_and_clock: tuple[Any, _Clock]) -> None:
    """Two owners never hold one job; a stale owner's writes are refused after a takeover."""
    journal, clock = journal_and_clock
    await contract.check_claim_excludes_and_fences(journal, clock.advance)


async def test_release_frees(journal_and_clock: tuple[Any, _Clock]) -> None:
    """A released job is claimable at once and keeps its steps."""
    await contract.check_release_frees(journal_and_clock[0])


async def test_jobrun_merges(journal_and_clock: tuple[Any, _Clock]) -> None:
    """JobRun merges a step's outcome over its intent and group-writes concurrent records."""
    await contract.check_jobrun_merges(journal_and_clock[0])


async def test_forget(journal_and_clock: tuple[Any, _Clock]) -> None:
    """forget deletes a finished or abandoned job, never one being run."""
    journal, clock = journal_and_clock
    await contract.check_forget(journal, clock.advance)


async def test_non_json_data_is_refused(journal_and_clock: tuple[Any, _Clock]) -> None:
    """Step data that is not JSON is refused with a ValidationError before anything is written."""
    await contract.check_non_json_data_is_refused(journal_and_clock[0])


async def test_jobrun_lost_claim_stops_writes() -> None:
    """A run whose claim another owner took over cannot write any more."""
    clock = _Clock()
    journal = ccasync.MemoryJournal(clock=clock)
    async with JobRun(journal, "job", "fp", owner="one", ttl=5) as run:
        await clock.advance(10)
        await journal.claim("job", "fp", owner="two", ttl=60)
        with pytest.raises(CoordinationError):
            await run.record("s", n=1)


def test_fingerprint_of_a_file(tmp_path: Path) -> None:
    """A file's fingerprint changes with its size or its first/last block, not with its name."""
    big = tmp_path / "a.csv"
    big.write_bytes(b"x" * 200_000)
    same = tmp_path / "b.csv"
    same.write_bytes(b"x" * 200_000)
    assert fingerprint(big) == fingerprint(same)
    same.write_bytes(b"x" * 199_999 + b"y")
    assert fingerprint(big) != fingerprint(same)
    assert fingerprint(big, ["list-1"]) != fingerprint(big, ["list-2"])


_WRITER = textwrap.dedent(
    """
    import asyncio, os, sys
    import ccasync
    from ccasync.journal import JobRun

    async def main():
        journal = ccasync.SqliteJournal(sys.argv[1])
        async with JobRun(journal, "job", "fp", owner="killed", ttl=600) as run:
            for i in range(50):
                await run.record(f"step/{i}", i=i)
            print("written", flush=True)
            await asyncio.sleep(60)

    asyncio.run(main())
    """
)


_ROOT = str(Path(__file__).resolve().parents[1])


async def test_sqlite_steps_survive_sigkill(tmp_path: Path) -> None:
    """Steps a process wrote are all there after it is killed with SIGKILL mid-job."""
    path = tmp_path / "jobs.db"
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        _WRITER,
        str(path),
        stdout=asyncio.subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": _ROOT},
    )
    try:
        assert proc.stdout is not None
        line = await asyncio.wait_for(proc.stdout.readline(), 60)
        assert line.strip() == b"written"
    finally:
        proc.send_signal(signal.SIGKILL)
        await proc.wait()
    async with ccasync.SqliteJournal(path) as journal:
        steps = await journal.steps("job")
        assert {steps[f"step/{i}"].data["i"] for i in range(50)} == set(range(50))
        with pytest.raises(CoordinationError, match="being run by killed"):
            await journal.claim("job", "fp", owner="next", ttl=60)


async def test_dead_local_owner_is_taken_over(journal_and_clock: tuple[Any, _Clock]) -> None:
    """A claim held by a process of this host that has ended is taken over at once."""
    journal = journal_and_clock[0]
    proc = await asyncio.create_subprocess_exec(sys.executable, "-c", "pass")
    await proc.wait()
    dead = f"{socket.gethostname()}:{proc.pid}:gone"
    first = await journal.claim("job", "fp", owner=dead, ttl=600)
    taken = await journal.claim("job", "fp", owner=new_owner(), ttl=600)
    assert taken.token == first.token + 1


async def test_a_job_held_by_a_dead_local_process_can_be_forgotten(
    journal_and_clock: tuple[Any, _Clock],
) -> None:
    """forget does not wait for the claim of a process of this host that has ended."""
    journal = journal_and_clock[0]
    proc = await asyncio.create_subprocess_exec(sys.executable, "-c", "pass")
    await proc.wait()
    claim = await journal.claim("job", "fp", owner=f"{socket.gethostname()}:{proc.pid}:x", ttl=600)
    await journal.write(claim, [StepWrite("s", "done", {})])
    assert await journal.forget("job") is True
    assert await journal.steps("job") == {}
