"""Email campaign endpoints (``/v3/emails*``): thin handlers over the account's CampaignBook."""

from __future__ import annotations

import datetime as dt
from typing import Any

from aiohttp import web

from .._http import csv_param, json_response, page, parse_datetime, read_json
from ..outbox.render import owner_values
from .abtest import abtest_body
from .book import CampaignBook
from .rules import invalid
from .views import (
    INCLUDE_VALUES,
    activity_body,
    campaign_body,
    campaign_summary,
    history_body,
    preview_body,
    resend_body,
    schedule_body,
)

_ACTIVITY = "/v3/emails/activities/{activity_id}"
XREF_MAX = 50


def register_campaign_routes(app: web.Application) -> None:
    """Add the ``/v3/emails`` routes (campaigns, activities, schedules, tests, resends, A/B)."""
    r = app.router
    r.add_get("/v3/emails", _list)
    r.add_post("/v3/emails", _create)
    # Registered before /v3/emails/{campaign_id}, which would otherwise capture it.
    r.add_get("/v3/emails/campaign_id_xrefs", _xrefs)
    r.add_get("/v3/emails/{campaign_id}", _get)
    r.add_patch("/v3/emails/{campaign_id}", _rename)
    r.add_delete("/v3/emails/{campaign_id}", _delete)
    r.add_get(_ACTIVITY, _get_activity)
    r.add_put(_ACTIVITY, _put_activity)
    r.add_get(_ACTIVITY + "/schedules", _get_schedules)
    r.add_post(_ACTIVITY + "/schedules", _schedule)
    r.add_delete(_ACTIVITY + "/schedules", _unschedule)
    r.add_post(_ACTIVITY + "/tests", _test_send)
    r.add_get(_ACTIVITY + "/previews", _preview)
    r.add_get(_ACTIVITY + "/send_history", _send_history)
    r.add_get(_ACTIVITY + "/non_opener_resends", _get_resends)
    r.add_post(_ACTIVITY + "/non_opener_resends", _create_resend)
    r.add_delete(_ACTIVITY + "/non_opener_resends/{request_id}", _delete_resend)
    r.add_get(_ACTIVITY + "/abtest", _get_abtest)
    r.add_post(_ACTIVITY + "/abtest", _create_abtest)
    r.add_delete(_ACTIVITY + "/abtest", _delete_abtest)


def _book(request: web.Request) -> CampaignBook:
    book: CampaignBook = request["account"].campaigns
    return book


def _now(request: web.Request) -> dt.datetime:
    now: dt.datetime = request["state"].clock.now()
    return now


def _no_content() -> web.Response:
    return web.Response(status=204)


def _date_filter(request: web.Request, name: str) -> dt.datetime | None:
    raw = request.query.get(name)
    return None if raw is None else parse_datetime(raw, name)


async def _list(request: web.Request) -> web.Response:
    found = _book(request).listing(
        _date_filter(request, "after_date"), _date_filter(request, "before_date")
    )
    chunk, links = page(found, request, default_limit=50, max_limit=500, path="/v3/emails")
    body: dict[str, Any] = {"campaigns": [campaign_summary(c) for c in chunk]}
    if links:
        body["_links"] = links
    return json_response(body)


async def _create(request: web.Request) -> web.Response:
    # The spec answers 200 (not 201) for a created campaign.
    campaign = _book(request).create(await read_json(request), _now(request))
    return json_response(campaign_body(campaign))


async def _get(request: web.Request) -> web.Response:
    return json_response(campaign_body(_book(request).campaign(request.match_info["campaign_id"])))


async def _xrefs(request: web.Request) -> web.Response:
    """V2 -> V3 id mapping; the simulator holds no V2 campaigns, so every id maps to nothing."""
    ids = csv_param(request, "v2_email_campaign_ids")
    if not ids or len(ids) > XREF_MAX:
        raise invalid(f"v2_email_campaign_ids must list 1 to {XREF_MAX} ids.")
    return json_response({"xrefs": []})


async def _rename(request: web.Request) -> web.Response:
    body = await read_json(request)
    campaign = _book(request).rename(request.match_info["campaign_id"], body, _now(request))
    return json_response(campaign_body(campaign))


async def _delete(request: web.Request) -> web.Response:
    _book(request).delete(request.match_info["campaign_id"], _now(request))
    return _no_content()


async def _get_activity(request: web.Request) -> web.Response:
    include = csv_param(request, "include")
    unknown = set(include) - INCLUDE_VALUES
    if unknown:
        raise invalid(f"include does not have a valid value: {', '.join(sorted(unknown))}")
    _, activity = _book(request).activity(request.match_info["activity_id"])
    return json_response(activity_body(activity, include))


async def _put_activity(request: web.Request) -> web.Response:
    body = await read_json(request)
    activity = _book(request).update_activity(
        request.match_info["activity_id"], body, _now(request)
    )
    return json_response(activity_body(activity))


async def _get_schedules(request: web.Request) -> web.Response:
    return json_response(schedule_body(_book(request).schedules(request.match_info["activity_id"])))


async def _schedule(request: web.Request) -> web.Response:
    body = await read_json(request)
    when = _book(request).schedule(request.match_info["activity_id"], body, _now(request))
    # The developer guide says the answer returns the date as entered (GET gives it as ISO UTC).
    echoed = [] if when is None else [{"scheduled_date": str(body["scheduled_date"]).strip()}]
    return json_response(echoed, status=201)


async def _unschedule(request: web.Request) -> web.Response:
    _book(request).unschedule(request.match_info["activity_id"], _now(request))
    return _no_content()


async def _test_send(request: web.Request) -> web.Response:
    body = await read_json(request)
    _book(request).send_test(request.match_info["activity_id"], body, _now(request))
    return _no_content()


async def _preview(request: web.Request) -> web.Response:
    _, activity = _book(request).activity(request.match_info["activity_id"])
    account = request["account"]
    names = (f.name for f in account.custom_fields.values())
    owner = owner_values(account.summary, names)  # format 5 tags: the owner's details
    return json_response(preview_body(activity, owner))


async def _send_history(request: web.Request) -> web.Response:
    records = _book(request).send_history(request.match_info["activity_id"])
    return json_response(history_body(records))


async def _get_resends(request: web.Request) -> web.Response:
    book = _book(request)
    activity_id = request.match_info["activity_id"]
    if not book.resends(activity_id):
        return json_response([])
    campaign, _ = book.activity(activity_id)
    return json_response([resend_body(campaign, with_status=True)])


async def _create_resend(request: web.Request) -> web.Response:
    body = await read_json(request)
    book = _book(request)
    activity_id = request.match_info["activity_id"]
    book.create_resend(activity_id, body, _now(request))
    campaign, _ = book.activity(activity_id)
    return json_response(resend_body(campaign, with_status=False), status=201)


async def _delete_resend(request: web.Request) -> web.Response:
    info = request.match_info
    _book(request).delete_resend(info["activity_id"], info["request_id"], _now(request))
    return _no_content()


async def _get_abtest(request: web.Request) -> web.Response:
    return json_response(abtest_body(_book(request).abtest(request.match_info["activity_id"])))


async def _create_abtest(request: web.Request) -> web.Response:
    body = await read_json(request)
    test = _book(request).create_abtest(request.match_info["activity_id"], body, _now(request))
    return json_response(abtest_body(test), status=201)


async def _delete_abtest(request: web.Request) -> web.Response:
    _book(request).delete_abtest(request.match_info["activity_id"], _now(request))
    return _no_content()
