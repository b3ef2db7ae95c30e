"""Story: react to unsubscribes (mark them in your CRM), from a job that remembers where it stopped.

``cc.reports.iter_optouts_since(since)`` lists the opt-outs newer than ``since`` across your
recent campaigns (resends included). A cron job keeps the newest ``created_time`` it handled in a
small state file and passes it next time, so each opt-out is handled once. Constant Contact
already stops mailing an unsubscribed contact; this is for the systems outside it (CRM, your own
mailer, a sales team's list).

Cost: about ceil(campaigns / 500) + campaigns + activities API calls per check (the summaries
page, one GET per campaign, one optouts page per activity); ``activity_ids=`` skips the walk, and
``skip_without_optouts=True`` skips campaigns whose summary counts none. Measured on the
simulator with one campaign: 3 calls per check; the script prints them.

Run: ``python examples/react_to_optouts.py [--state optouts.json]`` (embedded simulator: it
first sends a campaign to 400 contacts and lets three days pass), ``--fast`` (limits off,
simulated time), or for a real account's recent campaigns: ``CCASYNC_ACCESS_TOKEN=... python
examples/react_to_optouts.py --state optouts.json --check-only``.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import tempfile
from pathlib import Path

from _stage import Stage, make_parser, open_stage

FIRST_CHECK = dt.timedelta(days=30)
"""How far back the very first check looks (no state file yet)."""


async def send_something(stage: Stage) -> None:
    """A campaign to 400 contacts, three days ago: the simulator's readers unsubscribe ~0.5 %."""
    cc = stage.cc
    list_id = await stage.make_list("Readers", {f"reader{n:03d}": "Kim" for n in range(400)})
    campaign = await cc.campaigns.create(
        name="Weekly digest" + stage.suffix,
        from_name="Acme",
        from_email=stage.sender,
        reply_to_email=stage.sender,
        subject="Weekly digest",
        html_content="<html><body>[[trackingImage]]<p>Hello [[FirstName]]</p></body></html>",
    )
    await cc.campaigns.set_lists(str(campaign.primary_activity_id), [list_id])
    await cc.campaigns.send_now(str(campaign.primary_activity_id))
    await stage.wait_sent(str(campaign.primary_activity_id))
    await stage.pass_time(3 * 86_400, "readers read and some unsubscribe")


def load_mark(state: Path) -> dt.datetime | None:
    """The newest opt-out time handled by the last check (None before the first check)."""
    if not state.exists():
        return None
    return dt.datetime.fromisoformat(json.loads(state.read_text(encoding="utf-8"))["since"])


def save_mark(state: Path, newest: dt.datetime) -> None:
    """Keep ``newest`` for the next check (write then rename: a crash leaves the old mark)."""
    scratch = state.with_suffix(".tmp")
    scratch.write_text(json.dumps({"since": newest.isoformat()}), encoding="utf-8")
    scratch.replace(state)


async def check(stage: Stage, state: Path) -> int:
    """Handle the opt-outs newer than the state file's mark, then move the mark; returns them."""
    since = load_mark(state) or stage.now() - FIRST_CHECK
    newest, handled = since, 0
    with stage.cc.count_calls() as count:
        async for optout in stage.cc.reports.iter_optouts_since(since):
            print(f"  CRM: unsubscribe {optout.email_address} ({optout.opt_out_reason or '-'})")
            handled += 1
            if optout.created_time is not None and optout.created_time > newest:
                newest = optout.created_time
    save_mark(state, newest)  # only after every opt-out was handled
    print(f"check: {handled} new opt-outs since {since:%Y-%m-%d %H:%M}, API calls: {count.calls}")
    return handled


async def story(stage: Stage, state: Path, check_only: bool) -> None:
    """Send (on the simulator), then check twice: the second check finds nothing new."""
    if not check_only:
        await send_something(stage)
    await check(stage, state)
    await check(stage, state)


async def main() -> None:
    """Run the story where ``--fast`` / the environment says."""
    parser = make_parser(__doc__)
    parser.add_argument("--state", type=Path, help="where the last check's mark is kept")
    parser.add_argument("--check-only", action="store_true", help="do not send a campaign first")
    args = parser.parse_args()
    async with open_stage(args.fast) as stage:
        if args.state is not None:
            await story(stage, args.state, args.check_only)
            return
        with tempfile.TemporaryDirectory() as folder:
            await story(stage, Path(folder) / "optouts.json", args.check_only)


if __name__ == "__main__":
    asyncio.run(main())
