"""``ccasync campaigns fanout|schedule-next|send-test|send-now|status``.

A campaign is named by its id or its exact name. ``fanout PLAN.toml`` creates, tests and
schedules one campaign per location (safe to rerun); its plan::

    when = "next Monday 09:00"          # local wall clock of each location
    send_test_to = ["qa@example.com"]   # optional, 1-5 addresses
    [template]
    name = "Weekly offers - $city - $week"
    subject = "This week at Acme $city"
    from_name = "Acme $city"
    from_email = "owner@example.com"
    html_file = "weekly.html"           # or html_content = "<html>...</html>"
    [[locations]]
    key = "nyc"
    timezone = "America/New_York"
    lists = ["NYC customers"]           # list names (or list_ids = [...])
    values = { city = "New York", week = "2026-W49" }

``schedule-next`` is the cron one-liner: copy a template campaign for its next weekly
occurrence (``--when "Monday 09:00" --tz America/New_York``); running it again changes nothing.
"""

from __future__ import annotations

import argparse
import tomllib
from pathlib import Path
from typing import Any

from ccasync.cli._output import Exit, Output, safe
from ccasync.cli._session import open_client
from ccasync.cli._settings import Settings
from ccasync.client import Client
from ccasync.errors import ConfigError, ValidationError
from ccasync.models.campaigns import EmailCampaign
from ccasync.ops.campaigns.fanout import (
    CampaignResult,
    CampaignTemplate,
    Location,
    create_campaigns_for_locations,
)
from ccasync.ops.campaigns.recurring import schedule_next_occurrence


def add_parsers(commands: Any, common: dict[str, Any]) -> None:
    """Add ``campaigns`` and its subcommands to ``commands``."""
    group = commands.add_parser(
        "campaigns", help="fan out, schedule, test, send and inspect campaigns", **common
    )
    sub = group.add_subparsers(dest="campaigns_command", required=True)
    fanout = sub.add_parser(
        "fanout",
        help="one campaign per location from a TOML plan (create, test, schedule)",
        description=__doc__,
        **common,
    )
    fanout.add_argument("plan", metavar="PLAN.toml")
    nxt = sub.add_parser(
        "schedule-next",
        help="copy a template campaign for its next weekly send (idempotent: cron it)",
        **common,
    )
    nxt.add_argument("template", metavar="NAME", help="template campaign: id or exact name")
    nxt.add_argument("--when", default="Monday 09:00", help='weekly rule ("Monday 09:00")')
    nxt.add_argument("--tz", default="UTC", help="IANA time zone of --when (UTC)")
    nxt.add_argument("--list", dest="lists", action="append", default=[], metavar="NAME")
    nxt.add_argument("--test-to", action="append", metavar="EMAIL", help="send a test first")
    test = sub.add_parser("send-test", help="send a test of a campaign to 1-5 addresses", **common)
    test.add_argument("campaign", metavar="CAMPAIGN", help="id or exact name")
    test.add_argument("--to", action="append", required=True, metavar="EMAIL")
    test.add_argument("--message", help="personal message at the top of the test")
    now = sub.add_parser("send-now", help="send a campaign now", **common)
    now.add_argument("campaign", metavar="CAMPAIGN", help="id or exact name")
    now.add_argument(
        "--list", dest="lists", action="append", default=[], metavar="NAME", help="send to it"
    )
    now.add_argument("--wait", type=float, metavar="SECONDS", help="wait until it is sent")
    status = sub.add_parser("status", help="a campaign's status, schedule and sends", **common)
    status.add_argument("campaign", metavar="CAMPAIGN", help="id or exact name")


async def run(args: argparse.Namespace, settings: Settings, out: Output) -> Exit:
    """Run ``campaigns <subcommand>``."""
    plan = _read_plan(Path(args.plan)) if args.campaigns_command == "fanout" else None
    account = settings.account(args.account)
    async with open_client(settings, account) as cc:
        if plan is not None:
            return await _fanout(cc, plan, out)
        if args.campaigns_command == "schedule-next":
            result = await schedule_next_occurrence(
                cc,
                args.template,
                when=args.when,
                timezone=args.tz,
                list_names=args.lists,
                send_test_to=args.test_to,
            )
            return _results(out, [result], "Next occurrence")
        campaign = await find_campaign(cc, args.campaign)
        if args.campaigns_command == "send-test":
            return await _send_test(cc, campaign, args, out)
        if args.campaigns_command == "send-now":
            return await _send_now(cc, campaign, args, out)
        return await _status(cc, campaign, out)


async def find_campaign(cc: Client, ref: str) -> EmailCampaign:
    """The campaign with id ``ref``, else named exactly ``ref``; ValidationError if none."""
    try:
        return await cc.campaigns.get(ref)
    except ValidationError:
        pass  # not an id: look it up by name
    found = await cc.campaigns.find_by_name(ref)
    if found is None:
        raise ValidationError("campaign", "no campaign with this id or name", value=ref)
    return found


async def _list_named(cc: Client, name: str) -> str:
    found = await cc.lists.find_by_name(name)
    if found is None:  # sending to a list created on the spot would reach nobody
        raise ValidationError("--list", "no list with this name", value=name)
    return found.list_id


def _activity(campaign: EmailCampaign) -> str:
    if campaign.primary_activity_id is None:
        raise ValidationError("campaign", "has no primary_email activity", value=campaign.name)
    return campaign.primary_activity_id


def _read_plan(path: Path) -> dict[str, Any]:
    try:
        plan = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from None
    template = plan.get("template")
    if not isinstance(template, dict):
        raise ConfigError(f"{path}: needs a [template] table")
    if "html_file" in template:
        html = path.parent / str(template.pop("html_file"))
        template["html_content"] = html.read_text(encoding="utf-8")
    try:
        plan["template"] = CampaignTemplate(**template)
        plan["locations"] = [Location(**loc) for loc in _locations(plan, path)]
    except TypeError as exc:
        raise ConfigError(f"{path}: {exc}") from None
    return plan


def _locations(plan: dict[str, Any], path: Path) -> list[dict[str, Any]]:
    items = plan.get("locations")
    if not isinstance(items, list) or not items or not all(isinstance(i, dict) for i in items):
        raise ConfigError(f"{path}: needs at least one [[locations]] table")
    out = []
    for item in items:
        loc = dict(item)
        if "lists" in loc:
            loc["list_names"] = loc.pop("lists")
        out.append(loc)
    return out


async def _fanout(cc: Client, plan: dict[str, Any], out: Output) -> Exit:
    result = await create_campaigns_for_locations(
        cc,
        plan["template"],
        plan["locations"],
        when=plan.get("when", "next Monday 09:00"),
        send_test_to=plan.get("send_test_to"),
        on_progress=lambda item: out.note(f"{safe(item.key)}: {item.outcome}"),
    )
    return _results(out, list(result), "Campaign per location")


def _results(out: Output, items: list[CampaignResult], title: str) -> Exit:
    status = Exit.OK if all(item.ok for item in items) else Exit.FAILED
    if out.as_json:
        out.emit(
            {
                "ok": status is Exit.OK,
                "exit_code": int(status),
                "items": [_item(item) for item in items],
            }
        )
        return status
    out.table(
        title,
        ["Key", "Outcome", "Local time", "UTC", "Campaign", "Reason"],
        [
            [
                item.key,
                item.outcome,
                item.scheduled_local.strftime("%a %Y-%m-%d %H:%M %Z")
                if item.scheduled_local
                else None,
                item.scheduled_utc.strftime("%Y-%m-%d %H:%M") if item.scheduled_utc else None,
                item.name,
                item.reason,
            ]
            for item in items
        ],
    )
    return status


def _item(item: CampaignResult) -> dict[str, Any]:
    return {
        "key": item.key,
        "outcome": item.outcome,
        "campaign_id": item.campaign_id,
        "activity_id": item.activity_id,
        "name": item.name,
        "scheduled_utc": item.scheduled_utc,
        "scheduled_local": item.scheduled_local,
        "created": item.created,
        "test_sent": item.test_sent,
        "reason": item.reason,
        "note": item.note,
    }


async def _send_test(
    cc: Client, campaign: EmailCampaign, args: argparse.Namespace, out: Output
) -> Exit:
    await cc.campaigns.send_test(_activity(campaign), args.to, args.message)
    if out.as_json:
        out.emit({"ok": True, "campaign_id": campaign.campaign_id, "sent_to": args.to})
    else:
        out.line(f"test sent to {len(args.to)} address(es)")
    return Exit.OK


async def _send_now(
    cc: Client, campaign: EmailCampaign, args: argparse.Namespace, out: Output
) -> Exit:
    activity_id = _activity(campaign)
    if args.lists:
        await cc.campaigns.set_lists(activity_id, [await _list_named(cc, n) for n in args.lists])
    await cc.campaigns.send_now(activity_id)
    status = "SCHEDULED"
    if args.wait is not None:
        poll = max(0.2, min(10.0, args.wait / 30))  # about 30 polls in the allowed time
        sent = await cc.campaigns.wait_sent(activity_id, timeout=args.wait, interval=poll)
        status = str(sent.current_status)
    if out.as_json:
        out.emit({"ok": True, "activity_id": activity_id, "status": status})
    else:
        out.line(f"sending: activity {activity_id} is {status}")
    return Exit.OK


async def _status(cc: Client, campaign: EmailCampaign, out: Output) -> Exit:
    activity_id = _activity(campaign)
    activity = await cc.campaigns.get_activity(activity_id)
    schedule = await cc.campaigns.get_schedule(activity_id)
    history = await cc.campaigns.send_history(activity_id)
    facts: dict[str, Any] = {
        "campaign_id": campaign.campaign_id,
        "name": campaign.name,
        "campaign_status": campaign.current_status,
        "activity_id": activity_id,
        "activity_status": activity.current_status,
        "scheduled": [entry.scheduled_date for entry in schedule],
        "sends": [
            {"run_date": h.run_date, "count": h.count, "status": h.send_status} for h in history
        ],
    }
    if out.as_json:
        out.emit({"ok": True, **facts})
    else:
        out.table(f"Campaign {campaign.name}", ["", "value"], [[k, v] for k, v in facts.items()])
    return Exit.OK
