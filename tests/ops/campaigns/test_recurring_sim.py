"""Recurring sends: copy a template under a dated name and schedule the next occurrence once."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator

import pytest

from ccasync import Client, RateLimiter
from ccasync.errors import ValidationError
from ccasync.ops.campaigns.recurring import schedule_next_occurrence

START = dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.UTC)  # a Wednesday


@pytest.fixture
async def cc() -> AsyncIterator[Client]:
    """A client on a simulator frozen at START, holding a newsletter template campaign."""
    from ccasync.sim import SimConfig, serve

    async with serve(
        SimConfig(per_second=None, per_day=None, time_scale=0, start_time=START)
    ) as sim:
        async with Client(
            access_token=sim.token, base_url=sim.base_url, rate_limiter=RateLimiter.unlimited()
        ) as client:
            client.campaigns.clock = sim.clock.now
            newsletter = await client.lists.create("Newsletter")
            template = await client.campaigns.create(
                name="Newsletter",
                from_name="Acme",
                from_email="owner@example.com",
                reply_to_email="owner@example.com",
                subject="Our news",
                html_content="<html><body>[[trackingImage]]<p>News: 5$ off</p></body></html>",
            )
            primary = template.campaign_activities[0].campaign_activity_id
            await client.campaigns.set_lists(str(primary), [str(newsletter.list_id)])
            yield client


async def test_next_monday_copy_is_scheduled_once(cc: Client) -> None:
    """Two runs make one dated copy at Monday 09:00 New York, with the template's lists."""
    first = await schedule_next_occurrence(cc, "Newsletter", timezone="America/New_York")
    second = await schedule_next_occurrence(cc, "Newsletter", timezone="America/New_York")
    names = [c.name async for c in cc.campaigns.iter_all() if not c.removed]
    copy = await cc.campaigns.get_activity(str(first.activity_id), include=("html_content",))
    assert first.name == "Newsletter 2026-11-30"
    assert first.outcome == "scheduled"
    assert first.scheduled_utc == dt.datetime(2026, 11, 30, 14, 0, tzinfo=dt.UTC)
    assert second.outcome == "already_scheduled"
    assert second.campaign_id == first.campaign_id
    assert sorted(names) == ["Newsletter", "Newsletter 2026-11-30"]
    assert copy.html_content is not None
    assert "5$ off" in copy.html_content
    assert len(copy.contact_list_ids) == 1


async def test_custom_name_format_and_rule(cc: Client) -> None:
    """name_format and a Friday rule give 'Weekly 2026-11-27' at 17:00 London time."""
    result = await schedule_next_occurrence(
        cc,
        "Newsletter",
        when="Friday 17:00",
        timezone="Europe/London",
        name_format="Weekly {date:%Y-%m-%d}",
    )
    assert result.name == "Weekly 2026-11-27"
    assert result.scheduled_utc == dt.datetime(2026, 11, 27, 17, 0, tzinfo=dt.UTC)


async def test_dated_rule_and_unknown_template_are_refused(cc: Client) -> None:
    """A dated rule is not recurring; an unknown template name raises ValidationError."""
    with pytest.raises(ValidationError, match="weekly"):
        await schedule_next_occurrence(cc, "Newsletter", when="2026-12-01 09:00")
    with pytest.raises(ValidationError, match="no campaign"):
        await schedule_next_occurrence(cc, "Nope")
