"""The events of one account: create, copy, patch, registrations, payments and check-in.

Registrations cannot be made through the API (people register on the event's page); the
simulator's stand-in is :meth:`EventBook.register` (``sim.state.default_account.events``), which
upserts the registrant as a contact like the real registration form does (UNCONFIRMED: its
permission and source). Rules from the spec's descriptions: new and copied events are DRAFT;
PATCH works only for DRAFT or ACTIVE events; DELETED events cannot be copied; check-in and undo
need an ACTIVE or COMPLETE event and refuse tickets of cancelled registrations (400); payment
updates skip free registrations silently. UNCONFIRMED choices: unknown ticket keys are a 400
(all keys are checked before any changes); unknown registration ids make a 207 listing them.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from .._http import ApiFailure, bad_request, new_id
from . import rules
from .records import Registration, SimEvent, Ticket

if TYPE_CHECKING:
    from .._state import Account

NOT_FOUND = "events.api.not_found"


def _short() -> str:
    return new_id().replace("-", "")[:6]


class EventBook:
    """All events of one account."""

    def __init__(self, account: Account) -> None:
        """An empty book for ``account``."""
        self._account = account
        self.events: dict[str, SimEvent] = {}

    def get(self, event_id: str) -> SimEvent:
        """A live (not DELETED) event by id; 404 otherwise."""
        found = self.events.get(event_id.lower()[:36])
        if found is None or found.status == "DELETED":
            raise ApiFailure(404, NOT_FOUND, f"Event {event_id[:40]} was not found.")
        return found

    def track(self, event_id: str, track_id: str) -> SimEvent:
        """The event whose (default) track is ``track_id``; 404 otherwise."""
        event = self.get(event_id)
        if track_id != event.track_id:
            raise ApiFailure(404, NOT_FOUND, f"Track {track_id[:40]} was not found.")
        return event

    def _organizer(self) -> dict[str, Any]:
        summary = self._account.summary
        name = f"{summary.get('first_name', '')} {summary.get('last_name', '')}".strip()
        return {
            "name": name or "Owner",
            "organization_name": summary.get("organization_name") or "Sim Account",
            "email_address": summary.get("contact_email") or "owner@example.com",
        }

    def create_default(
        self,
        name: str | None,
        start: dt.datetime | None,
        end: dt.datetime | None,
        campaign_id: str | None,
        now: dt.datetime,
    ) -> SimEvent:
        """POST /events/default: a DRAFT event (start defaults to a week ahead, end +1 h)."""
        begins = start or (now + dt.timedelta(days=7)).replace(minute=0, second=0, microsecond=0)
        ends = end or begins + dt.timedelta(hours=1)
        if ends < begins:
            raise bad_request("end_time must not be before start_time.", rules.KEY)
        title = name or f"My Event {len(self.events) + 1}"
        event = SimEvent(
            event_id=new_id(),
            name=title,
            title=title,
            campaign_id=campaign_id or new_id(),
            track_id=_short(),
            track_activity_id=new_id(),
            conf_activity_id=new_id(),
            start=begins,
            end=ends,
            created_at=now,
            updated_at=now,
            contact=self._organizer(),
        )
        self.events[event.event_id] = event
        return event

    def patch(self, event_id: str, body: Any, now: dt.datetime) -> None:
        """PATCH: only DRAFT or ACTIVE events; only the given fields change."""
        event = self.get(event_id)
        if event.status not in ("DRAFT", "ACTIVE"):
            raise bad_request(f"An event in {event.status} status cannot be updated.", rules.KEY)
        changes = rules.patch(body, event)
        status = changes.pop("status", None)
        for key, value in changes.items():
            setattr(event, key, value)
        if status is not None and status != event.status:
            event.status = status
            if status == "ACTIVE":
                event.active_at = now
            elif status == "CANCELLED":
                event.cancelled_at = now
        event.updated_at = now

    def copy(self, event_id: str, body: Any, now: dt.datetime) -> tuple[SimEvent, bool]:
        """POST copy: a DRAFT deep copy; True when some source activities could not be copied."""
        source = self.get(event_id)
        name, activities = rules.copy(body)
        event = self.create_default(name, source.start, source.end, None, now)
        for key in (
            "title",
            "description",
            "event_type",
            "location_type",
            "time_zone",
            "currency_type",
            "capacity",
        ):
            setattr(event, key, getattr(source, key))
        event.title = name
        event.address = None if source.address is None else dict(source.address)
        event.online_meeting = (
            None if source.online_meeting is None else dict(source.online_meeting)
        )
        known = {source.track_activity_id, source.conf_activity_id}
        return event, any(a not in known for a in activities)

    def listing(self, query: dict[str, str]) -> list[SimEvent]:
        """GET /events with the spec's filters and sorts (validated in rules)."""
        wanted, text, sort_key, descending = rules.listing(query)
        found = [
            e
            for e in self.events.values()
            if (e.status == wanted if wanted else e.status != "DELETED")
            and (not text or text in e.name.casefold() or text in e.title.casefold())
        ]
        return sorted(found, key=sort_key, reverse=descending)

    # -- registrations ------------------------------------------------------------------------

    def register(
        self,
        event_id: str,
        email: str,
        first_name: str = "",
        last_name: str = "",
        *,
        tickets: int = 1,
        price: float = 0.0,
        now: dt.datetime | None = None,
    ) -> Registration:
        """Stand-in for a person registering on the event page (not an API operation).

        Upserts a contact by ``email``; ``price`` > 0 per ticket makes a DOOR payment PENDING.
        """
        event = self.get(event_id)
        if event.status in ("CANCELLED", "COMPLETE"):
            raise ValueError(f"event {event_id} is {event.status}")
        at = now or self._account.state.clock.now()
        contact = self._account.find_email(email)
        new = contact is None
        if contact is None:
            contact = self._account.create_contact(email, at)
            contact.first_name, contact.last_name = first_name or None, last_name or None
        reg = Registration(
            registration_id=new_id(),
            contact_id=contact.contact_id,
            email=email,
            first_name=first_name,
            last_name=last_name,
            registered_at=at,
            new_contact=new,
            tickets=[Ticket(_short(), "General Admission", price) for _ in range(tickets)],
            order_number=_short().upper(),
            payment_status="PENDING" if price > 0 else "PAID",
            payment_method="DOOR" if price > 0 else None,
        )
        event.registrations[reg.registration_id] = reg
        return reg

    def registration(self, event_id: str, track_id: str, registration_id: str) -> Registration:
        """One registration; 404 when unknown."""
        event = self.track(event_id, track_id)
        found = event.registrations.get(registration_id.lower()[:36])
        if found is None:
            raise ApiFailure(404, NOT_FOUND, f"Registration {registration_id[:40]} was not found.")
        return found

    def set_status(self, event: SimEvent, body: Any) -> list[str]:
        """PUT registrations: the ids that failed (unknown)."""
        ids, status = rules.status_update(body, "registration_status", rules.REGISTRATION_STATUSES)
        failed = [i for i in ids if i.lower() not in event.registrations]
        for reg_id in ids:
            if reg_id.lower() in event.registrations:
                event.registrations[reg_id.lower()].registration_status = status
        return failed

    def set_payment(self, event: SimEvent, body: Any) -> list[str]:
        """PUT payment_status: the ids that failed (unknown); free registrations are skipped."""
        ids, status = rules.status_update(body, "payment_status", rules.PAYMENT_STATUSES)
        failed = [i for i in ids if i.lower() not in event.registrations]
        for reg_id in ids:
            reg = event.registrations.get(reg_id.lower())
            if reg is not None and reg.payment_method is not None:
                reg.payment_status = status
        return failed

    def check_in(self, event_id: str, body: Any, now: dt.datetime | None) -> None:
        """POST check_in (``now``) or undo_check_in (None) for the given ticket keys."""
        event = self.get(event_id)
        if event.status not in ("ACTIVE", "COMPLETE"):
            raise bad_request("Check-in needs an ACTIVE or COMPLETE event.", rules.KEY)
        keys = rules.ticket_keys(body)
        tickets = {
            t.order_ticket_key: (r, t) for r in event.registrations.values() for t in r.tickets
        }
        unknown = [k for k in keys if k not in tickets]
        if unknown:
            raise bad_request(f"Unknown order_ticket_keys: {', '.join(unknown[:10])}.", rules.KEY)
        for key in keys:
            reg = tickets[key][0]
            if now is not None and reg.registration_status == "CANCELED":
                raise bad_request(f"Ticket {key} belongs to a cancelled registration.", rules.KEY)
        for key in keys:
            tickets[key][1].checked_in_at = now
