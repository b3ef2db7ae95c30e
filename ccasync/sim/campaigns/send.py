"""Executing a send: recipients resolved at send time, deliveries and engagement recorded.

A send starts when its schedule is due: the activity's lists (or segment criteria) are read *then*
(contacts added after scheduling receive it, removed or unsubscribed ones do not), contacts that
already received the activity are skipped (re-sending a DONE activity reaches only new members),
and the activity stays ``EXECUTING`` for ``2 s + 1 s per 1,000 recipients`` of simulated time
before it is ``DONE`` (UNCONFIRMED: the real service takes from seconds up to ~30 minutes,
reference 9.5).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Sequence

import attrs

from .._http import new_id
from .engagement import TRACKING_IMAGE, engagement, links_in
from .records import (
    DONE,
    ERROR,
    EXECUTING,
    RESEND,
    ABTest,
    Activity,
    CampaignAccount,
    CampaignContact,
    Delivery,
    Event,
    MailingAccount,
    SegmentAccount,
    SendRecord,
)

EXECUTION_BASE_SECONDS = 2.0
EXECUTION_SECONDS_PER_CONTACT = 0.001
NO_ELIGIBLE_CONTACTS = 12
SENDER_NOT_VERIFIED = 10
_BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


@attrs.frozen
class SendStart:
    """What starting a send produced: recipients, EXECUTING time (None = errored), opt-outs due."""

    count: int
    duration: float | None
    optouts: tuple[Event, ...]
    recipients: tuple[str, ...] = ()


Select = Callable[[list[CampaignContact]], Sequence[CampaignContact]]


def begin_send(
    account: CampaignAccount, activity: Activity, at: dt.datetime, select: Select | None = None
) -> SendStart:
    """Resolve recipients now, record deliveries and engagement, and move to ``EXECUTING``.

    ``select`` narrows the eligible contacts (an A/B test's groups). When the from/reply-to
    address is no longer confirmed the send fails: ``ERROR`` with an ``ERRORED`` history entry,
    reason 10 (sender not verified).
    """
    send_id = len(activity.history) + 1
    lists, segments = tuple(activity.contact_list_ids), tuple(activity.segment_ids)
    if not _senders_confirmed(account, activity):
        record = SendRecord(send_id, lists, segments, 0, at, "ERRORED", SENDER_NOT_VERIFIED)
        activity.history.append(record)
        activity.status = ERROR
        return SendStart(0, None, ())
    eligible = [
        c
        for c in audience(account, activity)
        if c.email and c.contact_id not in activity.tracking.deliveries
    ]
    fresh = eligible if select is None else select(eligible)
    optouts = deliver(account.state.seed, activity, fresh, at, send_id)
    reason = 0 if fresh else NO_ELIGIBLE_CONTACTS
    activity.running = SendRecord(send_id, lists, segments, len(fresh), at, "COMPLETED", reason)
    activity.status = EXECUTING
    duration = EXECUTION_BASE_SECONDS + len(fresh) * EXECUTION_SECONDS_PER_CONTACT
    return SendStart(len(fresh), duration, optouts, tuple(c.contact_id for c in fresh))


def mail_send(
    account: CampaignAccount,
    activity: Activity,
    recipients: Sequence[str],
    at: dt.datetime,
    test: ABTest | None = None,
) -> None:
    """Put a send in the account's outbox; an A/B test's B half (or B winner) gets subject B."""
    if not recipients or not isinstance(account, MailingAccount):
        return
    if test is None or test.winner == "A" or (test.winner is None and not test.group_b):
        account.mail("send", activity, recipients, at)
        return
    other = attrs.evolve(activity, subject=test.alternative_subject)
    if test.winner == "B":
        account.mail("send", other, recipients, at)
        return
    group_b = set(test.group_b)
    account.mail("send", activity, [c for c in recipients if c not in group_b], at)
    account.mail("send", other, [c for c in recipients if c in group_b], at)


def audience(account: CampaignAccount, activity: Activity) -> Sequence[CampaignContact]:
    """The activity's recipients now: its lists' members, or its segment's (reference 9.5)."""
    if not activity.segment_ids:
        return account.contacts_on_lists(activity.contact_list_ids)
    if isinstance(account, SegmentAccount):
        return account.contacts_in_segment(activity.segment_ids[0])
    return []


def close_send(activity: Activity) -> SendRecord | None:
    """Move the running send's record to the history (the activity stays as it is)."""
    record = activity.running
    if record is not None:
        activity.history.append(record)
        activity.running = None
    return record


def finish_send(activity: Activity) -> None:
    """End an ``EXECUTING`` send: its history entry appears and the activity is ``DONE``."""
    close_send(activity)
    activity.status = DONE
    if activity.permalink_url is None:
        activity.permalink_url = permalink(activity.activity_id)


def deliver(
    seed: int,
    activity: Activity,
    contacts: Sequence[CampaignContact],
    at: dt.datetime,
    send_id: int,
) -> tuple[Event, ...]:
    """Record a delivery and its engagement for each contact; the opt-out events to apply later."""
    links = links_in(activity.html_content, activity.activity_id)
    image = TRACKING_IMAGE in activity.html_content
    optouts: list[Event] = []
    for contact in contacts:
        events = engagement(
            seed, activity.activity_id, contact.contact_id, at, links, tracking_image=image
        )
        email = contact.email or ""
        delivery = Delivery(
            contact.contact_id, email, contact.first_name, contact.last_name, at, send_id
        )
        activity.tracking.record(delivery, events)
        optouts.extend(e for e in events if e.kind == "em_optouts")
    return tuple(optouts)


def non_openers(
    account: CampaignAccount, primary: Activity, at: dt.datetime
) -> list[CampaignContact]:
    """Contacts sent ``primary`` who neither opened nor bounced by ``at`` and are still mailable."""
    skip = primary.tracking.contacts_with("em_opens", at)
    skip |= primary.tracking.contacts_with("em_bounces", at)
    found = []
    for contact_id in primary.tracking.deliveries:
        contact = account.contact(contact_id)
        if contact_id in skip or contact is None or not contact.email:
            continue
        if contact.deleted_at is None and contact.permission_to_send != "unsubscribed":
            found.append(contact)
    return found


def permalink(activity_id: str) -> str:
    """The web-version URL of an activity (a stable conta.cc short link)."""
    number = int.from_bytes(hashlib.blake2b(activity_id.encode(), digest_size=6).digest(), "big")
    chars = []
    for _ in range(7):
        number, rest = divmod(number, 62)
        chars.append(_BASE62[rest])
    return "https://conta.cc/" + "".join(chars)


def _senders_confirmed(account: CampaignAccount, activity: Activity) -> bool:
    confirmed = {address.lower() for address in account.confirmed_emails()}
    return {activity.from_email.lower(), activity.reply_to_email.lower()} <= confirmed


def send_resend(
    account: CampaignAccount, primary: Activity, subject: str, at: dt.datetime
) -> tuple[Activity, tuple[Event, ...]]:
    """Send a ``resend`` activity (a copy of ``primary`` with ``subject``) to its non-openers.

    Returns the new DONE activity, its history holding the one send, and the opt-outs to apply.
    """
    targets = non_openers(account, primary, at)
    activity = Activity(
        activity_id=new_id(),
        campaign_id=primary.campaign_id,
        role=RESEND,
        from_name=primary.from_name,
        from_email=primary.from_email,
        reply_to_email=primary.reply_to_email,
        subject=subject,
        html_content=primary.html_content,
        physical_address=dict(primary.physical_address),
        preheader=primary.preheader,
        status=DONE,
        contact_list_ids=list(primary.contact_list_ids),
        segment_ids=list(primary.segment_ids),
    )
    optouts = deliver(account.state.seed, activity, targets, at, 1)
    reason = 0 if targets else NO_ELIGIBLE_CONTACTS
    lists = tuple(activity.contact_list_ids)
    segments = tuple(activity.segment_ids)
    record = SendRecord(1, lists, segments, len(targets), at, "COMPLETED", reason)
    activity.history.append(record)
    if targets and isinstance(account, MailingAccount):
        account.mail("resend", activity, [c.contact_id for c in targets], at)
    return activity, optouts
