"""Landing-page and SMS reports, V2 xrefs, privileges and A/B tests against a fake transport."""

from __future__ import annotations

import datetime as dt

import pytest

from ccasync.errors import ValidationError
from ccasync.models.campaigns import ABTestData
from ccasync.testing import FakeTransport, query_of
from tests.resources.recorded import answers, body_of, client, line

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
START = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)


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


async def test_xrefs_send_csv_and_read_pairs() -> None:
    """Contact and list xrefs send the V2 ids as one CSV value and return the pairs."""
    ft = answers(
        (200, {"xrefs": [{"sequence_id": "1", "contact_id": CID}]}),
        (200, {"xrefs": [{"sequence_id": "9", "list_id": CID}]}),
    )
    async with client(ft) as cc:
        contacts = await cc.contacts.id_xrefs(["1", "2"])
        lists = await cc.lists.id_xrefs(["9"])
    assert line(ft.requests[0]) == "GET /contacts/contact_id_xrefs"
    assert query_of(ft.requests[0]) == {"sequence_ids": "1,2"}
    assert line(ft.requests[1]) == "GET /contact_lists/list_id_xrefs"
    assert contacts[0].contact_id == CID
    assert lists[0].list_id == CID


@pytest.mark.parametrize("ids", [[], ["1,2"], [""], "12", ["x"] * 501])
async def test_xrefs_refuse_bad_id_lists(ids: list[str]) -> None:
    """Empty, comma-holding, blank, bare-string or >500 id lists are refused locally."""
    async with client(FakeTransport(responses=[])) as cc:
        with pytest.raises(ValidationError, match="sequence_ids"):
            await cc.contacts.id_xrefs(ids)


async def test_user_privileges() -> None:
    """user_privileges GETs the privilege list of the token's user."""
    ft = answers((200, [{"privilege_id": 30, "privilege_name": "campaign:create"}]))
    async with client(ft) as cc:
        privileges = await cc.account.user_privileges()
    assert line(ft.requests[0]) == "GET /account/user/privileges"
    assert [p.privilege_name for p in privileges] == ["campaign:create"]


async def test_abtest_create_get_delete() -> None:
    """create_abtest POSTs the test, get_abtest reads it, delete_abtest DELETEs (204)."""
    test = ABTestData(alternative_subject="B", test_size=30, winner_wait_duration=24)
    sent = {"alternative_subject": "B", "test_size": 30, "winner_wait_duration": 24}
    ft = answers((201, sent), (200, sent), (204, None))
    async with client(ft) as cc:
        made = await cc.campaigns.create_abtest(AID, test)
        got = await cc.campaigns.get_abtest(AID)
        await cc.campaigns.delete_abtest(AID)
    base = f"/emails/activities/{AID}/abtest"
    assert [line(r) for r in ft.requests] == [f"POST {base}", f"GET {base}", f"DELETE {base}"]
    assert body_of(ft.requests[0]) == sent
    assert made == got


@pytest.mark.parametrize(
    ("size", "wait", "field"),
    [(4, 24, "test_size"), (51, 24, "test_size"), (30, 36, "winner_wait_duration")],
)
async def test_abtest_rules_are_checked(size: int, wait: int, field: str) -> None:
    """test_size 5-50 and winner_wait_duration 6/12/24/48 are checked before sending."""
    test = ABTestData(alternative_subject="B", test_size=size, winner_wait_duration=wait)
    async with client(FakeTransport(responses=[])) as cc:
        with pytest.raises(ValidationError) as caught:
            await cc.campaigns.create_abtest(AID, test)
    assert caught.value.field == field
