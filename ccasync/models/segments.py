"""Segment records (``/segments``): a saved contact query, named, with integer ids."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from typing import Any

import attrs

from ccasync import _checks
from ccasync.errors import ValidationError

NAME_MAX = 255
"""Max characters of a segment name (UNCONFIRMED: the spec gives no limit; the simulator's)."""
CRITERIA_MAX = 20_000
"""Max characters of ``segment_criteria`` (the escaped JSON string)."""
SORTS = frozenset({"date", "name"})
"""Values of ``sort_by`` of ``GET /segments``."""


@attrs.define(kw_only=True)
class Segment:
    """A segment (the spec's ``SegmentMaster`` in listings, ``SegmentDetail`` by id).

    ``segment_criteria`` (the JSON text of the query) is set only on a record read by id,
    created or updated; listings leave it out. ``segment_id`` is an integer, unlike other ids.
    """

    segment_id: int
    name: str | None = None
    segment_criteria: str | None = None
    created_at: dt.datetime | None = None
    edited_at: dt.datetime | None = None
    extra: dict[str, Any] = attrs.field(factory=dict, repr=False)

    def criteria(self) -> Any:
        """``segment_criteria`` parsed from its JSON text (None when the record has none)."""
        return None if self.segment_criteria is None else json.loads(self.segment_criteria)


def criteria_text(segment_criteria: str | Mapping[str, Any]) -> str:
    """The escaped-JSON text the API wants: a mapping is encoded, a string must be JSON already.

    Raises :class:`ValidationError` for text that is not JSON or longer than 20,000 characters.
    """
    if isinstance(segment_criteria, Mapping):
        text = json.dumps(segment_criteria, separators=(",", ":"))
    else:
        text = segment_criteria
        _checks.check_required("segment_criteria", text)
        try:
            json.loads(text)
        except ValueError as exc:
            raise ValidationError("segment_criteria", f"is not JSON ({exc})") from None
    _checks.check_length("segment_criteria", text, max_len=CRITERIA_MAX)
    return text


def check_segment_name(name: str) -> None:
    """A segment name of 1-255 characters."""
    _checks.check_required("name", name)
    _checks.check_length("name", name, max_len=NAME_MAX, min_len=1)


def check_segment_id(segment_id: int) -> None:
    """A positive integer segment id (a malformed one would only earn a 404 round trip)."""
    if isinstance(segment_id, bool) or not isinstance(segment_id, int) or segment_id < 1:
        raise ValidationError("segment_id", "must be a positive integer", value=segment_id)
