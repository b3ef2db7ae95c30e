"""Tag records (``/contact_tags``)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import attrs

from ccasync import _checks

NAME_MIN = 1
"""Min characters of a tag name."""
NAME_MAX = 255
"""Max characters of a tag name (unique per account)."""


@attrs.define(kw_only=True)
class Tag:
    """A contact tag. ``tag_id`` is always set; ``contacts_count`` only with ``include_count``."""

    name: str
    tag_id: str
    contacts_count: int | None = None
    created_at: dt.datetime | None = None
    updated_at: dt.datetime | None = None
    tag_source: str | None = None
    extra: dict[str, Any] = attrs.field(factory=dict, repr=False)


def check_tag_name(name: str) -> None:
    """A tag name of 1-255 characters."""
    _checks.check_required("name", name)
    _checks.check_length("name", name, max_len=NAME_MAX, min_len=NAME_MIN)
