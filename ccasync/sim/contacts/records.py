"""Mutable records the simulator keeps per account: contacts, lists, tags, custom fields."""

from __future__ import annotations

import datetime as dt
from typing import Any

import attrs


@attrs.define(slots=True, eq=False)
class SimContact:
    """One contact; ``deleted_at`` set = soft-deleted (still owns its email address)."""

    contact_id: str
    email: str | None
    created_at: dt.datetime
    updated_at: dt.datetime
    first_name: str | None = None
    last_name: str | None = None
    job_title: str | None = None
    company_name: str | None = None
    birthday_month: int | None = None
    birthday_day: int | None = None
    anniversary: str | None = None
    permission_to_send: str = "implicit"
    opt_in_source: str | None = "Account"
    opt_in_date: dt.datetime | None = None
    opt_out_source: str | None = None
    opt_out_date: dt.datetime | None = None
    opt_out_reason: str | None = None
    confirm_status: str = "off"
    create_source: str = "Account"
    update_source: str = "Account"
    deleted_at: dt.datetime | None = None
    custom_fields: dict[str, str] = attrs.Factory(dict)
    # choice_ids sent with a select field's value, by custom_field_id (kept as given).
    custom_field_choices: dict[str, list[Any]] = attrs.Factory(dict)
    list_ids: dict[str, None] = attrs.Factory(dict)
    tag_ids: dict[str, None] = attrs.Factory(dict)
    phone_numbers: list[dict[str, Any]] = attrs.Factory(list)
    street_addresses: list[dict[str, Any]] = attrs.Factory(list)
    notes: list[dict[str, Any]] = attrs.Factory(list)
    resubscribe_sent: bool = False

    @property
    def is_deleted(self) -> bool:
        """True for a soft-deleted contact."""
        return self.deleted_at is not None

    @property
    def is_unsubscribed(self) -> bool:
        """True when the email permission is ``unsubscribed``."""
        return self.permission_to_send == "unsubscribed"


@attrs.define(slots=True, eq=False)
class SimList:
    """A contact list; ``members`` keeps insertion order (deterministic recipients)."""

    list_id: str
    name: str
    created_at: dt.datetime
    updated_at: dt.datetime
    description: str | None = None
    favorite: bool = False
    deleted_at: dt.datetime | None = None
    members: dict[str, None] = attrs.Factory(dict)


@attrs.define(slots=True, eq=False)
class SimTag:
    """A contact tag."""

    tag_id: str
    name: str
    created_at: dt.datetime
    updated_at: dt.datetime
    tag_source: str | None = None
    members: dict[str, None] = attrs.Factory(dict)


@attrs.define(slots=True, eq=False)
class SimCustomField:
    """A custom field definition; ``name`` is the label with spaces replaced by underscores."""

    custom_field_id: str
    label: str
    type: str
    created_at: dt.datetime
    updated_at: dt.datetime
    metadata: dict[str, Any] | None = None
    choices: list[dict[str, Any]] | None = None
    version: int | None = None

    @property
    def name(self) -> str:
        """The read-only ``name`` derived from the label (``cf:<name>`` in imports)."""
        return self.label.replace(" ", "_")[:50]
