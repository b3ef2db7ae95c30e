"""Local validators shared by the resources: each raises :class:`ValidationError` naming the field.

They run before any request is sent, so a known API rule costs no API budget when broken.
Every function returns nothing and accepts ``None`` as "not given" unless it says otherwise.
Others may ADD functions here; changing an existing one changes every caller.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Collection, Sequence

from ccasync.errors import ValidationError

_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


def is_uuid(value: object) -> bool:
    """True when ``value`` is a UUID string in the 8-4-4-4-12 hex form the API uses."""
    return isinstance(value, str) and _UUID.fullmatch(value) is not None


def check_uuid(field: str, value: object, *, row: int | None = None) -> None:
    """``value`` must be a UUID string (a malformed id would only earn a 404 round trip)."""
    if not is_uuid(value):
        raise ValidationError(
            field, "must be a UUID (8-4-4-4-12 hex digits)", row=row, value=_shown(value)
        )


def check_uuids(
    field: str,
    values: Sequence[str] | None,
    *,
    max_items: int,
    min_items: int = 0,
    row: int | None = None,
) -> None:
    """Every id in ``values`` is a UUID and their count is within ``[min_items, max_items]``.

    A bare ``str`` is refused: it is almost always a single id passed where a list was meant.
    """
    if values is None:
        if min_items > 0:
            raise ValidationError(field, f"is required (at least {min_items} id)", row=row)
        return
    if isinstance(values, str | bytes):
        raise ValidationError(field, "must be a sequence of ids, not a string", row=row)
    check_count(field, values, max_items=max_items, min_items=min_items, row=row)
    for index, value in enumerate(values):
        check_uuid(f"{field}[{index}]", value, row=row)


def check_count(
    field: str,
    values: Collection[object] | None,
    *,
    max_items: int,
    min_items: int = 0,
    row: int | None = None,
) -> None:
    """``len(values)`` is within ``[min_items, max_items]`` (``None`` counts as 0)."""
    count = 0 if values is None else len(values)
    if count > max_items:
        raise ValidationError(field, f"at most {max_items} items allowed, got {count}", row=row)
    if count < min_items:
        raise ValidationError(field, f"at least {min_items} items required, got {count}", row=row)


def check_length(
    field: str,
    value: str | None,
    *,
    max_len: int,
    min_len: int = 0,
    row: int | None = None,
) -> None:
    """A string of ``min_len`` to ``max_len`` characters (``None`` is allowed)."""
    if value is None:
        return
    if not isinstance(value, str):
        raise ValidationError(field, "must be a string", row=row, value=_shown(value))
    if len(value) > max_len:
        raise ValidationError(
            field, f"at most {max_len} characters, got {len(value)}", row=row, value=_shown(value)
        )
    if len(value) < min_len:
        raise ValidationError(field, f"at least {min_len} characters, got {len(value)}", row=row)


def check_required(field: str, value: object, *, row: int | None = None) -> None:
    """``value`` is present: not ``None`` and not an empty string."""
    if value is None or value == "":
        raise ValidationError(field, "is required", row=row)


def check_enum(
    field: str, value: str | None, allowed: Collection[str], *, row: int | None = None
) -> None:
    """``value`` is one of ``allowed`` (``None`` is allowed)."""
    if value is not None and value not in allowed:
        raise ValidationError(
            field, f"must be one of {', '.join(sorted(allowed))}", row=row, value=_shown(value)
        )


def check_enums(field: str, values: Sequence[str] | None, allowed: Collection[str]) -> None:
    """Every item of ``values`` is one of ``allowed``; a bare string is refused."""
    if values is None:
        return
    if isinstance(values, str):
        raise ValidationError(field, "must be a sequence of values, not a string")
    if type(allowed) is frozenset and type(values) is list:
        try:
            if allowed.issuperset(values):  # one C-level pass; the loop below names the culprit
                return
        except TypeError:  # an unhashable item: the loop reports it
            pass
    for index, value in enumerate(values):
        check_enum(f"{field}[{index}]", value, allowed)


def check_range(
    field: str, value: int | None, *, low: int, high: int, row: int | None = None
) -> None:
    """An integer within ``[low, high]`` (``None`` is allowed; bools are refused)."""
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(field, "must be an integer", row=row, value=_shown(value))
    if not low <= value <= high:
        raise ValidationError(field, f"must be between {low} and {high}", row=row, value=value)


def check_aware(field: str, value: dt.datetime | None) -> None:
    """A timezone-aware datetime (a naive one would be read in an unknown zone)."""
    if value is None:
        return
    if not isinstance(value, dt.datetime):
        raise ValidationError(field, "must be a datetime", value=_shown(value))
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValidationError(field, "must be timezone-aware (got a naive datetime)")


def check_aware_future(field: str, value: dt.datetime, *, now: dt.datetime | None = None) -> None:
    """A timezone-aware datetime strictly after ``now`` (default: the current UTC time)."""
    check_aware(field, value)
    current = now or dt.datetime.now(dt.UTC)
    if value <= current:
        raise ValidationError(field, "must be in the future", value=value.isoformat())


def check_exactly_one(names: Sequence[str], given: Sequence[bool]) -> None:
    """Exactly one of the alternatives ``names`` is given (``given`` flags, same order)."""
    chosen = [n for n, g in zip(names, given, strict=True) if g]
    if len(chosen) != 1:
        got = ", ".join(chosen) if chosen else "none"
        raise ValidationError(" | ".join(names), f"exactly one is required (got {got})")


def check_v2_ids(field: str, values: Sequence[str], *, max_items: int) -> None:
    """1 to ``max_items`` V2 ids, each a non-empty string without a comma (they travel as CSV).

    A bare ``str`` is refused: it is almost always a single id passed where a list was meant.
    """
    if isinstance(values, str | bytes):
        raise ValidationError(field, "must be a sequence of ids, not a string")
    check_count(field, values, max_items=max_items, min_items=1)
    for index, value in enumerate(values):
        if not isinstance(value, str) or not value or "," in value:
            raise ValidationError(
                f"{field}[{index}]", "must be a non-empty id without commas", value=_shown(value)
            )


def _shown(value: object) -> object:
    # Long values would flood messages and logs; the start is enough to recognise them.
    if isinstance(value, str) and len(value) > 100:
        return value[:100] + "…"
    return value
