"""Event records and their JSON (``EventDto``, ``EventListingDto``, registration shapes).

Statuses: DRAFT, ACTIVE, COMPLETE,
CANCELLED (the spec spells both CANCELLED and CANCELED; the simulator uses CANCELLED for events
and CANCELED for registrations, as the spec's enums do), DELETED.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import attrs

from .._http import iso

PAGES = "https://sim.constantcontactpages.invalid/ev"


@attrs.define(eq=False)
class Ticket:
    """One ticket of a registration."""

    order_ticket_key: str
    ticket_name: str
    price: float
    checked_in_at: dt.datetime | None = None


@attrs.define(eq=False)
class Registration:
    """One registration to an event track."""

    registration_id: str
    contact_id: str
    email: str
    first_name: str
    last_name: str
    registered_at: dt.datetime
    new_contact: bool
    tickets: list[Ticket]
    order_number: str
    registration_status: str = "REGISTERED"
    payment_status: str = "PAID"
    payment_method: str | None = None

    @property
    def total(self) -> float:
        """The order total (sum of ticket prices)."""
        return sum(t.price for t in self.tickets)

    @property
    def checked_in(self) -> int:
        """Tickets checked in."""
        return sum(t.checked_in_at is not None for t in self.tickets)


@attrs.define(eq=False)
class SimEvent:
    """An event with its one (default) track and that track's registrations."""

    event_id: str
    name: str
    title: str
    campaign_id: str
    track_id: str
    track_activity_id: str
    conf_activity_id: str
    start: dt.datetime
    end: dt.datetime
    created_at: dt.datetime
    updated_at: dt.datetime
    description: str = ""
    status: str = "DRAFT"
    event_type: str = "OTHER"
    location_type: str = "PHYSICAL"
    time_zone: str = "US/Eastern"
    currency_type: str = "USD"
    event_code: str | None = None
    address: dict[str, Any] | None = None
    contact: dict[str, Any] = attrs.Factory(dict)
    online_meeting: dict[str, Any] | None = None
    capacity: int | None = None
    active_at: dt.datetime | None = None
    cancelled_at: dt.datetime | None = None
    registrations: dict[str, Registration] = attrs.Factory(dict)

    @property
    def eso(self) -> str:
        """The event's public key in its page URLs (opaque)."""
        return self.event_id.replace("-", "")[:20]


def _track(event: SimEvent) -> dict[str, Any]:
    body: dict[str, Any] = {
        "track_id": event.track_id,
        "campaign_activity_id": event.track_activity_id,
        "conf_email_campaign_activity_id": event.conf_activity_id,
        "create_time": iso(event.created_at),
        "last_update_time": iso(event.updated_at),
        "registration_type": "TICKET",
        "tickets_header": "Tickets",
        "items_header": "Items",
        "items": [],
        "promo_codes": [],
        "media_assets": [],
        "reg_manually_closed_flag": False,
        "restrict_to_single_ticket_flag": False,
    }
    if event.capacity is not None:
        body["overall_ticket_capacity"] = event.capacity
    return body


def event_json(event: SimEvent, include: bool = False) -> dict[str, Any]:
    """The ``EventDto``; ``include`` adds the settings and promotions properties."""
    body: dict[str, Any] = {
        "event_id": event.event_id,
        "name": event.name,
        "title": event.title,
        "description": event.description,
        "status": event.status,
        "event_type": event.event_type,
        "location_type": event.location_type,
        "event_start": iso(event.start),
        "event_end": iso(event.end),
        "time_zone": event.time_zone,
        "currency_type": event.currency_type,
        "campaign_id": event.campaign_id,
        "create_time": iso(event.created_at),
        "last_update_time": iso(event.updated_at),
        "contact": dict(event.contact),
        "default_track": _track(event),
        "eso": event.eso,
        "registration_url": f"{PAGES}/reg/{event.eso}",
        "event_calendar_url": f"{PAGES}/calendar/{event.eso}",
        "event_widget_url": f"{PAGES}/widget/myevents.js?eso={event.eso}",
        "display_contact_flag": True,
        "display_end_time_flag": True,
        "display_on_calendar_flag": True,
        "display_time_zone_flag": True,
        "notify_owner_on_reg": False,
    }
    for key, value in (
        ("event_code", event.event_code),
        ("address", event.address),
        ("online_meeting", event.online_meeting),
        ("active_time", event.active_at and iso(event.active_at)),
        ("cancelled_time", event.cancelled_at and iso(event.cancelled_at)),
    ):
        if value is not None:
            body[key] = value
    if include:
        body["event_metadata"] = {
            "items_enabled": False,
            "paid_event": any(r.total for r in event.registrations.values()),
            "promo_codes_enabled": False,
        }
        body["event_settings"] = {
            "event_requires_payments": False,
            "item_configured": False,
            "online_payment_configured": False,
            "payment_configured": False,
            "promo_code_configured": False,
            "ticket_configured": True,
        }
        body["event_promotions"] = []
    return body


def listing_json(event: SimEvent) -> dict[str, Any]:
    """An ``EventListingDto`` with the registration summary metrics."""
    live = [r for r in event.registrations.values() if r.registration_status == "REGISTERED"]
    body: dict[str, Any] = {
        "event_id": event.event_id,
        "name": event.name,
        "title": event.title,
        "status": event.status,
        "event_type": event.event_type,
        "location_type": event.location_type,
        "create_time": iso(event.created_at),
        "start_time": iso(event.start),
        "end_time": iso(event.end),
        "registration_url": f"{PAGES}/reg/{event.eso}",
        "time_zone_type": event.time_zone,
        "event_registration_summary_metrics": {
            "registration_count": len(live),
            "ticket_sold": sum(len(r.tickets) for r in live),
            "item_sold": 0,
        },
    }
    if event.address is not None:
        body["address"] = event.address
    return body


def registration_lite(event: SimEvent, reg: Registration) -> dict[str, Any]:
    """A ``RegistrantInformationLiteDto``."""
    return {
        "registration_id": reg.registration_id,
        "email_address": reg.email,
        "first_name": reg.first_name,
        "last_name": reg.last_name,
        "new_contact": reg.new_contact,
        "registration_status": reg.registration_status,
        "payment_status": reg.payment_status,
        "registration_time": iso(reg.registered_at),
        "tickets": len(reg.tickets),
        "total": reg.total,
        "track_key": event.track_id,
        "checkin_status": checkin_status(reg),
        "checkedIn_tickets": reg.checked_in,
        "eligible_checkin_tickets": len(reg.tickets) - reg.checked_in,
    }


def checkin_status(reg: Registration) -> str:
    """NOT_CHECKED_IN, PARTIALLY_CHECKED_IN or CHECKED_IN (the middle value is UNCONFIRMED)."""
    if reg.checked_in == 0:
        return "NOT_CHECKED_IN"
    return "CHECKED_IN" if reg.checked_in == len(reg.tickets) else "PARTIALLY_CHECKED_IN"


def _field(name: str, label: str, value: str, order: int) -> dict[str, Any]:
    return {
        "field_name": name,
        "field_label": label,
        "field_value": value,
        "field_type": "TEXT",
        "display_order": order,
    }


def registration_detail(event: SimEvent, reg: Registration) -> dict[str, Any]:
    """A ``DetailedRegistrationDto``."""
    return {
        "registration_id": reg.registration_id,
        "contact_id": reg.contact_id,
        "registration_date": iso(reg.registered_at),
        "registration_status": reg.registration_status,
        "checkin_status": checkin_status(reg),
        "checkedIn_tickets": reg.checked_in,
        "eligible_checkin_tickets": len(reg.tickets) - reg.checked_in,
        "display_physical_tickets": True,
        "contact": [
            _field("CONTACT_EMAIL_ADDRESS", "Email Address", reg.email, 1),
            _field("CONTACT_FIRST_NAME", "First Name", reg.first_name, 2),
            _field("CONTACT_LAST_NAME", "Last Name", reg.last_name, 3),
        ],
        "tickets": [
            {
                "order_ticket_key": t.order_ticket_key,
                "ticket_name": t.ticket_name,
                "price": t.price,
                "editable": False,
                "fields": [],
                **({"checked_in_time": iso(t.checked_in_at)} if t.checked_in_at else {}),
            }
            for t in reg.tickets
        ],
        "order_summary": {
            "number": reg.order_number,
            "payment_status": reg.payment_status,
            "title": event.title,
            "details": [
                {
                    "line_item_type": "TICKET",
                    "name": t.ticket_name,
                    "amount": f"${t.price:.2f}",
                    "amount_unformatted": t.price,
                }
                for t in reg.tickets
            ],
            **({"payment_method": reg.payment_method} if reg.payment_method else {}),
        },
    }
