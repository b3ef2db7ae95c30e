"""Pure tests of report aggregation: stats keys and arithmetic, percents, links, tracking rows."""

from __future__ import annotations

import datetime as dt

import pytest

from ccasync.sim.campaigns.book import CampaignBook
from ccasync.sim.campaigns.records import Activity, Campaign
from ccasync.sim.reports.stats import (
    CAMPAIGN_KEYS,
    activity_stats,
    aggregate_percents,
    campaign_stats,
    link_counts,
    percents,
    summary,
)
from ccasync.sim.reports.tracking import (
    NewestFirst,
    contact_activity_details,
    contact_activity_summary,
    contact_rates,
    tracking_rows,
)
from tests.sim.campaigns.test_campaign_fakes import (
    T0,
    FakeAccount,
    activity_put,
    campaign_body,
    new_book,
)

LATER = T0 + dt.timedelta(days=3)
ACTIVITY_EXTRA = {
    "em_abuse",
    "em_bounces_blocked",
    "em_bounces_mailbox_full",
    "em_bounces_nonexistent_address",
    "em_bounces_other",
    "em_bounces_suspended",
    "em_bounces_undeliverable",
    "em_bounces_vacation",
}


def _sent(count: int = 400, seed: int = 21) -> tuple[FakeAccount, CampaignBook, Campaign, Activity]:
    account, book = new_book(seed)
    list_id = account.add_list()
    account.populate(list_id, count)
    campaign = book.create(campaign_body(), T0)
    activity = campaign.primary
    book.update_activity(activity.activity_id, activity_put([list_id]), T0)
    book.schedule(activity.activity_id, {"scheduled_date": "0"}, T0)
    book.tick(T0 + dt.timedelta(seconds=10))
    return account, book, campaign, activity


def test_stats_keys_are_exactly_the_spec_keys() -> None:
    """Campaign stats carry the StatsEmail keys; activity stats add abuse and the bounce split."""
    _, _, campaign, activity = _sent(50)
    assert set(campaign_stats(campaign, LATER)) == set(CAMPAIGN_KEYS)
    assert set(activity_stats(activity, LATER)) == set(CAMPAIGN_KEYS) | ACTIVITY_EXTRA
    assert len(CAMPAIGN_KEYS) == 19


def test_stats_arithmetic_matches_the_events() -> None:
    """Unique counts count contacts, _all counts count events, not_opened = sends-opens-bounces."""
    _, _, _, activity = _sent()
    stats = activity_stats(activity, LATER)
    events = activity.tracking.events
    openers = {e.contact_id for e in events if e.kind == "em_opens"}
    bounced = {e.contact_id for e in events if e.kind == "em_bounces"}
    assert stats["em_sends"] == 400
    assert stats["em_opens"] == len(openers)
    assert stats["em_opens_all"] == sum(e.kind == "em_opens" for e in events)
    assert stats["em_opens_all"] == sum(
        stats[f"em_opens_all_{d}"] for d in ("computer", "mobile", "tablet", "other", "none")
    )
    assert stats["em_bounces"] == len(bounced)
    assert stats["em_not_opened"] == 400 - len(openers) - len(bounced)
    split = sum(stats[k] for k in ACTIVITY_EXTRA if k.startswith("em_bounces_"))
    assert split == stats["em_bounces"]


def test_future_events_are_not_counted_yet() -> None:
    """Right after the send only sends (and maybe early bounces) count; opens come later."""
    _, _, _, activity = _sent()
    early = activity_stats(activity, T0 + dt.timedelta(seconds=10))
    assert early["em_sends"] == 400
    assert early["em_opens"] == 0
    assert activity_stats(activity, LATER)["em_opens"] > 0


def test_percents_follow_the_definitions() -> None:
    """open/did_not_open of delivered, bounce of sends, click of openers, device shares."""
    stats = dict.fromkeys(CAMPAIGN_KEYS, 0)
    stats.update(
        em_sends=200,
        em_bounces=20,
        em_opens=60,
        em_not_opened=120,
        em_clicks=15,
        em_optouts=9,
        em_opens_all=80,
        em_opens_all_computer=20,
        em_opens_all_mobile=60,
        em_clicks_all=10,
        em_clicks_all_computer=10,
    )
    result = percents(stats)
    assert result == {
        "bounce": 10.0,
        "click": 25.0,
        "desktop_click": 100.0,
        "desktop_open": 25.0,
        "did_not_open": 66.7,
        "mobile_click": 0.0,
        "mobile_open": 75.0,
        "open": 33.3,
        "unsubscribe": 5.0,
    }


def test_percents_of_nothing_are_zero() -> None:
    """An unsent campaign has all percents 0.0 (no division by zero)."""
    assert set(percents(dict.fromkeys(CAMPAIGN_KEYS, 0)).values()) == {0.0}


def test_summary_and_aggregate_percents() -> None:
    """A bulk summary has unique_counts and last_sent_date; aggregates sum the page."""
    _, _, campaign, _ = _sent(100)
    item = summary(campaign, LATER)
    counts = item["unique_counts"]
    assert item["last_sent_date"] == "2026-03-02T12:00:00.000Z"
    assert set(counts) == {
        "sends",
        "opens",
        "clicks",
        "forwards",
        "optouts",
        "abuse",
        "bounces",
        "not_opened",
    }
    agg = aggregate_percents([item, item])
    delivered = counts["sends"] - counts["bounces"]
    assert agg["open"] == round(100 * counts["opens"] / delivered, 1)


def test_link_counts_combine_duplicates_and_list_unclicked_on_request() -> None:
    """Links report: one row per distinct URL; unclicked links only with no_clicks."""
    _, _, _, activity = _sent()
    rows = link_counts(activity, LATER, no_clicks=True)
    assert [r["link_url"] for r in rows] == ["https://example.com/a", "https://example.com/b"]
    clicks = [e for e in activity.tracking.events if e.kind == "em_clicks"]
    assert sum(r["unique_clicks"] for r in rows) == len({(e.contact_id, e.url_id) for e in clicks})
    assert link_counts(activity, T0, no_clicks=False) == []


@pytest.mark.parametrize(
    "kind", ["sends", "opens", "unique_opens", "didnotopens", "clicks", "optouts", "bounces"]
)
def test_tracking_rows_are_newest_first(kind: str) -> None:
    """Every tracking report lists the most recent activity first, with the right type."""
    account, _, _, activity = _sent(600, seed=2)
    rows = tracking_rows(account, activity, kind, LATER)
    assert rows, kind
    times = [r["created_time"] for r in rows]
    assert times == sorted(times, reverse=True)
    expected = {"sends": "em_sends", "didnotopens": "em_didnotopens", "unique_opens": "em_opens"}
    assert {r["tracking_activity_type"] for r in rows} == {expected.get(kind, f"em_{kind}")}


def test_unique_opens_and_didnotopens_partition_the_delivered() -> None:
    """unique_opens has one row per opener; with didnotopens and bounces it covers every send."""
    account, _, _, activity = _sent()
    unique = tracking_rows(account, activity, "unique_opens", LATER)
    unopened = tracking_rows(account, activity, "didnotopens", LATER)
    bounced = tracking_rows(account, activity, "bounces", LATER)
    ids = [r["contact_id"] for r in unique + unopened + bounced]
    assert len(ids) == len(set(ids)) == 400


def test_bounce_code_and_url_filters() -> None:
    """bounces filter on bounce_code; clicks filter on url_id."""
    account, _, _, activity = _sent(1500, seed=4)
    every = tracking_rows(account, activity, "bounces", LATER)
    only_b = tracking_rows(account, activity, "bounces", LATER, bounce_codes={"B"})
    assert {r["bounce_code"] for r in only_b} == {"B"}
    assert 0 < len(only_b) < len(every)
    assert all(r["current_email_address"] == r["email_address"] for r in every)
    clicks = tracking_rows(account, activity, "clicks", LATER)
    url_id = clicks[0]["url_id"]
    filtered = tracking_rows(account, activity, "clicks", LATER, url_id=url_id)
    assert {r["url_id"] for r in filtered} == {url_id}


def test_rows_show_deleted_at_and_current_names() -> None:
    """Rows carry the contact's current names and the date it was deleted."""
    account, _, _, activity = _sent(3)
    contact = account.contacts[next(iter(activity.tracking.deliveries))]
    contact.first_name = "Ada"
    contact.deleted_at = dt.datetime(2026, 3, 4, 8, tzinfo=dt.UTC)
    [row] = [
        r
        for r in tracking_rows(account, activity, "sends", LATER)
        if r["contact_id"] == contact.contact_id
    ]
    assert (row["first_name"], row["deleted_at"]) == ("Ada", "2026-03-04")
    assert "last_name" not in row


def test_contact_reports() -> None:
    """Contact activity details, summary and rates reflect the contact's own events."""
    _, book, campaign, activity = _sent(400, seed=21)
    opener = next(e.contact_id for e in activity.tracking.events if e.kind == "em_opens")
    details = contact_activity_details(book, opener, {"em_sends", "em_opens"}, LATER, names=True)
    assert details[-1]["tracking_activity_type"] == "em_sends"
    assert {d["campaign_activity_name"] for d in details} == {campaign.name}
    [item] = contact_activity_summary(book, opener, T0, LATER, LATER)
    assert item["em_sends"] == 1
    assert item["em_opens"] >= 1
    rates = contact_rates(book, opener, T0, LATER, LATER)
    assert (rates["included_activities_count"], rates["average_open_rate"]) == (1, 1.0)
    empty = contact_rates(book, opener, LATER, LATER, LATER)
    assert empty["included_activities_count"] == 0


def test_newest_first_view_pages_without_copying() -> None:
    """The tracking view reverses the visible prefix and supports slices and negative indexes."""
    view = NewestFirst([1, 2, 3, 4, 5], 4, lambda n: (n, "k", T0, None))
    assert len(view) == 4
    assert [item[0] for item in view[0:2]] == [4, 3]
    assert [item[0] for item in view[2:10]] == [2, 1]
    assert view[-1][0] == 1
    with pytest.raises(IndexError):
        view[4]
