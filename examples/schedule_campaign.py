"""Schedule (or send) one email campaign through the API: create, address, test, schedule.

Runs against the simulator started in-process (default), or against any server::

    python examples/schedule_campaign.py
    python examples/schedule_campaign.py --base-url https://api.cc.email/v3 --token TOKEN

Costs 7 API calls: find (and create) the list, create the campaign, set its lists (GET + PUT),
send a test, schedule it two days from now.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt

from ccasync import Client

SENDER = "owner@example.com"  # a CONFIRMED account email (the simulator's owner)


async def run(cc: Client) -> str:
    """Create the campaign for the "Readers" list and schedule it; returns the activity id."""
    readers = await cc.lists.get_or_create("Readers")
    campaign = await cc.campaigns.create(
        name=f"Spring news {dt.date.today():%Y-%m-%d}",
        from_name="The Shop",
        from_email=SENDER,
        reply_to_email=SENDER,
        subject="Spring is here",
        html_content="<html><body>[[trackingImage]]<p>Hello [[FirstName]]!</p></body></html>",
    )
    activity_id = campaign.primary_activity_id
    assert activity_id is not None
    await cc.campaigns.set_lists(activity_id, [readers.list_id])
    await cc.campaigns.send_test(activity_id, ["qa@example.com"], "Please check")
    when = cc.campaigns.clock() + dt.timedelta(days=2)
    await cc.campaigns.schedule(activity_id, when)  # or: await cc.campaigns.send_now(...)
    print(f"scheduled {campaign.name!r} for {when:%Y-%m-%d %H:%M} UTC ({cc.calls} API calls)")
    return activity_id


async def against_simulator() -> None:
    """Start the simulator in-process, run, then move its clock until the send is done."""
    from ccasync.sim import SimConfig, serve

    async with serve(SimConfig(per_second=None, per_day=None)) as sim:
        async with Client(access_token=sim.token, base_url=sim.base_url) as cc:
            cc.campaigns.clock = sim.clock.now  # "now" is the simulator's
            activity_id = await run(cc)
            sim.clock.advance(3 * 86_400)
            done = await cc.campaigns.wait_sent(activity_id, timeout=30, interval=0.2)
            print(f"simulator: the send is {done.current_status}")


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
