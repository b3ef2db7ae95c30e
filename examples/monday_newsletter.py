"""The Monday 09:00 newsletter from cron: copy a template campaign for its next weekly send.

Run it as often as you like (idempotent: an already scheduled copy is left alone)::

    # crontab: */30 * * * *  python examples/monday_newsletter.py --base-url ... --token ...
    python examples/monday_newsletter.py            # against an in-process simulator

The command line does the same: ``ccasync campaigns schedule-next "Newsletter template"
--when "Monday 09:00" --tz America/New_York``.
"""

from __future__ import annotations

import argparse
import asyncio

from ccasync import Client
from ccasync.ops.campaigns.recurring import schedule_next_occurrence

TEMPLATE = "Newsletter template"


async def run(cc: Client) -> str:
    """Schedule the next Monday 09:00 (New York) copy of the template; returns the outcome."""
    result = await schedule_next_occurrence(
        cc, TEMPLATE, when="Monday 09:00", timezone="America/New_York"
    )
    local = result.scheduled_local
    when = f" at {local:%a %Y-%m-%d %H:%M %Z}" if local else ""
    print(f"{result.outcome}: {result.name!r}{when}")
    if not result.ok:
        print(f"failed: {result.reason}")
    return result.outcome


async def against_simulator() -> None:
    """A template with a list on the simulator, then three cron runs across two weeks."""
    from ccasync.sim import SimConfig, serve

    async with serve(SimConfig(per_second=None, per_day=None)) as sim:
        async with Client(access_token=sim.token, base_url=sim.base_url) as cc:
            cc.campaigns.clock = sim.clock.now  # cron's "now" is the simulator's
            readers = await cc.lists.get_or_create("Newsletter readers")
            template = await cc.campaigns.create(
                name=TEMPLATE,
                from_name="The Shop",
                from_email="owner@example.com",
                reply_to_email="owner@example.com",
                subject="This week at the shop",
                html_content="<html><body>[[trackingImage]]<p>News</p></body></html>",
            )
            assert template.primary_activity_id is not None
            await cc.campaigns.set_lists(template.primary_activity_id, [readers.list_id])
            await run(cc)  # scheduled for the coming Monday
            await run(cc)  # already_scheduled: nothing changes
            sim.clock.advance(8 * 86_400)  # a week later, the send has gone out
            await run(cc)  # the Monday after


def main() -> None:
    """Parse the arguments and run."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-url", help="API root (default: an in-process simulator)")
    parser.add_argument("--token", help="access token for --base-url")
    args = parser.parse_args()
    if args.base_url is None:
        asyncio.run(against_simulator())
        return

    async def remote() -> None:
        async with Client(access_token=args.token, base_url=args.base_url) as cc:
            await run(cc)

    asyncio.run(remote())


if __name__ == "__main__":
    main()
