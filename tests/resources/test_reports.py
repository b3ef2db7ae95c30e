"""cc.reports on a fake transport: paths, params, pagination, opt-outs since, local checks."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Callable
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest

from ccasync import Client, RateLimiter
from ccasync.errors import APIErrorDetail, NotFoundError, ValidationError
from ccasync.testing import FakeTransport, HTTPRequest, HTTPResponse, json_response

CID = "8987dc1a-48ef-433a-b836-7ca4f9aa3481"
CID2 = "91569d46-00e4-4a4d-9a4c-d17d98740d04"
AID = "4c08372c-957a-48b5-bc45-72c7f00796cd"
RID = "0e3feddd-c8da-4d53-a507-aae5082b8b75"
AID2 = "5d08372c-957a-48b5-bc45-72c7f00796ce"
CONTACT = "a2fdc285-f4bc-408c-9e64-f3f89038ec82"
T0 = dt.datetime(2026, 1, 10, tzinfo=dt.UTC)

Answer = HTTPResponse | Callable[[HTTPRequest], HTTPResponse]


class Api:
    """A fake API keyed by (method, path without /v3); a list answer is consumed in order."""

    def __init__(self, answers: dict[tuple[str, str], Answer | list[Answer]]) -> None:
        self.answers = answers
        self.transport = FakeTransport(self.handle)

    def handle(self, request: HTTPRequest) -> HTTPResponse:
        """Answer ``request`` from the table."""
        key = (request.method, urlsplit(request.url).path.removeprefix("/v3"))
        answer = self.answers[key]
        if isinstance(answer, list):
            answer = answer.pop(0)
        return answer(request) if callable(answer) else answer

    @property
    def requests(self) -> list[HTTPRequest]:
        """Every request sent so far."""
        return self.transport.requests


def query(request: HTTPRequest) -> list[tuple[str, str]]:
    """The query pairs of a request, in order."""
    return parse_qsl(urlsplit(request.url).query)


def paths(api: Api) -> list[str]:
    """The paths requested so far, without /v3."""
    return [urlsplit(r.url).path.removeprefix("/v3") for r in api.requests]


def event(kind: str, minutes: int, activity: str = AID, **more: Any) -> dict[str, Any]:
    """A tracking event ``minutes`` after T0."""
    return {
        "contact_id": CONTACT,
        "campaign_activity_id": activity,
        "tracking_activity_type": kind,
        "email_address": f"u{minutes}@example.com",
        "created_time": (T0 + dt.timedelta(minutes=minutes)).isoformat().replace("+00:00", "Z"),
        **more,
    }


def page(events: list[dict[str, Any]], next_href: str | None = None) -> dict[str, Any]:
    """A tracking page, with a next link when given."""
    links = {"next": {"href": next_href}} if next_href else {}
    return {"tracking_activities": events, "_links": links}


@pytest.fixture
async def client_for() -> AsyncIterator[Callable[[Api], Client]]:
    """Build Clients on fake APIs; close them at the end."""
    made: list[Client] = []

    def build(api: Api) -> Client:
        client = Client(
            access_token="t", transport=api.transport, rate_limiter=RateLimiter.unlimited()
        )
        made.append(client)
        return client

    yield build
    for client in made:
        await client.aclose()


async def test_campaign_summaries_paginate(client_for: Any) -> None:
    """iter_campaign_summaries sends limit, follows next and structures unique counts."""
    first = {
        "bulk_email_campaign_summaries": [
            {
                "campaign_id": CID,
                "last_sent_date": "2026-01-02T00:00:00Z",
                "unique_counts": {"sends": 3},
            }
        ],
        "aggregate_percents": {"open": 12.5},
        "_links": {"next": {"href": "/v3/reports/summary_reports/email_campaign_summaries?next=x"}},
    }
    second = {"bulk_email_campaign_summaries": [{"campaign_id": CID2}]}
    api = Api(
        {
            ("GET", "/reports/summary_reports/email_campaign_summaries"): [
                json_response(first),
                json_response(second),
            ]
        }
    )
    items = [s async for s in client_for(api).reports.iter_campaign_summaries(limit=1)]
    assert [s.campaign_id for s in items] == [CID, CID2]
    assert items[0].unique_counts is not None
    assert items[0].unique_counts.sends == 3
    assert dict(query(api.requests[0])) == {"limit": "1"}
    assert dict(query(api.requests[1])) == {"next": "x"}


async def test_campaign_summary_pages_keep_percents(client_for: Any) -> None:
    """iter_campaign_summary_pages yields each page with its aggregate percents."""
    body = {"bulk_email_campaign_summaries": [], "aggregate_percents": {"open": 12.5}}
    api = Api({("GET", "/reports/summary_reports/email_campaign_summaries"): json_response(body)})
    pages = [p async for p in client_for(api).reports.iter_campaign_summary_pages()]
    assert pages[0].aggregate_percents is not None
    assert pages[0].aggregate_percents.open == 12.5


async def test_summaries_limit_checked(client_for: Any) -> None:
    """A summaries limit above 500 is refused at call time."""
    with pytest.raises(ValidationError):
        client_for(Api({})).reports.iter_campaign_summaries(limit=501)


async def test_campaign_stats_path_and_partial_errors(client_for: Any) -> None:
    """campaign_stats joins ids in the path; the report keeps the per-id errors."""
    body = {
        "results": [
            {
                "campaign_id": CID,
                "stats": {"em_sends": 4, "em_opens": 2},
                "percents": {"open": 50.0},
                "last_refresh_time": "2026-01-01T00:00:00Z",
            }
        ],
        "errors": [{"error_key": "reportingsvc.not_found", "error_message": "none for " + CID2}],
    }
    url = f"/reports/stats/email_campaigns/{CID},{CID2}"
    api = Api({("GET", url): lambda r: json_response(body)})
    client = client_for(api)
    stats = await client.reports.campaign_stats([CID, CID2])
    assert stats[0].stats is not None
    assert stats[0].stats.em_sends == 4
    report = await client.reports.campaign_stats_report([CID, CID2])
    assert report.errors[0].error_key == "reportingsvc.not_found"
    assert report.errors == [APIErrorDetail("reportingsvc.not_found", "none for " + CID2)]
    assert paths(api) == [url, url]


@pytest.mark.parametrize("ids", [[], ["bad"], CID, [CID] * 151])
async def test_campaign_stats_validates(client_for: Any, ids: Any) -> None:
    """campaign_stats needs 1-150 UUIDs (a bare string is refused)."""
    api = Api({})
    with pytest.raises(ValidationError):
        await client_for(api).reports.campaign_stats(ids)
    assert api.requests == []


async def test_activity_stats(client_for: Any) -> None:
    """activity_stats GETs the csv path and structures activity-only counters."""
    body = {
        "results": [
            {
                "campaign_id": CID,
                "campaign_activity_id": AID,
                "stats": {"em_abuse": 1, "em_sends": 9},
            }
        ],
        "errors": [],
    }
    api = Api(
        {("GET", f"/reports/stats/email_campaign_activities/{AID},{AID2}"): json_response(body)}
    )
    stats = await client_for(api).reports.activity_stats([AID, AID2])
    assert stats[0].stats is not None
    assert stats[0].stats.em_abuse == 1


async def test_stats_errors_tolerate_nulls_and_keep_unknown_keys(client_for: Any) -> None:
    """A per-id stats error with a null message decodes ("" there); unknown keys stay in extra."""
    body = {
        "results": [{"campaign_id": CID}],
        "errors": [
            {"error_key": "reportingsvc.not_found", "error_message": None, "campaign_id": CID2}
        ],
    }
    url = f"/reports/stats/email_campaigns/{CID},{CID2}"
    api = Api({("GET", url): json_response(body)})
    report = await client_for(api).reports.campaign_stats_report([CID, CID2])
    assert [r.campaign_id for r in report.results] == [CID]
    assert report.errors == [
        APIErrorDetail("reportingsvc.not_found", "", extra={"campaign_id": CID2})
    ]


async def test_activity_stats_errors_tolerate_a_missing_message(client_for: Any) -> None:
    """A per-id stats error without error_message reads as an APIErrorDetail with "" there."""
    body = {"results": [], "errors": [{"error_key": "reportingsvc.not_found"}]}
    path = f"/reports/stats/email_campaign_activities/{AID}"
    api = Api({("GET", path): json_response(body)})
    report = await client_for(api).reports.activity_stats_report([AID])
    assert report.errors == [APIErrorDetail("reportingsvc.not_found", "")]


async def test_activity_stats_caps_at_ten(client_for: Any) -> None:
    """More than 10 activity ids is a ValidationError naming activity_ids."""
    with pytest.raises(ValidationError) as info:
        await client_for(Api({})).reports.activity_stats([AID] * 11)
    assert info.value.field == "activity_ids"


async def test_stats_404_raises(client_for: Any) -> None:
    """A 404 for all ids raises NotFoundError."""
    err = [{"error_key": "reportingsvc.not_found", "error_message": "no"}]
    api = Api({("GET", f"/reports/stats/email_campaign_activities/{AID}"): json_response(err, 404)})
    with pytest.raises(NotFoundError):
        await client_for(api).reports.activity_stats([AID])


async def test_links(client_for: Any) -> None:
    """links GETs the links report, with no_clicks=true only when asked."""
    body = {
        "campaign_activity_id": AID,
        "link_click_counts": [{"url_id": "11", "unique_clicks": 2}],
    }
    api = Api({("GET", f"/reports/email_reports/{AID}/links"): lambda r: json_response(body)})
    client = client_for(api)
    found = await client.reports.links(AID)
    assert found.link_click_counts[0].unique_clicks == 2
    assert query(api.requests[0]) == []
    await client.reports.links(AID, no_clicks=True)
    assert query(api.requests[1]) == [("no_clicks", "true")]


@pytest.mark.parametrize(
    ("method", "kind", "etype"),
    [
        ("iter_sends", "sends", "em_sends"),
        ("iter_opens", "opens", "em_opens"),
        ("iter_unique_opens", "unique_opens", "em_opens"),
        ("iter_clicks", "clicks", "em_clicks"),
        ("iter_bounces", "bounces", "em_bounces"),
        ("iter_optouts", "optouts", "em_optouts"),
        ("iter_didnotopens", "didnotopens", "em_didnotopens"),
        ("iter_forwards", "forwards", "em_forwards"),
    ],
)
async def test_tracking_iterators_paginate(
    client_for: Any, method: str, kind: str, etype: str
) -> None:
    """Each tracking iterator GETs its path with limit and follows the next link."""
    path = f"/reports/email_reports/{AID}/tracking/{kind}"
    api = Api(
        {
            ("GET", path): [
                json_response(page([event(etype, 2)], f"/v3{path}?cursor=c2&limit=1")),
                json_response(page([event(etype, 1)])),
            ]
        }
    )
    found = [e async for e in getattr(client_for(api).reports, method)(AID, limit=1)]
    assert [e.tracking_activity_type for e in found] == [etype, etype]
    assert found[0].created_time == T0 + dt.timedelta(minutes=2)
    assert query(api.requests[0]) == [("limit", "1")]
    assert dict(query(api.requests[1])) == {"cursor": "c2", "limit": "1"}


async def test_kind_specific_fields(client_for: Any) -> None:
    """Clicks carry url_id/link_url, bounces their code, optouts the reason."""
    path = f"/reports/email_reports/{AID}/tracking/clicks"
    click = event("em_clicks", 1, url_id="77", link_url="https://x.example", device_type="mobile")
    api = Api({("GET", path): json_response(page([click]))})
    found = [e async for e in client_for(api).reports.iter_clicks(AID, url_id=77)]
    assert found[0].link_url == "https://x.example"
    assert query(api.requests[0]) == [("limit", "500"), ("url_id", "77")]


async def test_bounce_codes_repeat(client_for: Any) -> None:
    """bounce_codes become repeated bounce_code parameters; unknown codes are refused."""
    path = f"/reports/email_reports/{AID}/tracking/bounces"
    bounce = event("em_bounces", 1, bounce_code="B", current_email_address="n@example.com")
    api = Api({("GET", path): json_response(page([bounce]))})
    client = client_for(api)
    found = [e async for e in client.reports.iter_bounces(AID, bounce_codes=["B", "Z"])]
    assert found[0].bounce_code == "B"
    assert query(api.requests[0]) == [("limit", "500"), ("bounce_code", "B"), ("bounce_code", "Z")]
    with pytest.raises(ValidationError) as info:
        client.reports.iter_bounces(AID, bounce_codes=["Q"])
    assert info.value.field == "bounce_codes[0]"


@pytest.mark.parametrize(
    "call",
    [
        lambda r: r.iter_sends("nope"),
        lambda r: r.iter_opens(AID, limit=501),
        lambda r: r.iter_clicks(AID, url_id="abc"),
        lambda r: r.iter_optouts(AID, limit=0),
    ],
)
async def test_tracking_validates_at_call_time(client_for: Any, call: Any) -> None:
    """Bad ids, limits or url ids raise before iteration starts."""
    api = Api({})
    with pytest.raises(ValidationError):
        call(client_for(api).reports)
    assert api.requests == []


# --- opt-outs since ---------------------------------------------------------------------------


async def test_optouts_since_with_ids_stops_at_old_events(client_for: Any) -> None:
    """With ids, each activity's optouts stop at the first event not newer than since."""
    path1 = f"/reports/email_reports/{AID}/tracking/optouts"
    path2 = f"/reports/email_reports/{AID2}/tracking/optouts"
    api = Api(
        {
            ("GET", path1): json_response(
                page(
                    [event("em_optouts", 30), event("em_optouts", 20), event("em_optouts", 5)],
                    f"/v3{path1}?cursor=never-followed",
                )
            ),
            ("GET", path2): json_response(page([event("em_optouts", 11, AID2)])),
        }
    )
    since = T0 + dt.timedelta(minutes=10)
    found = [
        e async for e in client_for(api).reports.iter_optouts_since(since, activity_ids=[AID, AID2])
    ]
    minutes = [int((e.created_time - T0).total_seconds() // 60) for e in found if e.created_time]
    assert minutes == [30, 20, 11]
    assert paths(api) == [path1, path2]


async def test_optouts_since_walks_campaigns(client_for: Any) -> None:
    """Without ids, summaries → campaign GET → optouts of primary_email and resend activities."""
    summaries = {
        "bulk_email_campaign_summaries": [
            {"campaign_id": CID, "last_sent_date": "2026-01-09T00:00:00Z"},
            {"campaign_id": CID2, "last_sent_date": "2025-06-01T00:00:00Z"},
        ]
    }
    campaign = {
        "campaign_id": CID,
        "campaign_activities": [
            {"campaign_activity_id": AID, "role": "primary_email"},
            {"campaign_activity_id": AID2, "role": "permalink"},
            {"campaign_activity_id": RID, "role": "resend"},
        ],
    }
    api = Api(
        {
            ("GET", "/reports/summary_reports/email_campaign_summaries"): json_response(summaries),
            ("GET", f"/emails/{CID}"): json_response(campaign),
            ("GET", f"/reports/email_reports/{AID}/tracking/optouts"): json_response(
                page([event("em_optouts", 40)])
            ),
            ("GET", f"/reports/email_reports/{RID}/tracking/optouts"): json_response(
                page([event("em_optouts", 41, RID)])
            ),
        }
    )
    found = [
        e
        async for e in client_for(api).reports.iter_optouts_since(
            T0, sent_after=dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
        )
    ]
    assert [e.campaign_activity_id for e in found] == [AID, RID]
    assert paths(api) == [
        "/reports/summary_reports/email_campaign_summaries",
        f"/emails/{CID}",
        f"/reports/email_reports/{AID}/tracking/optouts",
        f"/reports/email_reports/{RID}/tracking/optouts",
    ]


async def test_optouts_since_can_skip_campaigns_without_optouts(client_for: Any) -> None:
    """skip_without_optouts skips campaigns whose summary counts zero opt-outs."""
    summaries = {
        "bulk_email_campaign_summaries": [{"campaign_id": CID, "unique_counts": {"optouts": 0}}]
    }
    api = Api(
        {("GET", "/reports/summary_reports/email_campaign_summaries"): json_response(summaries)}
    )
    found = [
        e async for e in client_for(api).reports.iter_optouts_since(T0, skip_without_optouts=True)
    ]
    assert found == []
    assert len(api.requests) == 1


@pytest.mark.parametrize(
    "kwargs",
    [
        {"since": dt.datetime(2026, 1, 1)},
        {"since": T0, "activity_ids": ["bad"]},
        {"since": T0, "sent_after": dt.datetime(2026, 1, 1)},
    ],
)
async def test_optouts_since_validates(client_for: Any, kwargs: dict[str, Any]) -> None:
    """A naive since/sent_after or a malformed id raises at call time."""
    with pytest.raises(ValidationError):
        client_for(Api({})).reports.iter_optouts_since(**kwargs)


# --- contact reports ---------------------------------------------------------------------------


async def test_contact_activity_params_and_pages(client_for: Any) -> None:
    """contact_activity sends types as csv, names flag and limit, and follows next."""
    path = f"/reports/contact_reports/{CONTACT}/activity_details"
    item = {
        "contact_id": CONTACT,
        "campaign_activity_id": AID,
        "tracking_activity_type": "em_opens",
    }
    api = Api(
        {
            ("GET", path): [
                json_response(
                    {
                        "tracking_activities": [item],
                        "_links": {"next": {"href": f"/v3{path}?cursor=z"}},
                    }
                ),
                json_response({"tracking_activities": [item]}),
            ]
        }
    )
    found = [
        a
        async for a in client_for(api).reports.contact_activity(
            CONTACT,
            types=["em_opens", "em_clicks"],
            include_campaign_activity_names=False,
            limit=10,
        )
    ]
    assert len(found) == 2
    assert dict(query(api.requests[0])) == {
        "tracking_activities_list": "em_opens,em_clicks",
        "include_campaign_activity_names": "false",
        "limit": "10",
    }


@pytest.mark.parametrize(
    "kwargs", [{"types": []}, {"types": ["em_nope"]}, {"limit": 101}, {"types": "em_opens"}]
)
async def test_contact_activity_validates(client_for: Any, kwargs: dict[str, Any]) -> None:
    """Unknown or missing types and a limit above 100 are refused."""
    with pytest.raises(ValidationError):
        client_for(Api({})).reports.contact_activity(CONTACT, **kwargs)


async def test_contact_activity_summary_merges_pages(client_for: Any) -> None:
    """contact_activity_summary sends start/end in ISO Z and merges the pages."""
    path = f"/reports/contact_reports/{CONTACT}/activity_summary"
    row = {
        "campaign_activity_id": AID,
        "em_sends": 1,
        "em_opens": 1,
        "start_on": "2026-01-01T00:00:00Z",
    }
    api = Api(
        {
            ("GET", path): [
                json_response(
                    {
                        "contact_id": CONTACT,
                        "campaign_activities": [row],
                        "_links": {"next": {"href": f"/v3{path}?cursor=2"}},
                    }
                ),
                json_response({"contact_id": CONTACT, "campaign_activities": [row]}),
            ]
        }
    )
    start, end = T0, T0 + dt.timedelta(days=30)
    summary = await client_for(api).reports.contact_activity_summary(CONTACT, start, end)
    assert len(summary.campaign_activities) == 2
    assert dict(query(api.requests[0])) == {
        "start": "2026-01-10T00:00:00.000Z",
        "end": "2026-02-09T00:00:00.000Z",
    }


async def test_open_and_click_rates(client_for: Any) -> None:
    """contact_open_and_click_rates GETs the rates; a range over 5 years is refused."""
    path = f"/reports/contact_reports/{CONTACT}/open_and_click_rates"
    body = {
        "contact_id": CONTACT,
        "included_activities_count": 2,
        "average_open_rate": 0.5,
        "average_click_rate": 0.0,
    }
    api = Api({("GET", path): json_response(body)})
    client = client_for(api)
    rates = await client.reports.contact_open_and_click_rates(
        CONTACT, T0, T0 + dt.timedelta(days=1)
    )
    assert rates.average_open_rate == 0.5
    with pytest.raises(ValidationError):
        await client.reports.contact_open_and_click_rates(
            CONTACT, T0, T0 + dt.timedelta(days=6 * 365)
        )
    with pytest.raises(ValidationError):
        await client.reports.contact_open_and_click_rates(CONTACT, T0, T0 - dt.timedelta(days=1))
    assert len(api.requests) == 1
