"""cc.landing_pages on a fake transport: the six reports, their paging and local checks."""

from __future__ import annotations

import pytest

from ccasync.errors import ValidationError
from ccasync.testing import FakeTransport, query_of
from tests.resources.recorded import answers, client, line

AID = "98edac88-f4bc-408c-9e64-acd890384231"
CID = "a2fdc285-f4bc-408c-9e64-f3f89038ec82"
LP_EVENT = {
    "contact_id": CID,
    "campaign_activity_id": AID,
    "tracking_activity_type": "p_contact_click",
    "email_address": "m@example.com",
    "link_url": "http://example.com",
    "created_time": "2019-04-25T11:08:00.000Z",
    "sms_channel": {"country_code": "US", "state": "explicit"},
}


@pytest.mark.parametrize(
    ("method", "kind"),
    [
        ("iter_unique_contact_clicks", "p_unique_contact_clicks"),
        ("iter_unique_contact_opens", "p_unique_contact_opens"),
        ("iter_contact_opens", "p_contact_opens"),
        ("iter_unique_contact_updates", "p_unique_contact_updates"),
        ("iter_unique_contact_adds", "p_unique_contact_adds"),
        ("iter_unique_contact_sms_optins", "p_unique_contact_sms_optins"),
    ],
)
async def test_landing_page_reports_page_through(method: str, kind: str) -> None:
    """Each landing-page report GETs its path with limit/filter and follows the next link."""
    first = {
        "tracking_activities": [LP_EVENT],
        "_links": {"next": {"href": "/v3/reports/landing_pages/x?cursor=c2&limit=2"}},
    }
    ft = answers((200, first), (200, {"tracking_activities": [LP_EVENT]}))
    async with client(ft) as cc:
        report = getattr(cc.landing_pages, method)(AID, limit=2, contacts_filter="Jo")
        got = [event async for event in report]
    path = f"GET /reports/landing_pages/campaign_details/{AID}/{kind}"
    assert line(ft.requests[0]) == path
    assert query_of(ft.requests[0]) == {"limit": "2", "contacts_filter": "Jo"}
    assert query_of(ft.requests[1]) == {"limit": "2", "cursor": "c2"}
    assert len(got) == 2
    assert got[0].sms_channel is not None
    assert got[0].sms_channel.country_code == "US"


async def test_landing_page_report_checks_before_sending() -> None:
    """A malformed activity id or a limit over 500 is refused locally."""
    async with client(FakeTransport(responses=[])) as cc:
        with pytest.raises(ValidationError, match="campaign_activity_id"):
            cc.landing_pages.iter_contact_opens("nope")
        with pytest.raises(ValidationError, match="limit"):
            cc.landing_pages.iter_contact_opens(AID, limit=501)
