"""Pure tests of subject-line A/B tests: rules, type codes, the two-phase send and the winner."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from ccasync.sim._http import ApiFailure
from ccasync.sim.campaigns.book import CampaignBook
from ccasync.sim.campaigns.records import Activity, Campaign
from tests.sim.campaigns.test_campaign_fakes import (
    T0,
    FakeAccount,
    activity_put,
    campaign_body,
    new_book,
)

AB = {"alternative_subject": "B side", "test_size": 10, "winner_wait_duration": 6}


def _draft(count: int = 1000) -> tuple[FakeAccount, CampaignBook, str, Campaign, Activity]:
    account, book = new_book(13)
    list_id = account.add_list()
    account.populate(list_id, count)
    campaign = book.create(campaign_body(), T0)
    book.update_activity(campaign.primary.activity_id, activity_put([list_id]), T0)
    return account, book, list_id, campaign, campaign.primary


def test_create_get_delete_switch_type_code() -> None:
    """POST sets type_code 57, GET returns the test, DELETE reverts to 10; absent test is 404."""
    _, book, _, campaign, activity = _draft(0)
    test = book.create_abtest(activity.activity_id, AB, T0)
    assert (test.alternative_subject, test.test_size, test.winner_wait_duration) == (
        "B side",
        10,
        6,
    )
    assert campaign.type_code == 57
    assert book.abtest(activity.activity_id) is test
    with pytest.raises(ApiFailure) as exc:
        book.create_abtest(activity.activity_id, AB, T0)
    assert exc.value.status == 409
    book.delete_abtest(activity.activity_id, T0)
    assert campaign.type_code == 10
    for call in (book.abtest, lambda a: book.delete_abtest(a, T0)):
        with pytest.raises(ApiFailure) as exc:
            call(activity.activity_id)
        assert exc.value.status == 404


@pytest.mark.parametrize(
    "override",
    [
        {"test_size": 4},
        {"test_size": 51},
        {"winner_wait_duration": 7},
        {"alternative_subject": ""},
        {"test_size": True},
    ],
)
def test_create_validates_the_body(override: dict[str, Any]) -> None:
    """test_size 5-50, winner_wait_duration 6/12/24/48 and a subject are required (400)."""
    _, book, _, _, activity = _draft(0)
    with pytest.raises(ApiFailure) as exc:
        book.create_abtest(activity.activity_id, {**AB, **override}, T0)
    assert exc.value.status == 400


def test_only_while_draft() -> None:
    """Once scheduled, an A/B test can be neither created nor deleted (409)."""
    _, book, _, _, activity = _draft(5)
    book.create_abtest(activity.activity_id, AB, T0)
    book.schedule(activity.activity_id, {"scheduled_date": "2026-03-09"}, T0)
    with pytest.raises(ApiFailure) as exc:
        book.delete_abtest(activity.activity_id, T0)
    assert exc.value.status == 409


def test_send_tests_both_subjects_then_sends_the_winner_to_the_rest() -> None:
    """test_size % get each subject; after the wait the rest (incl. newcomers) get the winner."""
    account, book, list_id, campaign, activity = _draft(1000)
    book.create_abtest(activity.activity_id, AB, T0)
    book.schedule(activity.activity_id, {"scheduled_date": "0"}, T0)
    book.tick(T0 + dt.timedelta(hours=1))
    test = campaign.abtest
    assert test is not None
    assert (len(test.group_a), len(test.group_b)) == (100, 100)
    assert not set(test.group_a) & set(test.group_b)
    assert activity.status == "EXECUTING"
    assert [r.count for r in book.send_history(activity.activity_id)] == [200]
    newcomer = account.add_contact("late@example.net", list_id)
    book.tick(T0 + dt.timedelta(days=1))
    assert activity.status == "DONE"
    history = book.send_history(activity.activity_id)
    assert [r.count for r in history] == [200, 801]
    assert history[1].run_date == T0 + dt.timedelta(hours=6)
    assert newcomer.contact_id in activity.tracking.deliveries
    wait_end = T0 + dt.timedelta(hours=6)
    openers = activity.tracking.contacts_with("em_opens", wait_end)
    opens = (len(openers & set(test.group_a)), len(openers & set(test.group_b)))
    assert test.winner == ("B" if opens[1] > opens[0] else "A")


def test_rescheduling_after_the_test_is_a_normal_send() -> None:
    """A DONE A/B campaign scheduled again sends once, to new members only."""
    account, book, list_id, _, activity = _draft(100)
    book.create_abtest(activity.activity_id, AB, T0)
    book.schedule(activity.activity_id, {"scheduled_date": "0"}, T0)
    book.tick(T0 + dt.timedelta(days=1))
    account.add_contact("new@example.net", list_id)
    later = T0 + dt.timedelta(days=1)
    book.schedule(activity.activity_id, {"scheduled_date": "0"}, later)
    book.tick(later + dt.timedelta(minutes=1))
    assert [r.count for r in book.send_history(activity.activity_id)] == [20, 80, 1]
    assert activity.status == "DONE"
