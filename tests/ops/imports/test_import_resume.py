"""Import resume with a journal: accepted payloads are never sent again, running activities are
polled, lost POSTs are looked up, a finished job's rerun costs nothing, the quota stop."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from ccasync import BulkError, Client, MemoryJournal, RateLimiter, ValidationError
from ccasync.journal import StepWrite
from ccasync.ops import import_contacts
from ccasync.sim import SimConfig, serve

IMPORT_POST = "/v3/activities/contacts_json_import"


async def _instant(_: float) -> None:
    await asyncio.sleep(0)


class Rig:
    """A simulator on virtual time and a client on it; ``sleep`` advances simulated time."""

    def __init__(self, sim: Any, cc: Client) -> None:
        self.sim = sim
        self.cc = cc

    async def sleep(self, seconds: float) -> None:
        self.sim.clock.advance(seconds)
        await asyncio.sleep(0)

    def clock(self) -> float:
        return float(self.sim.clock.timestamp())

    async def run(self, source: Any, list_id: str, **options: Any) -> Any:
        return await import_contacts(
            self.cc,
            source,
            list_ids=[list_id],
            clock=self.clock,
            sleep=self.sleep,
            max_rows=500,
            **options,
        )

    def accepted_posts(self) -> int:
        return sum(1 for e in self.sim.log if e.path == IMPORT_POST and e.status == 201)

    def emails(self) -> set[str]:
        account = self.sim.state.default_account
        return {c.email for c in account.contacts.values() if c.email}


@contextlib.asynccontextmanager
async def _rig(**config: Any) -> AsyncIterator[Rig]:
    settings: dict[str, Any] = {"per_second": None, "per_day": None, "time_scale": 0, **config}
    limiter = config.pop("limiter", None)
    settings.pop("limiter", None)
    async with serve(SimConfig(**settings)) as sim:
        async with Client(
            access_token=sim.token,
            base_url=sim.base_url,
            rate_limiter=limiter or RateLimiter.unlimited(),
            sleep=_instant,
        ) as cc:
            cc.campaigns.clock = sim.clock.now
            yield Rig(sim, cc)


@pytest.fixture
async def rig() -> AsyncIterator[Rig]:
    """The simulator with limits off on virtual time, and a client on it."""
    async with _rig() as made:
        yield made


def _csv(path: Path, count: int) -> Path:
    lines = ["email,first_name"] + [f"p{i}@example.com,F{i}" for i in range(count)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


async def test_finished_job_rerun_costs_no_call(rig: Rig, tmp_path: Path) -> None:
    """A finished job's rerun makes no call and reports the same counts from the journal."""
    target = await rig.cc.lists.create("t")
    source = _csv(tmp_path / "in.csv", 1_200)
    journal = MemoryJournal()
    first = await rig.run(source, target.list_id, journal=journal, job_id="j1")
    assert (first.imported, first.payloads) == (1_200, 3)
    again = await rig.run(source, target.list_id, journal=journal, job_id="j1")
    assert again.calls == 0
    assert [c.resume for c in again.chunks] == ["journal"] * 3
    assert (again.imported, again.failed, again.submitted) == (1_200, 0, 1_200)
    assert rig.accepted_posts() == 3


async def test_rerun_polls_running_and_sends_the_rest(rig: Rig, tmp_path: Path) -> None:
    """After a crash, accepted payloads are polled (not resent) and the rest is sent once."""
    target = await rig.cc.lists.create("t")
    source = _csv(tmp_path / "in.csv", 2_000)
    journal = MemoryJournal()

    async def never(_: float) -> None:
        await asyncio.Event().wait()  # the crashed run's activities never get polled

    task = asyncio.create_task(
        import_contacts(
            rig.cc,
            source,
            list_ids=[target.list_id],
            max_rows=500,
            sleep=never,
            journal=journal,
            job_id="j2",
        )
    )
    for _ in range(2_000):
        await asyncio.sleep(0.001)
        if rig.accepted_posts() >= 2:
            break
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    sent_before = rig.accepted_posts()
    assert sent_before >= 2
    result = await rig.run(source, target.list_id, journal=journal, job_id="j2")
    assert rig.accepted_posts() == 4
    # The last POST may have landed after the crash cut its answer: found in the listing.
    assert {c.resume for c in result.chunks[:sent_before]} <= {"polled", "found"}
    assert result.chunks[0].resume == "polled"
    assert all(c.resume is None for c in result.chunks[sent_before:])
    assert (result.imported, result.failed) == (2_000, 0)
    assert len(rig.emails()) == 2_000


async def test_lost_answer_is_found_in_the_listing(rig: Rig, tmp_path: Path) -> None:
    """A payload with an intent but no recorded answer is found in GET /activities, not resent."""
    target = await rig.cc.lists.create("t")
    source = _csv(tmp_path / "in.csv", 1_200)
    journal = MemoryJournal()
    await rig.run(source, target.list_id, journal=journal, job_id="j3")
    await _forget_answer(journal, "j3", "payload/2")
    again = await rig.run(source, target.list_id, journal=journal, job_id="j3")
    assert [c.resume for c in again.chunks] == ["journal", "journal", "found"]
    assert rig.accepted_posts() == 3
    assert again.imported == 1_200


async def test_lost_post_not_in_the_listing_is_sent_again(rig: Rig, tmp_path: Path) -> None:
    """A payload whose POST left no activity is sent again, and the result says so."""
    target = await rig.cc.lists.create("t")
    source = _csv(tmp_path / "in.csv", 1_200)
    journal = MemoryJournal()
    await rig.run(source, target.list_id, journal=journal, job_id="j4")
    later = (rig.sim.clock.now() + dt.timedelta(hours=1)).isoformat()
    await _forget_answer(journal, "j4", "payload/2", posted_at=later)
    again = await rig.run(source, target.list_id, journal=journal, job_id="j4")
    assert [c.resume for c in again.chunks] == ["journal", "journal", "resent"]
    assert rig.accepted_posts() == 4
    assert again.imported == 1_200


async def test_changed_input_is_refused(rig: Rig, tmp_path: Path) -> None:
    """Rerunning a job id on another file, or with other options, is a ValidationError."""
    target = await rig.cc.lists.create("t")
    journal = MemoryJournal()
    await rig.run(_csv(tmp_path / "a.csv", 600), target.list_id, journal=journal, job_id="j5")
    with pytest.raises(ValidationError, match="another input"):
        await rig.run(_csv(tmp_path / "a.csv", 601), target.list_id, journal=journal, job_id="j5")
    with pytest.raises(ValidationError, match="another input"):
        await rig.run(
            _csv(tmp_path / "a.csv", 600),
            target.list_id,
            journal=journal,
            job_id="j5",
            on_duplicate="reject",
        )


async def test_changed_stream_is_refused_payload_by_payload(rig: Rig) -> None:
    """A stream source that changed under a job id is caught when a payload's digest differs."""
    target = await rig.cc.lists.create("t")
    journal = MemoryJournal()
    rows = [{"email": f"s{i}@example.com"} for i in range(600)]
    await rig.run(rows, target.list_id, journal=journal, job_id="j6")
    rows[10] = {"email": "other@example.com"}
    with pytest.raises(ValidationError, match="payload 0"):
        await rig.run(rows, target.list_id, journal=journal, job_id="j6")


async def test_quota_stop_resumes_where_it_stopped(tmp_path: Path) -> None:
    """A daily quota stops the import with a reset time and a call estimate; after the reset
    the rerun sends only what was never accepted."""
    start = dt.datetime(2026, 12, 7, 23, 0, tzinfo=dt.UTC)
    # 6 calls: the list, the field listing and 4 of the 6 payloads' POSTs (polls are listings).
    async with _rig(per_day=6, start_time=start) as rig:
        target = await rig.cc.lists.create("t")
        source = _csv(tmp_path / "in.csv", 3_000)
        journal = MemoryJournal()
        with pytest.raises(BulkError) as caught:
            await rig.run(source, target.list_id, journal=journal, job_id="q")
        stop = caught.value.result.quota_stop
        assert stop is not None
        assert stop.calls_needed > 0
        assert "estimate" in stop.note
        accepted = rig.accepted_posts()
        assert 0 < accepted < 6
        rig.sim.clock.advance(3_600)
        result = await rig.run(source, target.list_id, journal=journal, job_id="q")
        assert rig.accepted_posts() == 6
        assert (result.imported, result.failed) == (3_000, 0)
        assert result.calls <= stop.calls_needed + 2


async def _forget_answer(journal: MemoryJournal, job_id: str, name: str, **extra: Any) -> None:
    """Make ``name`` look like a POST whose answer a crash lost (intent only)."""
    step = (await journal.steps(job_id))[name]
    data = {k: v for k, v in step.data.items() if k not in ("activity_id", "final")}
    fake = await _claim_any(journal, job_id)
    await journal.write(fake, [StepWrite(name, "intent", {**data, **extra})])
    await journal.release(fake)


async def _claim_any(journal: MemoryJournal, job_id: str) -> Any:
    fingerprint = journal._jobs[job_id]["fingerprint"]
    return await journal.claim(job_id, fingerprint, owner="doctor", ttl=60)


async def test_cut_answer_is_found_in_the_listing_during_the_run(tmp_path: Path) -> None:
    """A POST whose answer is cut (no retry left) is looked up, found, and not sent again."""
    from ccasync import NO_RETRY

    faults = f"nth:2:reset@POST {IMPORT_POST}"
    config = SimConfig(per_second=None, per_day=None, time_scale=0, faults=faults)
    async with serve(config) as sim:
        async with Client(
            access_token=sim.token,
            base_url=sim.base_url,
            rate_limiter=RateLimiter.unlimited(),
            retry=NO_RETRY,
        ) as cc:
            cc.campaigns.clock = sim.clock.now
            rig = Rig(sim, cc)
            target = await cc.lists.create("t")
            result = await rig.run(_csv(tmp_path / "in.csv", 1_200), target.list_id)
        assert sim.state.faults.injected == 1
        assert [c.resume for c in result.chunks] == [None, "found", None]
        assert rig.accepted_posts() == 3
        assert (result.imported, result.failed) == (1_200, 0)
