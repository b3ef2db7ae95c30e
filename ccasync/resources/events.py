"""The events API area (``/events``): events, registrations and ticket check-in (``cc.events``).

Listings page with a cursor the API returns as ``next_cursor`` (and in ``_links.next``), sent
back as the ``next`` query parameter; the iterators follow it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any, TypeVar
from urllib.parse import parse_qsl, urlsplit

from ccasync import _checks
from ccasync._retry import Replay
from ccasync._serde import format_datetime, structure, unstructure
from ccasync.errors import DecodeError, ValidationError
from ccasync.models.events import (
    EVENT_SORTS,
    EVENT_STATUSES,
    EVENTS_PAGE_MAX,
    NAME_MAX,
    PAYMENT_STATUSES,
    REGISTRATION_SORTS,
    REGISTRATION_STATUSES,
    REGISTRATIONS_PAGE_MAX,
    SORT_ORDERS,
    DetailedRegistration,
    Event,
    EventListing,
    RegistrantInformationLite,
    RegistrationStatusUpdateResponse,
    check_event_fields,
    check_path_id,
)
from ccasync.resources._base import Resource

T = TypeVar("T")


def _next_cursor(page: Any) -> str | None:
    if not isinstance(page, dict):
        return None
    cursor = page.get("next_cursor")
    if isinstance(cursor, str) and cursor:
        return cursor
    href = ((page.get("_links") or {}).get("next") or {}).get("href")
    if isinstance(href, str) and href:
        return dict(parse_qsl(urlsplit(href).query)).get("next") or None
    return None


def _event_path(event_id: str, tail: str = "") -> str:
    _checks.check_uuid("event_id", event_id)
    return f"/events/{event_id}{tail}"


def _track_path(event_id: str, track_id: str, tail: str = "") -> str:
    check_path_id("track_id", track_id)
    return _event_path(event_id, f"/tracks/{track_id}/registrations{tail}")


def _text(value: dt.datetime | None, field: str) -> str | None:
    _checks.check_aware(field, value)
    return None if value is None else format_datetime(value)


def _ticket_keys(order_ticket_keys: Sequence[str]) -> dict[str, list[str]]:
    if isinstance(order_ticket_keys, str):
        raise ValidationError("order_ticket_keys", "must be a sequence of keys, not a string")
    _checks.check_count("order_ticket_keys", order_ticket_keys, max_items=10_000, min_items=1)
    for index, key in enumerate(order_ticket_keys):
        _checks.check_required(f"order_ticket_keys[{index}]", key)
    return {"order_ticket_keys": list(order_ticket_keys)}


class EventsResource(Resource):
    """The event endpoints; reach it as ``cc.events``."""

    async def _pages(self, path: str, params: Mapping[str, Any]) -> AsyncIterator[Any]:
        cursor: str | None = None
        while True:
            page = (
                await self._requestor.request("GET", path, params={**params, "next": cursor})
            ).data
            yield page
            following = _next_cursor(page)
            if following is None:
                return
            if following == cursor:
                raise DecodeError(f"GET {path}: the next cursor points to the same page")
            cursor = following

    async def _items(
        self, path: str, params: Mapping[str, Any], model: type[T]
    ) -> AsyncIterator[T]:
        async for page in self._pages(path, params):
            for item in (page or {}).get("records") or ():
                yield structure(item, model)

    def iter_all(
        self,
        *,
        event_status: str | None = None,
        search_text: str | None = None,
        sort_by: str | None = None,
        sort_order: str | None = None,
        limit: int = EVENTS_PAGE_MAX,
    ) -> AsyncIterator[EventListing]:
        """Iterate over the account's events (``GET /events``), page by page.

        ``event_status`` ACTIVE, DRAFT, COMPLETE, DELETED, CANCELLED or ERROR; ``sort_by`` name,
        start_time, end_time, created_time or updated_time; ``sort_order`` ASC or DESC;
        ``limit`` 1-100 per page (one API call per page). Raises ValidationError at once,
        APIError subclasses while iterating.
        """
        _checks.check_enum("event_status", event_status, EVENT_STATUSES)
        _checks.check_enum("sort_by", sort_by, EVENT_SORTS)
        _checks.check_enum("sort_order", sort_order, SORT_ORDERS)
        _checks.check_range("limit", limit, low=1, high=EVENTS_PAGE_MAX)
        params = {
            "event_status": event_status,
            "search_text": search_text,
            "sort_by": sort_by,
            "sort_order": sort_order,
            "limit": limit,
        }
        return self._items("/events", params, EventListing)

    async def create_default(
        self,
        name: str | None = None,
        *,
        start_time: dt.datetime | None = None,
        end_time: dt.datetime | None = None,
        placeholder_campaign_id: str | None = None,
    ) -> Event:
        """Create a DRAFT event with default settings, form and page (``POST /events/default``).

        ``name`` ≤100 chars (default: generated); ``start_time`` (default: a future date) and
        ``end_time`` (default: an hour later) aware datetimes, end after start. One API call
        (not repeated if it may have landed). Raises ValidationError, other APIError subclasses.
        """
        _checks.check_length("name", name, max_len=NAME_MAX, min_len=1)
        if start_time is not None and end_time is not None and end_time <= start_time:
            raise ValidationError("end_time", "must be after start_time")
        if placeholder_campaign_id is not None:
            _checks.check_uuid("placeholder_campaign_id", placeholder_campaign_id)
        params = {
            "name": name,
            "start_time": _text(start_time, "start_time"),
            "end_time": _text(end_time, "end_time"),
            "placeholder_campaign_id": placeholder_campaign_id,
        }
        response = await self._requestor.request(
            "POST", "/events/default", params=params, expected=(200, 201)
        )
        return structure(response.data, Event)

    async def get(self, event_id: str, *, include_settings: bool | None = None) -> Event:
        """One event (``GET /events/{event_id}``); ``include_settings`` adds its settings.

        One API call. Raises ValidationError (malformed id), NotFoundError, other APIErrors.
        """
        return await self._requestor.get_model(
            _event_path(event_id), Event, params={"include": include_settings}
        )

    async def update(self, event_id: str, **fields: Any) -> None:
        """Change some fields of a DRAFT or ACTIVE event (``PATCH /events/{event_id}``, 204).

        Only the given fields change: ``name`` (1-100), ``title`` (≤100), ``description``
        (≤600), ``event_start``/``event_end`` (aware datetimes or ISO text), ``time_zone``,
        ``address`` … (:data:`ccasync.models.events.WRITABLE`). One API call, retried safely.
        Raises ValidationError (unknown field, lengths), NotFoundError, BadRequestError (event
        COMPLETE, CANCELLED or DELETED), other APIError subclasses.
        """
        check_event_fields(fields)
        body = {
            k: format_datetime(v) if isinstance(v, dt.datetime) else unstructure(v)
            for k, v in fields.items()
        }
        await self._requestor.request(
            "PATCH", _event_path(event_id), json=body, expected=(200, 204)
        )

    async def copy(
        self,
        event_id: str,
        target_event_name: str,
        source_campaign_activities: Sequence[str] | None = None,
    ) -> Event:
        """Copy an event with its settings, forms and pages as a DRAFT (``POST …/copy``).

        ``target_event_name`` unique per account; ``source_campaign_activities`` the activity
        ids to copy (default all). A 207 answer is a copy with failures: see
        ``failed_campaign_activities``. DELETED events cannot be copied. One API call (not
        repeated if it may have landed). Raises ValidationError, NotFoundError, APIErrors.
        """
        _checks.check_required("target_event_name", target_event_name)
        _checks.check_length("target_event_name", target_event_name, max_len=NAME_MAX)
        _checks.check_uuids(
            "source_campaign_activities", source_campaign_activities, max_items=10_000
        )
        body: dict[str, Any] = {"target_event_name": target_event_name}
        if source_campaign_activities is not None:
            body["source_campaign_activities"] = list(source_campaign_activities)
        return await self._requestor.send_model(
            "POST", _event_path(event_id, "/copy"), Event, json=body, expected=(200, 201, 207)
        )

    async def check_in(self, event_id: str, order_ticket_keys: Sequence[str]) -> None:
        """Mark tickets checked in (``POST …/check_in/tickets``, 204).

        The event must be ACTIVE or COMPLETE; a CANCELLED ticket is a 400. Keys come from
        :meth:`DetailedRegistration.order_ticket_keys`. One API call (checking in twice is
        harmless, so it is retried like an upsert). Raises ValidationError, BadRequestError,
        NotFoundError, other APIError subclasses.
        """
        await self._post_keys(_event_path(event_id, "/check_in/tickets"), order_ticket_keys)

    async def undo_check_in(self, event_id: str, order_ticket_keys: Sequence[str]) -> None:
        """Undo a check-in (``POST …/undo_check_in/tickets``, 204); as :meth:`check_in`."""
        await self._post_keys(_event_path(event_id, "/undo_check_in/tickets"), order_ticket_keys)

    async def _post_keys(self, path: str, order_ticket_keys: Sequence[str]) -> None:
        await self._requestor.request(
            "POST",
            path,
            json=_ticket_keys(order_ticket_keys),
            replay=Replay.UPSERT,
            expected=(200, 204),
        )

    def iter_registrations(
        self,
        event_id: str,
        track_id: str,
        *,
        registration_status: str | None = None,
        payment_status: str | None = None,
        search_text: str | None = None,
        sort_by: str | None = None,
        sort_order: str | None = None,
        limit: int = 100,
    ) -> AsyncIterator[RegistrantInformationLite]:
        """Iterate over a track's registrations (``GET …/tracks/{track_id}/registrations``).

        ``track_id`` is ``Event.default_track.track_id``. Filters by ``registration_status``,
        ``payment_status`` or ``search_text`` (name or email); ``sort_by`` first_name,
        last_name, email_address, registration_status, payment_status, tickets or total;
        ``limit`` 1-500 per page (one API call per page). Raises ValidationError at once,
        APIError subclasses while iterating.
        """
        _checks.check_enum("registration_status", registration_status, REGISTRATION_STATUSES)
        _checks.check_enum("payment_status", payment_status, PAYMENT_STATUSES)
        _checks.check_enum("sort_by", sort_by, REGISTRATION_SORTS)
        _checks.check_enum("sort_order", sort_order, SORT_ORDERS)
        _checks.check_range("limit", limit, low=1, high=REGISTRATIONS_PAGE_MAX)
        params = {
            "registration_status": registration_status,
            "payment_status": payment_status,
            "search_text": search_text,
            "sort_by": sort_by,
            "sort_order": sort_order,
            "limit": limit,
        }
        return self._items(_track_path(event_id, track_id), params, RegistrantInformationLite)

    async def get_registration(
        self, event_id: str, track_id: str, registration_id: str
    ) -> DetailedRegistration:
        """One registration with its tickets (``GET …/registrations/{registration_id}``).

        One API call. Raises ValidationError (ids), NotFoundError, other APIError subclasses.
        """
        check_path_id("registration_id", registration_id)
        path = _track_path(event_id, track_id, f"/{registration_id}")
        return await self._requestor.get_model(path, DetailedRegistration)

    async def set_registration_status(
        self,
        event_id: str,
        track_id: str,
        registration_ids: Sequence[str],
        registration_status: str,
        *,
        increase_count: bool | None = None,
        increase_item_count: bool | None = None,
        return_items_to_inventory: bool | None = None,
    ) -> list[str]:
        """Set the status of registrations (``PUT …/registrations``); the ids that failed.

        ``registration_status`` one of :data:`~ccasync.models.events.REGISTRATION_STATUSES`;
        the flags are the API's inventory overrides. A 207 answer lists failed ids; 200 means
        all changed (empty list). One API call, retried safely. Raises ValidationError,
        NotFoundError, other APIError subclasses.
        """
        _checks.check_required("registration_status", registration_status)
        _checks.check_enum("registration_status", registration_status, REGISTRATION_STATUSES)
        body = {
            "registration_ids": _ids(registration_ids),
            "registration_status": registration_status,
        }
        params = {
            "increase_count": increase_count,
            "increase_item_count": increase_item_count,
            "return_items_to_inventory": return_items_to_inventory,
        }
        return await self._put_status(_track_path(event_id, track_id), body, params)

    async def set_payment_status(
        self, event_id: str, track_id: str, registration_ids: Sequence[str], payment_status: str
    ) -> list[str]:
        """Set the payment status of paid registrations (``PUT …/registrations/payment_status``).

        Only registrations with a payment method (PAYPAL, WEPAY, STRIPE, DOOR, CHECK) change;
        free ones are silently skipped. Returns the ids that failed (207). One API call,
        retried safely. Raises ValidationError, NotFoundError, other APIError subclasses.
        """
        _checks.check_required("payment_status", payment_status)
        _checks.check_enum("payment_status", payment_status, PAYMENT_STATUSES)
        body = {"registration_ids": _ids(registration_ids), "payment_status": payment_status}
        return await self._put_status(_track_path(event_id, track_id, "/payment_status"), body, {})

    async def _put_status(
        self, path: str, body: dict[str, Any], params: Mapping[str, Any]
    ) -> list[str]:
        response = await self._requestor.request(
            "PUT", path, params=params, json=body, expected=(200, 204, 207)
        )
        if not response.data:
            return []
        return structure(response.data, RegistrationStatusUpdateResponse).failed_registration_ids


def _ids(registration_ids: Sequence[str]) -> list[str]:
    if isinstance(registration_ids, str):
        raise ValidationError("registration_ids", "must be a sequence of ids, not a string")
    _checks.check_count("registration_ids", registration_ids, max_items=10_000, min_items=1)
    for index, value in enumerate(registration_ids):
        check_path_id(f"registration_ids[{index}]", value)
    return list(registration_ids)
