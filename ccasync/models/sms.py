"""SMS records: a contact's SMS consent history and the SMS campaign summary report."""

from __future__ import annotations

import datetime as dt
from typing import Any

import attrs

SUMMARIES_PAGE_MAX = 50
"""Max ``limit`` of ``GET /reports/summary_reports/sms_campaign_summaries`` (default 50)."""


@attrs.define(kw_only=True)
class HistoryDetails:
    """What changed in one SMS consent event (the spec's ``HistoryDetails``).

    ``consent_action_time`` and ``source_consent_timestamp`` are kept as the API's text: its
    example writes ``2023-01-23 06:09:23 -0800``, which is not ISO-8601.
    """

    state: str | None = None
    source: str | None = None
    consent_type: str | None = None
    consent_action_time: str | None = None
    consent_action_type: str | None = None
    consent_medium_type: str | None = None
    source_consent_timestamp: str | None = None
    source_sms_number: str | None = None
    advertised_frequency: int | None = None
    advertised_interval: str | None = None
    extra: dict[str, Any] = attrs.field(factory=dict, repr=False)


@attrs.define(kw_only=True)
class SmsEngagementHistory:
    """One SMS consent event of a contact (an item of the spec's ``SmsEngagementHistory``)."""

    contact_id: str | None = None
    sms_channel_id: str | None = None
    sms_channel_history_id: str | None = None
    insert_time: dt.datetime | None = None
    history_details: HistoryDetails | None = None
    extra: dict[str, Any] = attrs.field(factory=dict, repr=False)


@attrs.define(kw_only=True)
class UniqueSmsCounts:
    """Unique contacts per SMS tracking kind of one campaign."""

    sends: int = 0
    delivers: int = 0
    opens: int | None = None
    clicks: int = 0
    optouts: int = 0
    extra: dict[str, Any] = attrs.field(factory=dict, repr=False)


@attrs.define(kw_only=True)
class BulkCampaignSummary:
    """One SMS campaign's summary (the spec's ``BulkCampaignSummary``)."""

    campaign_id: str
    campaign_name: str | None = None
    last_sent_date: dt.datetime | None = None
    unique_counts: UniqueSmsCounts | None = None
    campaign_type: str | None = None
    extra: dict[str, Any] = attrs.field(factory=dict, repr=False)


@attrs.define(kw_only=True)
class BulkSmsCampaignSummariesPercents:
    """Aggregate percents over the SMS campaigns of a page."""

    deliver: float | None = None
    click: float | None = None
    bounce: float | None = None
    unsubscribe: float | None = None
    extra: dict[str, Any] = attrs.field(factory=dict, repr=False)


@attrs.define(kw_only=True)
class SmsCampaignSummariesPage:
    """One page of the SMS campaign summary report, with its aggregate percents."""

    bulk_sms_campaign_summaries: list[BulkCampaignSummary] = attrs.field(factory=list)
    aggregate_percents: BulkSmsCampaignSummariesPercents | None = None
    extra: dict[str, Any] = attrs.field(factory=dict, repr=False)
