"""Contact list records (``/contact_lists``)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import attrs

from ccasync import _checks

NAME_MAX = 255
"""Max characters of a list name (unique per account)."""
DESCRIPTION_MAX = 255
"""Max characters of a list description (from the developer guide)."""
MEMBERSHIP_COUNTS = frozenset({"all", "active"})
"""Values of ``include_membership_count``."""
LIST_STATUSES = frozenset({"all", "active", "deleted"})
"""Values of the ``status`` filter of ``GET /contact_lists``."""
MAX_LISTS_PER_ACCOUNT = 1000
"""Lists an account may hold."""


@attrs.define(kw_only=True)
class ContactList:
    """A contact list. ``list_id`` is always set; ``membership_count`` only when requested.

    Read it, change ``name``/``description``/``favorite``, and PUT it back with
    ``cc.lists.update``; unknown server keys in ``extra`` are written back.
    """

    name: str
    list_id: str
    description: str | None = None
    favorite: bool | None = None
    created_at: dt.datetime | None = None
    updated_at: dt.datetime | None = None
    deleted_at: dt.datetime | None = None
    membership_count: int | None = None
    extra: dict[str, Any] = attrs.field(factory=dict, repr=False)


def check_list_input(name: str, description: str | None) -> None:
    """A list name of 1-255 characters and a description of at most 255."""
    _checks.check_required("name", name)
    _checks.check_length("name", name, max_len=NAME_MAX, min_len=1)
    _checks.check_length("description", description, max_len=DESCRIPTION_MAX)


@attrs.define(kw_only=True)
class ListXref:
    """A V2 list id (``sequence_id``) mapped to its V3 ``list_id``."""

    sequence_id: str
    list_id: str | None = None
    extra: dict[str, Any] = attrs.field(factory=dict, repr=False)
