"""Filling Constant Contact personalization ("variable") tags for one recipient.

Syntax, from Constant Contact's knowledge base (article 000048289, "Using variable tags in
Constant Contact email, landing page, and SMS editors") and the developer guide's custom-code
email page: ``[[FirstName]]``, tag names not case-sensitive, with fallback text used when the
value is empty: ``[[FirstName OR "Friend"]]`` (straight or curly quotes). Tags work in the
subject, preheader and body.

Contact tags filled: FirstName, LastName, EmailAddress, CompanyName, JobTitle (the knowledge
base's names), and AddressLine1, City, StateName, PostalCode, Country, Anniversary, Birthday,
HomePhone, WorkPhone, CellPhone (UNCONFIRMED names). MiddleName, Prefix and Department are
real tags the simulator keeps no data for: they give their fallback (or nothing). Custom fields
by their ``name`` (``[[Member_Code]]``) or as ``[[cf:Member_Code]]`` (UNCONFIRMED: the exact
custom-field tag syntax is not in the references the simulator follows). ``[[trackingImage]]``
becomes a 1x1 image. Any other tag is left as written (UNCONFIRMED: the real service may refuse
the send instead), so a misspelt tag is visible in the outbox.

The scanner is linear (``str.find``, no regular expression): bodies reach 150,000 characters.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping

from ..contacts.records import SimContact

_OPEN, _CLOSE = "[[", "]]"
_MAX_TAG = 300
_QUOTES = "\"'“”‘’"  # the straight and curly quotes around fallback text
_EMPTY_TAGS = frozenset({"middlename", "prefix", "department"})
_PHONE_TAGS = {"homephone": "home", "workphone": "work", "cellphone": "mobile"}


def contact_values(contact: SimContact, custom_names: Mapping[str, str]) -> dict[str, str]:
    """The tag values (lower-case tag -> text) of ``contact``.

    ``custom_names`` maps custom_field_id -> the field's ``name``.
    """
    values = {
        "firstname": contact.first_name or "",
        "lastname": contact.last_name or "",
        "emailaddress": contact.email or "",
        "companyname": contact.company_name or "",
        "jobtitle": contact.job_title or "",
        "anniversary": contact.anniversary or "",
    }
    if contact.birthday_month and contact.birthday_day:
        values["birthday"] = f"{contact.birthday_month}/{contact.birthday_day}"
    if contact.street_addresses:
        address = contact.street_addresses[0]
        values |= {
            "addressline1": address.get("street") or "",
            "city": address.get("city") or "",
            "statename": address.get("state") or "",
            "postalcode": address.get("postal_code") or "",
            "country": address.get("country") or "",
        }
    for phone in contact.phone_numbers:
        for tag, kind in _PHONE_TAGS.items():
            if phone.get("kind") == kind:
                values[tag] = phone.get("phone_number") or ""
    for field_id, value in contact.custom_fields.items():
        name = custom_names.get(field_id)
        if name is not None:
            values[name.lower()] = value
            values["cf:" + name.lower()] = value
    return values


def owner_values(summary: Mapping[str, object], custom_names: Iterable[str] = ()) -> dict[str, str]:
    """Tag values for a test send or preview: the account owner's own details (per the KB).

    The owner has no custom field values: the account's custom fields (``custom_names``) are
    known tags that render empty (or their fallback).
    """
    values = {
        "firstname": str(summary.get("first_name") or ""),
        "lastname": str(summary.get("last_name") or ""),
        "emailaddress": str(summary.get("contact_email") or ""),
        "companyname": str(summary.get("organization_name") or ""),
    }
    for name in custom_names:
        values[name.lower()] = values["cf:" + name.lower()] = ""
    return values


def fill(text: str, values: Mapping[str, str], *, as_html: bool, tracking: str = "") -> str:
    """``text`` with every known tag replaced (values HTML-escaped when ``as_html``).

    ``tracking`` is the image URL ``[[trackingImage]]`` becomes (dropped when empty).
    """
    out: list[str] = []
    position = 0
    while (start := text.find(_OPEN, position)) != -1:
        end = text.find(_CLOSE, start + 2, start + 2 + _MAX_TAG)
        if end == -1:
            out.append(text[position : start + 2])
            position = start + 2
            continue
        out.append(text[position:start])
        out.append(_replace(text[start : end + 2], values, as_html, tracking))
        position = end + 2
    out.append(text[position:])
    return "".join(out)


def _replace(tag: str, values: Mapping[str, str], as_html: bool, tracking: str) -> str:
    name, fallback = _parse(tag[2:-2])
    if name == "trackingimage":
        if not tracking or not as_html:
            return ""
        return f'<img src="{html.escape(tracking)}" width="1" height="1" alt="" />'
    if name not in values and name not in _EMPTY_TAGS:
        return tag
    value = values.get(name, "") or fallback
    return html.escape(value) if as_html else value


def _parse(inner: str) -> tuple[str, str]:
    """(lower-case tag name, fallback text) of a tag's inside: ``Name OR "fallback"``."""
    head, sep, tail = inner.partition(" OR ")
    if not sep:
        head, sep, tail = inner.partition(" or ")
    fallback = tail.strip()
    if len(fallback) >= 2 and fallback[0] in _QUOTES and fallback[-1] in _QUOTES:
        fallback = fallback[1:-1]
    return head.strip().lower(), fallback
