"""Contact endpoints: create, get, update, delete, sign_up_form, resubscribe, counts, search."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from aiohttp import web

from .._http import (
    bad_request,
    conflict,
    csv_param,
    is_uuid,
    json_response,
    not_found,
    page,
    parse_datetime,
    query_flag,
    read_json,
    read_object,
    require_uuid,
)
from .._state import MAX_LISTS_PER_CONTACT, Account
from .._validate import one_of, opt_str, uuid_list, valid_email
from ..segments.routes import segment_contacts
from .bodies import (
    apply_subresources,
    contact_json,
    opt_out_reason,
    parse_email,
    parse_include,
    parse_scalars,
    parse_subresources,
    set_permission,
    street_address,
)
from .records import SimContact

_STATUSES = (
    "all",
    "active",
    "deleted",
    "not_set",
    "pending_confirmation",
    "temp_hold",
    "unsubscribed",
)


def register_contact_routes(app: web.Application) -> None:
    """Add the ``/v3/contacts`` routes."""
    r = app.router
    r.add_get("/v3/contacts", _search)
    r.add_post("/v3/contacts", _create)
    r.add_get("/v3/contacts/counts", _counts)
    r.add_post("/v3/contacts/sign_up_form", _sign_up)
    r.add_put("/v3/contacts/resubscribe/{contact_id}", _resubscribe)
    r.add_get("/v3/contacts/{contact_id}", _get)
    r.add_put("/v3/contacts/{contact_id}", _put)
    r.add_delete("/v3/contacts/{contact_id}", _delete)


def _now(request: web.Request) -> dt.datetime:
    return request["state"].clock.now()  # type: ignore[no-any-return]


def _find(request: web.Request, *, allow_deleted: bool = False) -> SimContact:
    account: Account = request["account"]
    contact_id = require_uuid(request.match_info["contact_id"], "contact_id")
    contact = account.contacts.get(contact_id)
    if contact is None or (contact.is_deleted and not allow_deleted):
        raise not_found(f"Contact {contact_id} was not found.")
    return contact


def _email_taken(account: Account, address: str) -> None:
    owner = account.find_email(address)
    if owner is not None:
        # Clients parse the id out of this message (UNCONFIRMED wording: the recent form).
        raise conflict(f"Email already exists for contact {owner.contact_id}")


async def _create(request: web.Request) -> web.Response:
    account: Account = request["account"]
    body = read_object(await read_json(request))
    source = one_of(body, "create_source", ("Contact", "Account"))
    if source is None:
        raise bad_request("create_source is required.")
    email = parse_email(body)
    reason = opt_out_reason(body)
    scalars = parse_scalars(body)
    if email is None and not (scalars["first_name"] or scalars["last_name"]):
        raise bad_request("A contact needs an email_address, first_name, last_name or sms_channel.")
    now = _now(request)
    updates = parse_subresources(account, body, source, now)
    if email is not None:
        _email_taken(account, email[0])
    contact = account.create_contact(email[0] if email else None, now)
    _fill(contact, scalars, source, now, created=True)
    apply_subresources(account, contact, updates)
    set_permission(contact, (email[1] if email else None) or "implicit", source, now, reason)
    return json_response(
        contact_json(contact, frozenset(("list_memberships", "custom_fields"))), 201
    )


def _fill(
    contact: SimContact, scalars: dict[str, Any], source: str, now: dt.datetime, *, created: bool
) -> None:
    for field, value in scalars.items():
        setattr(contact, field, value)
    if created:
        contact.create_source = source
        contact.opt_in_source = source
    contact.update_source = source
    contact.updated_at = now


async def _get(request: web.Request) -> web.Response:
    contact = _find(request, allow_deleted=True)
    include = parse_include(csv_param(request, "include"))
    return json_response(contact_json(contact, include))


async def _put(request: web.Request) -> web.Response:
    """Full update of scalars; omitted sub-resources stay; revives a deleted contact."""
    account: Account = request["account"]
    contact = _find(request, allow_deleted=True)
    body = read_object(await read_json(request))
    source = one_of(body, "update_source", ("Contact", "Account"))
    if source is None:
        raise bad_request("update_source is required.")
    if contact.is_deleted and source != "Account":
        # The spec: "To restore a deleted contact you must specify the update_source as
        # Account". UNCONFIRMED: the status and wording when it is not.
        raise bad_request("update_source must be Account to restore a deleted contact.")
    email = parse_email(body)
    reason = opt_out_reason(body)
    scalars = parse_scalars(body)
    now = _now(request)
    updates = parse_subresources(account, body, source, now)
    if email is not None and email[0].lower() != (contact.email or "").lower():
        _email_taken(account, email[0])
    apply_subresources(account, contact, updates)
    if email is not None:
        account.change_email(contact, email[0])
        if email[1] is not None:
            set_permission(contact, email[1], source, now, reason)
    _fill(contact, scalars, source, now, created=False)
    contact.deleted_at = None
    return json_response(contact_json(contact, frozenset(("list_memberships", "custom_fields"))))


async def _delete(request: web.Request) -> web.Response:
    account: Account = request["account"]
    contact = _find(request)
    account.delete_contact(contact, _now(request))
    return web.Response(status=204)


async def _sign_up(request: web.Request) -> web.Response:
    """Create-or-update by email: 201 created / 200 updated, lists and custom fields appended."""
    account: Account = request["account"]
    body = read_object(await read_json(request))
    address = body.get("email_address")
    if body.get("sms_channel") is not None:
        raise bad_request("sms_channel is not supported by the simulator.")
    # UNCONFIRMED: the schema says <= 50 characters, contacts allow 80; the sim accepts 80.
    if not valid_email(address):
        raise bad_request("email_address is not a valid email address.")
    lists = uuid_list(body, "list_memberships", 50, required=True)
    for list_id in lists:
        if not account.list_exists(list_id):
            raise bad_request(f"list_memberships contains {list_id}, which does not exist.")
    scalars = parse_scalars(body)
    now = _now(request)
    extra = _signup_extras(account, body, now)
    contact = account.find_email(str(address))
    created = contact is None
    if contact is not None:
        _room_for_lists(contact, lists, "list_memberships")
    if contact is None:
        contact = account.create_contact(str(address), now)
        contact.create_source = "Contact"
    _apply_signup(account, contact, scalars, extra, lists, now)
    action = "created" if created else "updated"  # UNCONFIRMED literal values
    return json_response(
        {"contact_id": contact.contact_id, "action": action}, 201 if created else 200
    )


def _room_for_lists(contact: SimContact, lists: list[str], field: str) -> None:
    """400 when adding ``lists`` would put ``contact`` on more than 50 lists.

    Appending is what sign_up_form and resubscribe do; answering 200 and dropping the extra
    lists would lose accepted data. UNCONFIRMED: the real status and wording.
    """
    total = len(contact.list_ids.keys() | set(lists))
    if total > MAX_LISTS_PER_CONTACT:
        raise bad_request(
            f"{field} would put the contact on {total} lists; the maximum is "
            f"{MAX_LISTS_PER_CONTACT}."
        )


def _apply_signup(
    account: Account,
    contact: SimContact,
    scalars: dict[str, Any],
    extra: dict[str, Any],
    lists: list[str],
    now: dt.datetime,
) -> None:
    for field, value in scalars.items():
        if value is not None:
            setattr(contact, field, value)
    contact.custom_fields.update(extra["custom_fields"])
    if extra["phone"] is not None:
        contact.phone_numbers = [*contact.phone_numbers[:2], extra["phone"]]
    if extra["address"] is not None:
        contact.street_addresses = [*contact.street_addresses[:2], extra["address"]]
    for list_id in lists:
        account.add_membership(contact, list_id)
    # Sign-ups force explicit permission, even for an unsubscribed contact (compliance note).
    contact.permission_to_send = "explicit"
    contact.opt_in_source, contact.opt_in_date = "Contact", now
    contact.opt_out_source = contact.opt_out_date = contact.opt_out_reason = None
    contact.update_source, contact.updated_at, contact.deleted_at = "Contact", now, None


def _signup_extras(account: Account, body: dict[str, Any], now: dt.datetime) -> dict[str, Any]:
    fields = body.get("custom_fields") or []
    if not isinstance(fields, list) or len(fields) > 50:
        raise bad_request("custom_fields must be an array of at most 50 items.")
    values: dict[str, str] = {}
    for item in fields:
        field_id = str(item.get("custom_field_id", "")).lower() if isinstance(item, dict) else ""
        if field_id not in account.custom_fields:
            raise bad_request(f"custom_fields.custom_field_id {field_id!r} does not exist.")
        values[field_id] = opt_str(item, "value", 255) or ""
    phone = opt_str(body, "phone_number", 25, min_len=1)
    raw_address = body.get("street_address")
    return {
        "custom_fields": values,
        "phone": None if phone is None else {"phone_number": phone, "kind": "other"},
        "address": None if raw_address is None else street_address(raw_address, now),
    }


async def _resubscribe(request: web.Request) -> web.Response:
    """Send the one-time re-opt-in email: the contact becomes pending_confirmation on the lists."""
    account: Account = request["account"]
    contact = _find(request)
    body = read_object(await read_json(request))
    lists = uuid_list(body, "list_ids", 50, required=True)
    if not contact.is_unsubscribed:
        raise conflict("The contact is not unsubscribed.")
    if contact.resubscribe_sent:
        raise conflict("A resubscribe email was already sent to this contact.")
    for list_id in lists:
        if not account.list_exists(list_id):
            raise bad_request(f"list_ids contains {list_id}, which does not exist.")
    _room_for_lists(contact, lists, "list_ids")
    # UNCONFIRMED: the contact's state until it clicks the confirmation; the sim shows
    # pending_confirmation on the given lists (the confirmation itself is never simulated).
    contact.resubscribe_sent = True
    contact.permission_to_send = "pending_confirmation"
    contact.updated_at = _now(request)
    for list_id in lists:
        account.add_membership(contact, list_id)
    return web.Response(status=200)


async def _counts(request: web.Request) -> web.Response:
    account: Account = request["account"]
    include = csv_param(request, "include")
    if any(item != "new_subscriber" for item in include):
        raise bad_request("include must be new_subscriber.")
    live = [c for c in account.contacts.values() if not c.is_deleted]
    body = {
        "total": len(live),
        "explicit": sum(c.permission_to_send == "explicit" for c in live),
        "implicit": sum(c.permission_to_send == "implicit" for c in live),
        "pending": sum(c.permission_to_send == "pending_confirmation" for c in live),
        "unsubscribed": sum(c.is_unsubscribed for c in live),
    }
    if include:
        since = _now(request) - dt.timedelta(days=30)
        body["new_subscriber"] = sum(
            c.created_at >= since and c.permission_to_send == "explicit" for c in live
        )
    return json_response(body)


def _status_test(statuses: list[str]) -> Callable[[SimContact], bool]:
    bad = [s for s in statuses if s not in _STATUSES]
    if bad:
        raise bad_request(f"status contains unsupported values: {', '.join(bad)}.")
    if not statuses:
        return lambda c: not c.is_deleted
    wanted = set(statuses)

    def test(contact: SimContact) -> bool:
        """True when ``contact`` has one of the wanted statuses."""
        if "all" in wanted:
            return True
        if contact.is_deleted:
            return "deleted" in wanted
        if "active" in wanted and not contact.is_unsubscribed:
            return True
        return contact.permission_to_send in wanted

    return test


def _time_filters(request: web.Request) -> list[Callable[[SimContact], bool]]:
    tests: list[Callable[[SimContact], bool]] = []
    for name, attr in (
        ("updated", "updated_at"),
        ("created", "created_at"),
        ("optout", "opt_out_date"),
    ):
        after, before = request.query.get(f"{name}_after"), request.query.get(f"{name}_before")
        low = parse_datetime(after, f"{name}_after") if after else None
        high = parse_datetime(before, f"{name}_before") if before else None
        if low is not None or high is not None:
            tests.append(_between(attr, low, high))
    return tests


def _between(
    attr: str, low: dt.datetime | None, high: dt.datetime | None
) -> Callable[[SimContact], bool]:
    def test(contact: SimContact) -> bool:
        """True when the contact's ``attr`` lies within the bounds."""
        value = getattr(contact, attr)
        if value is None:
            return False
        return (low is None or value >= low) and (high is None or value <= high)

    return test


def _ids(request: web.Request, name: str, limit: int) -> list[str]:
    values = csv_param(request, name)
    if len(values) > limit or not all(is_uuid(v) for v in values):
        raise bad_request(f"{name} must be a comma-separated list of at most {limit} ids.")
    return [v.lower() for v in values]


async def _search(request: web.Request) -> web.Response:
    account: Account = request["account"]
    if "segment_id" in request.query:
        return await segment_contacts(request)
    include = parse_include(csv_param(request, "include"))
    tests = [_status_test(csv_param(request, "status")), *_time_filters(request)]
    email = request.query.get("email")
    pool: Any = account.contacts.values()
    if email is not None:
        found = account.find_email(email)
        pool = [found] if found is not None else []
    lists, tags = _ids(request, "lists", 25), _ids(request, "tags", 50)
    if lists:
        pool = _members(account, pool, lists, "list_ids")
    if tags:
        pool = _members(account, pool, tags, "tag_ids")
    matches = [c for c in pool if all(test(c) for test in tests)]
    chunk, links = page(matches, request, default_limit=50, max_limit=500, path="/v3/contacts")
    body: dict[str, Any] = {"contacts": [contact_json(c, include) for c in chunk]}
    if query_flag(request, "include_count"):
        body["contacts_count"] = len(matches)
    if links:
        body["_links"] = links
    return json_response(body)


def _members(account: Account, pool: Any, ids: list[str], attr: str) -> list[SimContact]:
    wanted = set(ids)
    return [c for c in pool if wanted.intersection(getattr(c, attr))]
