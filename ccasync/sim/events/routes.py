"""``/v3/events`` routes: events, copies, registrations, payment status and ticket check-in.

Pages use the spec's ``next``/``prev`` cursors (``next_cursor``/``prev_cursor`` in the body and
``_links``); events page up to 100 (the documented default and maximum), registrations up to
500 (UNCONFIRMED: no maximum is documented). GET /events' default order (no ``sort_by``) is
newest first (UNCONFIRMED).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any, TypeVar

from aiohttp import web

from .._http import decode_cursor, encode_cursor, json_response, query_flag, read_json
from .._state import Account
from .._validate import is_choice
from . import rules
from .book import EventBook
from .records import event_json, listing_json, registration_detail, registration_lite

T = TypeVar("T")
_EVENT = "/v3/events/{event_id}"
_TRACK = _EVENT + "/tracks/{track_id}/registrations"


def register_event_routes(app: web.Application) -> None:
    """Add the event routes."""
    r = app.router
    r.add_get("/v3/events", _list)
    r.add_post("/v3/events/default", _create)
    r.add_get(_EVENT, _get)
    r.add_patch(_EVENT, _patch)
    r.add_post(_EVENT + "/copy", _copy)
    r.add_post(_EVENT + "/check_in/tickets", _check_in)
    r.add_post(_EVENT + "/undo_check_in/tickets", _undo_check_in)
    r.add_get(_TRACK, _registrations)
    r.add_put(_TRACK, _set_status)
    r.add_put(_TRACK + "/payment_status", _set_payment)
    r.add_get(_TRACK + "/{registration_id}", _registration)


def _book(request: web.Request) -> EventBook:
    account: Account = request["account"]
    return account.events


def _now(request: web.Request) -> dt.datetime:
    now: dt.datetime = request["state"].clock.now()
    return now


def _query(request: web.Request) -> dict[str, str]:
    return {k: v for k, v in request.query.items() if len(v) <= 2000}


def _window(
    items: Sequence[T], request: web.Request, maximum: int
) -> tuple[list[T], dict[str, Any]]:
    """One page and its cursor fields (``next_cursor``, ``prev_cursor``, ``_links``)."""
    query = _query(request)
    limit = rules.page_size(query, maximum)
    if "next" in query and "prev" in query:
        raise rules.invalid("next and prev are mutually exclusive.")
    cursor = query.get("next") or query.get("prev")
    offset = decode_cursor(cursor)[1] if cursor else 0
    extra: dict[str, Any] = {"_links": {"self": {"href": request.path}}}
    if offset + limit < len(items):
        token = encode_cursor([], offset + limit)
        extra["next_cursor"] = token
        extra["_links"]["next"] = {"href": f"{request.path}?next={token}"}
    if offset > 0:
        token = encode_cursor([], max(0, offset - limit))
        extra["prev_cursor"] = token
        extra["_links"]["prev"] = {"href": f"{request.path}?prev={token}"}
    return list(items[offset : offset + limit]), extra


async def _list(request: web.Request) -> web.Response:
    events = _book(request).listing(_query(request))
    chunk, extra = _window(events, request, 100)
    body = {"records": [listing_json(e) for e in chunk], "total_records": len(events), **extra}
    return json_response(body)


async def _create(request: web.Request) -> web.Response:
    query = _query(request)
    name = query.get("name")
    if name is not None and not 0 < len(name.strip()) <= 100:
        raise rules.invalid("name must be 1 to 100 characters.")
    event = _book(request).create_default(
        None if name is None else name.strip(),
        rules.when(query.get("start_time"), "start_time"),
        rules.when(query.get("end_time"), "end_time"),
        query.get("placeholder_campaign_id", "")[:64] or None,
        _now(request),
    )
    return json_response(event_json(event), 201)


async def _get(request: web.Request) -> web.Response:
    event = _book(request).get(request.match_info["event_id"])
    return json_response(event_json(event, query_flag(request, "include")))


async def _patch(request: web.Request) -> web.Response:
    body = await read_json(request)
    _book(request).patch(request.match_info["event_id"], body, _now(request))
    return web.Response(status=204)


async def _copy(request: web.Request) -> web.Response:
    body = await read_json(request)
    event, partial = _book(request).copy(request.match_info["event_id"], body, _now(request))
    json = event_json(event)
    if partial:
        # 207: some source activities were not the event's; their ids are listed (UNCONFIRMED).
        json["failed_campaign_activities"] = [
            a for a in body.get("source_campaign_activities", []) if isinstance(a, str)
        ]
    return json_response(json, 207 if partial else 200)


async def _check_in(request: web.Request) -> web.Response:
    _book(request).check_in(request.match_info["event_id"], await read_json(request), _now(request))
    return web.Response(status=204)


async def _undo_check_in(request: web.Request) -> web.Response:
    _book(request).check_in(request.match_info["event_id"], await read_json(request), None)
    return web.Response(status=204)


async def _registrations(request: web.Request) -> web.Response:
    event = _book(request).track(request.match_info["event_id"], request.match_info["track_id"])
    query = _query(request)
    regs = list(event.registrations.values())
    for field, allowed in (
        ("registration_status", rules.REGISTRATION_STATUSES),
        ("payment_status", rules.PAYMENT_STATUSES),
    ):
        wanted = query.get(field)
        if wanted is not None:
            if not is_choice(wanted, allowed):
                raise rules.invalid(f"{field} must be one of {', '.join(allowed)}.")
            regs = [r for r in regs if getattr(r, field) == wanted]
    text = query.get("search_text", "")[:255].casefold()
    if text:
        regs = [r for r in regs if text in f"{r.first_name} {r.last_name} {r.email}".casefold()]
    sort_by = query.get("sort_by")
    if sort_by is not None:
        if not is_choice(sort_by, tuple(rules.REG_SORTS)):
            raise rules.invalid(f"sort_by must be one of {', '.join(rules.REG_SORTS)}.")
        regs.sort(key=rules.REG_SORTS[sort_by], reverse=query.get("sort_order") == "DESC")
    chunk, extra = _window(regs, request, 500)
    records = [registration_lite(event, r) for r in chunk]
    return json_response({"records": records, "total_records": len(regs), **extra})


async def _registration(request: web.Request) -> web.Response:
    info = request.match_info
    reg = _book(request).registration(info["event_id"], info["track_id"], info["registration_id"])
    event = _book(request).get(info["event_id"])
    return json_response(registration_detail(event, reg))


def _partial(failed: list[str]) -> web.Response:
    if failed:
        return json_response({"failed_registration_ids": failed}, 207)
    return web.Response(status=200)


async def _set_status(request: web.Request) -> web.Response:
    for flag in ("increase_count", "increase_item_count", "return_items_to_inventory"):
        query_flag(request, flag)  # strictly parsed; the simulator keeps no inventory
    event = _book(request).track(request.match_info["event_id"], request.match_info["track_id"])
    return _partial(_book(request).set_status(event, await read_json(request)))


async def _set_payment(request: web.Request) -> web.Response:
    event = _book(request).track(request.match_info["event_id"], request.match_info["track_id"])
    return _partial(_book(request).set_payment(event, await read_json(request)))
