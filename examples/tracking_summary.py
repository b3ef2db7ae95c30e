"""The tracking summary of a sent campaign: sends, opens, clicks, forwards, unsubscribes, bounces.

    python examples/tracking_summary.py                       # in-process simulator
    python examples/tracking_summary.py --base-url ... --token ... --campaign "Spring news"

One call to find the campaign by name (one page of ``/emails`` per 500 campaigns) and one for
its stats. The command line: ``ccasync reports campaign "Spring news"``.
"""

from __future__ import annotations

import argparse
import asyncio

from ccasync import Client

COUNTS = {
    "sends": "em_sends",
    "opens": "em_opens",
    "clicks": "em_clicks",
    "forwards": "em_forwards",
    "unsubscribes": "em_optouts",
    "bounces": "em_bounces",
}


async def run(cc: Client, name: str) -> dict[str, int]:
    """Print and return the counts of the campaign named ``name``."""
    campaign = await cc.campaigns.find_by_name(name)
    if campaign is None:
        raise SystemExit(f"no campaign named {name!r}")
    found = await cc.reports.campaign_stats([campaign.campaign_id])
    stats = found[0].stats if found else None
    counts = {label: int(getattr(stats, field, 0) or 0) for label, field in COUNTS.items()}
    for label, count in counts.items():
        print(f"{label:>13}: {count:,}")
    return counts


async def against_simulator() -> None:
    """Send a campaign to 200 contacts on the simulator, let two days pass, then report."""
    from ccasync.ops.imports import import_contacts
    from ccasync.sim import SimConfig, serve

    async with serve(SimConfig(per_second=None, per_day=None)) as sim:
        async with Client(access_token=sim.token, base_url=sim.base_url) as cc:
            readers = await cc.lists.get_or_create("Readers")
            rows = [{"email": f"reader{n}@example.com"} for n in range(200)]
            await import_contacts(cc, rows, list_ids=[readers.list_id])
            campaign = await cc.campaigns.create(
                name="Spring news",
                from_name="The Shop",
                from_email="owner@example.com",
                reply_to_email="owner@example.com",
                subject="Spring is here",
                html_content='<html><body>[[trackingImage]]<a href="https://shop.example">'
                "Shop</a></body></html>",
            )
            activity_id = campaign.primary_activity_id
            assert activity_id is not None
            await cc.campaigns.set_lists(activity_id, [readers.list_id])
            await cc.campaigns.send_now(activity_id)
            sim.clock.advance(2 * 86_400)  # two days of opens, clicks and bounces
            await cc.campaigns.wait_sent(activity_id, timeout=30, interval=0.2)
            await run(cc, "Spring news")


def main() -> None:
    """Parse the arguments and run."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-url", help="API root (default: an in-process simulator)")
    parser.add_argument("--token", help="access token for --base-url")
    parser.add_argument("--campaign", default="Spring news", help="campaign name")
    args = parser.parse_args()
    if args.base_url is None:
        asyncio.run(against_simulator())
        return

    async def remote() -> None:
        async with Client(access_token=args.token, base_url=args.base_url) as cc:
            await run(cc, args.campaign)

    asyncio.run(remote())


if __name__ == "__main__":
    main()
