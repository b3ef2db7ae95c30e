"""Aggregated email statistics: per-activity and per-campaign stats, percents, summaries, links.

Counts cover the events whose time is not after the simulated ``now`` (engagement is generated at
send time with future timestamps). Unique counts (``em_opens``, ``em_clicks``) count contacts; the
``_all`` counts count events. ``em_not_opened`` = sends - unique opens - bounces, floored at 0.
Percents are rounded to one decimal (UNCONFIRMED rounding): ``open``, ``did_not_open`` and
``unsubscribe`` are of the delivered (sends - bounces), ``bounce`` of the sends, ``click`` of the
unique openers, ``desktop_*``/``mobile_*`` the device shares of all opens or clicks.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

from .._http import iso
from ..campaigns.engagement import links_in
from ..campaigns.records import PRIMARY, RESEND, Activity, Campaign, Event

DEVICES = ("computer", "mobile", "tablet", "other", "none")
BOUNCE_NAMES = {
    "B": "nonexistent_address",
    "D": "undeliverable",
    "F": "mailbox_full",
    "S": "suspended",
    "V": "vacation",
    "X": "other",
    "Z": "blocked",
}
CAMPAIGN_KEYS = (
    "em_bounces",
    "em_clicks",
    "em_clicks_all",
    *(f"em_clicks_all_{d}" for d in DEVICES),
    "em_forwards",
    "em_not_opened",
    "em_opens",
    "em_opens_all",
    *(f"em_opens_all_{d}" for d in DEVICES),
    "em_optouts",
    "em_sends",
)


def visible(events: Iterable[Event], now: dt.datetime) -> list[Event]:
    """The events that have happened by ``now``."""
    return [e for e in events if e.at <= now]


def activity_stats(activity: Activity, now: dt.datetime) -> dict[str, int]:
    """``StatsEmailActivity``: the campaign keys plus ``em_abuse`` and the bounce breakdown."""
    events = visible(activity.tracking.events, now)
    stats = _core(len(activity.tracking.deliveries), events)
    stats["em_abuse"] = 0
    codes = Counter(e.bounce_code for e in events if e.kind == "em_bounces")
    for code, name in BOUNCE_NAMES.items():
        stats[f"em_bounces_{name}"] = codes.get(code, 0)
    return stats


def campaign_stats(campaign: Campaign, now: dt.datetime) -> dict[str, int]:
    """``StatsEmail`` summed over the campaign's primary_email and resend activities."""
    total = dict.fromkeys(CAMPAIGN_KEYS, 0)
    for activity in sent_activities(campaign):
        events = visible(activity.tracking.events, now)
        for key, value in _core(len(activity.tracking.deliveries), events).items():
            total[key] += value
    return total


def sent_activities(campaign: Campaign) -> list[Activity]:
    """The campaign's primary_email and resend activities that have been sent at least once."""
    return [a for a in campaign.activities if a.role in (PRIMARY, RESEND) and a.history]


def _core(sends: int, events: Sequence[Event]) -> dict[str, int]:
    by_kind: dict[str, list[Event]] = {}
    for event in events:
        by_kind.setdefault(event.kind, []).append(event)
    opens = by_kind.get("em_opens", [])
    clicks = by_kind.get("em_clicks", [])
    openers = len({e.contact_id for e in opens})
    bounces = len({e.contact_id for e in by_kind.get("em_bounces", [])})
    stats = {
        "em_sends": sends,
        "em_opens": openers,
        "em_opens_all": len(opens),
        "em_clicks": len({e.contact_id for e in clicks}),
        "em_clicks_all": len(clicks),
        "em_forwards": len(by_kind.get("em_forwards", [])),
        "em_optouts": len({e.contact_id for e in by_kind.get("em_optouts", [])}),
        "em_bounces": bounces,
        "em_not_opened": max(0, sends - openers - bounces),
    }
    open_devices = Counter(e.device_type for e in opens)
    click_devices = Counter(e.device_type for e in clicks)
    for device in DEVICES:
        stats[f"em_opens_all_{device}"] = open_devices.get(device, 0)
        stats[f"em_clicks_all_{device}"] = click_devices.get(device, 0)
    return stats


def _pct(part: int, whole: int) -> float:
    return round(100.0 * part / whole, 1) if whole else 0.0


def percents(stats: dict[str, int]) -> dict[str, float]:
    """``PercentsEmail`` derived from ``stats``."""
    delivered = max(0, stats["em_sends"] - stats["em_bounces"])
    return {
        "bounce": _pct(stats["em_bounces"], stats["em_sends"]),
        "click": _pct(stats["em_clicks"], stats["em_opens"]),
        "desktop_click": _pct(stats["em_clicks_all_computer"], stats["em_clicks_all"]),
        "desktop_open": _pct(stats["em_opens_all_computer"], stats["em_opens_all"]),
        "did_not_open": _pct(stats["em_not_opened"], delivered),
        "mobile_click": _pct(stats["em_clicks_all_mobile"], stats["em_clicks_all"]),
        "mobile_open": _pct(stats["em_opens_all_mobile"], stats["em_opens_all"]),
        "open": _pct(stats["em_opens"], delivered),
        "unsubscribe": _pct(stats["em_optouts"], delivered),
    }


def last_sent(campaign: Campaign) -> dt.datetime | None:
    """The run date of the campaign's latest send (None if never sent)."""
    dates = [r.run_date for a in sent_activities(campaign) for r in a.history]
    return max(dates) if dates else None


def summary(campaign: Campaign, now: dt.datetime) -> dict[str, Any]:
    """One ``bulk_email_campaign_summaries`` item (the campaign must have been sent)."""
    stats = campaign_stats(campaign, now)
    sent = last_sent(campaign)
    body: dict[str, Any] = {
        "campaign_id": campaign.campaign_id,
        "campaign_type": campaign.type.title(),
        "unique_counts": {
            "sends": stats["em_sends"],
            "opens": stats["em_opens"],
            "clicks": stats["em_clicks"],
            "forwards": stats["em_forwards"],
            "optouts": stats["em_optouts"],
            "abuse": 0,
            "bounces": stats["em_bounces"],
            "not_opened": stats["em_not_opened"],
        },
    }
    if sent is not None:
        body["last_sent_date"] = iso(sent)
    return body


def aggregate_percents(summaries: Sequence[dict[str, Any]]) -> dict[str, float]:
    """``aggregate_percents`` over a page of summaries."""
    total: Counter[str] = Counter()
    for item in summaries:
        total.update(item["unique_counts"])
    delivered = max(0, total["sends"] - total["bounces"])
    return {
        "click": _pct(total["clicks"], total["opens"]),
        "open": _pct(total["opens"], delivered),
        "did_not_open": _pct(total["not_opened"], delivered),
        "bounce": _pct(total["bounces"], total["sends"]),
        "unsubscribe": _pct(total["optouts"], delivered),
    }


def link_counts(activity: Activity, now: dt.datetime, *, no_clicks: bool) -> list[dict[str, Any]]:
    """``link_click_counts``: unique clickers per link; unclicked links only with ``no_clicks``."""
    clickers: dict[str, set[str]] = {}
    for event in visible(activity.tracking.events, now):
        if event.kind == "em_clicks" and event.url_id is not None:
            clickers.setdefault(event.url_id, set()).add(event.contact_id)
    rows = []
    for link in links_in(activity.html_content, activity.activity_id):
        count = len(clickers.get(link.url_id, ()))
        if count or no_clicks:
            rows.append({"link_url": link.url, "url_id": link.url_id, "unique_clicks": count})
    return rows
