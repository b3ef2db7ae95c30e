"""Bulk activity records (``/activities``) and the JSON import row (``JsonImportContact``).

Every bulk endpoint answers with an :class:`Activity`: an asynchronous job the API runs in the
background; poll it (``cc.activities.wait``) until :attr:`Activity.done`.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import attrs

from ccasync import _checks
from ccasync.errors import ValidationError
from ccasync.models.contacts import EMAIL_MAX, MAX_ADDRESSES, MAX_CUSTOM_FIELDS, check_birthday

TERMINAL_STATES = frozenset({"completed", "cancelled", "failed", "timed_out"})
"""States after which an activity never changes."""
STATES = frozenset({"initialized", "processing", *TERMINAL_STATES})
"""Every documented activity state."""
LISTABLE_STATES = frozenset({"processing", *TERMINAL_STATES})
"""Values of the ``state`` filter of ``GET /activities``."""

if TYPE_CHECKING:
    _ErrorTexts = list[str]
else:
    # The API sends strings, but ActivityGeneric sends ``[{"message": ...}]``: the converter must
    # hand items over untouched so the attrs converter below can turn both shapes into text.
    _ErrorTexts = list[Any]


def _error_texts(items: Any) -> list[str]:
    texts: list[str] = []
    for item in items or ():
        if isinstance(item, str):
            texts.append(item)
        elif isinstance(item, Mapping):
            message = item.get("message") or item.get("error_message")
            if message:
                texts.append(str(message))
        else:
            texts.append(str(item))
    return texts


@attrs.define(kw_only=True)
class ActivityStatus:
    """Counters of an activity; which ones are present depends on the kind of job.

    Imports: ``items_total_count`` (rows incl. header), ``person_count``, ``error_count``
    (non-correctable), ``correctable_count``, ``cannot_add_to_list_count`` (previously
    unsubscribed). Memberships, deletes, exports, tags: ``items_total_count``,
    ``items_completed_count``; list operations also ``list_count``.
    """

    items_total_count: int | None = None
    items_completed_count: int | None = None
    person_count: int | None = None
    error_count: int | None = None
    correctable_count: int | None = None
    cannot_add_to_list_count: int | None = None
    list_count: int | None = None
    extra: dict[str, Any] = attrs.field(factory=dict, repr=False)


@attrs.define(kw_only=True)
class Activity:
    """A bulk job: ``state`` goes ``initialized`` → ``processing`` → a terminal state.

    ``activity_errors`` is a list of texts (empty when none). ``activity_id`` is always set: a
    ``DELETE /contact_lists`` answer may lack it, and the resources then take it from the self
    link or the ``Location`` header. The ``_links`` object stays in ``extra``; read it through
    :attr:`links`.
    """

    activity_id: str
    state: str | None = None
    percent_done: int | None = None
    activity_errors: _ErrorTexts = attrs.field(factory=list, converter=_error_texts)
    status: ActivityStatus | None = None
    created_at: dt.datetime | None = None
    updated_at: dt.datetime | None = None
    started_at: dt.datetime | None = None
    completed_at: dt.datetime | None = None
    source_file_name: str | None = None
    extra: dict[str, Any] = attrs.field(factory=dict, repr=False)

    @property
    def links(self) -> dict[str, Any]:
        """The activity's ``_links`` object (``self``, and ``results`` for exports)."""
        links = self.extra.get("_links")
        return links if isinstance(links, dict) else {}

    @property
    def self_href(self) -> str | None:
        """``_links.self.href`` (``/v3/activities/{id}``), if sent."""
        return _link_href(self.extra, "self")

    @property
    def results_href(self) -> str | None:
        """``_links.results.href`` of an export (the CSV to download), if sent."""
        return _link_href(self.extra, "results")

    @property
    def done(self) -> bool:
        """True once ``state`` is terminal (completed, cancelled, failed, timed_out)."""
        return self.state in TERMINAL_STATES

    @property
    def succeeded(self) -> bool:
        """True when ``state`` is ``completed``."""
        return self.state == "completed"


def _link_href(data: Mapping[str, Any], name: str) -> str | None:
    """``data["_links"][name]["href"]`` when it is a non-empty string, else None.

    ``data`` is a bulk answer's JSON object (or an :class:`Activity`'s ``extra``).
    """
    links = data.get("_links")
    link = links.get(name) if isinstance(links, Mapping) else None
    href = link.get("href") if isinstance(link, Mapping) else None
    return href if isinstance(href, str) and href else None


def activity_id_from_href(href: str | None) -> str | None:
    """The activity id at the end of ``/v3/activities/{id}`` (or a ``Location`` header)."""
    if not href:
        return None
    tail = href.rstrip("/").rsplit("/", 1)[-1].split("?", 1)[0]
    return tail if _checks.is_uuid(tail) else None


def with_activity_id(data: Any, location: str | None) -> Any:
    """A bulk answer's JSON with ``activity_id`` taken from its self link or ``location``.

    ``DELETE /contact_lists/{id}`` documents its 202 body without ``activity_id``. Data that
    already has one, or where neither source names one, is returned unchanged (structuring it
    as :class:`Activity` then raises DecodeError naming ``activity_id``).
    """
    if not isinstance(data, Mapping) or data.get("activity_id") is not None:
        return data
    found = activity_id_from_href(_link_href(data, "self")) or activity_id_from_href(location)
    return data if found is None else {**data, "activity_id": found}


# --- JSON import rows -------------------------------------------------------------------------

NAME_KEYS = ("first_name", "last_name", "job_title", "company_name")
"""Import keys of ≤50-character name fields."""
PHONE_KEYS = ("phone", "home_phone", "work_phone", "mobile_phone", "other_phone")
"""Import keys of phone numbers (``phone`` is kind *other*)."""
ADDRESS_PARTS = ("street", "street2", "city", "state", "zip", "country")
"""Parts of an imported address."""
ADDRESS_PREFIXES = ("", "home_", "work_", "other_")
"""Address key prefixes: the primary (home) address, then home, work and other."""
IMPORT_KEYS = frozenset(
    {
        "email",
        "birthday_month",
        "birthday_day",
        "anniversary",
        "sms_number",
        "sms_consent_date",
        *NAME_KEYS,
        *PHONE_KEYS,
        *(prefix + part for prefix in ADDRESS_PREFIXES for part in ADDRESS_PARTS),
    }
)
"""Every key a ``contacts_json_import`` row may carry, besides ``cf:<custom field name>``."""
CUSTOM_FIELD_PREFIX = "cf:"
"""Prefix of an import key naming a custom field (``cf:<custom field name>``)."""
MAX_IMPORT_ROWS = 40_000
"""Contacts per import call (the API silently drops the rest)."""
MAX_IMPORT_BYTES = 4_000_000
"""Body size limit of an import call (the API silently drops bytes beyond 4 MB)."""
MAX_IMPORT_PHONES = 3
"""Phone numbers per imported contact."""
_ANNIVERSARY = re.compile(
    r"\d{1,2}/\d{1,2}/\d{4}|\d{4}/\d{1,2}/\d{1,2}|\d{4}-\d{1,2}-\d{1,2}|\d{1,2}-\d{1,2}-\d{4}"
)


@attrs.define(kw_only=True)
class JsonImportContact:
    """One row of ``POST /activities/contacts_json_import``, keyed by email (or SMS number).

    The common keys are attributes; ``custom_fields`` maps a custom field's ``name`` to its
    value (sent as ``"cf:<name>"``; the field must exist); ``extra`` carries any other import
    key (``home_phone``, ``work_street``, ``other_city``…). Build one from a plain dict with
    :meth:`from_mapping`; :meth:`to_json` gives the wire form.
    """

    email: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    job_title: str | None = None
    company_name: str | None = None
    birthday_month: int | None = None
    birthday_day: int | None = None
    anniversary: str | None = None
    phone: str | None = None
    street: str | None = None
    street2: str | None = None
    city: str | None = None
    state: str | None = None
    zip: str | None = None
    country: str | None = None
    sms_number: str | None = None
    sms_consent_date: str | None = None
    custom_fields: dict[str, str] = attrs.field(factory=dict)
    extra: dict[str, Any] = attrs.field(factory=dict)

    def to_json(self) -> dict[str, Any]:
        """The row as the API expects it: flat keys, ``cf:<name>`` custom fields, no Nones."""
        out: dict[str, Any] = {}
        for field in attrs.fields(JsonImportContact):
            value = getattr(self, field.name)
            if field.name not in ("custom_fields", "extra") and value is not None:
                out[field.name] = value
        out.update({k: v for k, v in self.extra.items() if v is not None})
        out.update({CUSTOM_FIELD_PREFIX + k: v for k, v in self.custom_fields.items()})
        return out

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> JsonImportContact:
        """Build a row from flat import keys (``cf:<name>`` keys become ``custom_fields``)."""
        known = {f.name for f in attrs.fields(cls)} - {"custom_fields", "extra"}
        kwargs = {k: v for k, v in data.items() if k in known}
        fields = {
            k[len(CUSTOM_FIELD_PREFIX) :]: v
            for k, v in data.items()
            if k.startswith(CUSTOM_FIELD_PREFIX)
        }
        extra = {
            k: v
            for k, v in data.items()
            if k not in known and not k.startswith(CUSTOM_FIELD_PREFIX)
        }
        return cls(**kwargs, custom_fields=fields, extra=extra)


def check_import_row(data: Mapping[str, Any], *, row: int | None = None) -> None:
    """Validate one flat import row (the output of :meth:`JsonImportContact.to_json`).

    Rules: only known keys or ``cf:<name>``; ``email`` or ``sms_number`` required; email ≤80
    chars (UNCONFIRMED: the schema says 50 for imports, 80 for contacts; 80 is enforced),
    names ≤50, phones ≤50 and at most 3, streets ≤255, other address parts ≤50, at most 3
    addresses, ≤25 custom fields with values ≤255, ``sms_number`` ≤16, birthday month 1-12 and
    day 1-31 together, anniversary in a documented date format. ``row`` is 1-based.
    """
    for key in data:
        if key not in IMPORT_KEYS and not key.startswith(CUSTOM_FIELD_PREFIX):
            raise ValidationError(key, "is not a contacts_json_import key", row=row)
    if not data.get("email") and not data.get("sms_number"):
        raise ValidationError("email", "email or sms_number is required", row=row)
    _checks.check_length("email", data.get("email"), max_len=EMAIL_MAX, row=row)
    _checks.check_length("sms_number", data.get("sms_number"), max_len=16, row=row)
    for key in NAME_KEYS:
        _checks.check_length(key, data.get(key), max_len=50, row=row)
    check_birthday(data.get("birthday_month"), data.get("birthday_day"), row=row)
    _check_anniversary(data.get("anniversary"), row)
    _check_import_phones(data, row)
    _check_import_addresses(data, row)
    _check_import_custom_fields(data, row)


def _check_anniversary(value: Any, row: int | None) -> None:
    if value is not None and not (isinstance(value, str) and _ANNIVERSARY.fullmatch(value)):
        raise ValidationError(
            "anniversary", "must be a date like YYYY-MM-DD or MM/DD/YYYY", row=row, value=value
        )


def _check_import_phones(data: Mapping[str, Any], row: int | None) -> None:
    present = [k for k in PHONE_KEYS if data.get(k)]
    if len(present) > MAX_IMPORT_PHONES:
        raise ValidationError("phone", f"at most {MAX_IMPORT_PHONES} phone numbers", row=row)
    for key in present:
        _checks.check_length(key, data[key], max_len=50, row=row)


def _check_import_addresses(data: Mapping[str, Any], row: int | None) -> None:
    used = [p for p in ADDRESS_PREFIXES if any(data.get(p + part) for part in ADDRESS_PARTS)]
    if len(used) > MAX_ADDRESSES:
        raise ValidationError("street", f"at most {MAX_ADDRESSES} addresses", row=row)
    for prefix in used:
        for part in ADDRESS_PARTS:
            limit = 255 if part.startswith("street") else 50
            _checks.check_length(prefix + part, data.get(prefix + part), max_len=limit, row=row)


def _check_import_custom_fields(data: Mapping[str, Any], row: int | None) -> None:
    keys = [k for k in data if k.startswith(CUSTOM_FIELD_PREFIX)]
    if len(keys) > MAX_CUSTOM_FIELDS:
        raise ValidationError(
            "custom_fields", f"at most {MAX_CUSTOM_FIELDS} custom fields per contact", row=row
        )
    for key in keys:
        if len(key) == len(CUSTOM_FIELD_PREFIX):
            raise ValidationError(key, "custom field name is empty", row=row)
        value = data[key]
        _checks.check_length(key, value if isinstance(value, str) else None, max_len=255, row=row)
