"""Pure tests of test sends (5 per call, 50 per UTC day) and resends to non-openers."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from ccasync.sim._http import ApiFailure
from ccasync.sim.campaigns.book import CampaignBook, resend_request_id
from tests.sim.campaigns.test_campaign_fakes import T0, activity_put, campaign_body, new_book

DAY = dt.timedelta(days=1)


def _addresses(n: int) -> list[str]:
    return [f"t{i}@example.org" for i in range(n)]


def test_test_send_is_recorded() -> None:
    """A test send of a primary_email activity is recorded with addresses and message."""
    _, book = new_book()
    activity_id = book.create(campaign_body(), T0).primary.activity_id
    book.send_test(activity_id, {"email_addresses": _addresses(2), "personal_message": "Hi"}, T0)
    [sent] = book.test_sends
    assert (sent.activity_id, sent.email_addresses, sent.personal_message, sent.at) == (
        activity_id,
        tuple(_addresses(2)),
        "Hi",
        T0,
    )


@pytest.mark.parametrize(
    "body",
    [
        {"email_addresses": _addresses(6)},
        {"email_addresses": []},
        {"email_addresses": ["not-an-email"]},
        {"personal_message": "no addresses"},
        ["a@b.co"],
    ],
)
def test_test_send_validates_addresses(body: Any) -> None:
    """More than 5 addresses, none, or malformed ones answer 400."""
    _, book = new_book()
    activity_id = book.create(campaign_body(), T0).primary.activity_id
    with pytest.raises(ApiFailure) as exc:
        book.send_test(activity_id, body, T0)
    assert exc.value.status == 400
    assert book.test_sends == []


def test_test_send_daily_cap_resets_at_midnight_utc() -> None:
    """50 recipients per account per UTC day: the 51st is refused until 00:00 UTC."""
    _, book = new_book()
    activity_id = book.create(campaign_body(), T0).primary.activity_id
    for _ in range(10):
        book.send_test(activity_id, {"email_addresses": _addresses(5)}, T0)
    with pytest.raises(ApiFailure) as exc:
        book.send_test(activity_id, {"email_addresses": _addresses(1)}, T0 + dt.timedelta(hours=11))
    assert exc.value.status == 429
    assert "50" in exc.value.message
    midnight = dt.datetime(2026, 3, 3, tzinfo=dt.UTC)
    book.send_test(activity_id, {"email_addresses": _addresses(5)}, midnight)
    assert len(book.test_sends) == 11


def test_test_send_cap_comes_from_config() -> None:
    """The daily cap is the simulator config's test_send_daily_cap."""
    _, book = new_book(cap=3)
    activity_id = book.create(campaign_body(), T0).primary.activity_id
    with pytest.raises(ApiFailure):
        book.send_test(activity_id, {"email_addresses": _addresses(4)}, T0)


def test_test_send_only_for_primary_email() -> None:
    """Test sends of the permalink activity answer 400."""
    _, book = new_book()
    permalink = book.create(campaign_body(), T0).activities[1].activity_id
    with pytest.raises(ApiFailure) as exc:
        book.send_test(permalink, {"email_addresses": _addresses(1)}, T0)
    assert exc.value.status == 400


def _sent_campaign(count: int = 300, seed: int = 5) -> tuple[CampaignBook, str, str]:
    account, book = new_book(seed)
    list_id = account.add_list()
    account.populate(list_id, count)
    campaign = book.create(campaign_body(), T0)
    activity_id = campaign.primary.activity_id
    book.update_activity(activity_id, activity_put([list_id]), T0)
    return book, campaign.campaign_id, activity_id


@pytest.mark.parametrize(
    ("body", "minutes", "days"),
    [
        ({"delay_days": 3}, 4320, 3),
        ({"delay_minutes": 720}, 720, None),
        ({"delay_minutes": 2880}, 2880, 2),
        ({"delay_days": 1, "delay_minutes": 999}, 1440, 1),
    ],
)
def test_resend_delay_forms(body: dict[str, int], minutes: int, days: int | None) -> None:
    """delay_days wins over delay_minutes; delay_days is reported for whole-day delays."""
    book, _, activity_id = _sent_campaign(0)
    resend = book.create_resend(activity_id, {"resend_subject": "Again", **body}, T0)
    assert resend.delay_minutes == minutes
    assert (resend.delay_minutes // 1440 if resend.by_days else None) == days


@pytest.mark.parametrize(
    "body",
    [
        {"resend_subject": "x", "delay_days": 0},
        {"resend_subject": "x", "delay_days": 11},
        {"resend_subject": "x", "delay_minutes": 719},
        {"resend_subject": "x", "delay_minutes": 14_401},
        {"resend_subject": "x"},
        {"delay_days": 2},
    ],
)
def test_resend_validation(body: dict[str, Any]) -> None:
    """Out-of-range delays, a missing delay or subject answer 400."""
    book, _, activity_id = _sent_campaign(0)
    with pytest.raises(ApiFailure) as exc:
        book.create_resend(activity_id, body, T0)
    assert exc.value.status == 400


def test_one_resend_per_campaign() -> None:
    """A second resend for one campaign answers 409; after deleting it a new one is allowed."""
    book, campaign_id, activity_id = _sent_campaign(0)
    book.create_resend(activity_id, {"resend_subject": "A", "delay_days": 1}, T0)
    with pytest.raises(ApiFailure) as exc:
        book.create_resend(activity_id, {"resend_subject": "B", "delay_days": 1}, T0)
    assert exc.value.status == 409
    assert resend_request_id(book.campaign(campaign_id)) == "DRAFT"
    book.delete_resend(activity_id, "DRAFT", T0)
    assert book.resends(activity_id) == []
    book.create_resend(activity_id, {"resend_subject": "B", "delay_days": 1}, T0)


def test_resend_fires_after_delay_to_non_openers_only() -> None:
    """The resend goes out delay after the first send, to those who neither opened nor bounced."""
    book, campaign_id, activity_id = _sent_campaign(300)
    book.create_resend(activity_id, {"resend_subject": "Again", "delay_minutes": 720}, T0)
    book.schedule(activity_id, {"scheduled_date": "0"}, T0)
    campaign = book.campaign(campaign_id)
    assert resend_request_id(campaign).isdigit()
    fire = T0 + dt.timedelta(minutes=720)
    book.tick(fire - dt.timedelta(seconds=1))
    assert len(campaign.activities) == 2
    book.tick(fire + DAY)
    resend_activity = campaign.activities[2]
    primary = campaign.primary.tracking
    responded = primary.contacts_with("em_opens", fire) | primary.contacts_with("em_bounces", fire)
    expected = set(primary.deliveries) - responded
    assert resend_activity.role == "resend"
    assert resend_activity.subject == "Again"
    assert set(resend_activity.tracking.deliveries) <= expected
    assert responded
    assert expected
    [record] = resend_activity.history
    assert (record.run_date, record.count) == (fire, len(resend_activity.tracking.deliveries))
    assert campaign.resend is not None
    assert campaign.resend.resend_date == fire


def test_resend_created_after_send_fires_from_first_send() -> None:
    """A resend created on a DONE campaign is due delay after the first send (or at once)."""
    book, campaign_id, activity_id = _sent_campaign(20)
    book.schedule(activity_id, {"scheduled_date": "0"}, T0)
    book.tick(T0 + 3 * DAY)
    book.create_resend(activity_id, {"resend_subject": "Late", "delay_days": 1}, T0 + 3 * DAY)
    book.tick(T0 + 3 * DAY)
    resend = book.campaign(campaign_id).resend
    assert resend is not None
    assert resend.resend_date == T0 + 3 * DAY


def test_sent_resend_cannot_be_deleted() -> None:
    """Deleting a resend that was already sent answers 409; an unknown id answers 404."""
    book, campaign_id, activity_id = _sent_campaign(5)
    book.create_resend(activity_id, {"resend_subject": "Again", "delay_days": 1}, T0)
    book.schedule(activity_id, {"scheduled_date": "0"}, T0)
    book.tick(T0 + 2 * DAY)
    request_id = resend_request_id(book.campaign(campaign_id))
    with pytest.raises(ApiFailure) as exc:
        book.delete_resend(activity_id, "12", T0 + 2 * DAY)
    assert exc.value.status == 404
    with pytest.raises(ApiFailure) as exc:
        book.delete_resend(activity_id, request_id, T0 + 2 * DAY)
    assert exc.value.status == 409


def test_resend_refused_while_executing() -> None:
    """A resend cannot be created while the primary activity is EXECUTING (400)."""
    book, _, activity_id = _sent_campaign(5)
    book.schedule(activity_id, {"scheduled_date": "0"}, T0)
    book.tick(T0)
    with pytest.raises(ApiFailure) as exc:
        book.create_resend(activity_id, {"resend_subject": "x", "delay_days": 1}, T0)
    assert exc.value.status == 400
