"""What a per-batch notification costs in API calls: first, steady-state and resumed batches."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

import pytest

from ccasync import Client, MemoryJournal, RateLimiter
from ccasync.errors import WaitTimeoutError
from ccasync.events import RequestEvent
from ccasync.ops.campaigns.audience import ListPool, send_to_audience
from tests.ops.campaigns.test_audience_sim import ROWS, TEMPLATE, _advance, private_lease_dir, vsim

__all__ = ["private_lease_dir", "vsim"]  # fixtures shared with the audience tests

_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f-]{27}")


@pytest.fixture
async def logged(vsim: Any) -> AsyncIterator[tuple[Client, list[str]]]:
    """A client whose sleeps advance the simulator, and the log of its calls ("GET /path")."""
    log: list[str] = []

    def record(event: RequestEvent) -> None:
        log.append(f"{event.method} {_ID.sub('{id}', event.path.removeprefix('/v3'))}")

    async with Client(
        access_token=vsim.token,
        base_url=vsim.base_url,
        rate_limiter=RateLimiter.unlimited(),
        sleep=_advance(vsim),
        on_event=record,
    ) as client:
        client.campaigns.clock = vsim.clock.now
        yield client, log


STEADY = [
    "POST /activities/contacts_json_import",
    "GET /activities",  # the import and the list the previous batch is emptying
    "POST /emails",
    "PUT /emails/activities/{id}",  # built from what POST /emails sent: no GET
    "GET /contact_lists/{id}",  # the pre-send membership count
    "POST /emails/activities/{id}/schedules",
    "GET /emails/activities/{id}/send_history",  # DONE and its recipients in one call
    "POST /activities/remove_list_memberships",  # not waited for
]


async def _batches(
    vsim: Any, cc: Client, log: list[str], pool: ListPool, count: int, *, journal: bool
) -> list[int]:
    store = MemoryJournal() if journal else None
    calls = []
    for n in range(count):
        log.clear()
        result = await send_to_audience(
            cc,
            ROWS,
            TEMPLATE,
            batch_id=f"b{n}",
            pool=pool,
            sleep=_advance(vsim),
            journal=store,
            job_id=f"audience-b{n}" if journal else None,
        )
        assert result.calls == len(log)
        assert result.sent == 2
        calls.append(result.calls)
    return calls


async def test_steady_state_costs_eight_calls(vsim: Any, logged: Any) -> None:
    """With a journal: 12 calls for the first batch, 10 for the second (its list is created),
    then 8 per batch, exactly these."""
    cc, log = logged
    calls = await _batches(vsim, cc, log, ListPool(size=3), 5, journal=True)
    assert calls == [12, 10, 8, 8, 8]
    assert log == STEADY


async def test_without_a_journal_one_lookup_more(vsim: Any, logged: Any) -> None:
    """Without a journal each batch first looks for an earlier run's campaign (GET /emails)."""
    cc, log = logged
    calls = await _batches(vsim, cc, log, ListPool(size=3), 4, journal=False)
    assert calls == [13, 11, 9, 9]
    assert log == ["GET /emails", *STEADY]


async def test_one_list_pool_waits_for_its_release(vsim: Any, logged: Any) -> None:
    """With no other free list, a batch waits for its list's emptying: one listing more."""
    cc, log = logged
    calls = await _batches(vsim, cc, log, ListPool(size=1), 3, journal=True)
    assert calls == [12, 9, 9]
    assert log == ["GET /activities", *STEADY]


async def test_resumed_batch_costs_three_calls_and_sends_once(vsim: Any, logged: Any) -> None:
    """A batch whose send outlived its timeout, rerun with its journal: 3 calls, no 2nd send."""
    cc, log = logged
    journal = MemoryJournal()
    pool = ListPool(size=2)

    async def no_send_progress(seconds: float) -> None:
        if seconds < 5:  # import polls move the clock, the send's 15 s polls do not
            vsim.clock.advance(seconds)

    with pytest.raises(WaitTimeoutError):
        await send_to_audience(
            cc,
            ROWS,
            TEMPLATE,
            batch_id="b1",
            pool=pool,
            timeout=30,
            sleep=no_send_progress,
            journal=journal,
            job_id="audience-b1",
        )
    vsim.clock.advance(60)
    log.clear()
    again = await send_to_audience(
        cc,
        ROWS,
        TEMPLATE,
        batch_id="b1",
        pool=pool,
        sleep=_advance(vsim),
        journal=journal,
        job_id="audience-b1",
    )
    assert (again.resumed, again.sent, again.calls) == (True, 2, 3)
    assert log == [
        "GET /emails/activities/{id}",  # DONE: not sent again (the journal named it)
        "GET /emails/activities/{id}/send_history",
        "POST /activities/remove_list_memberships",
    ]
    assert len(await cc.campaigns.send_history(again.activity_id)) == 1


async def test_rerun_without_journal_finds_the_campaign_and_removes_nothing(
    vsim: Any, logged: Any
) -> None:
    """A finished batch rerun without a journal: found by name, not sent, its list (already
    being emptied by this pool) not emptied twice."""
    cc, log = logged
    pool = ListPool(size=2)
    first = await send_to_audience(
        cc, ROWS, TEMPLATE, batch_id="b1", pool=pool, sleep=_advance(vsim)
    )
    log.clear()
    again = await send_to_audience(
        cc, ROWS, TEMPLATE, batch_id="b1", pool=pool, sleep=_advance(vsim)
    )
    assert (again.resumed, again.sent, again.list_id) == (True, 2, first.list_id)
    assert log == [
        "GET /emails",
        "GET /emails/{id}",
        "GET /emails/activities/{id}",
        "GET /emails/activities/{id}/send_history",
    ]
    assert len(pool.releasing()) == 1
