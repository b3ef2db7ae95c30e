"""cc.sms on a fake transport: engagement history and campaign summaries with their checks."""

from __future__ import annotations

import datetime as dt

import pytest

from ccasync.errors import ValidationError
from ccasync.testing import FakeTransport, query_of
from tests.resources.recorded import answers, client, line

CID = "a2fdc285-f4bc-408c-9e64-f3f89038ec82"
START = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)


async def test_sms_engagement_history_and_summaries() -> None:
    """engagement_history GETs the contact's list; summaries send start/end as ISO UTC."""
    history = [{"contact_id": CID, "history_details": {"state": "O", "advertised_frequency": 2}}]
    page = {
        "bulk_sms_campaign_summaries": [
            {"campaign_id": CID, "campaign_name": "Sale", "unique_counts": {"sends": 3}}
        ],
        "aggregate_percents": {"click": 43.0},
    }
    ft = answers((200, history), (200, page), (200, page))
    async with client(ft) as cc:
        events = await cc.sms.engagement_history(CID)
        summaries = [s async for s in cc.sms.iter_campaign_summaries(START, limit=10)]
        pages = [p async for p in cc.sms.iter_campaign_summary_pages(START, START)]
    assert line(ft.requests[0]) == f"GET /contacts/sms_engagement_history/{CID}"
    assert events[0].history_details is not None
    assert events[0].history_details.advertised_frequency == 2
    assert line(ft.requests[1]) == "GET /reports/summary_reports/sms_campaign_summaries"
    assert query_of(ft.requests[1]) == {"start_at": "2024-01-01T00:00:00.000Z", "limit": "10"}
    assert summaries[0].unique_counts is not None
    assert summaries[0].unique_counts.sends == 3
    assert pages[0].aggregate_percents is not None
    assert pages[0].aggregate_percents.click == 43.0


@pytest.mark.parametrize(
    ("start", "end", "limit", "field"),
    [
        (dt.datetime(2024, 1, 1), None, 50, "start_at"),
        (START, START - dt.timedelta(days=1), 50, "end_at"),
        (START, None, 51, "limit"),
    ],
)
async def test_sms_summaries_check_dates_and_limit(
    start: dt.datetime, end: dt.datetime | None, limit: int, field: str
) -> None:
    """Naive dates, an end before the start and a limit over 50 are refused locally."""
    async with client(FakeTransport(responses=[])) as cc:
        with pytest.raises(ValidationError) as caught:
            cc.sms.iter_campaign_summaries(start, end, limit=limit)
    assert caught.value.field == field
