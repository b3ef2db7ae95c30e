"""Segment endpoints (``/v3/segments``) and the ``GET /v3/contacts?segment_id=`` search.

Reference section 12 and the spec: integer ids, names unique (409), ``segment_criteria`` an
escaped-JSON string of at most 20,000 characters (the evaluated subset is documented in
``segments.criteria``), PUT needs both fields, DELETE answers 204 and a deleted segment stays
readable by id but leaves the listing. UNCONFIRMED choices: error keys ``segments.api.*``; a
non-integer or unknown id answers 404; names are compared case-insensitively, may be 1-255
characters and a deleted segment's name may be reused; ``GET /segments`` accepts ``limit``
1-1000; a contacts search on a deleted segment is 404; segment results include unsubscribed
contacts (campaign sends leave them out).
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from .._http import (
    bad_request,
    conflict,
    iso,
    json_response,
    not_found,
    page,
    read_json,
    read_object,
)
from .._state import Account
from .._validate import req_str
from ..contacts.bodies import contact_json
from .criteria import CriteriaError, Test, compile_criteria
from .store import SimSegment

MAX_NAME = 255
_KEY = "segments.api.validation.error"
_SORTS = ("date", "name")
_SEARCH_PARAMS = frozenset(("segment_id", "limit", "cursor"))


def register_segment_routes(app: web.Application) -> None:
    """Add the ``/v3/segments`` routes."""
    r = app.router
    r.add_get("/v3/segments", _list)
    r.add_post("/v3/segments", _create)
    r.add_get("/v3/segments/{segment_id}", _get)
    r.add_put("/v3/segments/{segment_id}", _put)
    r.add_delete("/v3/segments/{segment_id}", _delete)
    r.add_patch("/v3/segments/{segment_id}/name", _rename)


def segment_master(segment: SimSegment) -> dict[str, Any]:
    """A ``SegmentMaster`` (listing item)."""
    return {
        "name": segment.name,
        "segment_id": segment.segment_id,
        "created_at": iso(segment.created_at),
        "edited_at": iso(segment.edited_at),
    }


def segment_detail(segment: SimSegment) -> dict[str, Any]:
    """A ``SegmentDetail`` (with the criteria string exactly as stored)."""
    return {**segment_master(segment), "segment_criteria": segment.criteria}


def _account(request: web.Request) -> Account:
    return request["account"]  # type: ignore[no-any-return]


def _is_id(raw: str) -> bool:
    """True for an ASCII decimal id of at most 18 digits ("²".isdigit() is True but int()
    refuses it; int() also refuses 4,300+ digits, and no segment id comes near 18)."""
    return len(raw) <= 18 and raw.isascii() and raw.isdigit()


def _find(request: web.Request, *, allow_deleted: bool = False) -> SimSegment:
    raw = request.match_info["segment_id"]
    found = _account(request).segments.get(int(raw)) if _is_id(raw) else None
    if found is None or (found.deleted_at is not None and not allow_deleted):
        raise not_found(f"Segment {raw} was not found.", "segments.api.not_found")
    return found


def _name(body: dict[str, Any], account: Account, current: SimSegment | None) -> str:
    name = req_str(body, "name", MAX_NAME).strip()
    if not name:
        raise bad_request("name must not be blank.", _KEY)
    owner = account.segments.named(name)
    if owner is not None and owner is not current:
        raise conflict(f"A segment named {name!r} already exists.", "segments.api.conflict")
    return name


def _criteria(request: web.Request, body: dict[str, Any]) -> tuple[str, Test]:
    text = body.get("segment_criteria")
    if text is None:
        raise bad_request("segment_criteria is required.", _KEY)
    try:
        return text, compile_criteria(text, request["state"].clock.now())
    except CriteriaError as exc:
        raise bad_request(str(exc), _KEY) from None


async def _list(request: web.Request) -> web.Response:
    sort = request.query.get("sort_by", "date")
    if sort not in _SORTS:
        raise bad_request("sort_by must be date or name.", _KEY)
    segments = _account(request).segments.live()
    if sort == "name":
        segments.sort(key=lambda s: (s.name.casefold(), s.segment_id))
    else:
        segments.sort(key=lambda s: (s.edited_at, s.segment_id), reverse=True)
    chunk, links = page(segments, request, default_limit=1000, max_limit=1000, path="/v3/segments")
    body: dict[str, Any] = {"segments": [segment_master(s) for s in chunk]}
    if links:
        body["_links"] = links
    return json_response(body)


async def _create(request: web.Request) -> web.Response:
    account = _account(request)
    body = read_object(await read_json(request))
    text, test = _criteria(request, body)
    name = _name(body, account, None)
    segment = account.segments.add(name, text, test, request["state"].clock.now())
    return json_response(segment_detail(segment), 201)


async def _get(request: web.Request) -> web.Response:
    return json_response(segment_detail(_find(request, allow_deleted=True)))


async def _put(request: web.Request) -> web.Response:
    account = _account(request)
    segment = _find(request)
    body = read_object(await read_json(request))
    text, test = _criteria(request, body)
    name = _name(body, account, segment)
    account.segments.update(segment, name, text, test, request["state"].clock.now())
    return json_response(segment_detail(segment))


async def _rename(request: web.Request) -> web.Response:
    account = _account(request)
    segment = _find(request)
    name = _name(read_object(await read_json(request)), account, segment)
    account.segments.rename(segment, name, request["state"].clock.now())
    return json_response(segment_detail(segment))


async def _delete(request: web.Request) -> web.Response:
    segment = _find(request)
    _account(request).segments.delete(segment, request["state"].clock.now())
    return web.Response(status=204)


async def segment_contacts(request: web.Request) -> web.Response:
    """``GET /contacts?segment_id=N[&limit=]``: 202 ``{"status": "processing"}`` while computing.

    Then 200 with the members (``ContactResource`` without sub-resources), paginated like the
    other contact searches. Other query parameters -> 400; unknown or deleted segment -> 404.
    """
    extra = sorted(set(request.query) - _SEARCH_PARAMS)
    if extra:
        raise bad_request(f"segment_id can only be combined with limit (got {', '.join(extra)}).")
    raw = request.query["segment_id"].strip()
    if not _is_id(raw):
        raise bad_request("segment_id must be a single integer segment id.")
    account = _account(request)
    segment = account.segments.get(int(raw))
    if segment is None or segment.deleted_at is not None:
        raise not_found(f"Segment {raw} was not found.", "segments.api.not_found")
    members = account.segments.results(
        segment, request["state"].now(), lambda: account.contacts.values()
    )
    if members is None:
        # UNCONFIRMED: the exact 202 body; the spec only declares the Contacts.status string.
        return json_response({"status": "processing"}, 202)
    live = [c for c in map(account.contacts.__getitem__, members) if c.deleted_at is None]
    chunk, links = page(live, request, default_limit=50, max_limit=500, path="/v3/contacts")
    body: dict[str, Any] = {"contacts": [contact_json(c) for c in chunk]}
    if links:
        body["_links"] = links
    return json_response(body)
