"""Email reporting endpoints (``/v3/reports/*``): summaries, stats, links, tracking, contacts.

Statistics are computed live from the recorded events (``last_refresh_time`` is the simulated now;
the real service refreshes periodically, interval UNCONFIRMED).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from aiohttp import web

from .._http import (
    ApiFailure,
    csv_param,
    is_uuid,
    iso,
    json_response,
    page,
    parse_datetime,
    query_flag,
)
from ..campaigns.book import CampaignBook
from ..campaigns.records import Activity, Campaign
from ..campaigns.rules import invalid
from .stats import (
    activity_stats,
    aggregate_percents,
    campaign_stats,
    last_sent,
    link_counts,
    percents,
    summary,
)
from .tracking import (
    CONTACT_ACTIVITY_TYPES,
    TRACKING_KINDS,
    contact_activity_details,
    contact_activity_summary,
    contact_rates,
    render,
    tracking_items,
)

BOUNCE_CODES = frozenset("BDFSVXZ")
MAX_CAMPAIGN_IDS = 150
MAX_ACTIVITY_IDS = 10
MAX_RANGE = dt.timedelta(days=5 * 366)
_STATS_NOT_FOUND = "reportingsvc.not_found.invalid_path_param.campaign_ids."
_EMAIL_REPORT = "/v3/reports/email_reports/{activity_id}"
_CONTACT_REPORT = "/v3/reports/contact_reports/{contact_id}"


def register_report_routes(app: web.Application) -> None:
    """Add the ``/v3/reports`` email and contact reporting routes."""
    r = app.router
    r.add_get("/v3/reports/summary_reports/email_campaign_summaries", _summaries)
    r.add_get("/v3/reports/stats/email_campaigns/{ids}", _campaign_stats)
    r.add_get("/v3/reports/stats/email_campaign_activities/{ids}", _activity_stats)
    r.add_get(_EMAIL_REPORT + "/links", _links)
    for kind in TRACKING_KINDS:
        r.add_get(f"{_EMAIL_REPORT}/tracking/{kind}", _tracking)
    r.add_get(_CONTACT_REPORT + "/activity_details", _contact_details)
    r.add_get(_CONTACT_REPORT + "/activity_summary", _contact_summary)
    r.add_get(_CONTACT_REPORT + "/open_and_click_rates", _contact_rates)


def _book(request: web.Request) -> CampaignBook:
    book: CampaignBook = request["account"].campaigns
    return book


def _now(request: web.Request) -> dt.datetime:
    now: dt.datetime = request["state"].clock.now()
    return now


def _with_links(body: dict[str, Any], links: dict[str, Any] | None) -> dict[str, Any]:
    body["_links"] = links or {}
    return body


async def _summaries(request: web.Request) -> web.Response:
    sent = {c: when for c in _book(request).campaigns.values() if (when := last_sent(c))}
    ordered = sorted(sent, key=sent.__getitem__, reverse=True)
    chunk, links = page(
        ordered,
        request,
        default_limit=50,
        max_limit=500,
        path="/v3/reports/summary_reports/email_campaign_summaries",
    )
    now = _now(request)
    items = [summary(c, now) for c in chunk]
    body = {"bulk_email_campaign_summaries": items, "aggregate_percents": aggregate_percents(items)}
    if links:
        body["_links"] = links
    return json_response(body)


def _split_ids(raw: str, limit: int, what: str) -> list[str]:
    ids = [part.strip() for part in raw.split(",") if part.strip()]
    if not ids or len(ids) > limit:
        raise invalid(f"{what} must list 1 to {limit} ids.")
    return ids


async def _campaign_stats(request: web.Request) -> web.Response:
    """Any malformed or unknown campaign id answers 404 for the whole request (spec)."""
    book = _book(request)
    ids = _split_ids(request.match_info["ids"], MAX_CAMPAIGN_IDS, "campaign_ids")
    found: list[Campaign] = []
    for campaign_id in ids:
        campaign = book.campaigns.get(campaign_id.lower()) if is_uuid(campaign_id) else None
        if campaign is None:
            raise ApiFailure(
                404,
                _STATS_NOT_FOUND,
                "Could not find any campaign stats for all requested campaigns.",
            )
        found.append(campaign)
    now = _now(request)
    results = []
    for campaign in found:
        stats = campaign_stats(campaign, now)
        results.append(
            {
                "campaign_id": campaign.campaign_id,
                "stats": stats,
                "percents": percents(stats),
                "last_refresh_time": iso(now),
            }
        )
    return json_response({"results": results, "errors": []})


async def _activity_stats(request: web.Request) -> web.Response:
    """Malformed ids answer 404 for all; unknown, removed or unsent ones go to ``errors``."""
    book = _book(request)
    ids = _split_ids(request.match_info["ids"], MAX_ACTIVITY_IDS, "campaign_activity_ids")
    if not all(is_uuid(i) for i in ids):
        raise ApiFailure(404, "reportingsvc.not_found", "campaign_activity_ids are invalid.")
    now = _now(request)
    results, errors = [], []
    for activity_id in ids:
        pair = book.lookup(activity_id)
        if pair is None or pair[1].status == "REMOVED" or not pair[1].history:
            errors.append(
                {
                    "error_key": "reportingsvc.not_found.campaign_activity_id",
                    "error_message": f"No stats found for campaign activity {activity_id}.",
                }
            )
            continue
        activity = pair[1]
        results.append(
            {
                "campaign_id": activity.campaign_id,
                "campaign_activity_id": activity.activity_id,
                "stats": activity_stats(activity, now),
                "last_refresh_time": iso(now),
            }
        )
    return json_response({"results": results, "errors": errors})


def _activity(request: web.Request) -> Activity:
    _, activity = _book(request).activity(request.match_info["activity_id"])
    return activity


async def _links(request: web.Request) -> web.Response:
    activity = _activity(request)
    no_clicks = query_flag(request, "no_clicks")
    rows = link_counts(activity, _now(request), no_clicks=no_clicks)
    return json_response({"campaign_activity_id": activity.activity_id, "link_click_counts": rows})


async def _tracking(request: web.Request) -> web.Response:
    activity = _activity(request)
    kind = request.path.rsplit("/", 1)[-1]
    codes = set(csv_param(request, "bounce_code"))
    if codes - BOUNCE_CODES:
        raise invalid(f"bounce_code must be one of {', '.join(sorted(BOUNCE_CODES))}.")
    items = tracking_items(
        activity,
        kind,
        _now(request),
        bounce_codes=codes,
        url_id=request.query.get("url_id") if kind == "clicks" else None,
    )
    chunk, links = page(items, request, default_limit=500, max_limit=500, path=request.path)
    rows = render(request["account"], activity, chunk)
    return json_response(_with_links({"tracking_activities": rows}, links))


def _contact_id(request: web.Request) -> str:
    contact_id = request.match_info["contact_id"]
    contact = request["account"].contact(contact_id.lower()) if is_uuid(contact_id) else None
    if contact is None:
        raise ApiFailure(404, "reportingsvc.not_found", f"Contact {contact_id} was not found.")
    return str(contact.contact_id)


def _activity_types(request: web.Request) -> set[str]:
    listed = csv_param(request, "tracking_activities_list")
    repeated = csv_param(request, "tracking_activity_type")
    if bool(listed) == bool(repeated):
        raise invalid("Use exactly one of tracking_activities_list or tracking_activity_type.")
    types = set(listed or repeated)
    unknown = types - set(CONTACT_ACTIVITY_TYPES)
    if unknown:
        raise invalid(f"Unknown tracking activity type: {', '.join(sorted(unknown))}.")
    return types


async def _contact_details(request: web.Request) -> web.Response:
    contact_id = _contact_id(request)
    types = _activity_types(request)
    names = query_flag(request, "include_campaign_activity_names", default=True)
    rows = contact_activity_details(_book(request), contact_id, types, _now(request), names=names)
    chunk, links = page(rows, request, default_limit=100, max_limit=100, path=request.path)
    return json_response(_with_links({"tracking_activities": chunk}, links))


def _range(request: web.Request) -> tuple[dt.datetime, dt.datetime]:
    bounds = []
    for name in ("start", "end"):
        raw = request.query.get(name)
        if not raw:
            raise invalid(f"{name} is required.")
        bounds.append(parse_datetime(raw, name))
    start, end = bounds
    if end < start:
        raise invalid("end must not be before start.")
    return start, end


async def _contact_summary(request: web.Request) -> web.Response:
    contact_id = _contact_id(request)
    start, end = _range(request)
    items = contact_activity_summary(_book(request), contact_id, start, end, _now(request))
    return json_response({"contact_id": contact_id, "campaign_activities": items})


async def _contact_rates(request: web.Request) -> web.Response:
    contact_id = _contact_id(request)
    start, end = _range(request)
    if end - start > MAX_RANGE:
        raise invalid("The date range cannot exceed 5 years.")
    return json_response(contact_rates(_book(request), contact_id, start, end, _now(request)))
