"""The reports API area: campaign summaries, stats, tracking events and contact reports.

Tracking iterators follow the API's cursor pages (``limit`` ≤500 events per call) and yield
:class:`TrackingEvent` records, newest first. :meth:`ReportsResource.iter_optouts_since` builds
on them so an app can react to unsubscribes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Sequence
from typing import Any

from ccasync import _checks
from ccasync._protocol import ParamValue
from ccasync._serde import structure
from ccasync.errors import ValidationError
from ccasync.models.campaigns import EmailCampaign
from ccasync.models.reports import (
    ACTIVITY_STATS_MAX,
    BOUNCE_CODES,
    CAMPAIGN_STATS_MAX,
    CONTACT_ACTIVITY_PAGE_MAX,
    CONTACT_ACTIVITY_TYPES,
    RATES_RANGE_MAX,
    SUMMARIES_PAGE_MAX,
    TRACKING_PAGE_MAX,
    ActivityStats,
    ActivityStatsReport,
    CampaignStats,
    CampaignStatsReport,
    CampaignSummariesPage,
    CampaignSummary,
    ContactActivity,
    ContactActivitySummary,
    ContactOpenAndClickRates,
    EmailLinks,
    TrackingEvent,
    check_date_range,
)
from ccasync.resources._base import Resource

OPTOUT_ROLES = ("primary_email", "resend")
"""Activity roles whose recipients can unsubscribe (the permalink has no recipients)."""
_ALL_CONTACT_TYPES = (
    "em_sends",
    "em_opens",
    "em_clicks",
    "em_bounces",
    "em_optouts",
    "em_forwards",
)


def _tracking_path(activity_id: str, kind: str) -> str:
    _checks.check_uuid("campaign_activity_id", activity_id)
    return f"/reports/email_reports/{activity_id}/tracking/{kind}"


def _contact_path(contact_id: str, tail: str) -> str:
    _checks.check_uuid("contact_id", contact_id)
    return f"/reports/contact_reports/{contact_id}/{tail}"


class ReportsResource(Resource):
    """The reporting endpoints (``/reports/*``); reach it as ``cc.reports``."""

    # --- summaries and stats --------------------------------------------------------------------

    def iter_campaign_summaries(
        self, *, limit: int = SUMMARIES_PAGE_MAX
    ) -> AsyncIterator[CampaignSummary]:
        """Iterate over the sent campaigns' summaries (unique counts), latest send first.

        The API covers up to the 500 most recent campaigns. Limits: one call per ``limit``
        (1-500) campaigns. Raises ValidationError (limit) at once, APIErrors while iterating.
        """
        _checks.check_range("limit", limit, low=1, high=SUMMARIES_PAGE_MAX)
        return self._requestor.iter_items(
            "/reports/summary_reports/email_campaign_summaries",
            items_key="bulk_email_campaign_summaries",
            model=CampaignSummary,
            params={"limit": limit},
        )

    def iter_campaign_summary_pages(
        self, *, limit: int = SUMMARIES_PAGE_MAX
    ) -> AsyncIterator[CampaignSummariesPage]:
        """Like :meth:`iter_campaign_summaries`, page by page with each page's aggregate percents.

        Limits: one call per page. Raises ValidationError (limit) at once, APIErrors.
        """
        _checks.check_range("limit", limit, low=1, high=SUMMARIES_PAGE_MAX)
        pages = self._requestor.iter_pages(
            "/reports/summary_reports/email_campaign_summaries", params={"limit": limit}
        )
        return _structured_pages(pages)

    async def campaign_stats(self, campaign_ids: Sequence[str]) -> list[CampaignStats]:
        """Stats and percents of 1-150 campaigns; ids without stats are left out.

        Use :meth:`campaign_stats_report` to see which ids had none. Limits: 1 call. Raises
        ValidationError (count, UUIDs), NotFoundError (the API 404s all when one id is bad).
        """
        return (await self.campaign_stats_report(campaign_ids)).results

    async def campaign_stats_report(self, campaign_ids: Sequence[str]) -> CampaignStatsReport:
        """The full campaign stats answer: ``results`` and ``errors`` (ids without stats).

        Limits: 1 call, 1-150 ids. Raises ValidationError, NotFoundError.
        """
        _checks.check_uuids("campaign_ids", campaign_ids, max_items=CAMPAIGN_STATS_MAX, min_items=1)
        path = "/reports/stats/email_campaigns/" + ",".join(campaign_ids)
        return await self._requestor.get_model(path, CampaignStatsReport)

    async def activity_stats(self, activity_ids: Sequence[str]) -> list[ActivityStats]:
        """Stats of 1-10 campaign activities (abuse and bounces by kind included).

        Ids without stats are left out (see :meth:`activity_stats_report`). Limits: 1 call,
        at most 10 ids. Raises ValidationError (count, UUIDs), NotFoundError.
        """
        return (await self.activity_stats_report(activity_ids)).results

    async def activity_stats_report(self, activity_ids: Sequence[str]) -> ActivityStatsReport:
        """The full activity stats answer: ``results`` and ``errors`` (ids without stats).

        Limits: 1 call, 1-10 ids. Raises ValidationError, NotFoundError.
        """
        _checks.check_uuids("activity_ids", activity_ids, max_items=ACTIVITY_STATS_MAX, min_items=1)
        path = "/reports/stats/email_campaign_activities/" + ",".join(activity_ids)
        return await self._requestor.get_model(path, ActivityStatsReport)

    async def links(self, activity_id: str, *, no_clicks: bool = False) -> EmailLinks:
        """Unique clicks per link of an activity; ``no_clicks=True`` also lists unclicked links.

        Limits: 1 call. Raises ValidationError (id), NotFoundError.
        """
        _checks.check_uuid("campaign_activity_id", activity_id)
        params = {"no_clicks": True} if no_clicks else None
        return await self._requestor.get_model(
            f"/reports/email_reports/{activity_id}/links", EmailLinks, params=params
        )

    # --- tracking ---------------------------------------------------------------------------------

    def _tracking(
        self,
        activity_id: str,
        kind: str,
        limit: int,
        extra: Sequence[tuple[str, str]] = (),
    ) -> AsyncIterator[TrackingEvent]:
        _checks.check_range("limit", limit, low=1, high=TRACKING_PAGE_MAX)
        path = _tracking_path(activity_id, kind)
        params = [("limit", str(limit)), *extra]
        return self._requestor.iter_items(
            path, items_key="tracking_activities", model=TrackingEvent, params=params
        )

    def iter_sends(
        self, activity_id: str, *, limit: int = TRACKING_PAGE_MAX
    ) -> AsyncIterator[TrackingEvent]:
        """Every contact the activity was sent to (``em_sends``), newest first.

        Limits: one call per ``limit`` (1-500) events. Raises ValidationError (id, limit) at
        once, NotFoundError while iterating.
        """
        return self._tracking(activity_id, "sends", limit)

    def iter_opens(
        self, activity_id: str, *, limit: int = TRACKING_PAGE_MAX
    ) -> AsyncIterator[TrackingEvent]:
        """Every open (``em_opens``, with ``device_type``), newest first.

        Limits: one call per ``limit`` (1-500) events. Raises ValidationError, NotFoundError.
        """
        return self._tracking(activity_id, "opens", limit)

    def iter_unique_opens(
        self, activity_id: str, *, limit: int = TRACKING_PAGE_MAX
    ) -> AsyncIterator[TrackingEvent]:
        """The last open of each contact who opened, newest first.

        Limits: one call per ``limit`` (1-500) events. Raises ValidationError, NotFoundError.
        """
        return self._tracking(activity_id, "unique_opens", limit)

    def iter_clicks(
        self, activity_id: str, *, url_id: str | int | None = None, limit: int = TRACKING_PAGE_MAX
    ) -> AsyncIterator[TrackingEvent]:
        """Every click (``em_clicks``, with ``url_id``/``link_url``), optionally of one link.

        Limits: one call per ``limit`` (1-500) events. Raises ValidationError (id, limit,
        non-numeric url_id), NotFoundError.
        """
        extra: list[tuple[str, str]] = []
        if url_id is not None:
            if not str(url_id).isdigit():
                raise ValidationError("url_id", "must be a numeric link id", value=url_id)
            extra.append(("url_id", str(url_id)))
        return self._tracking(activity_id, "clicks", limit, extra)

    def iter_bounces(
        self,
        activity_id: str,
        *,
        bounce_codes: Sequence[str] = (),
        limit: int = TRACKING_PAGE_MAX,
    ) -> AsyncIterator[TrackingEvent]:
        """Every bounce (``em_bounces``), optionally only some ``bounce_codes``.

        Codes: B non-existent, D undeliverable, F mailbox full, S suspended, V vacation,
        X other, Z blocked (sent as repeated ``bounce_code`` parameters). Limits: one call per
        ``limit`` (1-500) events. Raises ValidationError (code, id, limit), NotFoundError.
        """
        _checks.check_enums("bounce_codes", bounce_codes, BOUNCE_CODES)
        extra = [("bounce_code", code) for code in bounce_codes]
        return self._tracking(activity_id, "bounces", limit, extra)

    def iter_optouts(
        self, activity_id: str, *, limit: int = TRACKING_PAGE_MAX
    ) -> AsyncIterator[TrackingEvent]:
        """Every unsubscribe from the activity (``em_optouts``, with ``opt_out_reason``).

        Limits: one call per ``limit`` (1-500) events. Raises ValidationError, NotFoundError.
        """
        return self._tracking(activity_id, "optouts", limit)

    def iter_didnotopens(
        self, activity_id: str, *, limit: int = TRACKING_PAGE_MAX
    ) -> AsyncIterator[TrackingEvent]:
        """Every contact sent the activity who did not open it (``em_didnotopens``).

        Limits: one call per ``limit`` (1-500) events. Raises ValidationError, NotFoundError.
        """
        return self._tracking(activity_id, "didnotopens", limit)

    def iter_forwards(
        self, activity_id: str, *, limit: int = TRACKING_PAGE_MAX
    ) -> AsyncIterator[TrackingEvent]:
        """Every forward-to-a-friend (``em_forwards``), newest first.

        Limits: one call per ``limit`` (1-500) events. Raises ValidationError, NotFoundError.
        """
        return self._tracking(activity_id, "forwards", limit)

    # --- opt-outs since --------------------------------------------------------------------------

    def iter_optouts_since(
        self,
        since: dt.datetime,
        *,
        activity_ids: Sequence[str] | None = None,
        sent_after: dt.datetime | None = None,
        skip_without_optouts: bool = False,
    ) -> AsyncIterator[TrackingEvent]:
        """Unsubscribes newer than ``since`` (``created_time > since``), to react to them.

        With ``activity_ids``, reads the optouts tracking of those activities. Without, walks
        the campaign summaries (the API's 500 most recent sent campaigns, latest send first;
        only those sent after ``sent_after`` when given), GETs each campaign for its
        ``primary_email`` and ``resend`` activities, and reads their optouts. Tracking is newest
        first, so each activity stops at its first event not newer than ``since``. Events come
        activity by activity (newest first within one), not globally sorted.

        ``skip_without_optouts`` skips campaigns whose summary counts no opt-out: cheaper, but
        summaries are refreshed periodically, so a very recent opt-out can be missed.

        Call cost without ids: ceil(campaigns / 500) summary pages + 1 GET per campaign + at
        least 1 tracking call per activity (one more per 500 new opt-outs). With ids: at least
        1 call per activity. Raises ValidationError (naive datetimes, ids) at once; APIErrors
        while iterating.
        """
        _checks.check_aware("since", since)
        _checks.check_required("since", since)
        _checks.check_aware("sent_after", sent_after)
        if activity_ids is not None:
            _checks.check_uuids("activity_ids", activity_ids, max_items=10_000)
            return self._optouts_of(list(activity_ids), since)
        return self._optouts_walk(since, sent_after, skip_without_optouts)

    async def _optouts_of(
        self, activity_ids: Sequence[str], since: dt.datetime
    ) -> AsyncIterator[TrackingEvent]:
        for activity_id in activity_ids:
            async for event in self.iter_optouts(activity_id):
                # Tracking is newest first (reference §10): older events cannot follow.
                if event.created_time is not None and event.created_time <= since:
                    break
                yield event

    async def _optouts_walk(
        self, since: dt.datetime, sent_after: dt.datetime | None, skip_zero: bool
    ) -> AsyncIterator[TrackingEvent]:
        async for summary in self.iter_campaign_summaries():
            if _sent_before(summary, sent_after):
                break
            if skip_zero and not _has_optouts(summary):
                continue
            campaign = await self._campaign(summary.campaign_id)
            ids = [
                ref.campaign_activity_id
                for ref in campaign.campaign_activities
                if ref.role in OPTOUT_ROLES
            ]
            async for event in self._optouts_of(ids, since):
                yield event

    async def _campaign(self, campaign_id: str) -> EmailCampaign:
        _checks.check_uuid("campaign_id", campaign_id)
        return await self._requestor.get_model(f"/emails/{campaign_id}", EmailCampaign)

    # --- contact reports -------------------------------------------------------------------------

    def contact_activity(
        self,
        contact_id: str,
        *,
        types: Sequence[str] = _ALL_CONTACT_TYPES,
        include_campaign_activity_names: bool = True,
        limit: int = CONTACT_ACTIVITY_PAGE_MAX,
    ) -> AsyncIterator[ContactActivity]:
        """A contact's tracking events (sends, opens, clicks…), newest first.

        ``types`` (default: every email type) from em_sends, em_opens, em_clicks, em_bounces,
        em_optouts, em_forwards, p_contact_open, p_contact_click, p_contact_add,
        p_contact_update. Limits: one call per ``limit`` (1-100) events. Raises
        ValidationError (id, types, limit) at once, NotFoundError while iterating.
        """
        _checks.check_uuid("contact_id", contact_id)
        _checks.check_count("types", types, max_items=len(CONTACT_ACTIVITY_TYPES), min_items=1)
        _checks.check_enums("types", types, CONTACT_ACTIVITY_TYPES)
        _checks.check_range("limit", limit, low=1, high=CONTACT_ACTIVITY_PAGE_MAX)
        params: dict[str, ParamValue] = {
            "tracking_activities_list": list(types),
            "include_campaign_activity_names": include_campaign_activity_names,
            "limit": limit,
        }
        return self._requestor.iter_items(
            _contact_path(contact_id, "activity_details"),
            items_key="tracking_activities",
            model=ContactActivity,
            params=params,
        )

    async def contact_activity_summary(
        self, contact_id: str, start: dt.datetime, end: dt.datetime
    ) -> ContactActivitySummary:
        """What a contact did with each campaign activity sent between ``start`` and ``end``.

        Covers the most recent 200 campaigns; pages are followed and merged. Limits: 1 call
        per page. Raises ValidationError (id, naive or reversed dates), NotFoundError.
        """
        check_date_range(start, end)
        path = _contact_path(contact_id, "activity_summary")
        merged: ContactActivitySummary | None = None
        async for page in self._requestor.iter_pages(path, params={"start": start, "end": end}):
            current = structure(page or {}, ContactActivitySummary)
            if merged is None:
                merged = current
            else:
                merged.campaign_activities.extend(current.campaign_activities)
        return merged or ContactActivitySummary(contact_id=contact_id)

    async def contact_open_and_click_rates(
        self, contact_id: str, start: dt.datetime, end: dt.datetime
    ) -> ContactOpenAndClickRates:
        """A contact's average open and click rates between ``start`` and ``end``.

        Limits: 1 call; the range may not exceed 5 years. Raises ValidationError (id, dates,
        range), NotFoundError.
        """
        check_date_range(start, end, max_span=RATES_RANGE_MAX)
        return await self._requestor.get_model(
            _contact_path(contact_id, "open_and_click_rates"),
            ContactOpenAndClickRates,
            params={"start": start, "end": end},
        )


def _sent_before(summary: CampaignSummary, sent_after: dt.datetime | None) -> bool:
    sent = summary.last_sent_date
    return sent_after is not None and sent is not None and sent < sent_after


def _has_optouts(summary: CampaignSummary) -> bool:
    counts = summary.unique_counts
    return counts is None or counts.optouts is None or counts.optouts > 0


async def _structured_pages(pages: AsyncIterator[Any]) -> AsyncIterator[CampaignSummariesPage]:
    async for page in pages:
        yield structure(page or {}, CampaignSummariesPage)
