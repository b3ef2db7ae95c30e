"""Records of the campaign side of the simulator: campaigns, activities, sends, resends, events.

Statuses follow the reference (section 9.3): activities carry upper-case ``DRAFT``,
``SCHEDULED``, ``EXECUTING``, ``DONE``, ``ERROR``, ``REMOVED``; a campaign's ``current_status`` is
the title-case form of its primary activity's status (``Removed`` once deleted).
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any, Protocol, runtime_checkable

import attrs

DRAFT = "DRAFT"
SCHEDULED = "SCHEDULED"
EXECUTING = "EXECUTING"
DONE = "DONE"
ERROR = "ERROR"
REMOVED = "REMOVED"

PRIMARY = "primary_email"
PERMALINK = "permalink"
RESEND = "resend"


class CampaignContact(Protocol):
    """The contact attributes the campaign side reads (SimContact has them)."""

    @property
    def contact_id(self) -> str: ...
    @property
    def email(self) -> str | None: ...
    @property
    def first_name(self) -> str | None: ...
    @property
    def last_name(self) -> str | None: ...
    @property
    def permission_to_send(self) -> str: ...
    @property
    def deleted_at(self) -> dt.datetime | None: ...


class _Config(Protocol):
    @property
    def test_send_daily_cap(self) -> int: ...


class _State(Protocol):
    @property
    def seed(self) -> int: ...
    @property
    def config(self) -> _Config: ...


class CampaignAccount(Protocol):
    """What the campaign book needs from an account (see .notes/sim-contract.md)."""

    @property
    def account_id(self) -> str: ...
    @property
    def state(self) -> _State: ...
    @property
    def summary(self) -> dict[str, Any]: ...
    @property
    def physical_address(self) -> dict[str, Any] | None: ...
    def contacts_on_lists(self, list_ids: Iterable[str]) -> Sequence[CampaignContact]: ...
    def contact(self, contact_id: str) -> CampaignContact | None: ...
    def list_exists(self, list_id: str) -> bool: ...
    def confirmed_emails(self) -> set[str]: ...
    def unsubscribe(self, contact_id: str, reason: str, at: dt.datetime) -> None: ...


@runtime_checkable
class SegmentAccount(Protocol):
    """An account that also has segments (sim-a's Account; the pure-test fake has none).

    Checked with ``isinstance`` where segments matter, so accounts without segments keep
    satisfying :class:`CampaignAccount` and simply know no segment.
    """

    def segment_exists(self, segment_id: int) -> bool: ...
    def contacts_in_segment(self, segment_id: int) -> Sequence[CampaignContact]: ...


@runtime_checkable
class MailingAccount(Protocol):
    """An account with an outbox (the simulator's Account; the pure-test fake has none).

    ``mail`` records ``draft`` (an :class:`Activity`) as delivered to contacts, ``mail_test`` to
    test addresses; both render merge tags per recipient (``ccasync.sim.outbox``).
    """

    def mail(self, kind: str, draft: Any, contact_ids: Iterable[str], at: dt.datetime) -> None: ...
    def mail_test(
        self, draft: Any, addresses: Sequence[str], message: str | None, at: dt.datetime
    ) -> None: ...


@attrs.frozen
class SendRecord:
    """One send of an activity (an ``EmailSendHistory`` item)."""

    send_id: int
    contact_list_ids: tuple[str, ...]
    segment_ids: tuple[int, ...]
    count: int
    run_date: dt.datetime
    send_status: str
    reason_code: int


@attrs.frozen
class Delivery:
    """The email reaching one contact: the address used and when."""

    contact_id: str
    email: str
    first_name: str | None
    last_name: str | None
    sent_at: dt.datetime
    send_id: int


@attrs.frozen
class Event:
    """One tracked event; ``kind``: em_opens, em_clicks, em_bounces, em_optouts, em_forwards."""

    kind: str
    contact_id: str
    at: dt.datetime
    device_type: str | None = None
    url_id: str | None = None
    link_url: str | None = None
    bounce_code: str | None = None
    opt_out_reason: str | None = None


@attrs.define(eq=False)
class Tracking:
    """Everything recorded for one activity: deliveries and engagement events, also by contact.

    Events are stored when the email is sent, with future timestamps; readers show only the events
    whose ``at`` is not after the simulated now. ``sent`` keeps deliveries in send order (times
    never decrease, as sends run in clock order); :meth:`timeline` gives one kind's events sorted
    by time, so that "newest first" pages are cheap views.
    """

    deliveries: dict[str, Delivery] = attrs.Factory(dict)
    sent: list[Delivery] = attrs.Factory(list)
    events: list[Event] = attrs.Factory(list)
    by_contact: dict[str, list[Event]] = attrs.Factory(dict)
    _by_kind: dict[str, list[Event]] = attrs.Factory(dict)
    _sorted: bool = True

    def record(self, delivery: Delivery, events: list[Event]) -> None:
        """Add one contact's delivery and the engagement it will produce."""
        self.deliveries[delivery.contact_id] = delivery
        self.sent.append(delivery)
        if events:
            self.events.extend(events)
            self.by_contact.setdefault(delivery.contact_id, []).extend(events)
            for event in events:
                self._by_kind.setdefault(event.kind, []).append(event)
            self._sorted = False

    def timeline(self, kind: str, until: dt.datetime) -> tuple[list[Event], int]:
        """The events of ``kind`` sorted by time, and how many of them happened by ``until``."""
        if not self._sorted:
            for found in self._by_kind.values():
                found.sort(key=_event_time)
            self._sorted = True
        found = self._by_kind.get(kind, [])
        return found, bisect.bisect_right(found, until, key=_event_time)

    def contacts_with(self, kind: str, until: dt.datetime) -> set[str]:
        """Ids of the contacts with an event of ``kind`` at or before ``until``."""
        found, stop = self.timeline(kind, until)
        return {e.contact_id for e in found[:stop]}


def _event_time(event: Event) -> dt.datetime:
    return event.at


@attrs.define(eq=False)
class Activity:
    """A campaign activity (primary_email, permalink or resend) and its content."""

    activity_id: str
    campaign_id: str
    role: str
    from_name: str
    from_email: str
    reply_to_email: str
    subject: str
    html_content: str
    physical_address: dict[str, Any]
    format_type: int = 5
    preheader: str | None = None
    status: str = DRAFT
    contact_list_ids: list[str] = attrs.Factory(list)
    segment_ids: list[int] = attrs.Factory(list)
    document_properties: dict[str, Any] | None = None
    permalink_url: str | None = None
    scheduled_date: dt.datetime | None = None
    status_before_schedule: str | None = None
    job_token: int = 0
    history: list[SendRecord] = attrs.Factory(list)
    running: SendRecord | None = None
    tracking: Tracking = attrs.Factory(Tracking)


@attrs.define(eq=False)
class NonOpenerResend:
    """A resend-to-non-openers request attached to a campaign's primary activity.

    ``number`` is its request id once the campaign is scheduled or sent (``"DRAFT"`` before);
    ``armed`` once its send time is fixed (after the primary's first send); ``resend_date`` and
    ``activity_id`` (the ``resend`` role activity) once sent.
    """

    subject: str
    delay_minutes: int
    by_days: bool
    number: int
    armed: bool = False
    resend_date: dt.datetime | None = None
    activity_id: str | None = None


@attrs.define(eq=False)
class ABTest:
    """An A/B test: alternative subject, share of recipients per variant, hours to the winner."""

    alternative_subject: str
    test_size: int
    winner_wait_duration: int
    group_a: list[str] = attrs.Factory(list)
    group_b: list[str] = attrs.Factory(list)
    tested: bool = False
    winner: str | None = None


@attrs.define(eq=False)
class Campaign:
    """An email campaign: name, type and its activities (primary first)."""

    campaign_id: str
    name: str
    created_at: dt.datetime
    updated_at: dt.datetime
    activities: list[Activity]
    type: str = "NEWSLETTER"
    type_code: int = 10
    removed: bool = False
    resend: NonOpenerResend | None = None
    abtest: ABTest | None = None

    @property
    def primary(self) -> Activity:
        """The ``primary_email`` activity (created with the campaign, always first)."""
        return self.activities[0]

    @property
    def current_status(self) -> str:
        """Title-case status: ``Removed`` once deleted, else the primary activity's status."""
        return "Removed" if self.removed else self.primary.status.title()


@attrs.frozen
class RecordedTestSend:
    """A recorded test send (for inspection; nothing is emailed)."""

    activity_id: str
    email_addresses: tuple[str, ...]
    personal_message: str | None
    at: dt.datetime
