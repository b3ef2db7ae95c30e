"""Story: the Monday 09:00 newsletter, scheduled from cron.

Keep one template campaign ("Newsletter") that you edit in Constant Contact or through the API.
A cron job runs ``schedule_next_occurrence`` as often as you like (``*/30 * * * *``): it copies
the template under a dated name ("Newsletter 2026-11-30") with the template's lists and
schedules it for the next Monday 09:00 in the given time zone (DST handled on local calendar
days). A second run finds the dated copy and changes nothing, so cron may fire twice, or a run
may crash halfway, without two newsletters going out. With ``journal=``/``job_id=`` its test
send is also never repeated (see ``examples/campaign_per_location.py``).

Cost, measured on the simulator with ``cc.count_calls()``: 7 API calls for the run that makes
and schedules the copy (template reads, one ``GET /emails`` page, create, PUT of the activity,
schedule), 4 for each later run that finds it scheduled: a run every 30 minutes is 192 calls a
day. (``result.calls`` is smaller: it counts the copy's steps, not the template reads.)

Run: ``python examples/monday_newsletter.py`` (embedded simulator), ``--fast`` (limits off,
simulated time), or against a real account: ``CCASYNC_ACCESS_TOKEN=...
CCASYNC_EXAMPLE_EMAIL=you@yourdomain.example python examples/monday_newsletter.py``. The cron
line for your own template is one call::

    asyncio.run(schedule_next_occurrence(cc, "Newsletter", when="Monday 09:00",
                                         timezone="America/New_York"))
"""

from __future__ import annotations

from _stage import Stage, run_story

from ccasync.ops import schedule_next_occurrence


async def make_template(stage: Stage) -> str:
    """The template campaign with its list (done once, by hand or by this); returns its name."""
    cc = stage.cc
    name = "Newsletter" + stage.suffix
    if await cc.campaigns.find_by_name(name) is not None:
        return name
    list_id = await stage.make_list("Newsletter readers", {"ann": "Ann", "bob": "Bob"})
    campaign = await cc.campaigns.create(
        name=name,
        from_name="Acme",
        from_email=stage.sender,
        reply_to_email=stage.sender,
        subject="This week at Acme",
        html_content="<html><body>[[trackingImage]]<p>Hello [[FirstName]]: news</p></body></html>",
    )
    await cc.campaigns.set_lists(str(campaign.primary_activity_id), [list_id])
    return name


async def story(stage: Stage) -> None:
    """Run the cron job twice, then let Monday come and show the send."""
    template = await make_template(stage)
    print(f"now {stage.now():%A %Y-%m-%d %H:%M} UTC")
    first = None
    for run in (1, 2):  # two cron runs: the second finds the copy and does nothing
        with stage.cc.count_calls() as count:
            result = await schedule_next_occurrence(
                stage.cc,
                template,
                when="Monday 09:00",
                timezone="America/New_York",
                clock=stage.now,
            )
        if result.outcome == "failed":
            raise SystemExit(f"run {run} failed at {result.step}: {result.error}")
        first = first or result
        print(f"cron run {run}: {result.outcome} {result.name!r}, API calls: {count.calls}")
    if first is not None and first.scheduled_utc is not None and first.activity_id is not None:
        print(f"scheduled for {first.scheduled_local:%A %Y-%m-%d %H:%M %Z} (New York)")
        wait = (first.scheduled_utc - stage.now()).total_seconds() + 60
        await stage.pass_time(wait, "until Monday 09:00 New York")
        print(f"Monday: {first.name!r} is {await stage.wait_sent(first.activity_id)}")


if __name__ == "__main__":
    run_story(story, __doc__)
