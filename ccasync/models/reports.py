"""Reporting records (``/reports/*``): campaign summaries, stats, tracking events, contact reports.

Stats are refreshed periodically by the API (``last_refresh_time``), not in real time. Tracking
events come newest first. Every record tolerates fields the API adds later (kept in ``extra``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import attrs

from ccasync import _checks
from ccasync.errors import APIErrorDetail, ValidationError

TRACKING_PAGE_MAX = 500
"""Max ``limit`` of the ``/reports/email_reports/{id}/tracking/*`` endpoints."""
SUMMARIES_PAGE_MAX = 500
"""Max ``limit`` of ``/reports/summary_reports/email_campaign_summaries``."""
CONTACT_ACTIVITY_PAGE_MAX = 100
"""Max ``limit`` of ``/reports/contact_reports/{id}/activity_details``."""
CAMPAIGN_STATS_MAX = 150
"""Campaign ids per ``/reports/stats/email_campaigns`` call (the spec's ``maximum``)."""
ACTIVITY_STATS_MAX = 10
"""Activity ids per ``/reports/stats/email_campaign_activities`` call."""
BOUNCE_CODES = frozenset({"B", "D", "F", "S", "V", "X", "Z"})
"""Bounce codes: B non-existent, D undeliverable, F mailbox full, S suspended, V vacation
(delivered), X other, Z blocked."""
CONTACT_ACTIVITY_TYPES = frozenset(
    {
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
    }
)
"""Values of ``tracking_activities_list`` for a contact's activity details."""
RATES_RANGE_MAX = dt.timedelta(days=5 * 366)
"""Longest ``start``-``end`` range of a contact's open and click rates (5 years)."""


@attrs.define(kw_only=True)
class UniqueEmailCounts:
    """Unique counts of one campaign in the summaries report."""

    sends: int | None = None
    opens: int | None = None
    clicks: int | None = None
    forwards: int | None = None
    optouts: int | None = None
    abuse: int | None = None
    bounces: int | None = None
    not_opened: int | None = None
    extra: dict[str, Any] = attrs.field(factory=dict, repr=False)


@attrs.define(kw_only=True)
class CampaignSummary:
    """One sent campaign of the summaries report (spec ``BulkEmailCampaignSummary``)."""

    campaign_id: str
    campaign_type: str | None = None
    last_sent_date: dt.datetime | None = None
    unique_counts: UniqueEmailCounts | None = None
    extra: dict[str, Any] = attrs.field(factory=dict, repr=False)


@attrs.define(kw_only=True)
class SummaryPercents:
    """Aggregate percents of one summaries page: click, open, did_not_open, bounce, unsubscribe."""

    click: float | None = None
    open: float | None = None
    did_not_open: float | None = None
    bounce: float | None = None
    unsubscribe: float | None = None
    extra: dict[str, Any] = attrs.field(factory=dict, repr=False)


@attrs.define(kw_only=True)
class CampaignSummariesPage:
    """One page of the summaries report with the page's aggregate percents."""

    bulk_email_campaign_summaries: list[CampaignSummary] = attrs.field(factory=list)
    aggregate_percents: SummaryPercents | None = None
    extra: dict[str, Any] = attrs.field(factory=dict, repr=False)


@attrs.define(kw_only=True)
class StatsEmail:
    """Counts of a campaign, unique unless ``_all``.

    ``em_not_opened`` = sends − opens − bounces (floored at 0).
    """

    em_sends: int | None = None
    em_opens: int | None = None
    em_opens_all: int | None = None
    em_opens_all_computer: int | None = None
    em_opens_all_mobile: int | None = None
    em_opens_all_tablet: int | None = None
    em_opens_all_other: int | None = None
    em_opens_all_none: int | None = None
    em_clicks: int | None = None
    em_clicks_all: int | None = None
    em_clicks_all_computer: int | None = None
    em_clicks_all_mobile: int | None = None
    em_clicks_all_tablet: int | None = None
    em_clicks_all_other: int | None = None
    em_clicks_all_none: int | None = None
    em_forwards: int | None = None
    em_optouts: int | None = None
    em_bounces: int | None = None
    em_not_opened: int | None = None
    extra: dict[str, Any] = attrs.field(factory=dict, repr=False)


@attrs.define(kw_only=True)
class StatsEmailActivity(StatsEmail):
    """Counts of a campaign activity: :class:`StatsEmail` plus abuse and bounces by kind."""

    em_abuse: int | None = None
    em_bounces_blocked: int | None = None
    em_bounces_mailbox_full: int | None = None
    em_bounces_nonexistent_address: int | None = None
    em_bounces_other: int | None = None
    em_bounces_suspended: int | None = None
    em_bounces_undeliverable: int | None = None
    em_bounces_vacation: int | None = None


@attrs.define(kw_only=True)
class PercentsEmail:
    """Rates of a campaign in percent; ``open`` is of delivered, ``click`` of openers."""

    bounce: float | None = None
    click: float | None = None
    desktop_click: float | None = None
    desktop_open: float | None = None
    did_not_open: float | None = None
    mobile_click: float | None = None
    mobile_open: float | None = None
    open: float | None = None
    unsubscribe: float | None = None
    extra: dict[str, Any] = attrs.field(factory=dict, repr=False)


@attrs.define(kw_only=True)
class CampaignStats:
    """Stats and percents of one campaign (all its activities)."""

    campaign_id: str
    stats: StatsEmail | None = None
    percents: PercentsEmail | None = None
    last_refresh_time: dt.datetime | None = None
    extra: dict[str, Any] = attrs.field(factory=dict, repr=False)


@attrs.define(kw_only=True)
class ActivityStats:
    """Stats of one campaign activity."""

    campaign_id: str | None = None
    campaign_activity_id: str | None = None
    stats: StatsEmailActivity | None = None
    last_refresh_time: dt.datetime | None = None
    extra: dict[str, Any] = attrs.field(factory=dict, repr=False)


@attrs.define(kw_only=True)
class CampaignStatsReport:
    """The whole campaign stats answer: ``results``, and ``errors`` for the ids that had none."""

    results: list[CampaignStats] = attrs.field(factory=list)
    errors: list[APIErrorDetail] = attrs.field(factory=list)
    extra: dict[str, Any] = attrs.field(factory=dict, repr=False)


@attrs.define(kw_only=True)
class ActivityStatsReport:
    """The whole activity stats answer: ``results``, and ``errors`` for the ids that had none."""

    results: list[ActivityStats] = attrs.field(factory=list)
    errors: list[APIErrorDetail] = attrs.field(factory=list)
    extra: dict[str, Any] = attrs.field(factory=dict, repr=False)


@attrs.define(kw_only=True)
class TrackingEvent:
    """One tracking event of a campaign activity (sends, opens, clicks, bounces, optouts…).

    ``tracking_activity_type`` tells which: em_sends, em_opens, em_clicks, em_bounces,
    em_optouts, em_forwards, em_didnotopens. Kind-specific fields are None elsewhere:
    ``device_type`` (opens, clicks), ``url_id``/``link_url`` (clicks), ``opt_out_reason``
    (optouts), ``bounce_code``/``current_email_address`` (bounces). ``deleted_at`` is the day
    the contact was deleted, if it was.
    """

    contact_id: str | None = None
    campaign_activity_id: str | None = None
    tracking_activity_type: str | None = None
    email_address: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    created_time: dt.datetime | None = None
    deleted_at: dt.date | None = None
    device_type: str | None = None
    url_id: str | None = None
    link_url: str | None = None
    opt_out_reason: str | None = None
    bounce_code: str | None = None
    current_email_address: str | None = None
    extra: dict[str, Any] = attrs.field(factory=dict, repr=False)


@attrs.define(kw_only=True)
class LinkClickCount:
    """Unique clicks of one link of an activity (duplicate URLs are combined)."""

    link_url: str | None = None
    url_id: str | None = None
    unique_clicks: int | None = None
    list_action: str | None = None
    list_id: str | None = None
    link_tag: str | None = None
    extra: dict[str, Any] = attrs.field(factory=dict, repr=False)


@attrs.define(kw_only=True)
class EmailLinks:
    """The links report of an activity."""

    campaign_activity_id: str | None = None
    link_click_counts: list[LinkClickCount] = attrs.field(factory=list)
    extra: dict[str, Any] = attrs.field(factory=dict, repr=False)


@attrs.define(kw_only=True)
class ContactActivity:
    """One tracking event of a contact (spec ``ContactTrackingActivity``), newest first."""

    contact_id: str | None = None
    campaign_activity_id: str | None = None
    created_time: dt.datetime | None = None
    tracking_activity_type: str | None = None
    campaign_activity_name: str | None = None
    extra: dict[str, Any] = attrs.field(factory=dict, repr=False)


@attrs.define(kw_only=True)
class ContactActivityCounts:
    """What one contact did with one campaign activity (spec ``CampaignActivitySummary``)."""

    campaign_activity_id: str | None = None
    start_on: dt.datetime | None = None
    em_sends: int | None = None
    em_opens: int | None = None
    em_clicks: int | None = None
    em_bounces: int | None = None
    em_forwards: int | None = None
    em_unsubscribes: int | None = None
    extra: dict[str, Any] = attrs.field(factory=dict, repr=False)


@attrs.define(kw_only=True)
class ContactActivitySummary:
    """A contact's actions on the most recent 200 campaign activities in a date range."""

    contact_id: str | None = None
    campaign_activities: list[ContactActivityCounts] = attrs.field(factory=list)
    extra: dict[str, Any] = attrs.field(factory=dict, repr=False)


@attrs.define(kw_only=True)
class ContactOpenAndClickRates:
    """A contact's average open and click rates over a date range (0 when no activity)."""

    contact_id: str | None = None
    included_activities_count: int | None = None
    average_open_rate: float | None = None
    average_click_rate: float | None = None
    extra: dict[str, Any] = attrs.field(factory=dict, repr=False)


def check_date_range(
    start: dt.datetime, end: dt.datetime, *, max_span: dt.timedelta | None = None
) -> None:
    """Aware ``start`` ≤ ``end``, at most ``max_span`` apart when given."""
    _checks.check_required("start", start)
    _checks.check_required("end", end)
    _checks.check_aware("start", start)
    _checks.check_aware("end", end)
    if end < start:
        raise ValidationError("end", "must not be before start")
    if max_span is not None and end - start > max_span:
        raise ValidationError("end", f"the range must not exceed {max_span.days} days")
