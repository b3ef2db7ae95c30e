"""Custom field records (``/contact_custom_fields``)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import attrs

from ccasync import _checks

LABEL_MAX = 50
"""Max characters of a custom field label."""
TYPE_MAX = 20
"""Max characters of a custom field ``type``."""
CHOICE_LABEL_MAX = 255
"""Max characters of a choice label."""
MAX_CHOICES = 100
"""Max choices of a field (dropdowns; radio/checkbox fields allow 20)."""
MAX_PER_ACCOUNT = 100
"""Custom fields an account may hold."""
KNOWN_TYPES = frozenset({"string", "date", "number", "currency", "single_select", "multi_select"})
"""Types seen in the spec; the full enum is UNCONFIRMED, so other values are sent as given."""


@attrs.define(kw_only=True)
class CustomFieldChoice:
    """One choice of a select-type custom field (``choice_label`` ≤255 chars).

    ``choice_id`` is a string in responses and an integer in the PUT schema; both are kept.
    """

    choice_label: str | None = None
    choice_id: str | int | None = None
    display_order: int | None = None
    custom_field_id: str | None = None
    created_at: dt.datetime | None = None
    updated_at: dt.datetime | None = None
    deleted_at: dt.date | None = None
    extra: dict[str, Any] = attrs.field(factory=dict, repr=False)


@attrs.define(kw_only=True)
class CustomFieldMetadata:
    """Display hints of a custom field (display type, number and date formats)."""

    display_type: str | None = None
    allow_negative: bool | None = None
    decimal_places: int | None = None
    currency_code: str | None = None
    integer: bool | None = None
    display_format: str | None = None
    extra: dict[str, Any] = attrs.field(factory=dict, repr=False)


@attrs.define(kw_only=True)
class CustomField:
    """A contact custom field; ``custom_field_id`` is always set.

    ``name`` is read-only: the label with spaces as underscores. In imports the field is
    addressed as ``cf:<name>``. ``version`` 2 marks real date fields.
    """

    label: str
    custom_field_id: str
    name: str | None = None
    type: str | None = None
    metadata: CustomFieldMetadata | None = None
    version: int | None = None
    choices: list[CustomFieldChoice] = attrs.field(factory=list)
    created_at: dt.datetime | None = None
    updated_at: dt.datetime | None = None
    extra: dict[str, Any] = attrs.field(factory=dict, repr=False)


def check_custom_field_input(
    label: str, field_type: str | None, choices: list[CustomFieldChoice]
) -> None:
    """Label 1-50 chars, type ≤20 chars, ≤100 choices with labels ≤255 chars."""
    _checks.check_required("label", label)
    _checks.check_length("label", label, max_len=LABEL_MAX, min_len=1)
    _checks.check_length("type", field_type, max_len=TYPE_MAX)
    _checks.check_count("choices", choices, max_items=MAX_CHOICES)
    for i, choice in enumerate(choices):
        _checks.check_length(
            f"choices[{i}].choice_label", choice.choice_label, max_len=CHOICE_LABEL_MAX
        )
