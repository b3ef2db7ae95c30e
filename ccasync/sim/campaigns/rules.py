"""Validation of campaign request bodies (reference sections 9.2, 9.4-9.6); 400s name the field.

Error keys for campaign failures are UNCONFIRMED (reference 4.3): the simulator answers
``http.status.bad_request`` / ``http.status.not_found`` / ``http.status.conflict``, the keys seen on
the legacy campaign service ("Please enter an address", php-sdk issue 94).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import attrs

from .._http import ApiFailure, bad_request, is_uuid, parse_datetime
from .._validate import is_choice
from .records import Activity, CampaignAccount, SegmentAccount

BAD = "http.status.bad_request"
NOT_FOUND = "http.status.not_found"
CONFLICT = "http.status.conflict"
TOO_MANY = "http.status.too_many_requests"

NAME_MAX = 80
FROM_NAME_MAX = 100
EMAIL_MAX = 80
PREHEADER_MAX = 200
HTML_MAX = 150_000
TEST_ADDRESSES_MAX = 5
# The spec: the V3 API creates emails with format_type 4 (email editor) or 5 (custom code).
# UNCONFIRMED what a format 4 request with html_content becomes; the sim stores it as 5.
FORMAT_TYPES = frozenset({4, 5})
# Custom-code email must not contain template-engine sequences (reference 9.2, D-design).
FORBIDDEN_SEQUENCES = ("[#", "${", "<@")
_DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_FOOTER_REQUIRED = ("address_line1", "country_code", "organization_name")
_FOOTER_OPTIONAL = (
    "address_line2",
    "address_line3",
    "address_optional",
    "city",
    "postal_code",
    "state_code",
    "state_non_us_name",
)


def invalid(message: str) -> ApiFailure:
    """A 400 with the campaign service's (UNCONFIRMED) error key."""
    return bad_request(message, BAD)


def not_found(what: str) -> ApiFailure:
    """A 404 for an unknown or removed campaign/activity."""
    return ApiFailure(404, NOT_FOUND, f"{what} was not found.")


def conflict(message: str) -> ApiFailure:
    """A 409 with the array body."""
    return ApiFailure(409, CONFLICT, message)


def too_many(message: str) -> ApiFailure:
    """A 429 with the array body (the test-send daily cap; body shape UNCONFIRMED)."""
    return ApiFailure(429, TOO_MANY, message)


def require_object(body: Any) -> dict[str, Any]:
    """``body`` when it is a JSON object, else a 400."""
    if not isinstance(body, dict):
        raise invalid("The request body must be a JSON object.")
    return body


def text(body: dict[str, Any], field: str, *, max_len: int | None = None) -> str:
    """A required non-blank string field of at most ``max_len`` characters."""
    value = body.get(field)
    if not isinstance(value, str) or not value.strip():
        raise invalid(f"{field} is required and must be a non-empty string.")
    return _bounded(field, value, max_len)


def optional_text(body: dict[str, Any], field: str, *, max_len: int | None = None) -> str | None:
    """An optional string field (None when absent or null)."""
    value = body.get(field)
    if value is None:
        return None
    if not isinstance(value, str):
        raise invalid(f"{field} must be a string.")
    return _bounded(field, value, max_len)


def _bounded(field: str, value: str, max_len: int | None) -> str:
    if max_len is not None and len(value) > max_len:
        raise invalid(f"{field} must be at most {max_len} characters long.")
    return value


def campaign_name(body: dict[str, Any]) -> str:
    """The campaign ``name``: required, at most 80 characters."""
    return text(body, "name", max_len=NAME_MAX)


def sender(body: dict[str, Any], field: str, account: CampaignAccount) -> str:
    """``from_email``/``reply_to_email``: at most 80 characters and a CONFIRMED account email."""
    value = text(body, field, max_len=EMAIL_MAX)
    confirmed = {address.lower() for address in account.confirmed_emails()}
    if value.lower() not in confirmed:
        raise invalid(f"{field} {value} is not a confirmed email address of the account.")
    return value


def html_content(body: dict[str, Any]) -> str:
    """``html_content``: required, at most 150,000 characters, no template-engine sequences."""
    value = text(body, "html_content", max_len=HTML_MAX)
    for sequence in FORBIDDEN_SEQUENCES:
        if sequence in value:
            raise invalid(f"html_content must not contain the sequence {sequence!r}.")
    return value


def footer(value: Any, field: str = "physical_address_in_footer") -> dict[str, Any]:
    """A footer address; address_line1, country_code (alpha-2) and organization_name required."""
    if not isinstance(value, dict):
        raise invalid(f"{field} must be an object.")
    result = {key: text(value, key) for key in _FOOTER_REQUIRED}
    for key in _FOOTER_OPTIONAL:
        found = optional_text(value, key)
        if found is not None:
            result[key] = found
    code = result["country_code"]
    if len(code) != 2 or not code.isalpha() or not code.isupper():
        raise invalid(f"{field}.country_code must be an upper-case ISO-3166 alpha-2 code.")
    if code == "US" and not result.get("state_code"):
        raise invalid(f"{field}.state_code is required for US addresses.")
    return result


def account_footer(account: CampaignAccount) -> dict[str, Any]:
    """The footer from the account's physical address; 400 "Please enter an address" if none."""
    address = account.physical_address
    if not address:
        raise invalid("Please enter an address")
    result = {k: v for k, v in address.items() if k != "state_name" and v is not None}
    if address.get("state_name"):
        result["state_non_us_name"] = address["state_name"]
    result["organization_name"] = account.summary.get("organization_name") or ""
    return result


@attrs.frozen(kw_only=True)
class ActivityInput:
    """The validated fields of a campaign activity from POST /emails."""

    format_type: int
    from_name: str
    from_email: str
    reply_to_email: str
    subject: str
    html_content: str
    preheader: str | None
    physical_address: dict[str, Any]


def create_input(body: Any, account: CampaignAccount) -> tuple[str, ActivityInput]:
    """The name and single activity of a POST /emails body, validated (reference 9.2)."""
    data = require_object(body)
    name = campaign_name(data)
    activities = data.get("email_campaign_activities")
    if not isinstance(activities, list) or len(activities) != 1:
        raise invalid("email_campaign_activities must be an array with exactly one activity.")
    item = require_object(activities[0])
    return name, _activity_input(item, account)


def _activity_input(item: dict[str, Any], account: CampaignAccount) -> ActivityInput:
    format_type = item.get("format_type")
    if not isinstance(format_type, int) or not is_choice(format_type, FORMAT_TYPES):
        raise invalid("format_type is required and must be 4 or 5 (5 = custom code).")
    raw_footer = item.get("physical_address_in_footer")
    return ActivityInput(
        format_type=5,
        from_name=text(item, "from_name", max_len=FROM_NAME_MAX),
        from_email=sender(item, "from_email", account),
        reply_to_email=sender(item, "reply_to_email", account),
        subject=text(item, "subject"),
        html_content=html_content(item),
        preheader=optional_text(item, "preheader", max_len=PREHEADER_MAX),
        physical_address=account_footer(account) if raw_footer is None else footer(raw_footer),
    )


def recipients(body: dict[str, Any], account: CampaignAccount) -> tuple[list[str], list[int]]:
    """``contact_list_ids`` (existing lists) or ``segment_ids``, never both (reference 9.4).

    ``segment_ids`` holds one existing (not deleted) segment's integer id.
    """
    lists = body.get("contact_list_ids") or []
    segments = body.get("segment_ids") or []
    if not isinstance(lists, list) or not isinstance(segments, list):
        raise invalid("contact_list_ids and segment_ids must be arrays.")
    if lists and segments:
        raise invalid("contact_list_ids and segment_ids are mutually exclusive.")
    for list_id in lists:
        if not is_uuid(list_id) or not account.list_exists(str(list_id).lower()):
            raise invalid(f"contact_list_ids: the contact list {list_id} does not exist.")
    if segments:
        return [], [_segment(segments, account)]
    return list(dict.fromkeys(str(x).lower() for x in lists)), []


def _segment(segments: list[Any], account: CampaignAccount) -> int:
    segment_id = segments[0]
    if len(segments) != 1 or isinstance(segment_id, bool) or not isinstance(segment_id, int):
        raise invalid("segment_ids must hold exactly one integer segment id.")
    if not isinstance(account, SegmentAccount) or not account.segment_exists(segment_id):
        raise invalid(f"segment_ids: the segment {segment_id} does not exist.")
    return segment_id


def activity_changes(body: Any, account: CampaignAccount, current: Activity) -> dict[str, Any]:
    """The validated new attribute values of a PUT activity body (reference 9.4).

    Top-level properties are all replaced (omitted = cleared); the sub-resources html_content,
    physical_address_in_footer and document_properties change only when given, and then only the
    keys given.
    """
    data = require_object(body)
    lists, segments = recipients(data, account)
    changes: dict[str, Any] = {
        "from_name": text(data, "from_name", max_len=FROM_NAME_MAX),
        "from_email": sender(data, "from_email", account),
        "reply_to_email": sender(data, "reply_to_email", account),
        "subject": text(data, "subject"),
        "preheader": optional_text(data, "preheader", max_len=PREHEADER_MAX),
        "contact_list_ids": lists,
        "segment_ids": segments,
    }
    if data.get("html_content") is not None:
        changes["html_content"] = html_content(data)
    given_footer = _optional_object(data, "physical_address_in_footer")
    if given_footer is not None:
        changes["physical_address"] = footer({**current.physical_address, **given_footer})
    properties = _optional_object(data, "document_properties")
    if properties is not None:
        changes["document_properties"] = {**(current.document_properties or {}), **properties}
    return changes


def _optional_object(data: dict[str, Any], field: str) -> dict[str, Any] | None:
    value = data.get(field)
    if value is not None and not isinstance(value, dict):
        raise invalid(f"{field} must be an object.")
    return value


def schedule_date(body: Any, now: dt.datetime) -> dt.datetime | None:
    """The ``scheduled_date`` of a schedule request; None for ``"0"`` (send now).

    Date-only values mean 00:00 UTC of that day (UNCONFIRMED: the API's timezone for them is not
    documented). Dates before ``now`` are rejected with 400 (UNCONFIRMED: undocumented).
    """
    raw = require_object(body).get("scheduled_date")
    if not isinstance(raw, str) or not raw.strip():
        raise invalid("scheduled_date is required.")
    if raw.strip() == "0":
        return None
    text_value = raw.strip()
    if _DATE_ONLY.match(text_value):
        text_value += "T00:00:00Z"
    try:
        when = parse_datetime(text_value, "scheduled_date")
    except ApiFailure:
        raise invalid(f"scheduled_date is not a valid ISO-8601 date: {raw!r}") from None
    if when < now:
        raise invalid("scheduled_date must not be in the past.")
    return when.astimezone(dt.UTC)


@attrs.frozen
class ResendInput:
    """A validated non-opener resend request."""

    subject: str
    delay_minutes: int
    by_days: bool


def resend_input(body: Any) -> ResendInput:
    """``resend_subject`` plus ``delay_days`` (1-10) or else ``delay_minutes`` (720-14,400)."""
    data = require_object(body)
    subject = text(data, "resend_subject")
    days = data.get("delay_days")
    if days is not None:
        if not _int_in(days, 1, 10):
            raise invalid("delay_days must be an integer from 1 to 10.")
        return ResendInput(subject, days * 1440, True)
    minutes = data.get("delay_minutes")
    if minutes is None:
        raise invalid("delay_days or delay_minutes is required.")
    if not _int_in(minutes, 720, 14_400):
        raise invalid("delay_minutes must be an integer from 720 to 14400.")
    return ResendInput(subject, minutes, minutes % 1440 == 0)


def _int_in(value: Any, low: int, high: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


def parse_test_send(body: Any) -> tuple[tuple[str, ...], str | None]:
    """``email_addresses`` (1-5 valid addresses) and the optional ``personal_message``."""
    data = require_object(body)
    addresses = data.get("email_addresses")
    if not isinstance(addresses, list) or not addresses:
        raise invalid("email_addresses is required and must be a non-empty array.")
    if len(addresses) > TEST_ADDRESSES_MAX:
        raise invalid(f"email_addresses accepts at most {TEST_ADDRESSES_MAX} addresses.")
    for address in addresses:
        # Length first: the pattern backtracks, and a 40,000-character address took seconds.
        if not isinstance(address, str) or len(address) > EMAIL_MAX or not _EMAIL.match(address):
            raise invalid(f"email_addresses: {address!r} is not a valid email address.")
    return tuple(addresses), optional_text(data, "personal_message")
