"""The contacts API area (``/contacts``)."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any

from ccasync import _checks, _protocol
from ccasync._retry import Replay
from ccasync._serde import structure, unstructure
from ccasync.errors import ValidationError, WaitTimeoutError
from ccasync.models.contacts import (
    EMAIL_MAX,
    INCLUDES,
    MAX_CUSTOM_FIELDS,
    MAX_LISTS,
    NAME_MAX,
    SMS_STATUSES,
    STATUSES,
    XREF_MAX,
    Contact,
    ContactCounts,
    ContactCustomField,
    ContactXref,
    NewContact,
    SignUpFormResult,
    StreetAddress,
    check_birthday,
    check_contact_update,
    check_new_contact,
    check_street_address,
)
from ccasync.resources._base import Resource

SEGMENT_TRIES = 10
"""Tries of a ``GET /contacts?segment_id=`` page that answers 202 (segment still computing)."""
SEGMENT_FIRST_DELAY = 1.0
"""Seconds before the first retry of a 202 segment page (doubling after each try)."""
SEGMENT_MAX_DELAY = 30.0
"""Longest pause between tries of a 202 segment page, in seconds."""

CustomFieldValues = Mapping[str, str] | Sequence[ContactCustomField]
"""Custom field values for ``sign_up_form``: ``{custom_field_id: value}`` or records."""


def _csv_values(field: str, value: str | Sequence[str] | None, allowed: frozenset[str]) -> Any:
    if value is None:
        return None
    values = [value] if isinstance(value, str) else list(value)
    _checks.check_enums(field, values, allowed)
    return values


def _include_query(include: Sequence[str]) -> str:
    """``?include=…`` for ``include`` (checked), ``""`` when empty; the same few lists come
    back on every call, so each is checked and encoded once."""
    try:
        return _cached_include_query(tuple(include))
    except TypeError:  # an unhashable item: the check names it
        return _encode_include_query(include)


def _encode_include_query(include: Sequence[str]) -> str:
    return _protocol.query_string({"include": _includes(include)})


_cached_include_query = functools.lru_cache(maxsize=64)(_encode_include_query)


def _includes(include: Sequence[str]) -> list[str] | None:
    chosen = list(include)
    _checks.check_enums("include", chosen, INCLUDES)
    return chosen or None


def _custom_field_list(values: CustomFieldValues | None) -> list[dict[str, Any]] | None:
    if values is None:
        return None
    if isinstance(values, Mapping):
        items = [ContactCustomField(custom_field_id=k, value=v) for k, v in values.items()]
    else:
        items = list(values)
    _checks.check_count("custom_fields", items, max_items=MAX_CUSTOM_FIELDS)
    for i, item in enumerate(items):
        _checks.check_uuid(f"custom_fields[{i}].custom_field_id", item.custom_field_id)
        _checks.check_length(f"custom_fields[{i}].value", item.value, max_len=255)
    return [{"custom_field_id": i.custom_field_id, "value": i.value} for i in items]


def _check_sign_up(body: Mapping[str, Any], street_address: StreetAddress | None) -> None:
    if not body["email_address"] and not body["sms_channel"]:
        raise ValidationError("email_address", "email_address or sms_channel is required")
    _checks.check_uuids(
        "list_memberships", body["list_memberships"], max_items=MAX_LISTS, min_items=1
    )
    _checks.check_length("email_address", body["email_address"], max_len=EMAIL_MAX)
    for name in ("first_name", "last_name", "job_title", "company_name"):
        _checks.check_length(name, body[name], max_len=NAME_MAX)
    _checks.check_length("phone_number", body["phone_number"], max_len=25)
    check_birthday(body["birthday_month"], body["birthday_day"])
    if street_address is not None:
        check_street_address(street_address)


class ContactsResource(Resource):
    """The contact endpoints; reach it as ``cc.contacts``."""

    async def create(self, contact: NewContact) -> Contact:
        """Create one contact (``POST /contacts``); create-only, see :meth:`sign_up_form`.

        Needs ``create_source`` and one of first_name, last_name, email_address, sms_channel.
        Only :class:`NewContact` fields are sent (a :class:`Contact` read elsewhere loses its
        id and timestamps). Checked locally: names ≤50 chars, email ≤80,
        ``permission_to_send`` enum, ≤50 lists, ≤25 custom fields, ≤3 phones and addresses.
        One API call (not repeated if it may have landed). Returns the created contact, its
        ``contact_id`` set. Raises ValidationError; ConflictError when the email exists, even
        for a deleted or unsubscribed contact (``existing_id`` names it); other APIErrors.
        """
        check_new_contact(contact)
        body = unstructure(contact, NewContact)
        return await self._requestor.send_model(
            "POST", "/contacts", Contact, json=body, expected=(201,)
        )

    async def get(self, contact_id: str, include: Sequence[str] = ()) -> Contact:
        """Get one contact (``GET /contacts/{id}``).

        ``include``: custom_fields, list_memberships, phone_numbers, street_addresses,
        taggings, notes (sub-resources are omitted otherwise). One API call. Raises
        ValidationError (malformed id, unknown include), NotFoundError, other APIErrors.
        """
        _checks.check_uuid("contact_id", contact_id)
        return await self._requestor.get_model(
            f"/contacts/{contact_id}{_include_query(include)}", Contact
        )

    async def update(self, contact: Contact) -> Contact:
        """Replace a contact (``PUT /contacts/{id}``); also revives a deleted contact.

        Reviving needs ``update_source`` Account (checked locally when the record carries
        ``deleted_at``).

        Needs ``contact_id`` and ``update_source``. Top-level fields omitted become null;
        sub-resource lists left ``None`` are omitted and stay untouched on the server. Send a
        record read with :meth:`get`: unknown fields are written back. Same limits as
        :meth:`create`. One API call, retried safely. Raises ValidationError, NotFoundError,
        ConflictError (email taken by another contact), other APIError subclasses.
        """
        check_contact_update(contact)
        return await self._requestor.send_model(
            "PUT", f"/contacts/{contact.contact_id}", Contact, json=contact
        )

    async def delete(self, contact_id: str) -> None:
        """Soft-delete a contact (``DELETE /contacts/{id}``, 204); its email stays reserved.

        One API call. Raises ValidationError (malformed id), NotFoundError, other APIErrors.
        """
        _checks.check_uuid("contact_id", contact_id)
        await self._requestor.request("DELETE", f"/contacts/{contact_id}")

    async def sign_up_form(
        self,
        *,
        list_memberships: Sequence[str],
        email_address: str | None = None,
        first_name: str | None = None,
        last_name: str | None = None,
        job_title: str | None = None,
        company_name: str | None = None,
        phone_number: str | None = None,
        anniversary: str | None = None,
        birthday_month: int | None = None,
        birthday_day: int | None = None,
        custom_fields: CustomFieldValues | None = None,
        street_address: StreetAddress | None = None,
        sms_channel: Mapping[str, Any] | None = None,
    ) -> SignUpFormResult:
        """Create or update a contact by email (``POST /contacts/sign_up_form``).

        A new email creates the contact (``created=True``, 201); an existing one is updated
        partially, lists and custom fields appended (200). Consent becomes ``explicit`` (or
        pending with confirmed opt-in) even for unsubscribed contacts: use it only for real
        sign-ups. ``list_memberships`` 1-50 ids; ``email_address`` ≤80 chars (UNCONFIRMED: the
        schema says 50); names ≤50; ``phone_number`` ≤25; ``custom_fields`` ≤25 as
        ``{custom_field_id: value}`` or records. One API call, retried safely (an upsert).
        Raises ValidationError, ConflictError (concurrent change of the same contact: retry
        later), other APIError subclasses.
        """
        body: dict[str, Any] = {
            "email_address": email_address,
            "first_name": first_name,
            "last_name": last_name,
            "job_title": job_title,
            "company_name": company_name,
            "phone_number": phone_number,
            "list_memberships": list_memberships,
            "anniversary": anniversary,
            "birthday_month": birthday_month,
            "birthday_day": birthday_day,
            "sms_channel": dict(sms_channel) if sms_channel else None,
        }
        _check_sign_up(body, street_address)
        body["list_memberships"] = list(list_memberships)
        body["custom_fields"] = _custom_field_list(custom_fields)
        body["street_address"] = unstructure(street_address) if street_address else None
        response = await self._requestor.request(
            "POST",
            "/contacts/sign_up_form",
            json={k: v for k, v in body.items() if v is not None},
            replay=Replay.UPSERT,
            expected=(200, 201),
        )
        result = structure(response.data, SignUpFormResult)
        result.created = response.status == 201
        return result

    async def counts(self, *, include_new_subscriber: bool = False) -> ContactCounts:
        """Contact totals by consent state (``GET /contacts/counts``).

        ``include_new_subscriber`` adds the last 30 days' new subscribers. One API call.
        Raises APIError subclasses.
        """
        include = "new_subscriber" if include_new_subscriber else None
        return await self._requestor.get_model(
            "/contacts/counts", ContactCounts, params={"include": include}
        )

    async def resubscribe(self, contact_id: str, list_ids: Sequence[str]) -> None:
        """Send a contact who unsubscribed a one-time re-opt-in email
        (``PUT /contacts/resubscribe/{id}``).

        The API adds the contact to ``list_ids`` (1-50) at once, but it is not resubscribed
        until it confirms; the email can be sent only once per contact. One API call.
        Raises ValidationError, NotFoundError, ConflictError (already sent or not
        unsubscribed), other APIError subclasses.
        """
        _checks.check_uuid("contact_id", contact_id)
        _checks.check_uuids("list_ids", list_ids, max_items=MAX_LISTS, min_items=1)
        await self._requestor.request(
            "PUT", f"/contacts/resubscribe/{contact_id}", json={"list_ids": list(list_ids)}
        )

    def iter_all(
        self,
        *,
        status: str | Sequence[str] | None = None,
        email: str | None = None,
        lists: Sequence[str] | None = None,
        segment_id: int | str | None = None,
        tags: Sequence[str] | None = None,
        updated_after: dt.datetime | None = None,
        updated_before: dt.datetime | None = None,
        created_after: dt.datetime | None = None,
        created_before: dt.datetime | None = None,
        optout_after: dt.datetime | None = None,
        optout_before: dt.datetime | None = None,
        include: Sequence[str] = (),
        sms_status: str | Sequence[str] | None = None,
        limit: int = 500,
    ) -> AsyncIterator[Contact]:
        """Iterate over contacts matching every given filter (``GET /contacts``), page by page.

        ``status``: all, active, deleted, not_set, pending_confirmation, temp_hold,
        unsubscribed (default: all but deleted); ``lists`` ≤25 ids; ``tags`` ≤50 ids; date
        filters must be timezone-aware; ``include`` as in :meth:`get`; ``sms_status`` all,
        explicit, unsubscribed, pending_confirmation, not_set; ``limit`` 1-500 per page (one
        API call per page). ``segment_id`` combines only with ``limit``; while the segment is
        computed the API answers 202 and the page is retried with backoff (up to
        :data:`SEGMENT_TRIES` tries, then :class:`WaitTimeoutError`). Raises ValidationError,
        APIError subclasses.
        """
        dates = {
            "updated_after": updated_after,
            "updated_before": updated_before,
            "created_after": created_after,
            "created_before": created_before,
            "optout_after": optout_after,
            "optout_before": optout_before,
        }
        for name, value in dates.items():
            _checks.check_aware(name, value)
        _checks.check_uuids("lists", lists, max_items=25)
        _checks.check_uuids("tags", tags, max_items=50)
        _checks.check_range("limit", limit, low=1, high=500)
        params: dict[str, Any] = {
            "status": _csv_values("status", status, STATUSES),
            "email": email,
            "lists": lists,
            "tags": tags,
            **dates,
            "include": _includes(include),
            "sms_status": _csv_values("sms_status", sms_status, SMS_STATUSES),
        }
        if segment_id is not None:
            return self._segment_contacts(segment_id, params, limit)
        return self._requestor.iter_items(
            "/contacts", items_key="contacts", model=Contact, params={**params, "limit": limit}
        )

    async def id_xrefs(self, sequence_ids: Sequence[str]) -> list[ContactXref]:
        """Map V2 contact ids to V3 ``contact_id`` (``GET /contacts/contact_id_xrefs``).

        For migrating stored V2 ids once: the API says not to call it routinely and that it
        will be removed. 1-500 ids per call (one API call). Raises ValidationError, APIErrors.
        """
        _checks.check_v2_ids("sequence_ids", sequence_ids, max_items=XREF_MAX)
        response = await self._requestor.request(
            "GET", "/contacts/contact_id_xrefs", params={"sequence_ids": ",".join(sequence_ids)}
        )
        return structure((response.data or {}).get("xrefs") or [], list[ContactXref])

    async def find_by_email(self, email: str, *, include: Sequence[str] = ()) -> Contact | None:
        """The contact with this exact email, in any status (deleted included), or None.

        Uses ``GET /contacts?email=&status=all``: one API call. Raises ValidationError,
        APIError subclasses.
        """
        _checks.check_required("email", email)
        _checks.check_length("email", email, max_len=EMAIL_MAX)
        async for contact in self.iter_all(email=email, status="all", include=include, limit=1):
            return contact
        return None

    def _segment_contacts(
        self, segment_id: int | str, params: Mapping[str, Any], limit: int
    ) -> AsyncIterator[Contact]:
        others = sorted(k for k, v in params.items() if v is not None)
        if others:
            raise ValidationError("segment_id", f"combines only with limit (got {others})")
        if not str(segment_id).isdigit():
            raise ValidationError("segment_id", "must be an integer id", value=segment_id)
        url = _protocol.build_url(
            self._requestor.base_url, "/contacts", {"segment_id": str(segment_id), "limit": limit}
        )
        return self._ready_pages(url)

    async def _ready_pages(self, url: str) -> AsyncIterator[Contact]:
        # The requestor's page walk: a page linking back to itself or an earlier page stops it.
        async for page in self._requestor.walk_pages(url, self._ready_page):
            for item in page.get("contacts") or ():
                yield structure(item, Contact)

    async def _ready_page(self, url: str) -> dict[str, Any]:
        delay = SEGMENT_FIRST_DELAY
        for _ in range(SEGMENT_TRIES):
            response = await self._requestor.request("GET", url)
            if response.status != 202:
                data = response.data
                return data if isinstance(data, dict) else {}
            await self._requestor.sleep(delay)
            delay = min(delay * 2, SEGMENT_MAX_DELAY)
        raise WaitTimeoutError(f"segment contacts still processing after {SEGMENT_TRIES} tries")
