"""Story: schedule (or send) an email campaign through the API, start to finish.

Make a list with two contacts, create the campaign, attach the list, send a test, schedule it
two hours ahead, let it go out, and read its send history. The same steps send at once with
``cc.campaigns.send_now(activity_id)`` instead of ``schedule``.

Cost, measured on the simulator: 7 API calls for the campaign itself (create 1, set lists 2,
test 1, schedule 1, 1+ status polls, history 1) plus 5 to build the list. The script prints
both figures from ``cc.count_calls()``.

Run: ``python examples/schedule_campaign.py`` (embedded simulator, real limits),
``--fast`` (limits off, simulated time), or against a real account:
``CCASYNC_ACCESS_TOKEN=... CCASYNC_EXAMPLE_EMAIL=you@yourdomain.example python
examples/schedule_campaign.py`` (recipients are plus-addresses of that mailbox; see ``_stage.py``).
"""

from __future__ import annotations

import datetime as dt

from _stage import Stage, run_story


async def story(stage: Stage) -> None:
    """Create, test, schedule and deliver one campaign; print what it cost."""
    cc = stage.cc
    with cc.count_calls() as setup:
        list_id = await stage.make_list("Spring customers", {"ann": "Ann", "bob": "Bob"})
    with cc.count_calls() as count:
        campaign = await cc.campaigns.create(
            name="Spring sale" + stage.suffix,
            from_name="Acme",
            from_email=stage.sender,
            reply_to_email=stage.sender,
            subject='Spring is here, [[FirstName OR "friend"]]',
            html_content="<html><body>[[trackingImage]]<p>Hello [[FirstName]]!</p></body></html>",
        )
        activity_id = str(campaign.primary_activity_id)
        await cc.campaigns.set_lists(activity_id, [list_id])
        await cc.campaigns.send_test(activity_id, [stage.email("qa")], "Please check")
        at = stage.now() + dt.timedelta(hours=2)
        await cc.campaigns.schedule(activity_id, at)  # or: await cc.campaigns.send_now(...)
        print(f"scheduled {campaign.name!r} for {at:%Y-%m-%d %H:%M} UTC")
        await stage.pass_time(2 * 3600 + 60, "until the scheduled time")
        status = await stage.wait_sent(activity_id)
        history = await cc.campaigns.send_history(activity_id)
    sent = sum(entry.count or 0 for entry in history)
    print(f"status {status}, sent to {sent} contacts")
    print(f"API calls: {count.calls} for the campaign, {setup.calls} to build the list")


if __name__ == "__main__":
    run_story(story, __doc__)
