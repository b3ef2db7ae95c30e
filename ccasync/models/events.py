"""Event records (``/events``): events, their default track, registrations and check-in.

The event schema (``EventDto``) is large; the fields a client commonly reads are typed here and
every other one (address, promotions, settings, metadata…) is kept in ``extra`` and sent back.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import attrs

from ccasync import _checks
from ccasync.errors import ValidationError

EVENT_STATUSES = frozenset({"ACTIVE", "DRAFT", "COMPLETE", "DELETED", "CANCELLED", "ERROR"})
"""Values of the ``event_status`` filter of ``GET /events``."""
EVENT_SORTS = frozenset({"name", "start_time", "end_time", "created_time", "updated_time"})
"""Values of ``sort_by`` of ``GET /events``."""
SORT_ORDERS = frozenset({"ASC", "DESC"})
"""Values of ``sort_order``."""
EVENTS_PAGE_MAX = 100
"""Max ``limit`` of ``GET /events`` (also its default)."""
REGISTRATION_STATUSES = frozenset(
    {"PENDING", "REGISTERED", "CANCELED", "EXPIRED", "IN_PROGRESS", "FAILED"}
)
"""Registration statuses (UNCONFIRMED: the spec's enum fuses ``IN_PROGRESS, FAILED`` into one)."""
PAYMENT_STATUSES = frozenset({"PENDING", "PAID", "REFUNDED", "CANCELLED", "FAILED", "CHARGED_BACK"})
"""Registration payment statuses."""
REGISTRATION_SORTS = frozenset(
    {
        "first_name",
        "last_name",
        "email_address",
        "registration_status",
        "payment_status",
        "tickets",
        "total",
    }
)
"""Values of ``sort_by`` of the registrations listing."""
REGISTRATIONS_PAGE_MAX = 500
"""Max ``limit`` of the registrations listing (UNCONFIRMED: the spec states none)."""
NAME_MAX = 100
"""Max characters of an event ``name`` and ``title``."""
DESCRIPTION_MAX = 600
"""Max characters of an event ``description``."""
WRITABLE = frozenset(
    {
        "name",
        "title",
        "description",
        "event_start",
        "event_end",
        "event_type",
        "location_type",
        "time_zone",
        "currency_type",
        "address",
        "contact",
        "online_meeting",
        "notify_owner_on_reg",
        "display_contact_flag",
        "display_end_time_flag",
        "display_on_calendar_flag",
        "display_time_zone_flag",
        "event_settings",
        "event_metadata",
        "default_track",
        "status",
    }
)
"""Fields ``cc.events.update`` may change (the ``EventDto`` properties a client sets).

UNCONFIRMED: which ``status`` values a PATCH may set (ACTIVE publishes, CANCELLED cancels)."""


@attrs.define(kw_only=True)
class EventTrack:
    """An event's default track (``TrackDto``): registrations and tickets live on a track."""

    track_id: str | None = None
    campaign_activity_id: str | None = None
    conf_email_campaign_activity_id: str | None = None
    registration_type: str | None = None
    overall_ticket_capacity: int | None = None
    extra: dict[str, Any] = attrs.field(factory=dict, repr=False)


@attrs.define(kw_only=True)
class Event:
    """One event with its details (the spec's ``EventDto``).

    ``event_start``/``event_end`` are ISO-8601 text as the API sends them (UNCONFIRMED whether
    every event answers in UTC); ``status`` DRAFT, ACTIVE, COMPLETE, CANCELLED or DELETED.
    ``failed_campaign_activities`` lists what a copy could not copy (answer 207).
    """

    event_id: str | None = None
    name: str | None = None
    title: str | None = None
    description: str | None = None
    campaign_id: str | None = None
    event_start: str | None = None
    event_end: str | None = None
    event_type: str | None = None
    status: str | None = None
    location_type: str | None = None
    time_zone: str | None = None
    currency_type: str | None = None
    registration_url: str | None = None
    default_track: EventTrack | None = None
    failed_campaign_activities: list[Any] | None = None
    extra: dict[str, Any] = attrs.field(factory=dict, repr=False)


@attrs.define(kw_only=True)
class EventRegistrationSummaryMetric:
    """Registration counts of an event in the listing."""

    registration_count: int | None = None
    ticket_sold: int | None = None
    item_sold: int | None = None
    extra: dict[str, Any] = attrs.field(factory=dict, repr=False)


@attrs.define(kw_only=True)
class EventListing:
    """One event of ``GET /events`` (the spec's ``EventListingDto``)."""

    event_id: str
    name: str | None = None
    title: str | None = None
    description: str | None = None
    start_time: str | None = None
    end_time: str | None = None
    status: str | None = None
    event_type: str | None = None
    location_type: str | None = None
    time_zone_type: str | None = None
    registration_url: str | None = None
    create_time: str | None = None
    event_registration_summary_metrics: EventRegistrationSummaryMetric | None = None
    extra: dict[str, Any] = attrs.field(factory=dict, repr=False)


@attrs.define(kw_only=True)
class RegistrantInformationLite:
    """One registration in the listing of a track (the spec's ``RegistrantInformationLiteDto``)."""

    registration_id: str
    email_address: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    registration_status: str | None = None
    payment_status: str | None = None
    registration_time: dt.datetime | None = None
    checkin_status: str | None = None
    checkedIn_tickets: int | None = None  # the API spells it so
    eligible_checkin_tickets: int | None = None
    tickets: int | None = None
    total: float | None = None
    new_contact: bool | None = None
    track_key: str | None = None
    extra: dict[str, Any] = attrs.field(factory=dict, repr=False)


@attrs.define(kw_only=True)
class RegistrationTicket:
    """One ticket of a registration; check it in by its ``order_ticket_key``."""

    order_ticket_key: str | None = None
    ticket_name: str | None = None
    price: float | None = None
    checked_in_time: dt.datetime | None = None
    editable: bool | None = None
    fields: list[dict[str, Any]] | None = None
    extra: dict[str, Any] = attrs.field(factory=dict, repr=False)


@attrs.define(kw_only=True)
class DetailedRegistration:
    """A registration with its contact fields, tickets and order (``DetailedRegistrationDto``)."""

    registration_id: str
    contact_id: str | None = None
    registration_status: str | None = None
    registration_date: dt.datetime | None = None
    checkin_status: str | None = None
    checkedIn_tickets: int | None = None  # the API spells it so
    eligible_checkin_tickets: int | None = None
    display_physical_tickets: bool | None = None
    contact: list[dict[str, Any]] | None = None
    tickets: list[RegistrationTicket] | None = None
    order_summary: dict[str, Any] | None = None
    extra: dict[str, Any] = attrs.field(factory=dict, repr=False)

    def order_ticket_keys(self) -> list[str]:
        """The keys of this registration's tickets (what check-in takes)."""
        return [t.order_ticket_key for t in self.tickets or () if t.order_ticket_key]


@attrs.define(kw_only=True)
class RegistrationStatusUpdateResponse:
    """The registrations a status update could not change (answer 207; empty on 200)."""

    failed_registration_ids: list[str] = attrs.field(factory=list)
    extra: dict[str, Any] = attrs.field(factory=dict, repr=False)


def check_event_fields(fields: dict[str, Any]) -> None:
    """Known fields only; name 1-100, title ≤100, description ≤600 characters."""
    unknown = sorted(set(fields) - WRITABLE)
    if unknown:
        raise ValidationError(
            unknown[0], f"cannot be changed (allowed: {', '.join(sorted(WRITABLE))})"
        )
    if "name" in fields:
        _checks.check_required("name", fields["name"])
        _checks.check_length("name", fields["name"], max_len=NAME_MAX, min_len=1)
    _checks.check_length("title", fields.get("title"), max_len=NAME_MAX)
    _checks.check_length("description", fields.get("description"), max_len=DESCRIPTION_MAX)
    _checks.check_enum("status", fields.get("status"), EVENT_STATUSES)


def check_path_id(field: str, value: object) -> None:
    """An id that is safe as one path segment (non-empty, no ``/``, ``?`` or ``#``)."""
    if not isinstance(value, str) or not value or any(c in value for c in "/?#"):
        raise ValidationError(field, "must be a non-empty id without / ? #", value=value)
