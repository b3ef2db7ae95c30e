"""Pure tests of schedules and sends on the virtual clock: state machine, recipients, history."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from ccasync.sim._http import ApiFailure
from ccasync.sim.campaigns.book import CampaignBook
from ccasync.sim.campaigns.records import Activity
from tests.sim.campaigns.test_campaign_fakes import (
    T0,
    FakeAccount,
    activity_put,
    campaign_body,
    new_book,
)

SECOND = dt.timedelta(seconds=1)


def _ready(count: int = 3, **kwargs: Any) -> tuple[FakeAccount, CampaignBook, str, Activity]:
    account, book = new_book(**kwargs)
    list_id = account.add_list()
    account.populate(list_id, count)
    activity = book.create(campaign_body(), T0).primary
    book.update_activity(activity.activity_id, activity_put([list_id]), T0)
    return account, book, list_id, activity


def _send_now(book: CampaignBook, activity: Activity, at: dt.datetime) -> None:
    assert book.schedule(activity.activity_id, {"scheduled_date": "0"}, at) is None
    book.tick(at + dt.timedelta(minutes=1))


def test_send_now_moves_through_executing_to_done() -> None:
    """Send-now starts at the next tick (EXECUTING) and is DONE 2 s + 1 ms per contact later."""
    _, book, list_id, activity = _ready(count=3)
    book.schedule(activity.activity_id, {"scheduled_date": "0"}, T0)
    assert activity.status == "SCHEDULED"
    book.tick(T0)
    assert activity.status == "EXECUTING"
    assert book.send_history(activity.activity_id) == []
    book.tick(T0 + 2 * SECOND)
    assert activity.status == "EXECUTING"
    book.tick(T0 + 2.003 * SECOND)
    assert activity.status == "DONE"
    [record] = book.send_history(activity.activity_id)
    assert (record.send_id, record.count, record.run_date) == (1, 3, T0)
    assert (record.send_status, record.reason_code, record.contact_list_ids) == (
        "COMPLETED",
        0,
        (list_id,),
    )
    assert activity.permalink_url is not None


def test_future_schedule_waits_for_the_clock() -> None:
    """A dated schedule stays SCHEDULED (GET shows the date) until the clock reaches it."""
    _, book, _, activity = _ready()
    when = book.schedule(activity.activity_id, {"scheduled_date": "2026-03-03T09:30:00Z"}, T0)
    assert when == dt.datetime(2026, 3, 3, 9, 30, tzinfo=dt.UTC)
    assert book.schedules(activity.activity_id) == [when]
    book.tick(when - SECOND)
    assert activity.status == "SCHEDULED"
    book.tick(when + dt.timedelta(minutes=1))
    assert activity.status == "DONE"
    assert book.schedules(activity.activity_id) == []


def test_date_only_schedule_means_midnight_utc() -> None:
    """A date-only scheduled_date is read as 00:00 UTC of that day."""
    _, book, _, activity = _ready()
    when = book.schedule(activity.activity_id, {"scheduled_date": "2026-03-04"}, T0)
    assert when == dt.datetime(2026, 3, 4, tzinfo=dt.UTC)


@pytest.mark.parametrize("value", ["2026-03-01T00:00:00Z", "2026-03-02", "yesterday", "", None, 5])
def test_schedule_rejects_past_and_malformed_dates(value: object) -> None:
    """Past dates (including a date-only today) and malformed values answer 400."""
    _, book, _, activity = _ready()
    with pytest.raises(ApiFailure) as exc:
        book.schedule(activity.activity_id, {"scheduled_date": value}, T0)
    assert exc.value.status == 400
    assert activity.status == "DRAFT"


def test_schedule_requires_recipients() -> None:
    """Scheduling before contact_list_ids are set answers 400."""
    _, book = new_book()
    activity = book.create(campaign_body(), T0).primary
    with pytest.raises(ApiFailure) as exc:
        book.schedule(activity.activity_id, {"scheduled_date": "0"}, T0)
    assert "recipients" in exc.value.message


def test_schedule_only_from_draft_done_or_error() -> None:
    """A SCHEDULED or EXECUTING activity cannot be scheduled again (400)."""
    _, book, _, activity = _ready()
    book.schedule(activity.activity_id, {"scheduled_date": "0"}, T0)
    for moment in (T0, T0 + SECOND):
        with pytest.raises(ApiFailure) as exc:
            book.schedule(activity.activity_id, {"scheduled_date": "0"}, moment)
        assert exc.value.status == 400
        book.tick(moment)


def test_unschedule_reverts_to_previous_status_and_cancels_send() -> None:
    """DELETE schedules returns to the prior status and the send never happens."""
    _, book, _, activity = _ready()
    book.schedule(activity.activity_id, {"scheduled_date": "2026-03-03"}, T0)
    book.unschedule(activity.activity_id, T0)
    assert activity.status == "DRAFT"
    book.tick(T0 + dt.timedelta(days=3))
    assert activity.status == "DRAFT"
    assert activity.tracking.deliveries == {}
    with pytest.raises(ApiFailure):
        book.unschedule(activity.activity_id, T0)


def test_unschedule_a_done_activity_returns_to_done() -> None:
    """Unscheduling a re-send of a DONE activity goes back to DONE."""
    _, book, _, activity = _ready()
    _send_now(book, activity, T0)
    book.schedule(activity.activity_id, {"scheduled_date": "2026-03-09"}, T0 + SECOND)
    book.unschedule(activity.activity_id, T0 + SECOND)
    assert activity.status == "DONE"


def test_recipients_are_resolved_at_send_time() -> None:
    """Contacts added after scheduling receive the email; removed ones do not."""
    account, book, list_id, activity = _ready(count=2)
    book.schedule(activity.activity_id, {"scheduled_date": "2026-03-03"}, T0)
    late = account.add_contact("late@example.net", list_id)
    dropped = account.contacts[account.lists[list_id].pop(0)]
    book.tick(T0 + dt.timedelta(days=2))
    assert late.contact_id in activity.tracking.deliveries
    assert dropped.contact_id not in activity.tracking.deliveries
    assert book.send_history(activity.activity_id)[0].count == 2


def test_resending_done_reaches_only_new_members() -> None:
    """Scheduling a DONE activity again sends only to members who have not received it."""
    account, book, list_id, activity = _ready(count=3)
    _send_now(book, activity, T0)
    newcomer = account.add_contact("new@example.net", list_id)
    _send_now(book, activity, T0 + dt.timedelta(hours=1))
    second = book.send_history(activity.activity_id)[1]
    assert (second.send_id, second.count, second.reason_code) == (2, 1, 0)
    assert activity.tracking.deliveries[newcomer.contact_id].send_id == 2


def test_send_with_nobody_eligible_records_reason_12() -> None:
    """A send with no eligible contacts is COMPLETED with count 0 and reason_code 12."""
    _, book, _, activity = _ready(count=0)
    _send_now(book, activity, T0)
    [record] = book.send_history(activity.activity_id)
    assert (record.count, record.send_status, record.reason_code) == (0, "COMPLETED", 12)
    assert activity.status == "DONE"


def test_unconfirmed_sender_at_send_time_errors() -> None:
    """If the sender address lost its confirmation, the send is ERRORED (reason 10): ERROR."""
    account, book, _, activity = _ready()
    book.schedule(activity.activity_id, {"scheduled_date": "0"}, T0)
    account.emails[activity.from_email] = "UNCONFIRMED"
    book.tick(T0)
    assert activity.status == "ERROR"
    [record] = book.send_history(activity.activity_id)
    assert (record.send_status, record.reason_code, record.count) == ("ERRORED", 10, 0)
    account.emails[activity.from_email] = "CONFIRMED"
    _send_now(book, activity, T0 + SECOND)
    assert activity.status == "DONE"


def test_one_big_clock_step_equals_many_small_ones() -> None:
    """Jobs run at their own due times: one 3-day step gives the same result as hourly steps."""
    results = []
    for steps in (1, 72):
        account, book, _, activity = _ready(count=200, seed=11)
        book.create_resend(activity.activity_id, {"resend_subject": "Again", "delay_days": 1}, T0)
        book.schedule(activity.activity_id, {"scheduled_date": "0"}, T0)
        for n in range(1, steps + 1):
            book.tick(T0 + dt.timedelta(hours=72 * n / steps))
        campaign = book.campaign(activity.campaign_id)
        results.append(
            (
                [
                    (a.role, len(a.tracking.deliveries), len(a.tracking.events))
                    for a in campaign.activities
                ],
                sorted(account.unsubscribes),
            )
        )
    assert results[0] == results[1]


def test_opt_outs_apply_at_their_event_time() -> None:
    """Generated opt-outs unsubscribe the contact through the account, at the event's time."""
    account, book, _, activity = _ready(count=600, seed=3)
    _send_now(book, activity, T0)
    optouts = [e for e in activity.tracking.events if e.kind == "em_optouts"]
    assert optouts, "seed 3 with 600 contacts produces opt-outs"
    first = min(e.at for e in optouts)
    book.tick(first - SECOND)
    assert account.unsubscribes == []
    book.tick(T0 + dt.timedelta(days=3))
    assert {(c, at) for c, _, at in account.unsubscribes} == {(e.contact_id, e.at) for e in optouts}
    assert all(
        account.contacts[c].permission_to_send == "unsubscribed" for c, _, _ in account.unsubscribes
    )
