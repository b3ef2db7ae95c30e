"""Per-row validation of contacts to import: keys, lengths, custom fields, email syntax.

Limits follow the JSON import schema (reference §8.2): names, phones, city/state/zip/country
≤ 50 characters, the email ≤ 80 (see MAX_LENGTHS), streets ≤ 255, custom field values ≤ 255,
``sms_number`` ≤ 16, at most 25 custom fields, 3 phones and 3 addresses per contact (§8.1).
"""

from __future__ import annotations

import functools
from array import array
from collections.abc import Mapping
from typing import Any

from email_validator import EmailNotValidError, validate_email
from email_validator.syntax import validate_email_local_part

from ccasync.models.contacts import EMAIL_MAX
from ccasync.ops.results import RowIssue

MAX_CUSTOM_FIELDS = 25
MAX_PHONES = 3
MAX_ADDRESSES = 3
CF_PREFIX = "cf:"

_ADDRESS_PARTS = {"street": 255, "street2": 255, "city": 50, "state": 50, "zip": 50, "country": 50}
_ADDRESS_PREFIXES = ("", "home_", "work_", "other_")
PHONE_KEYS = ("phone", "home_phone", "work_phone", "mobile_phone", "other_phone")

MAX_LENGTHS: dict[str, int] = {
    # UNCONFIRMED: the JsonImportContact schema says 50 for email, the contact schema 80; the
    # project enforces 80 everywhere (models.contacts.EMAIL_MAX), as the simulator does.
    "email": EMAIL_MAX,
    "first_name": 50,
    "last_name": 50,
    "job_title": 50,
    "company_name": 50,
    "anniversary": 50,
    "sms_number": 16,
    "sms_consent_date": 50,
    **{key: 50 for key in PHONE_KEYS},
    **{p + part: n for p in _ADDRESS_PREFIXES for part, n in _ADDRESS_PARTS.items()},
}
"""Every standard import key with its maximum length (UNCONFIRMED for anniversary and
sms_consent_date, which the schema leaves open: 50 is a generous bound for a date)."""

INT_KEYS = {"birthday_month": (1, 12), "birthday_day": (1, 31)}
STANDARD_KEYS = frozenset(MAX_LENGTHS) | frozenset(INT_KEYS)
_CF_MAX = 255


@functools.lru_cache(maxsize=4096)
def _domain(domain: str) -> str:
    # Domain checks are ~70% of email-validator's cost and domains repeat a lot: cache them.
    return validate_email("x@" + domain, check_deliverability=False).domain


def normalize_email(address: str) -> str:
    """The address as email-validator normalizes it; raises ``EmailNotValidError``.

    Plain addresses take a fast path (local part checked by email-validator's own local-part
    validator, domain result cached); quoted local parts and domain literals take the full path.
    """
    local, at, domain = address.rpartition("@")
    if not at or '"' in address or "[" in domain:
        return validate_email(address, check_deliverability=False).normalized
    checked = validate_email_local_part(local, allow_smtputf8=True, allow_empty_local=False)
    return f"{checked['local_part']}@{_domain(domain)}"


_TEXT, _EMAIL, _INT, _CF, _BAD_KEY, _BAD_CF = range(6)
_MAX_SPECS = 10_000
Spec = tuple[str, int, int, str]
"""(output key, kind, max length, key as shown in issues)."""


def _standard_spec(key: str) -> Spec:
    low = key.lower()
    if low in INT_KEYS:
        return low, _INT, 0, low
    if low == "email":
        return low, _EMAIL, MAX_LENGTHS[low], low
    limit = MAX_LENGTHS.get(low)
    if limit is None:
        return key, _BAD_KEY, 0, key
    return low, _TEXT, limit, low


class RowChecker:
    """Turns one input record into clean import keys, or a :class:`RowIssue`.

    ``custom_fields`` maps each known custom field name, case-folded, to its exact name; a
    ``cf:<name>`` key is accepted when ``<name>`` matches one of them. Empty values (None or
    blank strings) count as absent: an import cannot blank a field. What each input key means is
    worked out once per distinct key and cached (the hot loop runs once per cell).
    """

    def __init__(self, custom_fields: Mapping[str, str]) -> None:
        self._custom_fields = dict(custom_fields)
        self._specs: dict[str, Spec] = {}

    def _compile(self, raw_key: str) -> Spec:
        key = raw_key.strip()
        if key[:3].lower() == CF_PREFIX:
            name = self._custom_fields.get(key[3:].strip().casefold())
            if name is None:
                spec: Spec = (key, _BAD_CF, 0, key)
            else:
                spec = (CF_PREFIX + name, _CF, _CF_MAX, key)
        else:
            spec = _standard_spec(key)
        if len(self._specs) < _MAX_SPECS:
            self._specs[raw_key] = spec
        return spec

    def check(self, row: int, record: Mapping[str, Any]) -> dict[str, Any] | RowIssue:
        """Clean ``record`` (input row ``row``) or say what is wrong with it."""
        specs = self._specs
        clean: dict[str, Any] = {}
        for raw_key, value in record.items():
            if value is None or value == "":
                continue
            spec = specs.get(raw_key) or self._compile(raw_key)
            kind = spec[1]
            if kind in (_TEXT, _CF):
                text = value.strip() if type(value) is str else str(value).strip()
                if not text:
                    continue
                if len(text) > spec[2]:
                    return _too_long(row, spec, text)
                clean[spec[0]] = text
            elif kind == _EMAIL:
                issue = _email(row, spec, value, clean)
                if issue is not None:
                    return issue
            elif kind == _INT:
                issue = _whole_number(row, spec, value, clean)
                if issue is not None:
                    return issue
            else:
                reason = (
                    "unknown import key"
                    if kind == _BAD_KEY
                    else "unknown custom field (create it first)"
                )
                return RowIssue(row, spec[3], reason)
        return _whole_row(row, clean)


def _too_long(row: int, spec: Spec, text: str) -> RowIssue:
    return RowIssue(row, spec[3], f"longer than {spec[2]} characters ({len(text)})")


def _email(row: int, spec: Spec, value: Any, clean: dict[str, Any]) -> RowIssue | None:
    text = str(value).strip()
    if not text:
        return None
    try:
        text = normalize_email(text)
    except EmailNotValidError as exc:
        return RowIssue(row, spec[3], f"invalid email address: {exc}", text)
    if len(text) > spec[2]:
        return _too_long(row, spec, text)
    clean[spec[0]] = text
    return None


def _whole_number(row: int, spec: Spec, value: Any, clean: dict[str, Any]) -> RowIssue | None:
    low, high = INT_KEYS[spec[0]]
    try:
        number = int(str(value).strip())
    except ValueError:
        return RowIssue(row, spec[3], "not a whole number")
    if not low <= number <= high:
        return RowIssue(row, spec[3], f"must be within {low}..{high}")
    clean[spec[0]] = number
    return None


_PHONES = frozenset(PHONE_KEYS)
_ADDRESS_GROUPS = tuple(frozenset(p + part for part in _ADDRESS_PARTS) for p in _ADDRESS_PREFIXES)


def _whole_row(row: int, clean: dict[str, Any]) -> dict[str, Any] | RowIssue:
    # Set operations run in C: cheaper than counting cell by cell in the hot loop.
    if "email" not in clean and "sms_number" not in clean:
        return RowIssue(row, "email", "missing email address")
    if len(clean) - len(STANDARD_KEYS.intersection(clean)) > MAX_CUSTOM_FIELDS:
        return RowIssue(row, "custom_fields", f"more than {MAX_CUSTOM_FIELDS} custom fields")
    if len(_PHONES.intersection(clean)) > MAX_PHONES:
        return RowIssue(row, "phone", f"more than {MAX_PHONES} phone numbers")
    if sum(not group.isdisjoint(clean) for group in _ADDRESS_GROUPS) > MAX_ADDRESSES:
        return RowIssue(row, "street", f"more than {MAX_ADDRESSES} addresses")
    return clean


def row_key(clean: Mapping[str, Any]) -> str:
    """The upsert key of a clean row: the email (case-folded), else the SMS number."""
    email = clean.get("email")
    return email.casefold() if email else "sms:" + str(clean.get("sms_number"))


class SeenKeys:
    """A set of 64-bit hashes of keys in one flat array: at most 16 bytes per distinct key.

    Used to reject duplicates across a whole input without keeping every email. Two different
    keys sharing a 64-bit hash (odds about n²/2⁶⁵: 3e-8 for a million keys) would make the second
    one look like a duplicate; it is then reported as rejected, never dropped silently.
    """

    def __init__(self) -> None:
        self._slots: array[int] = array("Q", bytes(8 * 1024))
        self._count = 0

    def __len__(self) -> int:
        return self._count

    def add(self, key: str) -> bool:
        """Add ``key``; False when it was already there."""
        code = (hash(key) & 0xFFFF_FFFF_FFFF_FFFF) or 1
        if not self._insert(self._slots, code):
            return False
        self._count += 1
        if self._count * 2 > len(self._slots):
            self._grow()
        return True

    @staticmethod
    def _insert(slots: array[int], code: int) -> bool:
        mask = len(slots) - 1
        index = code & mask
        while True:
            found = slots[index]
            if found == 0:
                slots[index] = code
                return True
            if found == code:
                return False
            index = (index + 1) & mask

    def _grow(self) -> None:
        bigger: array[int] = array("Q", bytes(16 * len(self._slots)))
        for code in self._slots:
            if code:
                self._insert(bigger, code)
        self._slots = bigger
