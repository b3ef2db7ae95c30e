"""SMS endpoints: a contact's SMS engagement history, the SMS campaign summaries (``cc.sms``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from typing import Any

from ccasync import _checks
from ccasync._serde import format_datetime, structure
from ccasync.errors import ValidationError
from ccasync.models.sms import (
    SUMMARIES_PAGE_MAX,
    BulkCampaignSummary,
    SmsCampaignSummariesPage,
    SmsEngagementHistory,
)
from ccasync.resources._base import Resource

_SUMMARIES = "/reports/summary_reports/sms_campaign_summaries"


def _summary_params(
    start_at: dt.datetime, end_at: dt.datetime | None, limit: int
) -> dict[str, Any]:
    _checks.check_required("start_at", start_at)
    _checks.check_aware("start_at", start_at)
    _checks.check_aware("end_at", end_at)
    if end_at is not None and end_at < start_at:
        raise ValidationError("end_at", "must not be before start_at")
    _checks.check_range("limit", limit, low=1, high=SUMMARIES_PAGE_MAX)
    return {
        "start_at": format_datetime(start_at),
        "end_at": format_datetime(end_at) if end_at is not None else None,
        "limit": limit,
    }


class SmsResource(Resource):
    """The SMS endpoints; reach it as ``cc.sms``."""

    async def engagement_history(self, contact_id: str) -> list[SmsEngagementHistory]:
        """A contact's SMS consent events (``GET /contacts/sms_engagement_history/{contact_id}``).

        One API call. Raises ValidationError (id), NotFoundError, other APIError subclasses.
        """
        _checks.check_uuid("contact_id", contact_id)
        response = await self._requestor.request(
            "GET", f"/contacts/sms_engagement_history/{contact_id}"
        )
        return structure(response.data or [], list[SmsEngagementHistory])

    def iter_campaign_summaries(
        self,
        start_at: dt.datetime,
        end_at: dt.datetime | None = None,
        *,
        limit: int = SUMMARIES_PAGE_MAX,
    ) -> AsyncIterator[BulkCampaignSummary]:
        """SMS campaigns sent from ``start_at`` (to ``end_at``), last sent first.

        ``GET /reports/summary_reports/sms_campaign_summaries``; ``start_at`` is required by the
        API; both aware datetimes. One call per ``limit`` (1-50) campaigns. Raises
        ValidationError at once, APIError subclasses while iterating.
        """
        return self._requestor.iter_items(
            _SUMMARIES,
            items_key="bulk_sms_campaign_summaries",
            model=BulkCampaignSummary,
            params=_summary_params(start_at, end_at, limit),
        )

    def iter_campaign_summary_pages(
        self,
        start_at: dt.datetime,
        end_at: dt.datetime | None = None,
        *,
        limit: int = SUMMARIES_PAGE_MAX,
    ) -> AsyncIterator[SmsCampaignSummariesPage]:
        """Like :meth:`iter_campaign_summaries`, page by page with each page's percents."""
        pages = self._requestor.iter_pages(
            _SUMMARIES, params=_summary_params(start_at, end_at, limit)
        )
        return _structured(pages)


async def _structured(pages: AsyncIterator[Any]) -> AsyncIterator[SmsCampaignSummariesPage]:
    async for page in pages:
        yield structure(page or {}, SmsCampaignSummariesPage)
