"""The whole seed workflow end to end on the simulator, through the public client only.

Create contacts, create lists, upload contacts into the lists, create a campaign, set its lists,
send a test, schedule it, add contacts after scheduling and see that they receive it, send to new
members (a DONE activity re-sent reaches only them), create a non-opener resend, and read the
tracking summary.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from ccasync import Client
from ccasync.models.activities import Activity
from ccasync.models.contacts import EmailAddress, NewContact

SENDER = "owner@example.com"
HTML = (
    '<html><body>[[trackingImage]] Hello! <a href="https://example.com/sale">Sale</a></body></html>'
)


async def finish(cc: Client, sim: Any, activity: Activity) -> Activity:
    """Let simulated time pass and wait for a bulk activity to complete."""
    sim.clock.advance(5)
    done = await cc.activities.wait(activity, initial=0.05, timeout=10)
    assert done.state == "completed", done
    return done


async def emails_sent(cc: Client, activity_id: str) -> set[str]:
    """Addresses the activity was sent to, from the sends tracking report."""
    return {str(e.email_address) async for e in cc.reports.iter_sends(activity_id)}


async def test_seed_workflow(sim_client: Client, sim: Any) -> None:
    """From empty account to a sent, re-sent and reported campaign, late additions included."""
    cc = sim_client
    cc.campaigns.clock = sim.clock.now

    # 1. Contacts, one by one.
    alice = await cc.contacts.create(
        NewContact(
            email_address=EmailAddress(address="alice@example.com", permission_to_send="explicit"),
            first_name="Alice",
            create_source="Account",
        )
    )
    bob = await cc.contacts.create(
        NewContact(email_address=EmailAddress(address="bob@example.com"), create_source="Account")
    )

    # 2. Lists.
    vip = await cc.lists.create("VIP")
    newsletter = await cc.lists.create("Newsletter")
    vip_id, news_id = str(vip.list_id), str(newsletter.list_id)

    # 3. Upload: the two contacts into VIP, a bulk import into Newsletter.
    await finish(
        cc,
        sim,
        await cc.activities.add_list_memberships(
            [vip_id], contact_ids=[str(alice.contact_id), str(bob.contact_id)]
        ),
    )
    first_batch = [f"reader{i}@example.com" for i in range(20)]
    await finish(
        cc, sim, await cc.activities.import_contacts([{"email": e} for e in first_batch], [news_id])
    )

    # 4-5. Campaign and its lists.
    campaign = await cc.campaigns.create(
        name="Launch",
        from_name="Shop",
        from_email=SENDER,
        reply_to_email=SENDER,
        subject="We are live",
        html_content=HTML,
    )
    activity_id = str(campaign.primary_activity_id)
    await cc.campaigns.set_lists(activity_id, [vip_id, news_id])

    # 6. A test send.
    await cc.campaigns.send_test(activity_id, ["qa@example.com"], "Final check")

    # 7. Schedule one hour ahead.
    at = (sim.clock.now() + dt.timedelta(hours=1)).replace(microsecond=0)
    assert [e.scheduled_date for e in await cc.campaigns.schedule(activity_id, at)] == [at]

    # 8. Contacts added after scheduling still receive it (recipients resolved at send time).
    late = [f"late{i}@example.com" for i in range(5)]
    await finish(
        cc, sim, await cc.activities.import_contacts([{"email": e} for e in late], [news_id])
    )
    assert (await cc.campaigns.get_schedule(activity_id))[0].scheduled_date == at
    sim.clock.advance(3600 + 60)
    history = await cc.campaigns.send_history(activity_id)
    expected = {"alice@example.com", "bob@example.com", *first_batch, *late}
    assert [(h.send_id, h.count) for h in history] == [(1, len(expected))]
    assert await emails_sent(cc, activity_id) == expected
    assert (await cc.campaigns.get(str(campaign.campaign_id))).current_status == "Done"

    # 9. New members, then send now: only they receive the DONE activity (no duplicates).
    newest = ["new1@example.com", "new2@example.com"]
    await finish(
        cc, sim, await cc.activities.import_contacts([{"email": e} for e in newest], [vip_id])
    )
    assert await cc.campaigns.send_now(activity_id) == []
    sim.clock.advance(60)
    history = await cc.campaigns.send_history(activity_id)
    assert [(h.send_id, h.count, h.reason_code) for h in history] == [
        (1, len(expected), 0),
        (2, len(newest), 0),
    ]
    assert await emails_sent(cc, activity_id) == expected | set(newest)

    # 10. A resend to non-openers after one day.
    resend = await cc.campaigns.create_resend(
        activity_id, resend_subject="In case you missed it", delay_days=1
    )
    assert resend.resend_subject == "In case you missed it"
    sim.clock.advance(2 * 86_400)
    listed = await cc.campaigns.get_resends(activity_id)
    assert listed[0].resend_date is not None
    resend_activity = (await cc.campaigns.get(str(campaign.campaign_id))).activity_id("resend")
    assert resend_activity is not None
    resent_to = await emails_sent(cc, resend_activity)
    resent_at = listed[0].resend_date
    opened_before = {
        str(e.email_address)
        async for e in cc.reports.iter_opens(activity_id)
        if e.created_time is not None and e.created_time <= resent_at
    }
    assert resent_to
    assert opened_before
    assert not resent_to & opened_before
    assert resent_to <= expected | set(newest)

    # 11. The tracking summary.
    summaries = [s async for s in cc.reports.iter_campaign_summaries()]
    assert [s.campaign_id for s in summaries] == [campaign.campaign_id]
    counts = summaries[0].unique_counts
    assert counts is not None
    stats = await cc.reports.campaign_stats([str(campaign.campaign_id)])
    assert stats[0].stats is not None
    total = len(expected) + len(newest) + len(resent_to)
    assert counts.sends == stats[0].stats.em_sends == total
