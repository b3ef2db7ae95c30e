"""Pure tests of the campaign book: creation rules, activity updates, deletion and renaming."""

from __future__ import annotations

import datetime as dt

import pytest

from ccasync.sim._http import ApiFailure
from ccasync.sim.campaigns.records import PERMALINK, PRIMARY, REMOVED
from tests.sim.campaigns.test_campaign_fakes import (
    SENDER,
    T0,
    activity_put,
    campaign_body,
    new_book,
)


def _status(exc: pytest.ExceptionInfo[ApiFailure]) -> tuple[int, str]:
    return exc.value.status, exc.value.message


def test_create_makes_draft_with_primary_and_permalink() -> None:
    """POST /emails creates a Draft campaign with primary_email and permalink activities."""
    _, book = new_book()
    campaign = book.create(campaign_body(), T0)
    assert campaign.current_status == "Draft"
    assert [a.role for a in campaign.activities] == [PRIMARY, PERMALINK]
    assert campaign.primary.status == "DRAFT"
    assert campaign.created_at == campaign.updated_at == T0


def test_create_defaults_footer_to_account_address() -> None:
    """An omitted footer is the account's physical address plus its organization name."""
    _, book = new_book()
    footer = book.create(campaign_body(), T0).primary.physical_address
    assert footer["address_line1"] == "1 Main St"
    assert footer["organization_name"] == "Acme Pets"


def test_create_without_any_address_is_400() -> None:
    """No footer and no account address gives 400 "Please enter an address"."""
    account, book = new_book()
    account.physical_address = None
    with pytest.raises(ApiFailure) as exc:
        book.create(campaign_body(), T0)
    assert _status(exc) == (400, "Please enter an address")


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        (campaign_body(name=""), "name"),
        (campaign_body(name="x" * 81), "name"),
        (campaign_body(from_email="pending@example.org"), "from_email"),
        (campaign_body(reply_to_email="nobody@example.org"), "reply_to_email"),
        (campaign_body(from_name="n" * 101), "from_name"),
        (campaign_body(subject=None), "subject"),
        (campaign_body(html_content="x" * 150_001), "html_content"),
        (campaign_body(html_content="<p>${name}</p>"), "html_content"),
        (campaign_body(format_type=3), "format_type"),
        (campaign_body(preheader="p" * 201), "preheader"),
        (campaign_body(physical_address_in_footer={"address_line1": "x"}), "country_code"),
        ({"name": "n", "email_campaign_activities": []}, "email_campaign_activities"),
    ],
)
def test_create_rejects_invalid_bodies_naming_the_field(
    body: dict[str, object], needle: str
) -> None:
    """Each invalid create body answers 400 with the offending field in the message."""
    _, book = new_book()
    with pytest.raises(ApiFailure) as exc:
        book.create(body, T0)
    assert exc.value.status == 400
    assert needle in exc.value.message


def test_create_accepts_name_of_80_chars_and_html_of_150000() -> None:
    """The limits are inclusive: 80-char names and 150,000-char HTML are accepted."""
    _, book = new_book()
    campaign = book.create(campaign_body("n" * 80, html_content="x" * 150_000), T0)
    assert len(campaign.name) == 80


def test_duplicate_name_is_409_even_after_delete() -> None:
    """Campaign names are unique per account, Removed campaigns included (409)."""
    _, book = new_book()
    first = book.create(campaign_body("Weekly"), T0)
    book.delete(first.campaign_id, T0)
    with pytest.raises(ApiFailure) as exc:
        book.create(campaign_body("Weekly"), T0)
    assert exc.value.status == 409


def test_rename_checks_uniqueness_and_removed() -> None:
    """PATCH renames; a taken name is 409 and a Removed campaign cannot be renamed (400)."""
    _, book = new_book()
    one = book.create(campaign_body("One"), T0)
    book.create(campaign_body("Two"), T0)
    later = T0 + dt.timedelta(minutes=1)
    assert book.rename(one.campaign_id, {"name": "Uno"}, later).updated_at == later
    with pytest.raises(ApiFailure) as exc:
        book.rename(one.campaign_id, {"name": "Two"}, later)
    assert exc.value.status == 409
    book.delete(one.campaign_id, later)
    with pytest.raises(ApiFailure) as exc:
        book.rename(one.campaign_id, {"name": "Three"}, later)
    assert exc.value.status == 400


def test_delete_marks_removed_and_hides_activities() -> None:
    """DELETE gives status Removed; the campaign is still listed but its activities are 404."""
    _, book = new_book()
    campaign = book.create(campaign_body(), T0)
    book.delete(campaign.campaign_id, T0)
    assert campaign.current_status == "Removed"
    assert campaign.primary.status == REMOVED
    assert book.listing() == [campaign]
    with pytest.raises(ApiFailure) as exc:
        book.activity(campaign.primary.activity_id)
    assert exc.value.status == 404


def test_delete_refused_while_scheduled() -> None:
    """A Scheduled campaign cannot be deleted (400) until it is unscheduled."""
    account, book = new_book()
    list_id = account.add_list()
    campaign = book.create(campaign_body(), T0)
    activity_id = campaign.primary.activity_id
    book.update_activity(activity_id, activity_put([list_id]), T0)
    book.schedule(activity_id, {"scheduled_date": "2026-03-05T10:00:00Z"}, T0)
    with pytest.raises(ApiFailure) as exc:
        book.delete(campaign.campaign_id, T0)
    assert exc.value.status == 400
    book.unschedule(activity_id, T0)
    book.delete(campaign.campaign_id, T0)
    assert campaign.removed


@pytest.mark.parametrize("bad_id", ["nope", "12345678-1234-1234-1234-1234567890ab"])
def test_unknown_or_malformed_ids_are_404(bad_id: str) -> None:
    """Malformed and unknown campaign/activity ids answer 404."""
    _, book = new_book()
    for lookup in (book.campaign, book.activity):
        with pytest.raises(ApiFailure) as exc:
            lookup(bad_id)
        assert exc.value.status == 404


def test_listing_filters_on_updated_at_newest_first() -> None:
    """GET /emails lists newest first and filters on updated_at (inclusive bounds)."""
    _, book = new_book()
    old = book.create(campaign_body("Old"), T0)
    new = book.create(campaign_body("New"), T0 + dt.timedelta(days=2))
    assert book.listing() == [new, old]
    assert book.listing(after=T0 + dt.timedelta(days=1)) == [new]
    assert book.listing(before=T0) == [old]


def test_put_overwrites_scalars_and_keeps_subresources() -> None:
    """PUT replaces top-level fields (omitted preheader cleared) but keeps omitted html/footer."""
    account, book = new_book()
    list_id = account.add_list()
    campaign = book.create(campaign_body(preheader="Early bird"), T0)
    activity_id = campaign.primary.activity_id
    footer_patch = {"physical_address_in_footer": {"city": "Boston"}}
    updated = book.update_activity(activity_id, activity_put([list_id], **footer_patch), T0)
    assert updated.preheader is None
    assert updated.html_content == campaign_body()["email_campaign_activities"][0]["html_content"]
    assert updated.physical_address["city"] == "Boston"
    assert updated.physical_address["address_line1"] == "1 Main St"
    assert updated.contact_list_ids == [list_id]


@pytest.mark.parametrize(
    ("override", "needle"),
    [
        ({"from_name": None}, "from_name"),
        ({"contact_list_ids": ["not-a-uuid"]}, "contact_list_ids"),
        ({"contact_list_ids": ["12345678-1234-4234-8234-1234567890ab"]}, "contact_list_ids"),
        ({"segment_ids": [3]}, "segment"),
        ({"from_email": "pending@example.org"}, "from_email"),
    ],
)
def test_put_validates_recipients_and_senders(override: dict[str, object], needle: str) -> None:
    """PUT needs the sender fields, existing lists, and no segments in the simulator."""
    account, book = new_book()
    list_id = account.add_list()
    activity_id = book.create(campaign_body(), T0).primary.activity_id
    body = activity_put([list_id], **override)
    body = {k: v for k, v in body.items() if v is not None}
    with pytest.raises(ApiFailure) as exc:
        book.update_activity(activity_id, body, T0)
    assert exc.value.status == 400
    assert needle in exc.value.message


def test_put_lists_and_segments_are_mutually_exclusive() -> None:
    """contact_list_ids and segment_ids together answer 400."""
    account, book = new_book()
    list_id = account.add_list()
    activity_id = book.create(campaign_body(), T0).primary.activity_id
    with pytest.raises(ApiFailure) as exc:
        book.update_activity(activity_id, activity_put([list_id], segment_ids=[1]), T0)
    assert "mutually exclusive" in exc.value.message


def test_put_only_primary_email_and_only_draft_or_done() -> None:
    """PUT is refused for the permalink activity and for a SCHEDULED activity (400)."""
    account, book = new_book()
    list_id = account.add_list()
    campaign = book.create(campaign_body(), T0)
    with pytest.raises(ApiFailure) as exc:
        book.update_activity(campaign.activities[1].activity_id, activity_put([list_id]), T0)
    assert "primary_email" in exc.value.message
    activity_id = campaign.primary.activity_id
    book.update_activity(activity_id, activity_put([list_id]), T0)
    book.schedule(activity_id, {"scheduled_date": "2026-04-01"}, T0)
    with pytest.raises(ApiFailure) as exc:
        book.update_activity(activity_id, activity_put([list_id]), T0)
    assert "SCHEDULED" in exc.value.message


def test_sender_match_is_case_insensitive() -> None:
    """A confirmed address in another letter case is accepted as sender."""
    _, book = new_book()
    campaign = book.create(campaign_body(from_email=SENDER.upper()), T0)
    assert campaign.primary.from_email == SENDER.upper()


def test_rejected_put_leaves_the_activity_unchanged() -> None:
    """A PUT failing validation (bad footer after good fields) changes nothing."""
    account, book = new_book()
    list_id = account.add_list()
    activity = book.create(campaign_body(), T0).primary
    before = (
        activity.from_name,
        activity.subject,
        activity.html_content,
        activity.contact_list_ids,
    )
    body = activity_put(
        [list_id],
        from_name="Changed",
        subject="Changed",
        html_content="<p>new</p>",
        physical_address_in_footer={"country_code": "usa"},
    )
    with pytest.raises(ApiFailure):
        book.update_activity(activity.activity_id, body, T0)
    after = (activity.from_name, activity.subject, activity.html_content, activity.contact_list_ids)
    assert after == before
