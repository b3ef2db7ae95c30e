"""Per-contact report rows: activity tracking lists and contact activity reports (reference 10).

Rows are newest first. Names and ``deleted_at`` come from the contact as it is now;
``email_address`` is the address the email was sent to, ``current_email_address`` (bounces) the
contact's address now.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection, Iterable, Sequence
from typing import Any, overload

from .._http import iso
from ..campaigns.book import CampaignBook
from ..campaigns.records import Activity, CampaignAccount, CampaignContact, Delivery, Event
from .stats import visible

TRACKING_KINDS = (
    "sends",
    "opens",
    "unique_opens",
    "didnotopens",
    "clicks",
    "forwards",
    "optouts",
    "bounces",
)
CONTACT_ACTIVITY_TYPES = (
    "em_sends",
    "em_opens",
    "em_clicks",
    "em_bounces",
    "em_optouts",
    "em_forwards",
    "p_contact_open",
    "p_contact_click",
    "p_contact_add",
    "p_contact_update",
)
_EVENT_KIND = {
    "opens": "em_opens",
    "clicks": "em_clicks",
    "forwards": "em_forwards",
    "optouts": "em_optouts",
    "bounces": "em_bounces",
}
SUMMARY_MAX_ACTIVITIES = 200


TrackingItem = tuple[Delivery, str, dt.datetime, Event | None]
"""One row before rendering: delivery, tracking_activity_type, time, event (None for sends)."""


class NewestFirst(Sequence[TrackingItem]):
    """A read-only newest-first view of the first ``stop`` time-ordered records (no copying)."""

    def __init__(self, records: Sequence[Any], stop: int, item: Callable[[Any], TrackingItem]):
        """View ``records[:stop]`` reversed, each record turned into an item by ``item``."""
        self._records = records
        self._stop = stop
        self._item = item

    def __len__(self) -> int:
        """How many items the view holds."""
        return self._stop

    @overload
    def __getitem__(self, index: int) -> TrackingItem: ...
    @overload
    def __getitem__(self, index: slice) -> list[TrackingItem]: ...

    def __getitem__(self, index: int | slice) -> TrackingItem | list[TrackingItem]:
        """One item, or a list for a slice."""
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(self._stop))]
        if index < 0:
            index += self._stop
        if not 0 <= index < self._stop:
            raise IndexError(index)
        return self._item(self._records[self._stop - 1 - index])


def tracking_items(
    activity: Activity,
    kind: str,
    now: dt.datetime,
    *,
    bounce_codes: Collection[str] = (),
    url_id: str | None = None,
) -> Sequence[TrackingItem]:
    """The items of one ``tracking/<kind>`` report, newest first (filters: bounce codes, url id).

    Unfiltered sends/opens/clicks/forwards/optouts/bounces are views over the time-ordered records,
    so a handler pays only for the page it renders.
    """
    tracking = activity.tracking
    if kind == "sends":
        return NewestFirst(tracking.sent, len(tracking.sent), _send_item)
    if kind in _EVENT_KIND and not bounce_codes and url_id is None:
        found, stop = tracking.timeline(_EVENT_KIND[kind], now)
        return NewestFirst(
            found, stop, lambda e: (tracking.deliveries[e.contact_id], e.kind, e.at, e)
        )
    items: list[TrackingItem]
    if kind == "didnotopens":
        items = [(d, "em_didnotopens", d.sent_at, None) for d in _unopened(activity, now)]
    else:
        events = _events(activity, kind, now, bounce_codes, url_id)
        items = [(tracking.deliveries[e.contact_id], e.kind, e.at, e) for e in events]
    items.sort(key=lambda item: item[2], reverse=True)
    return items


def _send_item(delivery: Delivery) -> TrackingItem:
    return (delivery, "em_sends", delivery.sent_at, None)


def render(
    account: CampaignAccount, activity: Activity, items: Iterable[TrackingItem]
) -> list[dict[str, Any]]:
    """The JSON rows of ``items``."""
    return [_row(account, activity, d, kind, at, e) for d, kind, at, e in items]


def tracking_rows(
    account: CampaignAccount,
    activity: Activity,
    kind: str,
    now: dt.datetime,
    *,
    bounce_codes: Collection[str] = (),
    url_id: str | None = None,
) -> list[dict[str, Any]]:
    """All JSON rows of one ``tracking/<kind>`` report, newest first."""
    items = tracking_items(activity, kind, now, bounce_codes=bounce_codes, url_id=url_id)
    return render(account, activity, items)


def _events(
    activity: Activity,
    kind: str,
    now: dt.datetime,
    bounce_codes: Collection[str],
    url_id: str | None,
) -> list[Event]:
    found, stop = activity.tracking.timeline(_EVENT_KIND.get(kind, "em_opens"), now)
    events = found[:stop]
    if kind == "unique_opens":
        last = {e.contact_id: e for e in events}
        return list(last.values())
    if bounce_codes:
        events = [e for e in events if e.bounce_code in bounce_codes]
    if url_id is not None:
        events = [e for e in events if e.url_id == url_id]
    return events


def _unopened(activity: Activity, now: dt.datetime) -> list[Delivery]:
    tracking = activity.tracking
    skip = tracking.contacts_with("em_opens", now) | tracking.contacts_with("em_bounces", now)
    return [d for d in tracking.deliveries.values() if d.contact_id not in skip]


def _row(
    account: CampaignAccount,
    activity: Activity,
    delivery: Delivery,
    activity_type: str,
    at: dt.datetime,
    event: Event | None,
) -> dict[str, Any]:
    contact = account.contact(delivery.contact_id)
    first = delivery.first_name if contact is None else contact.first_name
    last = delivery.last_name if contact is None else contact.last_name
    row: dict[str, Any] = {
        "contact_id": delivery.contact_id,
        "campaign_activity_id": activity.activity_id,
        "tracking_activity_type": activity_type,
        "email_address": delivery.email,
        "created_time": iso(at),
    }
    if first:
        row["first_name"] = first
    if last:
        row["last_name"] = last
    if contact is not None and contact.deleted_at is not None:
        row["deleted_at"] = contact.deleted_at.date().isoformat()
    if event is not None:
        row.update(_event_fields(event, contact))
    return row


def _event_fields(event: Event, contact: CampaignContact | None) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    if event.kind in ("em_opens", "em_clicks") and event.device_type is not None:
        fields["device_type"] = event.device_type
    if event.kind == "em_clicks":
        fields["url_id"] = event.url_id
        fields["link_url"] = event.link_url
    if event.kind == "em_optouts":
        fields["opt_out_reason"] = event.opt_out_reason or ""
    if event.kind == "em_bounces":
        fields["bounce_code"] = event.bounce_code
        if contact is not None and contact.email:
            fields["current_email_address"] = contact.email
    return fields


def _contact_history(
    book: CampaignBook, contact_id: str, now: dt.datetime
) -> Iterable[tuple[str, Activity, Delivery, list[Event]]]:
    for campaign, activity in book.all_activities():
        delivery = activity.tracking.deliveries.get(contact_id)
        if delivery is not None:
            events = visible(activity.tracking.by_contact.get(contact_id, ()), now)
            yield campaign.name, activity, delivery, events


def contact_activity_details(
    book: CampaignBook,
    contact_id: str,
    types: Collection[str],
    now: dt.datetime,
    *,
    names: bool,
) -> list[dict[str, Any]]:
    """A contact's tracking events of the given types across all activities, newest first."""
    rows: list[tuple[dt.datetime, dict[str, Any]]] = []
    for name, activity, delivery, events in _contact_history(book, contact_id, now):
        stamps = [("em_sends", delivery.sent_at)] + [(e.kind, e.at) for e in events]
        for kind, at in stamps:
            if kind not in types:
                continue
            row = {
                "contact_id": contact_id,
                "campaign_activity_id": activity.activity_id,
                "created_time": iso(at),
                "tracking_activity_type": kind,
            }
            if names:
                row["campaign_activity_name"] = name
            rows.append((at, row))
    rows.sort(key=lambda r: r[0], reverse=True)
    return [row for _, row in rows]


def contact_activity_summary(
    book: CampaignBook, contact_id: str, start: dt.datetime, end: dt.datetime, now: dt.datetime
) -> list[dict[str, Any]]:
    """Per activity sent to the contact within ``[start, end]``: counts of each action (<= 200)."""
    items = []
    for _, activity, delivery, events in _contact_history(book, contact_id, now):
        if not start <= delivery.sent_at <= end:
            continue
        kinds = [e.kind for e in events]
        item = {
            "campaign_activity_id": activity.activity_id,
            "start_on": iso(delivery.sent_at),
            "em_sends": 1,
            "em_opens": kinds.count("em_opens"),
            "em_clicks": kinds.count("em_clicks"),
            "em_bounces": kinds.count("em_bounces"),
            "em_forwards": kinds.count("em_forwards"),
            "em_unsubscribes": kinds.count("em_optouts"),
        }
        items.append((delivery.sent_at, item))
    items.sort(key=lambda pair: pair[0], reverse=True)
    return [item for _, item in items[:SUMMARY_MAX_ACTIVITIES]]


def contact_rates(
    book: CampaignBook, contact_id: str, start: dt.datetime, end: dt.datetime, now: dt.datetime
) -> dict[str, Any]:
    """``{contact_id, included_activities_count, average_open_rate, average_click_rate}`` (0-1)."""
    count = opened = clicked = 0
    for _, _, delivery, events in _contact_history(book, contact_id, now):
        if start <= delivery.sent_at <= end:
            count += 1
            kinds = {e.kind for e in events}
            opened += "em_opens" in kinds
            clicked += "em_clicks" in kinds
    return {
        "contact_id": contact_id,
        "included_activities_count": count,
        "average_open_rate": round(opened / count, 4) if count else 0.0,
        "average_click_rate": round(clicked / count, 4) if count else 0.0,
    }
