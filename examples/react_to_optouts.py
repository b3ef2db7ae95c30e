"""React to opt-outs: the unsubscribes since the last run, then remember where it stopped.

    python examples/react_to_optouts.py                       # in-process simulator
    python examples/react_to_optouts.py --base-url ... --token ... --state optouts.json

Keep the state file between runs (cron); it is written after the whole list was handled, so an
interrupted run repeats, never skips. The command line: ``ccasync optouts --since-file
optouts.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
from pathlib import Path

from ccasync import Client


def load_since(state: Path) -> dt.datetime:
    """The time the last run stopped at (first run: 30 days ago)."""
    if not state.exists():
        return dt.datetime.now(dt.UTC) - dt.timedelta(days=30)
    return dt.datetime.fromisoformat(json.loads(state.read_text())["since"])


def save_since(state: Path, since: dt.datetime) -> None:
    """Remember where this run stopped."""
    state.write_text(json.dumps({"since": since.isoformat()}))


async def run(cc: Client, state: Path) -> int:
    """Handle every unsubscribe newer than the state file's time; returns how many."""
    since = load_since(state)
    newest, handled = since, 0
    async for event in cc.reports.iter_optouts_since(since):
        # your reaction here: flag the customer in your CRM, stop other mailings...
        print(f"{event.created_time:%Y-%m-%d %H:%M} {event.email_address}: {event.opt_out_reason}")
        if event.created_time is not None:
            newest = max(newest, event.created_time)
        handled += 1
    save_since(state, newest)
    print(f"{handled} opt-out(s); next run starts after {newest:%Y-%m-%d %H:%M:%S} UTC")
    return handled


async def against_simulator(state: Path) -> None:
    """Send a campaign to 300 contacts on the simulator, let a day pass, then react twice."""
    from ccasync.ops.imports import import_contacts
    from ccasync.sim import SimConfig, serve

    start = dt.datetime.now(dt.UTC)
    async with serve(SimConfig(per_second=None, per_day=None, start_time=start)) as sim:
        async with Client(access_token=sim.token, base_url=sim.base_url) as cc:
            readers = await cc.lists.get_or_create("Readers")
            rows = [{"email": f"reader{n}@example.com"} for n in range(300)]
            await import_contacts(cc, rows, list_ids=[readers.list_id])
            campaign = await cc.campaigns.create(
                name="Spring news",
                from_name="The Shop",
                from_email="owner@example.com",
                reply_to_email="owner@example.com",
                subject="Spring is here",
                html_content="<html><body>[[trackingImage]]Hello</body></html>",
            )
            activity_id = campaign.primary_activity_id
            assert activity_id is not None
            await cc.campaigns.set_lists(activity_id, [readers.list_id])
            await cc.campaigns.send_now(activity_id)
            sim.clock.advance(86_400)
            await cc.campaigns.wait_sent(activity_id, timeout=30, interval=0.2)
            await run(cc, state)
            await run(cc, state)  # nothing new since the first run


def main() -> None:
    """Parse the arguments and run."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-url", help="API root (default: an in-process simulator)")
    parser.add_argument("--token", help="access token for --base-url")
    parser.add_argument("--state", default="optouts.json", help="state file (optouts.json)")
    args = parser.parse_args()
    if args.base_url is None:
        asyncio.run(against_simulator(Path(args.state)))
        return

    async def remote() -> None:
        async with Client(access_token=args.token, base_url=args.base_url) as cc:
            await run(cc, Path(args.state))

    asyncio.run(remote())


if __name__ == "__main__":
    main()
