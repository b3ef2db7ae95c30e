"""cc.reports end to end against the simulator: a campaign is sent, time passes, reports agree."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

import attrs
import pytest

from ccasync import Client
from ccasync.errors import NotFoundError
from ccasync.models.reports import TrackingEvent

SENDER = "owner@example.com"
HTML = (
    "<html><body>[[trackingImage]]"
    '<a href="https://example.com/a">A</a> <a href="https://example.com/b">B</a>'
    "</body></html>"
)
RECIPIENTS = 1500
"""Enough recipients that the simulator's 0.5 % opt-out rate yields some opt-outs."""


@attrs.frozen
class Sent:
    """A campaign sent to RECIPIENTS contacts, with 3 simulated days of engagement behind it."""

    campaign_id: str
    activity_id: str
    list_id: str
    sent_at: dt.datetime


async def send_campaign(cc: Client, sim: Any, recipients: int = RECIPIENTS) -> Sent:
    """Import contacts into a list, send a campaign to it now, and let 3 days pass."""
    created = await cc.lists.create("Customers")
    list_id = str(created.list_id)
    rows = [{"email": f"c{i}@example.com", "first_name": f"C{i}"} for i in range(recipients)]
    activity = await cc.activities.import_contacts(rows, [list_id])
    sim.clock.advance(5)
    await cc.activities.wait(activity, initial=0.05, timeout=10)
    campaign = await cc.campaigns.create(
        name="Report me",
        from_name="Shop",
        from_email=SENDER,
        reply_to_email=SENDER,
        subject="News",
        html_content=HTML,
    )
    activity_id = str(campaign.primary_activity_id)
    await cc.campaigns.set_lists(activity_id, [list_id])
    sent_at = sim.clock.now()
    await cc.campaigns.send_now(activity_id)
    sim.clock.advance(3 * 86_400)
    return Sent(str(campaign.campaign_id), activity_id, list_id, sent_at)


async def collect(events: Any) -> list[TrackingEvent]:
    """Drain a tracking iterator."""
    return [e async for e in events]


@pytest.fixture
async def sent(sim_client: Client, sim: Any) -> Sent:
    """A sent campaign on the simulator."""
    return await send_campaign(sim_client, sim)


async def test_summaries_and_stats_agree_with_tracking(sim_client: Client, sent: Sent) -> None:
    """Summary counts, campaign stats and activity stats match the tracking iterators."""
    cc = sim_client
    summaries = [s async for s in cc.reports.iter_campaign_summaries(limit=10)]
    assert [s.campaign_id for s in summaries] == [sent.campaign_id]
    counts = summaries[0].unique_counts
    assert counts is not None
    campaign = (await cc.reports.campaign_stats([sent.campaign_id]))[0]
    activity = (await cc.reports.activity_stats([sent.activity_id]))[0]
    assert campaign.stats is not None
    assert activity.stats is not None
    sends = await collect(cc.reports.iter_sends(sent.activity_id, limit=500))
    unique_opens = await collect(cc.reports.iter_unique_opens(sent.activity_id))
    bounces = await collect(cc.reports.iter_bounces(sent.activity_id))
    assert len(sends) == RECIPIENTS == counts.sends == campaign.stats.em_sends
    assert len({e.contact_id for e in sends}) == RECIPIENTS
    assert len(unique_opens) == counts.opens == activity.stats.em_opens
    assert len(bounces) == counts.bounces == activity.stats.em_bounces
    by_code = Counter(e.bounce_code for e in bounces)
    assert activity.stats.em_bounces_nonexistent_address == by_code["B"]


async def test_each_tracking_iterator(sim_client: Client, sent: Sent) -> None:
    """Opens, clicks (also by link), bounces by code, didnotopens and forwards are consistent."""
    reports = sim_client.reports
    opens = await collect(reports.iter_opens(sent.activity_id, limit=100))
    unique = await collect(reports.iter_unique_opens(sent.activity_id))
    assert len(opens) >= len(unique) > 0
    assert {e.tracking_activity_type for e in opens} == {"em_opens"}
    assert all(e.device_type for e in opens)
    clicks = await collect(reports.iter_clicks(sent.activity_id))
    assert clicks
    assert {e.link_url for e in clicks} <= {"https://example.com/a", "https://example.com/b"}
    url_id = str(clicks[0].url_id)
    one_link = await collect(reports.iter_clicks(sent.activity_id, url_id=url_id))
    assert {e.url_id for e in one_link} == {url_id}
    links = await reports.links(sent.activity_id)
    by_url = {link.url_id: link.unique_clicks for link in links.link_click_counts}
    assert by_url[url_id] == len({e.contact_id for e in one_link})
    bounces = await collect(reports.iter_bounces(sent.activity_id))
    only_b = await collect(reports.iter_bounces(sent.activity_id, bounce_codes=["B"]))
    assert [e.contact_id for e in only_b] == [e.contact_id for e in bounces if e.bounce_code == "B"]
    didnot = await collect(reports.iter_didnotopens(sent.activity_id))
    openers = {e.contact_id for e in unique}
    assert not openers & {e.contact_id for e in didnot}
    forwards = await collect(reports.iter_forwards(sent.activity_id))
    assert {e.contact_id for e in forwards} <= openers
    times = [e.created_time for e in opens if e.created_time]
    assert times == sorted(times, reverse=True)


async def test_optouts_and_optouts_since(sim_client: Client, sim: Any, sent: Sent) -> None:
    """iter_optouts_since gives exactly the opt-outs newer than since, with or without ids."""
    reports = sim_client.reports
    optouts = await collect(reports.iter_optouts(sent.activity_id))
    assert optouts, "the simulator should produce some opt-outs for 1,500 recipients"
    assert all(e.opt_out_reason for e in optouts)
    before = sim_client.calls
    walked = await collect(reports.iter_optouts_since(sent.sent_at))
    # The documented cost: 1 summaries page + 1 campaign GET + 1 optouts page (< 500 events).
    assert sim_client.calls - before == 3
    assert [e.contact_id for e in walked] == [e.contact_id for e in optouts]
    times = sorted(e.created_time for e in optouts if e.created_time)
    middle = times[len(times) // 2]
    newer = await collect(reports.iter_optouts_since(middle, activity_ids=[sent.activity_id]))
    assert len(newer) == sum(1 for t in times if t > middle)
    later = await collect(reports.iter_optouts_since(sim.clock.now()))
    assert later == []
    unsubscribed = await sim_client.contacts.get(str(optouts[0].contact_id))
    assert unsubscribed.email_address is not None
    assert unsubscribed.email_address.permission_to_send == "unsubscribed"


async def test_contact_reports(sim_client: Client, sim: Any, sent: Sent) -> None:
    """Contact activity details, summary and rates describe what one opener did."""
    reports = sim_client.reports
    opener = (await collect(reports.iter_unique_opens(sent.activity_id)))[0]
    contact_id = str(opener.contact_id)
    details = [a async for a in reports.contact_activity(contact_id, limit=2)]
    kinds = {a.tracking_activity_type for a in details}
    assert {"em_sends", "em_opens"} <= kinds
    assert all(a.campaign_activity_id == sent.activity_id for a in details)
    start = sent.sent_at - dt.timedelta(days=1)
    end = sim.clock.now() + dt.timedelta(days=1)
    summary = await reports.contact_activity_summary(contact_id, start, end)
    assert [(a.campaign_activity_id, a.em_sends) for a in summary.campaign_activities] == [
        (sent.activity_id, 1)
    ]
    assert (summary.campaign_activities[0].em_opens or 0) >= 1
    rates = await reports.contact_open_and_click_rates(contact_id, start, end)
    assert rates.included_activities_count == 1
    assert rates.average_open_rate == 1.0


async def test_summary_pages_and_stats_reports(sim_client: Client, sent: Sent) -> None:
    """Summary pages carry aggregate percents; stats reports list no errors for known ids."""
    reports = sim_client.reports
    pages = [p async for p in reports.iter_campaign_summary_pages()]
    assert [s.campaign_id for p in pages for s in p.bulk_email_campaign_summaries] == [
        sent.campaign_id
    ]
    percents = pages[0].aggregate_percents
    assert percents is not None
    assert percents.open is not None
    assert 0 < percents.open <= 100
    campaign = await reports.campaign_stats_report([sent.campaign_id])
    assert [r.campaign_id for r in campaign.results] == [sent.campaign_id]
    assert campaign.errors == []
    assert campaign.results[0].percents is not None
    activity = await reports.activity_stats_report([sent.activity_id])
    assert [r.campaign_activity_id for r in activity.results] == [sent.activity_id]
    assert activity.errors == []


async def test_stats_of_unknown_ids_are_not_found(sim_client: Client) -> None:
    """Stats for ids the account does not have answer 404."""
    with pytest.raises(NotFoundError):
        await sim_client.reports.campaign_stats(["8987dc1a-48ef-433a-b836-7ca4f9aa3481"])
