"""Segment criteria: the small subset of the ``segment_criteria`` language the simulator evaluates.

The real language is large and documented only by one example (the spec's ``SegmentData``) and
the API guide's list of data sources (``tracking``, ``contact``, ``list_membership``, ``tags``).
The simulator accepts the spec example's JSON shape and evaluates the conditions below against
its own contacts. UNCONFIRMED: every field name and operator below except the shape, the source
names and ``contains-any`` is the simulator's own choice, not a documented API fact.

Shape (a single-string escaped JSON document, at most 20,000 characters)::

    {"version": "1.0.0",
     "criteria": {"type": "and", "group": [ITEM, ...]}}

    ITEM := CONDITION | {"type": "and" | "or", "group": [ITEM, ...]}   (nesting <= 5 levels)
    CONDITION := {"source": ..., "field": ..., "op": ..., "const_value": ...}

Conditions (text comparisons are case-insensitive; a missing value compares as ""):

- ``list_membership`` / ``list_id`` / ``contains-any``: member of any of the lists in
  ``const_value`` (a list id, a comma-separated string of ids, or an array of ids).
- ``tags`` / ``tag_id`` / ``contains-any`` or ``not-contains-any``: has (or has none of) the tags.
- ``contact`` / ``email_address``, ``first_name``, ``last_name``, ``job_title``,
  ``company_name``, ``permission_to_send`` or ``custom_field:<custom_field_id>`` /
  ``eq``, ``ne``, ``contains``, ``not-contains``, ``starts-with``: compares the text.
- ``contact`` / ``created_at`` or ``updated_at`` / ``after`` or ``before``: compares with an
  ISO-8601 date or date-time; an ``after`` date more than 1,825 days before now is refused
  (the API refuses date ranges over 1,825 days).

``tracking`` conditions (opens, clicks, ...) exist in the real API but are not simulated: they,
and anything else not listed here, raise :class:`CriteriaError` (the routes answer 400 naming the
problem). The top-level ``type`` must be ``and`` (the spec's text says "add", a typo).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import orjson

from ..contacts.records import SimContact

MAX_CRITERIA_CHARS = 20_000
MAX_DEPTH = 5
MAX_RANGE_DAYS = 1825
Test = Callable[[SimContact], bool]

_TEXT_FIELDS = {
    "email_address": "email",
    "first_name": "first_name",
    "last_name": "last_name",
    "job_title": "job_title",
    "company_name": "company_name",
    "permission_to_send": "permission_to_send",
}
_DATE_FIELDS = ("created_at", "updated_at")
_CUSTOM_PREFIX = "custom_field:"
_TEXT_OPS: dict[str, Callable[[str, str], bool]] = {
    "eq": lambda have, want: have == want,
    "ne": lambda have, want: have != want,
    "contains": lambda have, want: want in have,
    "not-contains": lambda have, want: want not in have,
    "starts-with": lambda have, want: have.startswith(want),
}


class CriteriaError(ValueError):
    """``segment_criteria`` the simulator cannot parse or evaluate; the message names the part."""


def compile_criteria(text: Any, now: dt.datetime) -> Test:
    """The contact test ``text`` (the escaped-JSON ``segment_criteria``) describes.

    Raises CriteriaError for a non-string, over 20,000 characters, malformed JSON, a wrong shape,
    an unknown source/field/op, a ``tracking`` condition, or an ``after`` date over 1,825 days ago.
    """
    if not isinstance(text, str) or not text.strip():
        raise CriteriaError("segment_criteria must be a non-empty string of escaped JSON.")
    if len(text) > MAX_CRITERIA_CHARS:
        raise CriteriaError(f"segment_criteria exceeds {MAX_CRITERIA_CHARS} characters.")
    try:
        document = orjson.loads(text)
    except orjson.JSONDecodeError:
        raise CriteriaError("segment_criteria is not valid JSON.") from None
    if not isinstance(document, dict) or not isinstance(document.get("criteria"), dict):
        raise CriteriaError("segment_criteria must be an object with a criteria object.")
    if not isinstance(document.get("version", ""), str):
        raise CriteriaError("segment_criteria.version must be a string.")
    top = document["criteria"]
    if top.get("type") != "and":
        raise CriteriaError("segment_criteria.criteria.type must be and.")
    return _group(top, "criteria", now, 1)


def _group(node: dict[str, Any], where: str, now: dt.datetime, depth: int) -> Test:
    if depth > MAX_DEPTH:
        raise CriteriaError(f"segment_criteria.{where} nests groups deeper than {MAX_DEPTH}.")
    kind, items = node.get("type"), node.get("group")
    if kind not in ("and", "or"):
        raise CriteriaError(f"segment_criteria.{where}.type must be and or or.")
    if not isinstance(items, list) or not items:
        raise CriteriaError(f"segment_criteria.{where}.group must be a non-empty array.")
    tests = [_item(item, f"{where}.group[{i}]", now, depth) for i, item in enumerate(items)]
    if kind == "and":
        return lambda contact: all(test(contact) for test in tests)
    return lambda contact: any(test(contact) for test in tests)


def _item(item: Any, where: str, now: dt.datetime, depth: int) -> Test:
    if not isinstance(item, dict):
        raise CriteriaError(f"segment_criteria.{where} must be an object.")
    if "group" in item:
        return _group(item, where, now, depth + 1)
    source = item.get("source")
    if source == "list_membership":
        return _membership(item, where, "list_id", "list_ids", ("contains-any",))
    if source == "tags":
        return _membership(item, where, "tag_id", "tag_ids", ("contains-any", "not-contains-any"))
    if source == "contact":
        return _contact(item, where, now)
    if source == "tracking":
        raise CriteriaError(
            f"segment_criteria.{where}: tracking criteria are not supported by the simulator."
        )
    raise CriteriaError(f"segment_criteria.{where}.source {source!r} is not supported.")


def _membership(
    item: dict[str, Any], where: str, field: str, attr: str, ops: tuple[str, ...]
) -> Test:
    if item.get("field") != field:
        raise CriteriaError(f"segment_criteria.{where}.field must be {field}.")
    op = item.get("op")
    if op not in ops:
        raise CriteriaError(f"segment_criteria.{where}.op must be one of {', '.join(ops)}.")
    wanted = frozenset(_ids(item.get("const_value"), where))
    if op == "not-contains-any":
        return lambda contact: wanted.isdisjoint(getattr(contact, attr))
    return lambda contact: not wanted.isdisjoint(getattr(contact, attr))


def _ids(value: Any, where: str) -> list[str]:
    if isinstance(value, str):
        value = value.split(",")
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise CriteriaError(f"segment_criteria.{where}.const_value must name one or more ids.")
    ids = [v.strip().lower() for v in value]
    if not ids:
        raise CriteriaError(f"segment_criteria.{where}.const_value must name one or more ids.")
    return ids


def _contact(item: dict[str, Any], where: str, now: dt.datetime) -> Test:
    field, op, value = item.get("field"), item.get("op"), item.get("const_value")
    if isinstance(field, str) and field in _DATE_FIELDS:
        return _date_test(str(field), op, value, where, now)
    known = isinstance(field, str) and (field in _TEXT_FIELDS or field.startswith(_CUSTOM_PREFIX))
    if not known or not isinstance(field, str):
        raise CriteriaError(f"segment_criteria.{where}.field {field!r} is not supported.")
    compare = _TEXT_OPS.get(op) if isinstance(op, str) else None
    if compare is None:
        raise CriteriaError(f"segment_criteria.{where}.op must be one of {', '.join(_TEXT_OPS)}.")
    if not isinstance(value, str):
        raise CriteriaError(f"segment_criteria.{where}.const_value must be a string.")
    want = value.casefold()
    if field.startswith(_CUSTOM_PREFIX):
        field_id = field.removeprefix(_CUSTOM_PREFIX).lower()
        return lambda c: compare((c.custom_fields.get(field_id) or "").casefold(), want)
    attr = _TEXT_FIELDS[field]
    return lambda c: compare((getattr(c, attr) or "").casefold(), want)


def _date_test(field: str, op: Any, value: Any, where: str, now: dt.datetime) -> Test:
    if op not in ("after", "before"):
        raise CriteriaError(f"segment_criteria.{where}.op must be after or before.")
    moment = _moment(value, where)
    if op == "after" and now - moment > dt.timedelta(days=MAX_RANGE_DAYS):
        raise CriteriaError(
            f"segment_criteria.{where}: the date range exceeds {MAX_RANGE_DAYS} days."
        )
    if op == "after":
        return lambda contact: getattr(contact, field) > moment
    return lambda contact: getattr(contact, field) < moment


def _moment(value: Any, where: str) -> dt.datetime:
    text = value.strip() if isinstance(value, str) else ""
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        parsed = dt.datetime.fromisoformat(text)
    except ValueError:
        raise CriteriaError(
            f"segment_criteria.{where}.const_value must be an ISO-8601 date-time."
        ) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)
