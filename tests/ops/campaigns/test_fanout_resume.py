"""Fan-out, schedule and recurring resume with a journal: a finished job's rerun costs 0 calls,
a test is never sent twice, other locations under a job id are refused, the quota stop."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from typing import Any

import pytest

from ccasync import Client, MemoryJournal, RateLimiter, ValidationError
from ccasync.journal import StepWrite
from ccasync.ops.campaigns.fanout import (
    CampaignTemplate,
    Location,
    ScheduleItem,
    create_campaigns_for_locations,
    schedule_campaigns,
)
from ccasync.sim import SimConfig, serve

START = dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.UTC)  # a Wednesday
TEMPLATE = CampaignTemplate(
    name="Offers $key",
    subject="This week in $key",
    from_name="Acme",
    from_email="owner@example.com",
    html_content="<html><body>[[trackingImage]]<p>Hello $key</p></body></html>",
)
ZONES = ["America/New_York", "Europe/London", "Asia/Tokyo", "Australia/Sydney"]


@pytest.fixture
async def vsim() -> AsyncIterator[Any]:
    """A simulator whose clock stands still at START, limits off."""
    async with serve(
        SimConfig(per_second=None, per_day=None, time_scale=0, start_time=START)
    ) as running:
        yield running


def _client(sim: Any, limiter: RateLimiter | None = None) -> Client:
    cc = Client(
        access_token=sim.token,
        base_url=sim.base_url,
        rate_limiter=limiter or RateLimiter.unlimited(),
    )
    cc.campaigns.clock = sim.clock.now
    return cc


async def _locations(cc: Client, count: int = 4) -> list[Location]:
    target = await cc.lists.create("customers")
    return [
        Location(key=f"loc{n}", timezone=ZONES[n % 4], list_ids=[target.list_id])
        for n in range(count)
    ]


def _tests_sent(sim: Any) -> int:
    return len(sim.state.default_account.campaigns.test_sends)


def _schedule_posts(sim: Any) -> int:
    return sum(1 for e in sim.log if e.method == "POST" and e.path.endswith("/schedules"))


async def test_finished_job_rerun_costs_no_call(vsim: Any) -> None:
    """With a journal, rerunning a finished fan-out makes no call and reports every time."""
    journal = MemoryJournal()
    async with _client(vsim) as cc:
        locations = await _locations(cc)
        first = await create_campaigns_for_locations(
            cc, TEMPLATE, locations, journal=journal, job_id="w1", send_test_to=["a@example.com"]
        )
        calls = cc.calls
        again = await create_campaigns_for_locations(
            cc, TEMPLATE, locations, journal=journal, job_id="w1", send_test_to=["a@example.com"]
        )
        assert cc.calls == calls
    assert again.calls == 0
    assert [i.outcome for i in again] == ["scheduled"] * 4
    assert [i.scheduled_utc for i in again] == [i.scheduled_utc for i in first]
    assert [i.scheduled_local for i in again] == [i.scheduled_local for i in first]
    assert [i.campaign_id for i in again] == [i.campaign_id for i in first]
    assert _tests_sent(vsim) == 4
    steps = await journal.steps("w1")
    assert steps["loc/loc0/lists"].data == {"list_ids": list(locations[0].list_ids)}
    assert steps["loc/loc0/create"].data["campaign_id"] == first.items[0].campaign_id
    assert steps["loc/loc0/test"].phase == steps["loc/loc0/schedule"].phase == "done"


async def test_test_is_never_sent_twice(vsim: Any) -> None:
    """A location whose test went out (or may have) gets no second test on the rerun."""
    journal = MemoryJournal()
    async with _client(vsim) as cc:
        locations = await _locations(cc, 2)
        first = await create_campaigns_for_locations(
            cc, TEMPLATE, locations, journal=journal, job_id="w2", send_test_to=["a@example.com"]
        )
        # Make both look unfinished: the schedules undone, loc1's test answer lost.
        for item in first:
            await cc.campaigns.unschedule(str(item.activity_id))
        await _rewrite(journal, "w2", drop=["loc/loc0", "loc/loc1"], intent=["loc/loc1/test"])
        again = await create_campaigns_for_locations(
            cc, TEMPLATE, locations, journal=journal, job_id="w2", send_test_to=["a@example.com"]
        )
    assert [i.outcome for i in again] == ["scheduled", "scheduled"]
    assert _tests_sent(vsim) == 2
    by_key = again.by_key()
    assert by_key["loc0"].test_sent
    assert not by_key["loc1"].test_sent
    assert "may have sent the test" in str(by_key["loc1"].note)
    assert not any(i.created for i in again)


async def test_other_locations_under_a_job_id_are_refused(vsim: Any) -> None:
    """The same job id with another set of locations is a ValidationError before any call."""
    journal = MemoryJournal()
    async with _client(vsim) as cc:
        locations = await _locations(cc, 2)
        await create_campaigns_for_locations(cc, TEMPLATE, locations, journal=journal, job_id="w3")
        calls = cc.calls
        with pytest.raises(ValidationError, match="another input"):
            await create_campaigns_for_locations(
                cc, TEMPLATE, locations[:1], journal=journal, job_id="w3"
            )
        assert cc.calls == calls


async def test_schedule_campaigns_rerun_costs_no_call(vsim: Any) -> None:
    """schedule_campaigns with a journal: the rerun reports every item from the journal."""
    journal = MemoryJournal()
    async with _client(vsim) as cc:
        target = await cc.lists.create("l")
        items = []
        for n in range(3):
            campaign = await cc.campaigns.create(
                name=f"c{n}",
                from_name="A",
                from_email="owner@example.com",
                reply_to_email="owner@example.com",
                subject="s",
                html_content="<html><body>x</body></html>",
            )
            items.append(
                ScheduleItem(
                    activity_id=campaign.primary_activity_id,
                    at="next Monday 09:00",
                    timezone=ZONES[n],
                    list_ids=(target.list_id,),
                )
            )
        first = await schedule_campaigns(cc, items, journal=journal, job_id="s1")
        again = await schedule_campaigns(cc, items, journal=journal, job_id="s1")
    assert [i.outcome for i in first] == ["scheduled"] * 3
    assert again.calls == 0
    assert [i.scheduled_utc for i in again] == [i.scheduled_utc for i in first]
    assert _schedule_posts(vsim) == 3


async def test_quota_stop_then_resume_after_reset(vsim: Any) -> None:
    """A daily quota stops each account where it was, says when it resets and what is left;
    after the reset the rerun finishes with no duplicate and no double schedule."""
    journal = MemoryJournal()
    limiter = RateLimiter(per_second=None, per_day=12, clock=vsim.clock.now)
    async with _client(vsim, limiter) as cc:
        locations = await _locations(cc, 4)  # 1 call
        first = await create_campaigns_for_locations(
            cc, TEMPLATE, locations, journal=journal, job_id="q1"
        )
        stop = first.quota_stop
        assert stop is not None
        assert stop.resets_at == dt.datetime(2026, 11, 26, tzinfo=dt.UTC)
        assert "estimate" in stop.note
        unfinished = len(first.failed_items)
        assert 0 < unfinished < 4
        assert stop.calls_needed >= unfinished
        vsim.clock.advance(13 * 3600)
        again = await create_campaigns_for_locations(
            cc, TEMPLATE, locations, journal=journal, job_id="q1"
        )
        names = [c.name async for c in cc.campaigns.iter_all()]
    assert again.ok
    assert again.quota_stop is None
    assert again.calls <= stop.calls_needed
    assert len(names) == len(set(names)) == 4
    assert _schedule_posts(vsim) == 4


async def _rewrite(
    journal: MemoryJournal, job_id: str, *, drop: list[str], intent: list[str]
) -> None:
    """Edit a job's steps as a crash would have left them (a dropped step is made empty)."""
    steps = await journal.steps(job_id)
    fingerprint = journal._jobs[job_id]["fingerprint"]
    claim = await journal.claim(job_id, fingerprint, owner="doctor", ttl=60)
    writes = [StepWrite(name, "intent", dict(steps[name].data)) for name in intent]
    await journal.write(claim, writes)
    for name in drop:
        journal._steps[job_id].pop(name)
    await journal.release(claim)
