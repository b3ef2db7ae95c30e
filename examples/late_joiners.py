"""Story: contacts who join after a campaign went out get it too; non-openers get a resend.

Constant Contact resolves a campaign's recipients from its lists at send time, and scheduling a
DONE activity again (``send_now`` or ``schedule``) sends it only to list members who have not
received it: that is "resend to new members". Separately, a non-opener resend
(``create_resend``, one per campaign) goes out a delay after the first send, with its own
subject, to everyone who neither opened nor bounced.

Cost, measured on the simulator: 1 API call per send to late joiners (plus a status poll and
the send history to confirm), 1 to create the non-opener resend; the script prints the counts.

Run: ``python examples/late_joiners.py`` (embedded simulator), ``--fast`` (limits off,
simulated time), or against a real account: ``CCASYNC_ACCESS_TOKEN=...
CCASYNC_EXAMPLE_EMAIL=you@yourdomain.example python examples/late_joiners.py`` (the day-long
resend delay is then not waited for).
"""

from __future__ import annotations

from _stage import Stage, run_story


async def story(stage: Stage) -> None:
    """Send to a list, add members, send again (only to them), then a non-opener resend."""
    cc = stage.cc
    list_id = await stage.make_list("Members", {"ann": "Ann", "bob": "Bob", "cho": "Cho"})
    campaign = await cc.campaigns.create(
        name="Members' news" + stage.suffix,
        from_name="Acme",
        from_email=stage.sender,
        reply_to_email=stage.sender,
        subject="Members' news",
        html_content="<html><body>[[trackingImage]]<p>Hello [[FirstName]]</p></body></html>",
    )
    activity_id = str(campaign.primary_activity_id)
    await cc.campaigns.set_lists(activity_id, [list_id])
    await cc.campaigns.send_now(activity_id)
    await stage.wait_sent(activity_id)
    with cc.count_calls() as resend:
        await cc.campaigns.create_resend(
            activity_id, resend_subject="In case you missed it: members' news", delay_days=1
        )
    print(f"non-opener resend set for 1 day after the send, API calls: {resend.calls}")

    await stage.make_list("Members", {"dan": "Dan", "eve": "Eve"})  # two late joiners
    with cc.count_calls() as late:
        await cc.campaigns.send_now(activity_id)  # a DONE activity: only new members get it
        await stage.wait_sent(activity_id)
        history = await cc.campaigns.send_history(activity_id)
    counts = [entry.count or 0 for entry in history]
    print(f"sends: {counts} (first send, then the late joiners only), API calls: {late.calls}")

    await stage.pass_time(86_400 + 3600, "the resend delay")
    if stage.sim is not None:
        resent = sorted(m.to for m in stage.sim.outbox.find(kind="resend"))
        print(f"resent to {len(resent)} contacts who had not opened: {', '.join(resent)}")
    print(f"API calls: {cc.calls} for the whole story")


if __name__ == "__main__":
    run_story(story, __doc__)
