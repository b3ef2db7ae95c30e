"""Applying one import row (JSON object or CSV line) to an account: upsert by email.

New contacts get permission ``implicit`` and opt_in_source ``Account``; existing ones change only
the supplied properties (permission unchanged) and are revived if deleted (UNCONFIRMED); an
unsubscribed contact is never added to the lists (``cannot_add_to_list_count``). Bad rows are
counted as correctable and described in ``activity_errors`` as "Row N: <reason>" (UNCONFIRMED:
the real API returns only counts and free-text errors; the wording is the simulator's).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

from .._http import new_id
from .._state import Account
from .._validate import valid_email

NAME_FIELDS = ("first_name", "last_name", "job_title", "company_name")
PHONE_KINDS = {
    "phone": "other",
    "home_phone": "home",
    "work_phone": "work",
    "mobile_phone": "mobile",
    "other_phone": "other",
}
ADDRESS_PARTS = ("street", "street2", "city", "state", "zip", "country")
_ANNIVERSARY = re.compile(
    r"^(\d{1,2}/\d{1,2}/\d{4}|\d{4}/\d{1,2}/\d{1,2}|\d{4}-\d{1,2}-\d{1,2}|\d{1,2}-\d{1,2}-\d{4})$"
)
PHONE_KEYS = frozenset(PHONE_KINDS)
ADDRESS_KEYS = frozenset(
    [
        *ADDRESS_PARTS,
        *(f"{kind}_{part}" for kind in ("home", "work", "other") for part in ADDRESS_PARTS),
    ]
)
KNOWN_KEYS = frozenset(
    [
        "email",
        "sms_number",
        "sms_consent_date",
        "birthday_month",
        "birthday_day",
        "anniversary",
        *NAME_FIELDS,
        *PHONE_KINDS,
        *ADDRESS_PARTS,
    ]
    + [f"{kind}_{part}" for kind in ("home", "work", "other") for part in ADDRESS_PARTS]
)
MAX_ERRORS = 1000
MAX_CELL = 4096
"""Longest text the simulator reads from one import cell before refusing the row: every field
the API accepts is far shorter (custom fields 255), and the bound comes before any parsing."""
MAX_NUMBER = 10**15


class RowError(Exception):
    """A correctable problem with one row."""


class RowApplier:
    """Applies rows to ``account`` and keeps the import's counters and error strings."""

    def __init__(
        self, account: Account, list_ids: list[str], now: Callable[[], dt.datetime]
    ) -> None:
        """Rows join ``list_ids``; ``now`` gives the simulated time of each change."""
        self.account = account
        self.list_ids = list_ids
        self.now = now
        self.fields_by_name = {f.name: f.custom_field_id for f in account.custom_fields.values()}
        self.errors: list[str] = []
        self.person_count = 0
        self.error_count = 0
        self.correctable_count = 0
        self.cannot_add_to_list_count = 0

    def _error(self, row_number: int, reason: str) -> None:
        if len(self.errors) < MAX_ERRORS:
            self.errors.append(f"Row {row_number}: {reason}")

    def apply_many(self, rows: list[dict[str, Any]], first_number: int) -> None:
        """Upsert ``rows`` (numbered from ``first_number``) at the current simulated time."""
        now = self.now()
        for offset, row in enumerate(rows):
            self.apply(row, first_number + offset, now)

    def apply(self, row: dict[str, Any], row_number: int, now: dt.datetime) -> None:
        """Upsert one row; problems are counted, never raised."""
        try:
            self._apply(row, row_number, now)
        except RowError as exc:
            self.correctable_count += 1
            self._error(row_number, str(exc))

    def _apply(self, row: dict[str, Any], row_number: int, now: dt.datetime) -> None:
        email = _text(row.get("email"), "email")
        if not email:
            if row.get("sms_number"):
                raise RowError("sms_number imports are not supported by the simulator")
            raise RowError("missing email address")
        if not valid_email(email):
            raise RowError(f"invalid email address {email!r}")
        keys = row.keys()
        values = _scalars(row)
        custom = (
            self._custom_fields(row, keys - KNOWN_KEYS, row_number) if keys - KNOWN_KEYS else {}
        )
        account = self.account
        contact = account.find_email(email)
        if contact is None:
            contact = account.create_contact(email, now)
        contact.deleted_at = None
        for field, value in values.items():
            setattr(contact, field, value)
        if custom:
            contact.custom_fields.update(custom)
        if not PHONE_KEYS.isdisjoint(keys):
            _phones(contact.phone_numbers, row, now)
        if not ADDRESS_KEYS.isdisjoint(keys):
            _addresses(contact.street_addresses, row, now)
        contact.updated_at = now
        self.person_count += 1
        if contact.is_unsubscribed:
            self.cannot_add_to_list_count += 1
            return
        for list_id in self.list_ids:
            if account.list_exists(list_id) and not account.add_membership(contact, list_id):
                self._error(row_number, f"{email} is already on 50 lists")

    def _custom_fields(
        self, row: dict[str, Any], extra: set[str], row_number: int
    ) -> dict[str, str]:
        custom: dict[str, str] = {}
        for key in sorted(extra):
            raw = row[key]
            if not key.startswith("cf:"):
                self._error(row_number, f"unknown column {key!r} ignored")
                continue
            field_id = self.fields_by_name.get(key[3:])
            if field_id is None:
                self._error(row_number, f"custom field {key!r} does not exist; value ignored")
                continue
            value = _text(raw, key)
            if len(value) > 255:
                raise RowError(f"{key} is longer than 255 characters")
            custom[field_id] = value
        if len(custom) > 25:
            raise RowError("more than 25 custom fields")
        return custom


def _text(value: Any, field: str) -> str:
    """A cell as stripped text; a row error for nested values, huge numbers or huge strings.

    JSON rows may carry any JSON type: only strings and (modest) numbers are cell values.
    """
    if value is None:
        return ""
    if isinstance(value, str):
        if len(value) > MAX_CELL:
            raise RowError(f"{field} is longer than {MAX_CELL} characters")
        return value.strip()
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise RowError(f"{field} must be a text value, not {type(value).__name__}")
    if not -MAX_NUMBER < value < MAX_NUMBER:
        raise RowError(f"{field} is out of range")
    return str(value)


def _scalars(row: dict[str, Any]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for field in NAME_FIELDS:
        if field in row:
            text = _text(row[field], field)
            if len(text) > 50:
                raise RowError(f"{field} is longer than 50 characters")
            values[field] = text or None
    if "birthday_month" in row or "birthday_day" in row:
        month = _int(row.get("birthday_month"), "birthday_month", 12)
        day = _int(row.get("birthday_day"), "birthday_day", 31)
        if (month is None) != (day is None):
            raise RowError("birthday_month and birthday_day must be given together")
        values["birthday_month"], values["birthday_day"] = month, day
    if row.get("anniversary"):
        text = _text(row["anniversary"], "anniversary")
        if len(text) > 10 or not _ANNIVERSARY.match(text):
            raise RowError(f"invalid anniversary {text!r}")
        values["anniversary"] = text
    return values


def _int(value: Any, field: str, high: int) -> int | None:
    text = _text(value, field)
    if not text:
        return None
    # ASCII and short before int(): "²".isdigit() is True, and int() refuses 4,300+ digits.
    if not (text.isascii() and text.isdigit() and len(text) <= 2) or not 1 <= int(text) <= high:
        raise RowError(f"invalid birthday value {text!r}")
    return int(text)


def _phones(phones: list[dict[str, Any]], row: dict[str, Any], now: dt.datetime) -> None:
    for key, kind in PHONE_KINDS.items():
        number = _text(row.get(key), key)
        if not number:
            continue
        if len(number) > 50:
            raise RowError(f"{key} is longer than 50 characters")
        existing = next((p for p in phones if p["kind"] == kind), None)
        if existing is not None:
            existing["phone_number"] = number
        elif len(phones) < 3:
            phones.append({"phone_number_id": new_id(), "phone_number": number, "kind": kind})


def _addresses(addresses: list[dict[str, Any]], row: dict[str, Any], now: dt.datetime) -> None:
    for prefix, kind in (("", "home"), ("home_", "home"), ("work_", "work"), ("other_", "other")):
        parts = {p: _text(row.get(prefix + p), prefix + p) for p in ADDRESS_PARTS}
        if not any(parts.values()):
            continue
        street = " ".join(s for s in (parts["street"], parts["street2"]) if s)
        if len(street) > 255 or any(
            len(parts[p]) > 50 for p in ("city", "state", "zip", "country")
        ):
            raise RowError(f"{prefix or 'street '}address is too long")
        address = {
            "kind": kind,
            "street": street,
            "city": parts["city"],
            "state": parts["state"],
            "postal_code": parts["zip"],
            "country": parts["country"],
        }
        existing = next((a for a in addresses if a["kind"] == kind), None)
        if existing is not None:
            existing.update(address)
        elif len(addresses) < 3:
            addresses.append({"street_address_id": new_id(), **address})
