"""Story: the tracking summary of a campaign (sends, opens, clicks, forwards, opt-outs, bounces).

``cc.reports.campaign_stats`` gives the totals of up to 150 campaigns in one call (all their
activities, resends included) with percentages; ``cc.reports.links`` the clicks per link; the
``cc.reports.iter_*`` iterators list the contacts behind each number (500 per call). The API
refreshes these figures periodically, not in real time; on the simulator, opens and clicks
arrive over the 61 hours after the send, so the script moves the clock three days on.

Cost, measured on the simulator: 3 API calls for the summary of one campaign (stats, the
campaign for its activity id, links), whatever its size; the iterators cost 1 call per 500
events. Building and sending the example's campaign (300 contacts) costs 11 more, printed
separately.

Run: ``python examples/tracking_summary.py`` (embedded simulator), ``--fast`` (limits off,
simulated time), or for a campaign of a real account: ``CCASYNC_ACCESS_TOKEN=...
python examples/tracking_summary.py --campaign-id <uuid>``.
"""

from __future__ import annotations

import asyncio

from _stage import Stage, make_parser, open_stage


async def sent_campaign(stage: Stage) -> str:
    """A campaign sent to 300 contacts three days ago (on the simulator); returns its id."""
    cc = stage.cc
    people = {f"customer{n:03d}": "Pat" for n in range(300)}
    list_id = await stage.make_list("Tracked customers", people)
    campaign = await cc.campaigns.create(
        name="Autumn offers" + stage.suffix,
        from_name="Acme",
        from_email=stage.sender,
        reply_to_email=stage.sender,
        subject="Autumn offers",
        html_content=(
            "<html><body>[[trackingImage]]<p>Hello [[FirstName]], "
            '<a href="https://acme.example/autumn">see the offers</a> or '
            '<a href="https://acme.example/stores">find a store</a>.</p></body></html>'
        ),
    )
    activity_id = str(campaign.primary_activity_id)
    await cc.campaigns.set_lists(activity_id, [list_id])
    await cc.campaigns.send_now(activity_id)
    await stage.wait_sent(activity_id)
    await stage.pass_time(3 * 86_400, "opens and clicks come in")
    return campaign.campaign_id


async def summary(stage: Stage, campaign_id: str) -> None:
    """Print the campaign's totals and its clicks per link."""
    cc = stage.cc
    with cc.count_calls() as count:
        [entry] = await cc.reports.campaign_stats([campaign_id])
        campaign = await cc.campaigns.get(campaign_id)
        links = await cc.reports.links(str(campaign.primary_activity_id))
    stats, percents = entry.stats, entry.percents
    if stats is None:
        print("no stats yet (the API refreshes them periodically)")
        return
    print(f"campaign {campaign.name!r}")
    for label, value, pct in (
        ("sends", stats.em_sends, None),
        ("opens", stats.em_opens, percents.open if percents else None),
        ("clicks", stats.em_clicks, percents.click if percents else None),
        ("forwards", stats.em_forwards, None),
        ("opt-outs", stats.em_optouts, percents.unsubscribe if percents else None),
        ("bounces", stats.em_bounces, percents.bounce if percents else None),
    ):
        shown = f"{value or 0:>5}" + (f"  {pct:5.1f} %" if pct is not None else "")
        print(f"  {label:<9}{shown}")
    for link in links.link_click_counts:
        print(f"  {link.link_url}: {link.unique_clicks} unique clicks")
    print(f"API calls: {count.calls} for the summary")


async def main() -> None:
    """Run the story where ``--fast`` / the environment says."""
    parser = make_parser(__doc__)
    parser.add_argument("--campaign-id", help="summarise this campaign instead of sending one")
    args = parser.parse_args()
    async with open_stage(args.fast) as stage:
        with stage.cc.count_calls() as setup:
            campaign_id = args.campaign_id or await sent_campaign(stage)
        if not args.campaign_id:
            print(f"API calls: {setup.calls} to build and send the example campaign")
        await summary(stage, campaign_id)


if __name__ == "__main__":
    asyncio.run(main())
