"""Field validation shared by the simulator's handlers; failures are 400s naming the field."""

from __future__ import annotations

import re
from collections.abc import Collection
from typing import Any

from ._http import bad_request, is_uuid

_EMAIL = re.compile(
    r"^[^@\s,;<>()\[\]\"]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9-]+)+$"
)


def valid_email(value: object, max_len: int = 80) -> bool:
    """True for a plausible email address of at most ``max_len`` characters."""
    return isinstance(value, str) and len(value) <= max_len and _EMAIL.match(value) is not None


def opt_str(body: dict[str, Any], field: str, max_len: int, *, min_len: int = 0) -> str | None:
    """``body[field]`` as a string of ``min_len..max_len`` characters, or None when absent/null."""
    value = body.get(field)
    if value is None:
        return None
    if not isinstance(value, str):
        raise bad_request(f"{field} must be a string.")
    if not min_len <= len(value) <= max_len:
        raise bad_request(f"{field} must be between {min_len} and {max_len} characters long.")
    return value


def req_str(body: dict[str, Any], field: str, max_len: int, *, min_len: int = 1) -> str:
    """A required string field (400 "<field> is required." when missing)."""
    value = opt_str(body, field, max_len, min_len=min_len)
    if value is None:
        raise bad_request(f"{field} is required.")
    return value


def opt_int(body: dict[str, Any], field: str, low: int, high: int) -> int | None:
    """``body[field]`` as an integer within ``low..high``, or None when absent/null."""
    value = body.get(field)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise bad_request(f"{field} must be an integer between {low} and {high}.")
    return value


def opt_bool(body: dict[str, Any], field: str) -> bool | None:
    """``body[field]`` as a boolean, or None when absent/null."""
    value = body.get(field)
    if value is None or isinstance(value, bool):
        return value
    raise bad_request(f"{field} must be a boolean.")


def is_choice(value: object, allowed: Collection[object]) -> bool:
    """True when ``value`` is a (hashable) JSON scalar in ``allowed``; never raises.

    JSON objects and arrays are unhashable: a bare ``value in some_set`` raises TypeError on
    them, so every membership test on a request value goes through here. Booleans are never
    choices (``True == 1``).
    """
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        return False
    return value in allowed


def one_of(body: dict[str, Any], field: str, allowed: tuple[str, ...]) -> str | None:
    """``body[field]`` when it is one of ``allowed`` (None when absent)."""
    value = body.get(field)
    if value is None:
        return None
    if not is_choice(value, allowed):
        raise bad_request(f"{field} must be one of {', '.join(allowed)}.")
    return str(value)


def uuid_list(
    body: dict[str, Any], field: str, max_items: int, *, required: bool = False
) -> list[str]:
    """``body[field]`` as a list of at most ``max_items`` UUID strings (deduplicated, in order)."""

    value = body.get(field)
    if value is None:
        if required:
            raise bad_request(f"{field} is required.")
        return []
    if not isinstance(value, list) or not all(is_uuid(v) for v in value):
        raise bad_request(f"{field} must be an array of UUIDs.")
    if required and not value:
        raise bad_request(f"{field} must contain at least one item.")
    if len(value) > max_items:
        raise bad_request(f"{field} must not contain more than {max_items} items.")
    return list(dict.fromkeys(v.lower() for v in value))
