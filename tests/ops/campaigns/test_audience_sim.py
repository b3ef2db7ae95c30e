"""Per-batch notification sends on the simulator: upsert, pooled list, send, release, resume."""

from __future__ import annotations

import datetime as dt
import tempfile
from collections.abc import AsyncIterator
from typing import Any

import pytest

from ccasync import Client, RateLimiter
from ccasync.errors import ListPoolExhaustedError, ValidationError, WaitTimeoutError
from ccasync.ops.campaigns.audience import ListPool, send_to_audience
from ccasync.ops.campaigns.fanout import CampaignTemplate

START = dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.UTC)
TEMPLATE = CampaignTemplate(
    name="Your orders $batch",
    subject="Your latest orders",
    from_name="Acme",
    from_email="owner@example.com",
    html_content="<html><body>[[trackingImage]]<p>Total: [[order_total]]</p></body></html>",
)
ROWS = [
    {"email": "ann@example.net", "first_name": "Ann", "cf:order_total": "12.50"},
    {"email": "bob@example.net", "first_name": "Bob", "cf:order_total": "99.00"},
]


@pytest.fixture(autouse=True)
def private_lease_dir(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test's default list leases in its own directory (simulated list ids repeat)."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))


@pytest.fixture
async def vsim() -> AsyncIterator[Any]:
    """A simulator whose clock moves only when advanced (the test's sleep advances it)."""
    from ccasync.sim import SimConfig, serve

    async with serve(
        SimConfig(per_second=None, per_day=None, time_scale=0, start_time=START)
    ) as running:
        yield running


@pytest.fixture
async def cc(vsim: Any) -> AsyncIterator[Client]:
    """A client whose sleeps advance the simulator's clock instead of waiting."""

    async def sleep(seconds: float) -> None:
        vsim.clock.advance(seconds)

    async with Client(
        access_token=vsim.token,
        base_url=vsim.base_url,
        rate_limiter=RateLimiter.unlimited(),
        sleep=sleep,
    ) as client:
        client.campaigns.clock = vsim.clock.now
        yield client


def _advance(vsim: Any) -> Any:
    async def sleep(seconds: float) -> None:
        vsim.clock.advance(seconds)

    return sleep


async def _members(cc: Client, list_id: str) -> int:
    found = await cc.lists.get(list_id, include_membership_count="all")
    return int(found.membership_count or 0)


async def test_batch_is_sent_and_list_released(vsim: Any, cc: Client) -> None:
    """Contacts are upserted with their fields, emailed once, and the pool list emptied."""
    pool = ListPool(size=2)
    result = await send_to_audience(
        cc, ROWS, TEMPLATE, batch_id="b1", pool=pool, sleep=_advance(vsim)
    )
    contact = await cc.contacts.find_by_email("bob@example.net")
    activity = await cc.campaigns.get_activity(result.activity_id)
    assert result.sent == 2
    assert not result.resumed
    assert activity.current_status == "DONE"
    assert result.list_id is not None
    assert len(pool.releasing()) == 1  # emptied in the background
    await pool.drain(cc, sleep=_advance(vsim))
    assert pool.releasing() == []
    assert await _members(cc, result.list_id) == 0
    assert contact is not None


async def test_later_batches_reuse_the_released_lists(vsim: Any, cc: Client) -> None:
    """Batches alternate between two pool lists (one sends while the other empties): no new
    list per send."""
    pool = ListPool(size=3)
    used = [
        (
            await send_to_audience(
                cc, ROWS[: 1 + n % 2], TEMPLATE, batch_id=f"b{n}", pool=pool, sleep=_advance(vsim)
            )
        ).list_id
        for n in range(4)
    ]
    names = [item.name async for item in cc.lists.iter_all()]
    assert used[0] == used[2] != used[1] == used[3]
    assert sorted(n for n in names if n.startswith("ccasync-audience")) == [
        "ccasync-audience-01",
        "ccasync-audience-02",
    ]


async def test_drain_gives_every_idle_list_back(vsim: Any, cc: Client, tmp_path: Any) -> None:
    """After drain, another pool (another process) can lease both lists the first one used."""
    from ccasync.ops import FileListLeases

    pool = ListPool(size=2, leases=FileListLeases(tmp_path))
    for n in range(2):
        await send_to_audience(
            cc, ROWS, TEMPLATE, batch_id=f"b{n}", pool=pool, sleep=_advance(vsim)
        )
    other = ListPool(size=2, leases=FileListLeases(tmp_path))
    with pytest.raises(ListPoolExhaustedError):
        await other.acquire(cc)  # one list is the first pool's spare, one still emptying
    await pool.drain(cc, sleep=_advance(vsim))
    taken = {await other.acquire(cc), await other.acquire(cc)}
    assert len(taken) == 2


async def test_rerun_of_a_finished_batch_sends_nothing(vsim: Any, cc: Client) -> None:
    """Running the same batch_id again reuses the campaign and does not send it twice."""
    pool = ListPool(size=1)
    await send_to_audience(cc, ROWS, TEMPLATE, batch_id="b1", pool=pool, sleep=_advance(vsim))
    again = await send_to_audience(
        cc, ROWS, TEMPLATE, batch_id="b1", pool=pool, sleep=_advance(vsim)
    )
    history = await cc.campaigns.send_history(again.activity_id)
    assert again.resumed
    assert len(history) == 1


async def test_busy_pool_is_exhausted(vsim: Any, cc: Client) -> None:
    """With every pool list holding members, acquire raises ListPoolExhaustedError."""
    pool = ListPool(size=1)
    list_id = await pool.acquire(cc)
    await cc.activities.wait(await cc.activities.import_contacts(ROWS[:1], [list_id]), initial=0.1)
    with pytest.raises(ListPoolExhaustedError):
        await ListPool(size=1).acquire(cc)


async def test_template_name_must_carry_the_batch(cc: Client) -> None:
    """A template name without $batch is refused before any call (names must be unique)."""
    fixed = CampaignTemplate(
        name="Orders",
        subject="s",
        from_name="Acme",
        from_email="owner@example.com",
        html_content="<html><body>x</body></html>",
    )
    with pytest.raises(ValidationError):
        await send_to_audience(cc, ROWS, fixed, batch_id="b", pool=ListPool())
    assert cc.calls == 0


async def test_send_not_done_in_time_raises_wait_timeout(vsim: Any, cc: Client) -> None:
    """A send still unfinished after ``timeout`` raises WaitTimeoutError; the list stays leased."""

    async def frozen_at_send(seconds: float) -> None:
        """Let the import's short polls move the clock, not the send's 15 s ones: no DONE."""
        if seconds < 5:
            vsim.clock.advance(seconds)

    pool = ListPool(size=1)
    with pytest.raises(WaitTimeoutError, match="not DONE after 30 s"):
        await send_to_audience(
            cc, ROWS, TEMPLATE, batch_id="b1", pool=pool, timeout=30, sleep=frozen_at_send
        )
    with pytest.raises(ListPoolExhaustedError):
        await ListPool(size=1).acquire(cc)


async def test_journaled_batch_rerun_costs_no_call(vsim: Any, cc: Client) -> None:
    """With a journal, rerunning a finished batch returns its recorded result at no call."""
    from ccasync import MemoryJournal

    journal = MemoryJournal()
    pool = ListPool(size=2)
    first = await send_to_audience(
        cc,
        ROWS,
        TEMPLATE,
        batch_id="b9",
        pool=pool,
        sleep=_advance(vsim),
        journal=journal,
        job_id="audience-b9",
    )
    calls = cc.calls
    again = await send_to_audience(
        cc,
        ROWS,
        TEMPLATE,
        batch_id="b9",
        pool=pool,
        sleep=_advance(vsim),
        journal=journal,
        job_id="audience-b9",
    )
    assert cc.calls == calls
    assert (again.calls, again.resumed) == (0, True)
    assert (again.campaign_id, again.sent) == (first.campaign_id, first.sent)
    with pytest.raises(ValidationError, match="another input"):
        await send_to_audience(
            cc,
            ROWS[:1],
            TEMPLATE,
            batch_id="b9",
            pool=pool,
            journal=journal,
            job_id="audience-b9",
        )
