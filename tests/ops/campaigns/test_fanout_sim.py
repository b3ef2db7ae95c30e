"""Campaign fan-out against the simulator: schedule per zone, resume, past times, bad accounts."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator
from typing import Any

import attrs
import pytest

from ccasync import Client, RateLimiter
from ccasync.config import RetryPolicy
from ccasync.errors import AuthenticationError, ScheduleTimeError, ValidationError
from ccasync.ops.campaigns.fanout import (
    CampaignResult,
    CampaignTemplate,
    Location,
    ScheduleItem,
    create_campaigns_for_locations,
    schedule_campaigns,
)
from ccasync.pool import AccountPool, PoolAccount

START = dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.UTC)  # a Wednesday
TEMPLATE = CampaignTemplate(
    name="Offers $city",
    subject="This week in $city",
    from_name="Acme $city",
    from_email="owner@example.com",
    html_content="<html><body>[[trackingImage]]<p>Hello $city</p></body></html>",
    preheader="Deals for $city",
)
ZONES = {
    "nyc": "America/New_York",
    "ldn": "Europe/London",
    "tyo": "Asia/Tokyo",
    "syd": "Australia/Sydney",
}


@pytest.fixture
async def vsim() -> AsyncIterator[Any]:
    """A simulator whose clock stands still at START unless advanced."""
    from ccasync.sim import SimConfig, serve

    async with serve(
        SimConfig(per_second=None, per_day=None, time_scale=0, start_time=START)
    ) as running:
        yield running


def _client(sim: Any, token: str | None = None) -> Client:
    cc = Client(
        access_token=token or sim.token,
        base_url=sim.base_url,
        rate_limiter=RateLimiter.unlimited(),
    )
    cc.campaigns.clock = sim.clock.now
    return cc


async def _locations(cc: Client, keys: list[str] | None = None) -> list[Location]:
    out = []
    for key in keys or list(ZONES):
        await cc.lists.create(f"{key} customers")
        out.append(
            Location(
                key=key,
                timezone=ZONES[key],
                values={"city": key.upper()},
                list_names=[f"{key} customers"],
            )
        )
    return out


async def _draft(cc: Client, name: str) -> str:
    campaign = await cc.campaigns.create(
        name=name,
        from_name="Acme",
        from_email="owner@example.com",
        reply_to_email="owner@example.com",
        subject="old",
        html_content="<html><body>x</body></html>",
    )
    return next(
        str(a.campaign_activity_id)
        for a in campaign.campaign_activities
        if a.role == "primary_email"
    )


async def _live_campaigns(cc: Client) -> list[str]:
    return sorted([str(c.name) async for c in cc.campaigns.iter_all() if not c.removed])


async def test_schedules_each_location_at_local_nine(vsim: Any) -> None:
    """Every location is created, tested and scheduled at Monday 09:00 in its own zone."""
    async with _client(vsim) as cc:
        locations = await _locations(cc)
        result = await create_campaigns_for_locations(
            cc, TEMPLATE, locations, send_test_to=["owner@example.com"]
        )
        activity = await cc.campaigns.get_activity(
            str(result.by_key()["ldn"].activity_id), include=["html_content"]
        )
    assert [item.outcome for item in result] == ["scheduled"] * 4
    for item in result:
        assert item.scheduled_local is not None
        assert item.scheduled_utc is not None
        assert (item.scheduled_local.weekday(), item.scheduled_local.hour) == (0, 9)
        assert item.created
        assert item.test_sent
        assert item.calls == 4  # POST /emails, PUT recipients (no GET), POST test, POST schedule
    by_key = result.by_key()
    assert by_key["nyc"].scheduled_utc == dt.datetime(2026, 11, 30, 14, 0, tzinfo=dt.UTC)
    assert by_key["tyo"].scheduled_utc == dt.datetime(2026, 11, 30, 0, 0, tzinfo=dt.UTC)
    assert activity.current_status == "SCHEDULED"
    # The PUT built without a GET kept every field the create had set.
    assert activity.subject == "This week in LDN"
    assert activity.preheader == "Deals for LDN"
    assert activity.from_name == "Acme LDN"
    assert activity.html_content == "<html><body>[[trackingImage]]<p>Hello LDN</p></body></html>"
    assert result.setup_calls == {"": 2}
    assert result.calls == 18


async def test_rerun_reuses_and_schedules_nothing_twice(vsim: Any) -> None:
    """A second run finds every campaign already scheduled in one GET /emails page: no create,
    no schedule, no test, no per-location GET (so the times are not reported)."""
    async with _client(vsim) as cc:
        locations = await _locations(cc)
        first = await create_campaigns_for_locations(cc, TEMPLATE, locations)
        again = await create_campaigns_for_locations(
            cc, TEMPLATE, locations, send_test_to=["owner@example.com"]
        )
        names = await _live_campaigns(cc)
    assert [item.outcome for item in again] == ["already_scheduled"] * 4
    assert not any(item.created or item.test_sent for item in again)
    assert [i.campaign_id for i in again] == [i.campaign_id for i in first]
    assert all(i.scheduled_utc is None for i in again)
    assert again.calls == 1
    assert names == sorted(f"Offers {key.upper()}" for key in ZONES)
    posts = [e for e in vsim.log.entries if e.method == "POST" and "/schedules" in e.path]
    assert len(posts) == 4


async def test_crash_halfway_then_rerun_completes_without_duplicates(vsim: Any) -> None:
    """Killing the run after two locations, then rerunning, gives four campaigns, one each."""
    async with _client(vsim) as cc:
        locations = await _locations(cc)
        done: list[CampaignResult] = []
        task: asyncio.Task[Any] | None = None

        def crash(item: CampaignResult) -> None:
            done.append(item)
            if len(done) == 2 and task is not None:
                task.cancel()

        task = asyncio.create_task(
            create_campaigns_for_locations(cc, TEMPLATE, locations, on_progress=crash)
        )
        with pytest.raises(asyncio.CancelledError):
            await task
        rerun = await create_campaigns_for_locations(cc, TEMPLATE, locations)
        names = await _live_campaigns(cc)
    outcomes = {item.key: item.outcome for item in rerun}
    assert outcomes == {
        "nyc": "already_scheduled",
        "ldn": "already_scheduled",
        "tyo": "scheduled",
        "syd": "scheduled",
    }
    assert len(names) == len(set(names)) == 4


async def test_crash_after_create_resumes_the_draft(vsim: Any) -> None:
    """A campaign left in DRAFT by a crash is reused, addressed and scheduled by the rerun."""
    async with _client(vsim) as cc:
        (location,) = await _locations(cc, ["nyc"])
        await _draft(cc, "Offers NYC")
        result = await create_campaigns_for_locations(cc, TEMPLATE, [location])
    (item,) = result
    assert item.outcome == "scheduled"
    assert not item.created


async def test_past_time_is_a_per_location_error(vsim: Any) -> None:
    """A location whose dated time is past fails alone, before anything is created for it."""
    async with _client(vsim) as cc:
        locations = await _locations(cc, ["nyc", "ldn"])
        locations[0] = Location(
            key="nyc",
            timezone="America/New_York",
            values={"city": "NYC"},
            list_names=["nyc customers"],
            when="2026-11-25 06:00",
        )
        result = await create_campaigns_for_locations(cc, TEMPLATE, locations)
        names = await _live_campaigns(cc)
    nyc, ldn = result.items
    assert nyc.outcome == "failed"
    assert nyc.step == "time"
    assert isinstance(nyc.error, ScheduleTimeError)
    assert "already past" in str(nyc.error)
    assert ldn.outcome == "scheduled"
    assert names == ["Offers LDN"]
    with pytest.raises(Exception, match="1 of 2 failed"):
        result.raise_for_failures()


async def test_dst_gap_time_is_moved_and_noted(vsim: Any) -> None:
    """02:30 on the US spring-forward day is scheduled at 03:30 EDT (07:30 UTC), with a note."""
    async with _client(vsim) as cc:
        (location,) = await _locations(cc, ["nyc"])
        result = await create_campaigns_for_locations(
            cc, TEMPLATE, [location], when="2027-03-14 02:30"
        )
    (item,) = result
    assert item.scheduled_utc == dt.datetime(2027, 3, 14, 7, 30, tzinfo=dt.UTC)
    assert item.note is not None
    assert "nonexistent" in item.note


async def test_unknown_list_name_and_bad_template_fail_per_location(vsim: Any) -> None:
    """An unknown list name and a missing placeholder fail their own location only."""
    async with _client(vsim) as cc:
        good = (await _locations(cc, ["ldn"]))[0]
        no_list = Location(key="x", timezone="UTC", values={"city": "X"}, list_names=["nope"])
        no_value = Location(key="y", timezone="UTC", list_names=["ldn customers"])
        result = await create_campaigns_for_locations(cc, TEMPLATE, [no_list, good, no_value])
    steps = [(item.key, item.step) for item in result]
    assert steps == [("x", "lists"), ("ldn", None), ("y", "render")]


async def test_send_now_then_done(vsim: Any) -> None:
    """send_now sends at once; the activity becomes DONE as the clock moves."""
    async with _client(vsim) as cc:
        (location,) = await _locations(cc, ["ldn"])
        (item,) = await create_campaigns_for_locations(cc, TEMPLATE, [location], send_now=True)
        vsim.clock.advance(3600)
        activity = await cc.campaigns.get_activity(str(item.activity_id))
    assert item.outcome == "sent"
    assert item.scheduled_utc is None
    assert activity.current_status == "DONE"


def test_repeated_location_keys_are_refused_before_any_call() -> None:
    """Two locations with one key raise ValidationError up front."""
    twice = [Location(key="a", timezone="UTC"), Location(key="a", timezone="UTC")]
    cc = Client(access_token="t", base_url="http://127.0.0.1:9/v3")
    with pytest.raises(ValidationError, match="unique"):
        asyncio.run(create_campaigns_for_locations(cc, TEMPLATE, twice))


async def test_pool_with_a_revoked_account(vsim: Any) -> None:
    """Across three accounts on two keys, a revoked token fails its locations; others finish."""
    vsim.add_api_key("key-2")
    accounts = {
        name: vsim.add_account(key, name=name)
        for name, key in (("east", None), ("west", "key-2"), ("gone", "key-2"))
    }
    for handle in accounts.values():
        async with _client(vsim, handle.token) as cc:
            await cc.lists.create("customers")
    vsim.revoke_tokens(accounts["gone"].account_id)
    pool_accounts = [
        PoolAccount(name=name, api_key=handle.account.api_key.client_id, access_token=handle.token)
        for name, handle in accounts.items()
    ]
    locations = [
        Location(
            key=f"{name}-{n}",
            timezone="America/Chicago",
            account=name,
            values={"city": f"{name}{n}"},
            list_names=["customers"],
        )
        for name in accounts
        for n in range(2)
    ]
    pool = AccountPool(
        pool_accounts,
        base_url=vsim.base_url,
        # Paced (so requests take the fair queue) but fast enough for a unit test.
        limiter_factory=lambda _key: RateLimiter(per_second=1000, per_day=None),
    )
    async with pool:
        for name in pool.names:
            pool.client(name).campaigns.clock = vsim.clock.now
        result = await create_campaigns_for_locations(pool, TEMPLATE, locations)
    outcomes = {item.key: (item.outcome, item.step) for item in result}
    assert outcomes["east-0"] == outcomes["west-1"] == ("scheduled", None)
    assert outcomes["gone-0"] == outcomes["gone-1"] == ("failed", "account")
    assert isinstance(result.by_key()["gone-0"].error, AuthenticationError)
    assert pool.limiter("west") is pool.limiter("gone")


async def test_schedule_campaigns_each_at_its_time_and_resume(vsim: Any) -> None:
    """Existing drafts are scheduled at their own local times; a rerun changes nothing."""
    async with _client(vsim) as cc:
        locations = await _locations(cc, ["nyc", "ldn"])
        drafts = [await _draft(cc, f"Draft {loc.key}") for loc in locations]
        lists = {item.name: item.list_id async for item in cc.lists.iter_all()}
        items = [
            ScheduleItem(
                activity_id=drafts[0],
                at="Friday 17:00",
                timezone="America/New_York",
                list_ids=(lists["nyc customers"],),
            ),
            ScheduleItem(
                activity_id=drafts[1],
                at=dt.datetime(2026, 12, 1, 8, 0),
                timezone="Europe/London",
                list_ids=(lists["ldn customers"],),
            ),
        ]
        first = await schedule_campaigns(cc, items)
        again = await schedule_campaigns(cc, items)
    assert [i.outcome for i in first] == ["scheduled", "scheduled"]
    assert first.items[0].scheduled_utc == dt.datetime(2026, 11, 27, 22, 0, tzinfo=dt.UTC)
    assert first.items[1].scheduled_utc == dt.datetime(2026, 12, 1, 8, 0, tzinfo=dt.UTC)
    assert [i.outcome for i in again] == ["already_scheduled"] * 2
    assert all(i.calls == 2 for i in again)


async def test_schedule_campaigns_past_time_and_sent_activity(vsim: Any) -> None:
    """A past time fails its item; an already sent activity is reported, not scheduled again."""
    async with _client(vsim) as cc:
        (location,) = await _locations(cc, ["ldn"])
        (sent,) = await create_campaigns_for_locations(cc, TEMPLATE, [location], send_now=True)
        vsim.clock.advance(3600)
        draft = await _draft(cc, "Draft past")
        items = [
            ScheduleItem(activity_id=str(sent.activity_id), at="Friday 10:00", timezone="UTC"),
            ScheduleItem(activity_id=draft, at=dt.datetime(2026, 11, 1, 9, 0), timezone="UTC"),
        ]
        result = await schedule_campaigns(cc, items)
        history = await cc.campaigns.send_history(str(sent.activity_id))
    done, past = result.items
    assert done.outcome == "already_sent"
    assert len(history) == 1
    assert past.outcome == "failed"
    assert past.step == "time"
    assert isinstance(past.error, ScheduleTimeError)


async def test_lost_answers_are_checked_and_nothing_is_done_twice() -> None:
    """Answers cut after a create and a schedule are checked: all scheduled once, in one pass."""
    from ccasync.sim import SimConfig, serve

    faults = "nth:2:reset@POST /v3/emails,nth:3:reset@POST /v3/emails/activities/*/schedules"
    config = SimConfig(per_second=None, per_day=None, time_scale=0, start_time=START, faults=faults)
    async with serve(config) as sim, _client(sim) as cc:
        locations = await _locations(cc)
        first = await create_campaigns_for_locations(cc, TEMPLATE, locations)
        second = await create_campaigns_for_locations(cc, TEMPLATE, locations)
        names = await _live_campaigns(cc)
        posts = [e for e in sim.log.entries if e.method == "POST" and "/schedules" in e.path]
    assert [item.outcome for item in first] == ["scheduled"] * 4
    assert [item.outcome for item in second] == ["already_scheduled"] * 4
    assert len(names) == len(set(names)) == 4
    assert len(posts) == 4


async def test_new_location_costs_exactly_three_calls_and_a_reused_draft_four(vsim: Any) -> None:
    """New: POST /emails, PUT (no GET), POST schedule; a draft from a crash: GET x2, PUT, POST."""
    async with _client(vsim) as cc:
        nyc, ldn = await _locations(cc, ["nyc", "ldn"])
        await _draft(cc, "Offers LDN")
        start = len(vsim.log.entries)
        result = await create_campaigns_for_locations(cc, TEMPLATE, [nyc, ldn])
        calls = [(e.method, e.path.rsplit("/", 1)[-1]) for e in vsim.log.entries[start:]]
    new, reused = result.items
    assert (new.calls, new.created, reused.calls, reused.created) == (3, True, 4, False)
    activity, reused_activity = str(new.activity_id), str(reused.activity_id)
    assert calls[2:] == [
        ("POST", "emails"),
        ("PUT", activity),
        ("POST", "schedules"),
        ("GET", str(reused.campaign_id)),
        ("GET", reused_activity),
        ("PUT", reused_activity),
        ("POST", "schedules"),
    ]


async def test_one_client_fails_per_location_and_never_raises() -> None:
    """On a single Client, a failing campaign index fails each location (step account)."""
    from ccasync.sim import SimConfig, serve

    config = SimConfig(
        per_second=None, per_day=None, time_scale=0, start_time=START, faults="503@GET /v3/emails"
    )
    async with (
        serve(config) as sim,
        Client(
            access_token=sim.token,
            base_url=sim.base_url,
            rate_limiter=RateLimiter.unlimited(),
            sleep=_no_sleep,
        ) as cc,
    ):
        cc.campaigns.clock = sim.clock.now
        locations = await _locations(cc, ["nyc", "ldn"])
        result = await create_campaigns_for_locations(cc, TEMPLATE, locations)
    assert [(item.key, item.step, item.account) for item in result] == [
        ("nyc", "account", None),
        ("ldn", "account", None),
    ]
    assert "503" in str(result.items[0].error)


async def _no_sleep(_: float) -> None:
    pass


async def test_an_exception_in_one_location_is_its_failure_only(vsim: Any) -> None:
    """A far date (a ScheduleTimeError, once an OverflowError) or any bug in one location fails
    it alone; others go on."""
    async with _client(vsim) as cc:
        nyc, ldn = await _locations(cc, ["nyc", "ldn"])
        far = attrs.evolve(nyc, when="9999-12-31 23:59")
        broken = attrs.evolve(nyc, key="bug", values={"city": "BUG"}, when=_broken_rule)
        result = await create_campaigns_for_locations(cc, TEMPLATE, [far, broken, ldn])
    failed, bug, scheduled = result.items
    assert (failed.outcome, failed.step) == ("failed", "time")
    assert isinstance(failed.error, ScheduleTimeError)
    assert "years 1-9999" in str(failed.error)
    assert (bug.outcome, bug.step, str(bug.error)) == ("failed", "unexpected", "a bug")
    assert scheduled.outcome == "scheduled"


def _broken_rule(_zone: Any, _now: dt.datetime) -> dt.datetime:
    raise RuntimeError("a bug")


@pytest.mark.parametrize("seed", [3, 4])
async def test_first_pass_under_faults_schedules_everything_once(seed: int) -> None:
    """5% 5xx, 2% resets, 1% hangs: every location scheduled in one pass, nothing twice."""
    from ccasync.sim import SimConfig, serve

    config = SimConfig(
        per_second=None,
        per_day=None,
        time_scale=0,
        start_time=START,
        faults="500:0.05,reset:0.02,hang:0.01",
        seed=seed,
        hang_seconds=2.0,
    )
    async with serve(config) as sim:
        cc = Client(
            access_token=sim.token,
            base_url=sim.base_url,
            rate_limiter=RateLimiter.unlimited(),
            timeout=0.5,
            retry=RetryPolicy(base_delay=0.01, max_delay=0.05),
        )
        async with cc:
            cc.campaigns.clock = sim.clock.now
            await cc.lists.create("all")
            locations = [
                Location(
                    key=f"L{n:02d}", timezone="UTC", values={"city": f"C{n}"}, list_names=["all"]
                )
                for n in range(30)
            ]
            result = await create_campaigns_for_locations(cc, TEMPLATE, locations)
            names = await _live_campaigns(cc)
        landed = [
            e.path
            for e in sim.log.entries
            if e.method == "POST"
            and e.path.endswith("/schedules")
            and (e.status == 201 or e.fault == "reset")
        ]
        faulted = {e.fault for e in sim.log.entries} - {""}
    assert faulted == {"500", "reset", "hang"}
    assert [item.reason for item in result.failed_items] == []
    assert len(names) == len(set(names)) == 30
    assert len(landed) == len(set(landed)) == 30
