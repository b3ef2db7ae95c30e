"""Contacts as the API shows them, and the parsing of contact bodies (POST/PUT)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from .._http import bad_request, iso, new_id
from .._state import Account
from .._validate import one_of, opt_int, opt_str, uuid_list, valid_email
from .records import SimContact

INCLUDES = (
    "custom_fields",
    "list_memberships",
    "phone_numbers",
    "street_addresses",
    "taggings",
    "notes",
)
PERMISSIONS = (
    "explicit",
    "implicit",
    "not_set",
    "pending_confirmation",
    "temp_hold",
    "unsubscribed",
)
SOURCES = ("Contact", "Account")
_SCALARS = ("first_name", "last_name", "job_title", "company_name")
_ANNIVERSARY = re.compile(
    r"^(\d{1,2}/\d{1,2}/\d{4}|\d{4}/\d{1,2}/\d{1,2}|\d{4}-\d{1,2}-\d{1,2}|\d{1,2}-\d{1,2}-\d{4})$"
)


def email_json(contact: SimContact) -> dict[str, Any]:
    """The ``email_address`` sub-object."""
    body: dict[str, Any] = {
        "address": contact.email,
        "permission_to_send": contact.permission_to_send,
        "created_at": iso(contact.created_at),
        "updated_at": iso(contact.updated_at),
        "confirm_status": contact.confirm_status,
    }
    for field in ("opt_in_source", "opt_out_source", "opt_out_reason"):
        value = getattr(contact, field)
        if value is not None:
            body[field] = value
    for field in ("opt_in_date", "opt_out_date"):
        value = getattr(contact, field)
        if value is not None:
            body[field] = iso(value)
    return body


def contact_json(
    contact: SimContact, include: set[str] | frozenset[str] = frozenset()
) -> dict[str, Any]:
    """A ``ContactResource``; sub-resources only when named in ``include``."""
    body: dict[str, Any] = {"contact_id": contact.contact_id}
    if contact.email:
        body["email_address"] = email_json(contact)
    for field in (*_SCALARS, "birthday_month", "birthday_day", "anniversary"):
        value = getattr(contact, field)
        if value is not None:
            body[field] = value
    body["create_source"] = contact.create_source
    body["update_source"] = contact.update_source
    body["created_at"] = iso(contact.created_at)
    body["updated_at"] = iso(contact.updated_at)
    if contact.deleted_at is not None:
        body["deleted_at"] = contact.deleted_at.date().isoformat()
    if "custom_fields" in include:
        choices = contact.custom_field_choices
        body["custom_fields"] = [
            {
                "custom_field_id": k,
                "value": v,
                **({"choice_ids": choices[k]} if k in choices else {}),
            }
            for k, v in contact.custom_fields.items()
        ]
    if "list_memberships" in include:
        body["list_memberships"] = list(contact.list_ids)
    if "taggings" in include:
        body["taggings"] = list(contact.tag_ids)
    if "phone_numbers" in include:
        body["phone_numbers"] = contact.phone_numbers
    if "street_addresses" in include:
        body["street_addresses"] = contact.street_addresses
    if "notes" in include:
        body["notes"] = contact.notes
    return body


def parse_include(raw: list[str]) -> set[str]:
    """Validate an ``include`` csv."""
    bad = [item for item in raw if item not in INCLUDES]
    if bad:
        raise bad_request(f"include contains unsupported values: {', '.join(bad)}.")
    return set(raw)


def check_anniversary(value: str | None) -> str | None:
    """``value`` when it is in one of the accepted anniversary formats."""
    # Length before the pattern (bound every string before a regex; the longest form is 10).
    if value is not None and (len(value) > 10 or not _ANNIVERSARY.match(value)):
        raise bad_request("anniversary is not in an accepted date format (e.g. YYYY-MM-DD).")
    return value


def check_birthday(month: int | None, day: int | None) -> None:
    """``birthday_month`` and ``birthday_day`` must come together."""
    if (month is None) != (day is None):
        raise bad_request("birthday_month and birthday_day must be provided together.")


def _custom_fields(account: Account, raw: object) -> dict[str, str]:
    if not isinstance(raw, list) or len(raw) > 25:
        raise bad_request("custom_fields must be an array of at most 25 items.")
    values: dict[str, str] = {}
    for item in raw:
        if not isinstance(item, dict):
            raise bad_request("custom_fields items must be objects.")
        field_id = str(item.get("custom_field_id", "")).lower()
        if field_id not in account.custom_fields:
            raise bad_request(f"custom_fields.custom_field_id {field_id!r} does not exist.")
        value = opt_str(item, "value", 255)
        values[field_id] = value or ""
    return values


def _choices(raw: list[dict[str, Any]]) -> dict[str, list[Any]]:
    """``choice_ids`` of the (already validated) custom field items that carry them."""
    found: dict[str, list[Any]] = {}
    for item in raw:
        choice_ids = item.get("choice_ids")
        if choice_ids is None:
            continue
        if not isinstance(choice_ids, list) or not all(
            isinstance(c, str | int) and not isinstance(c, bool) for c in choice_ids
        ):
            raise bad_request("custom_fields.choice_ids must be an array of choice ids.")
        found[str(item["custom_field_id"]).lower()] = list(choice_ids)
    return found


def _phones(raw: object, source: str, now: dt.datetime) -> list[dict[str, Any]]:
    if not isinstance(raw, list) or len(raw) > 3:
        raise bad_request("phone_numbers must be an array of at most 3 items.")
    phones = []
    for item in raw:
        if not isinstance(item, dict):
            raise bad_request("phone_numbers items must be objects.")
        number = opt_str(item, "phone_number", 25, min_len=1)
        kind = one_of(item, "kind", ("home", "work", "mobile", "other")) or "other"
        phones.append(
            {
                "phone_number_id": new_id(),
                "phone_number": number,
                "kind": kind,
                "create_source": source,
                "update_source": source,
                "created_at": iso(now),
                "updated_at": iso(now),
            }
        )
    return phones


def street_address(item: object, now: dt.datetime) -> dict[str, Any]:
    """One validated street address (``kind`` required)."""
    if not isinstance(item, dict):
        raise bad_request("street_addresses items must be objects.")
    kind = one_of(item, "kind", ("home", "work", "other"))
    if kind is None:
        raise bad_request("street_addresses.kind is required.")
    address: dict[str, Any] = {"street_address_id": new_id(), "kind": kind}
    for field, max_len in (
        ("street", 255),
        ("city", 50),
        ("state", 50),
        ("postal_code", 50),
        ("country", 50),
    ):
        value = opt_str(item, field, max_len)
        if value is not None:
            address[field] = value
    address["created_at"] = address["updated_at"] = iso(now)
    return address


def _addresses(raw: object, now: dt.datetime) -> list[dict[str, Any]]:
    if not isinstance(raw, list) or len(raw) > 3:
        raise bad_request("street_addresses must be an array of at most 3 items.")
    return [street_address(item, now) for item in raw]


def _notes(raw: object, now: dt.datetime) -> list[dict[str, Any]]:
    if not isinstance(raw, list) or len(raw) > 150:
        raise bad_request("notes must be an array of at most 150 items.")
    notes = []
    for item in raw:
        if not isinstance(item, dict):
            raise bad_request("notes items must be objects.")
        content = opt_str(item, "content", 2000) or ""
        notes.append({"note_id": new_id(), "created_at": iso(now), "content": content})
    return notes


def _existing(account: Account, ids: list[str], kind: str) -> list[str]:
    table = account.lists if kind == "list_memberships" else account.tags
    for item_id in ids:
        found = table.get(item_id)
        if found is None or getattr(found, "deleted_at", None) is not None:
            raise bad_request(f"{kind} contains {item_id}, which does not exist.")
    return ids


def parse_scalars(body: dict[str, Any]) -> dict[str, Any]:
    """The top-level scalar fields of a contact body, validated (absent -> None)."""
    values: dict[str, Any] = {field: opt_str(body, field, 50) for field in _SCALARS}
    values["birthday_month"] = opt_int(body, "birthday_month", 1, 12)
    values["birthday_day"] = opt_int(body, "birthday_day", 1, 31)
    check_birthday(values["birthday_month"], values["birthday_day"])
    values["anniversary"] = check_anniversary(opt_str(body, "anniversary", 10))
    return values


def parse_email(body: dict[str, Any]) -> tuple[str, str | None] | None:
    """(address, permission_to_send or None) from ``email_address``, or None when absent."""
    raw = body.get("email_address")
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise bad_request("email_address must be an object with an address.")
    address = raw.get("address")
    if not valid_email(address):
        raise bad_request("email_address.address is not a valid email address.")
    permission = one_of(raw, "permission_to_send", PERMISSIONS)
    return str(address), permission


def parse_subresources(
    account: Account, body: dict[str, Any], source: str, now: dt.datetime
) -> dict[str, Any]:
    """Validate the sub-resources present in ``body``; 400 naming the field. Nothing changes yet."""
    if body.get("sms_channel") is not None:
        raise bad_request("sms_channel is not supported by the simulator.")
    updates: dict[str, Any] = {}
    if body.get("custom_fields") is not None:
        updates["custom_fields"] = _custom_fields(account, body["custom_fields"])
        updates["custom_field_choices"] = _choices(body["custom_fields"])
    if body.get("phone_numbers") is not None:
        updates["phone_numbers"] = _phones(body["phone_numbers"], source, now)
    if body.get("street_addresses") is not None:
        updates["street_addresses"] = _addresses(body["street_addresses"], now)
    if body.get("notes") is not None:
        updates["notes"] = _notes(body["notes"], now)
    for kind in ("list_memberships", "taggings"):
        if body.get(kind) is not None:
            updates[kind] = _existing(account, uuid_list(body, kind, 50), kind)
    return updates


def apply_subresources(account: Account, contact: SimContact, updates: dict[str, Any]) -> None:
    """Replace the sub-resources in ``updates`` (from :func:`parse_subresources`); others stay."""
    lists = updates.pop("list_memberships", None)
    tags = updates.pop("taggings", None)
    for field, value in updates.items():
        setattr(contact, field, value)
    if lists is not None:
        for list_id in [i for i in contact.list_ids if i not in lists]:
            account.remove_membership(contact, list_id)
        for list_id in lists:
            account.add_membership(contact, list_id)
    if tags is not None:
        for tag_id in [i for i in contact.tag_ids if i not in tags]:
            account.remove_tagging(contact, tag_id)
        for tag_id in tags:
            account.add_tagging(contact, tag_id)


def opt_out_reason(body: dict[str, Any]) -> str | None:
    """``email_address.opt_out_reason`` (at most 255 characters), or None; 400 otherwise."""
    raw = body.get("email_address")
    return opt_str(raw, "opt_out_reason", 255) if isinstance(raw, dict) else None


def set_permission(
    contact: SimContact,
    permission: str,
    source: str,
    now: dt.datetime,
    reason: str | None = None,
) -> None:
    """Change the email permission as the account (or contact) ``source`` asked.

    ``reason`` is the ``opt_out_reason`` stored when the change unsubscribes the contact.
    """
    if permission == contact.permission_to_send:
        if permission == "unsubscribed" and reason is not None:
            contact.opt_out_reason = reason
        return
    if permission == "unsubscribed":
        contact.permission_to_send = permission
        contact.opt_out_source, contact.opt_out_date = source, now
        contact.opt_out_reason = reason
        return
    if contact.is_unsubscribed and contact.opt_out_source == "Contact" and source == "Account":
        # The account may not re-opt-in a contact who unsubscribed themselves (resubscribe only);
        # UNCONFIRMED whether the API ignores the change (as here) or answers 400/409.
        return
    contact.permission_to_send = permission
    contact.opt_out_source = contact.opt_out_date = contact.opt_out_reason = None
    if permission == "explicit":
        contact.opt_in_source, contact.opt_in_date = source, now
