"""A campaign per location: one template, each store's list, 09:00 next Monday in its own zone.

    python examples/campaign_per_location.py                  # in-process simulator
    python examples/campaign_per_location.py --base-url ... --token ...

Safe to rerun: campaigns already created or scheduled are found by name and left alone. The
command line does the same from a TOML plan: ``ccasync campaigns fanout plan.toml``.
"""

from __future__ import annotations

import argparse
import asyncio

from ccasync import Client
from ccasync.ops.campaigns.fanout import (
    CampaignTemplate,
    FanoutResult,
    Location,
    create_campaigns_for_locations,
)

TEMPLATE = CampaignTemplate(
    name="Weekly offers - $city",
    subject="This week at Acme $city",
    from_name="Acme $city",
    from_email="owner@example.com",  # a CONFIRMED account email (the simulator's owner)
    html_content="<html><body>[[trackingImage]]<h1>Acme $city</h1></body></html>",
)
STORES = [
    ("nyc", "New York", "America/New_York"),
    ("paris", "Paris", "Europe/Paris"),
    ("tokyo", "Tokyo", "Asia/Tokyo"),
]


async def run(cc: Client) -> FanoutResult:
    """Create, test and schedule the campaign of every store; print what happened."""
    locations = [
        Location(key=key, timezone=tz, values={"city": city}, list_names=[f"{city} customers"])
        for key, city, tz in STORES
    ]
    result = await create_campaigns_for_locations(
        cc, TEMPLATE, locations, when="next Monday 09:00", send_test_to=["qa@example.com"]
    )
    for item in result:
        when = f"{item.scheduled_local:%a %Y-%m-%d %H:%M %Z}" if item.scheduled_local else "-"
        print(f"{item.key:>6}: {item.outcome:<17} {when}  ({item.calls} calls) {item.reason or ''}")
    return result


async def against_simulator() -> None:
    """Create each store's list on the simulator, then fan out twice (the rerun changes nothing)."""
    from ccasync.sim import SimConfig, serve

    async with serve(SimConfig(per_second=None, per_day=None)) as sim:
        async with Client(access_token=sim.token, base_url=sim.base_url) as cc:
            cc.campaigns.clock = sim.clock.now
            for _key, city, _tz in STORES:
                await cc.lists.get_or_create(f"{city} customers")
            await run(cc)
            await run(cc)


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
