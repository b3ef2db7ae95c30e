"""Validation of event requests; failures are 400s naming the field (error key UNCONFIRMED)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from .._http import bad_request, is_uuid, parse_datetime
from .._validate import is_choice
from .records import Registration, SimEvent

KEY = "events.api.validation.error"
EVENT_STATUSES = ("ACTIVE", "DRAFT", "COMPLETE", "DELETED", "CANCELLED", "ERROR")
PATCH_STATUSES = ("DRAFT", "ACTIVE", "CANCELLED")  # UNCONFIRMED: which a PATCH may set
REGISTRATION_STATUSES = ("PENDING", "REGISTERED", "CANCELED", "EXPIRED", "IN_PROGRESS", "FAILED")
PAYMENT_STATUSES = ("PENDING", "PAID", "REFUNDED", "CANCELLED", "FAILED", "CHARGED_BACK")
MAX_IDS = 500
_SORTS: dict[str, Callable[[SimEvent], Any]] = {
    "name": lambda e: e.name.casefold(),
    "start_time": lambda e: e.start,
    "end_time": lambda e: e.end,
    "created_time": lambda e: e.created_at,
    "updated_time": lambda e: e.updated_at,
}
REG_SORTS: dict[str, Callable[[Registration], Any]] = {
    "first_name": lambda r: r.first_name.casefold(),
    "last_name": lambda r: r.last_name.casefold(),
    "email_address": lambda r: r.email.casefold(),
    "registration_status": lambda r: r.registration_status,
    "payment_status": lambda r: r.payment_status,
    "tickets": lambda r: len(r.tickets),
    "total": lambda r: r.total,
}
_TEXT = {
    "name": 100,
    "title": 100,
    "description": 20_000,
    "event_type": 50,
    "location_type": 50,
    "time_zone": 64,
    "currency_type": 3,
    "event_code": 50,
}


def invalid(message: str) -> Exception:
    """A 400 naming the problem."""
    return bad_request(message, KEY)


def when(raw: str | None, field: str) -> dt.datetime | None:
    """An optional ISO-8601 query or body time (bounded before parsing)."""
    if raw is None:
        return None
    if not isinstance(raw, str) or len(raw) > 40:
        raise invalid(f"{field} must be an ISO-8601 date-time.")
    return parse_datetime(raw, field)


def _object(value: Any, field: str, required: tuple[str, ...]) -> dict[str, Any]:
    if not isinstance(value, dict) or len(value) > 50:
        raise invalid(f"{field} must be an object.")
    for key, item in value.items():
        if item is not None and not isinstance(item, (str, int, float, bool)):
            raise invalid(f"{field}.{key} must be a scalar value.")
        if isinstance(item, str) and len(item) > 255:
            raise invalid(f"{field}.{key} is longer than 255 characters.")
    for key in required:
        if not value.get(key):
            raise invalid(f"{field}.{key} is required.")
    return dict(value)


def patch(body: Any, event: SimEvent) -> dict[str, Any]:
    """The attribute changes of a PATCH body (only the fields given)."""
    if not isinstance(body, dict):
        raise invalid("The request body must be an EventDto object.")
    changes: dict[str, Any] = {}
    for field, max_len in _TEXT.items():
        if field in body:
            value = body[field]
            low = 1 if field == "name" else 0
            if not isinstance(value, str) or not low <= len(value) <= max_len:
                raise invalid(f"{field} must be a string of {low} to {max_len} characters.")
            changes[field] = value
    for field, attr in (("event_start", "start"), ("event_end", "end")):
        if field in body:
            changes[attr] = when(body[field], field)
    if changes.get("start", event.start) > changes.get("end", event.end):
        raise invalid("event_end must not be before event_start.")
    if "address" in body:
        changes["address"] = _object(body["address"], "address", ("address_type",))
    if "contact" in body:
        changes["contact"] = _object(body["contact"], "contact", ("name", "organization_name"))
    if "online_meeting" in body:
        changes["online_meeting"] = _object(body["online_meeting"], "online_meeting", ())
    if "status" in body:
        if not is_choice(body["status"], PATCH_STATUSES):
            raise invalid(f"status must be one of {', '.join(PATCH_STATUSES)}.")
        changes["status"] = body["status"]
    return changes


def copy(body: Any) -> tuple[str, list[str]]:
    """``target_event_name`` (required, 1-100) and ``source_campaign_activities`` (uuids)."""
    if not isinstance(body, dict):
        raise invalid("The request body must be an object.")
    name = body.get("target_event_name")
    if not isinstance(name, str) or not 0 < len(name.strip()) <= 100:
        raise invalid("target_event_name is required (1 to 100 characters).")
    activities = body.get("source_campaign_activities") or []
    if not isinstance(activities, list) or not all(is_uuid(a) for a in activities):
        raise invalid("source_campaign_activities must be an array of UUIDs.")
    return name.strip(), [a.lower() for a in activities]


def listing(
    query: dict[str, str],
) -> tuple[str | None, str, Callable[[SimEvent], Any], bool]:
    """(status filter, casefolded search text, sort key, descending) of GET /events."""
    status = query.get("event_status")
    if status is not None and not is_choice(status, EVENT_STATUSES):
        raise invalid(f"event_status must be one of {', '.join(EVENT_STATUSES)}.")
    text = query.get("search_text", "")[:255].casefold()
    sort_by = query.get("sort_by")
    if sort_by is not None and not is_choice(sort_by, tuple(_SORTS)):
        raise invalid(f"sort_by must be one of {', '.join(_SORTS)}.")
    order = query.get("sort_order", "ASC" if sort_by else "DESC")
    if not is_choice(order, ("ASC", "DESC")):
        raise invalid("sort_order must be ASC or DESC.")
    return status, text, _SORTS[sort_by or "created_time"], order == "DESC"


def ids_and_value(body: Any, field: str) -> tuple[list[str], Any]:
    """``registration_ids`` (1-500 strings) and the value of ``field`` of a status update."""
    return _strings(body, "registration_ids", "id"), body.get(field)


def status_update(body: Any, field: str, allowed: tuple[str, ...]) -> tuple[list[str], str]:
    """The ids and the upper-cased new status (``Paid`` is accepted as ``PAID``)."""
    ids, value = ids_and_value(body, field)
    status = value.upper() if isinstance(value, str) else value
    if not is_choice(status, allowed):
        raise invalid(f"{field} must be one of {', '.join(allowed)}.")
    return ids, str(status)


def ticket_keys(body: Any) -> list[str]:
    """``order_ticket_keys``: 1-500 strings, deduplicated."""
    return list(dict.fromkeys(_strings(body, "order_ticket_keys", "key")))


def _strings(body: Any, field: str, noun: str) -> list[str]:
    """``body[field]``: a list of 1 to ``MAX_IDS`` strings of 1-64 characters."""
    if not isinstance(body, dict):
        raise invalid("The request body must be an object.")
    values = body.get(field)
    if not isinstance(values, list) or not 0 < len(values) <= MAX_IDS:
        raise invalid(f"{field} must list 1 to {MAX_IDS} {noun}s.")
    if not all(isinstance(v, str) and 0 < len(v) <= 64 for v in values):
        raise invalid(f"{field} must hold {noun} strings.")
    return values


def page_size(query: dict[str, str], maximum: int) -> int:
    """``limit`` / ``page_size`` (equal when both given), 1..maximum, default maximum."""
    given = {query[k] for k in ("limit", "page_size") if k in query}
    if len(given) > 1:
        raise invalid("limit and page_size must be the same value.")
    raw = given.pop() if given else str(maximum)
    if not (len(raw) <= 6 and raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= maximum:
        raise invalid(f"limit must be an integer from 1 to {maximum}.")
    return int(raw)
