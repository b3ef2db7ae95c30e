"""``ccasync reports campaign``, ``ccasync optouts`` and ``ccasync quota``.

- ``reports campaign CAMPAIGN``: the tracking summary of a campaign (id or exact name): sends,
  opens, clicks, forwards, unsubscribes and bounces, with the rates.
- ``optouts --since-file state.json``: the unsubscribes newer than the time kept in the state
  file (first run: the last ``--days``, 30), then the file moves to the newest one seen; written
  atomically after the whole list was read, so an interrupted run repeats, never skips.
- ``quota``: API calls this host's ``ccasync`` runs made today per API key (the API publishes
  no counter; the ledger is ``usage_file``), against this host's share of the key's daily budget.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from ccasync.cli._campaigns import find_campaign
from ccasync.cli._output import Exit, Output, safe
from ccasync.cli._session import ENV_KEY, Ledger, key_id, limits, open_client
from ccasync.cli._settings import Settings
from ccasync.errors import ConfigError

COUNTS = (
    ("sends", "em_sends"),
    ("opens", "em_opens"),
    ("clicks", "em_clicks"),
    ("forwards", "em_forwards"),
    ("unsubscribes", "em_optouts"),
    ("bounces", "em_bounces"),
)
"""The summary's rows and the stats fields they read."""


def add_parsers(commands: Any, common: dict[str, Any]) -> None:
    """Add ``reports``, ``optouts`` and ``quota`` to ``commands``."""
    reports = commands.add_parser("reports", help="tracking reports", **common)
    sub = reports.add_subparsers(dest="reports_command", required=True)
    campaign = sub.add_parser(
        "campaign",
        help="sends, opens, clicks, forwards, unsubscribes and bounces of a campaign",
        **common,
    )
    campaign.add_argument("campaign", metavar="CAMPAIGN", help="id or exact name")
    optouts = commands.add_parser(
        "optouts", help="unsubscribes since the last run (kept in a state file)", **common
    )
    optouts.add_argument(
        "--since-file", required=True, metavar="STATE.json", help="where the last run stopped"
    )
    optouts.add_argument(
        "--days", type=float, default=30.0, help="first run: look back this many days (30)"
    )
    commands.add_parser("quota", help="API calls used today per key, from this host", **common)


async def run_report(args: argparse.Namespace, settings: Settings, out: Output) -> Exit:
    """Run ``reports campaign``."""
    async with open_client(settings, settings.account(args.account)) as cc:
        campaign = await find_campaign(cc, args.campaign)
        found = await cc.reports.campaign_stats([campaign.campaign_id])
    stats = found[0].stats if found else None
    percents = found[0].percents if found else None
    counts = {name: int(getattr(stats, field, 0) or 0) for name, field in COUNTS}
    rates = {
        name: getattr(percents, field, None)
        for name, field in (("open", "open"), ("click", "click"), ("bounce", "bounce"))
    }
    if out.as_json:
        out.emit(
            {
                "ok": True,
                "campaign_id": campaign.campaign_id,
                "name": campaign.name,
                "counts": counts,
                "percents": rates,
                "has_stats": stats is not None,
            }
        )
        return Exit.OK
    rows: list[list[object]] = [[name.capitalize(), f"{n:,}"] for name, n in counts.items()]
    rows += [[f"{name.capitalize()} rate", f"{p:g}%"] for name, p in rates.items() if p is not None]
    out.table(f"Campaign {campaign.name}", ["", "count"], rows)
    if stats is None:
        out.note("no tracking data yet (the campaign has not been sent, or stats are pending)")
    return Exit.OK


async def run_optouts(args: argparse.Namespace, settings: Settings, out: Output) -> Exit:
    """Run ``optouts``."""
    state_file = Path(args.since_file)
    since = _read_since(state_file, args.days)
    events = []
    async with open_client(settings, settings.account(args.account)) as cc:
        async for event in cc.reports.iter_optouts_since(since):
            events.append(event)
    newest = max((e.created_time for e in events if e.created_time), default=since)
    _write_since(state_file, newest)
    items = [
        {
            "email": e.email_address,
            "contact_id": e.contact_id,
            "at": e.created_time,
            "reason": e.opt_out_reason,
            "activity_id": e.campaign_activity_id,
        }
        for e in events
    ]
    if out.as_json:
        out.emit({"ok": True, "since": since, "until": newest, "optouts": items})
        return Exit.OK
    out.table(
        f"Unsubscribes since {since:%Y-%m-%d %H:%M} UTC",
        ["When (UTC)", "Email", "Reason"],
        [[i["at"], i["email"], i["reason"]] for i in items],
    )
    out.note(f"{len(items)} unsubscribe(s); next run starts after {newest.isoformat()}")
    return Exit.OK


def _read_since(path: Path, days: float) -> dt.datetime:
    if not path.exists():
        if not days > 0:
            raise ConfigError("--days must be > 0")
        return dt.datetime.now(dt.UTC) - dt.timedelta(days=days)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        since = dt.datetime.fromisoformat(data["since"])
    except (ValueError, KeyError, TypeError) as exc:
        raise ConfigError(f"{path}: not a state file of `ccasync optouts` ({exc})") from None
    if since.tzinfo is None:
        raise ConfigError(f"{path}: 'since' must carry a UTC offset")
    return since


def _write_since(path: Path, since: dt.datetime) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent or Path("."))
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump({"since": since.isoformat()}, handle)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def run_quota(args: argparse.Namespace, settings: Settings, out: Output) -> Exit:
    """Run ``quota`` (no API call: the API publishes no counter)."""
    ledger = Ledger(settings.usage_file)
    today = dt.datetime.now(dt.UTC).date()
    resets = dt.datetime.combine(today + dt.timedelta(days=1), dt.time(), dt.UTC)
    keys: dict[str, int] = {}
    names = list(settings.accounts)
    if settings.env_token is not None:
        names.append("")
    for name in names:
        account = settings.account(name or None)
        keys.setdefault(key_id(account), limits(account)[1])
    keys.update({k: keys.get(k, 10_000) for k in ledger.read() if k not in keys})
    rows = [
        {
            "key": key,
            "used_today": ledger.used_today(key, today),
            "budget": budget,
            "remaining": max(0, budget - ledger.used_today(key, today)),
        }
        for key, budget in sorted(keys.items())
    ]
    if out.as_json:
        out.emit({"ok": True, "resets_at": resets, "ledger": str(ledger.path), "keys": rows})
        return Exit.OK
    out.table(
        f"API calls today (UTC {today}), from this host",
        ["API key", "Used", "Budget", "Remaining"],
        [[r["key"] if r["key"] != ENV_KEY else "CCASYNC_ACCESS_TOKEN", *_n(r)] for r in rows],
    )
    out.note(f"the budget resets at {resets.isoformat()}; ledger: {safe(ledger.path)}")
    return Exit.OK


def _n(row: dict[str, Any]) -> list[object]:
    return [f"{row['used_today']:,}", f"{row['budget']:,}", f"{row['remaining']:,}"]
