"""cc.campaigns on a fake transport: method, path, params and body of every call; local checks."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Callable
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import orjson
import pytest

from ccasync import Client, RateLimiter
from ccasync.errors import (
    ConflictError,
    NotFoundError,
    RequestTimeoutError,
    ServerError,
    TransportError,
    ValidationError,
)
from ccasync.models.campaigns import CampaignActivity, PhysicalAddressInFooter
from ccasync.testing import FakeTransport, HTTPRequest, HTTPResponse, json_response
from tests.conftest import no_sleep

CID = "8987dc1a-48ef-433a-b836-7ca4f9aa3481"
CID2 = "91569d46-00e4-4a4d-9a4c-d17d98740d04"
AID = "4c08372c-957a-48b5-bc45-72c7f00796cd"
PID = "0e3feddd-c8da-4d53-a507-aae5082b8b75"
L1 = "da10f460-3072-11e9-b282-fa163e6b01c1"
L2 = "07936f78-662a-11eb-af0a-fa163e56c9b0"
NOW = dt.datetime(2026, 1, 1, 12, 0, tzinfo=dt.UTC)
HTML = "<html><body>[[trackingImage]] Hi</body></html>"

Answer = HTTPResponse | Callable[[HTTPRequest], HTTPResponse]


def campaign(cid: str = CID, name: str = "Spring", status: str = "Draft") -> dict[str, Any]:
    """A campaign body as GET /emails/{id} sends it."""
    return {
        "campaign_id": cid,
        "name": name,
        "current_status": status,
        "type": "NEWSLETTER",
        "type_code": 10,
        "created_at": "2026-01-01T10:00:00.000Z",
        "updated_at": "2026-01-01T10:00:00.000Z",
        "campaign_activities": [
            {"campaign_activity_id": AID, "role": "primary_email"},
            {"campaign_activity_id": PID, "role": "permalink"},
        ],
    }


def activity(**more: Any) -> dict[str, Any]:
    """An activity body as GET /emails/activities/{id} sends it (with an unknown key)."""
    return {
        "campaign_activity_id": AID,
        "campaign_id": CID,
        "role": "primary_email",
        "contact_list_ids": [],
        "current_status": "DRAFT",
        "format_type": 5,
        "from_email": "me@example.com",
        "from_name": "Me",
        "reply_to_email": "me@example.com",
        "subject": "Hello",
        "future_field": {"kept": True},
        **more,
    }


class Api:
    """A fake API: answers keyed by (method, path without /v3); records every request."""

    def __init__(self, answers: dict[tuple[str, str], Answer | list[Answer]]) -> None:
        self.answers = answers
        self.transport = FakeTransport(self.handle)

    def handle(self, request: HTTPRequest) -> HTTPResponse:
        """Answer ``request`` from the table (a list is consumed in order)."""
        key = (request.method, urlsplit(request.url).path.removeprefix("/v3"))
        answer = self.answers[key]
        if isinstance(answer, list):
            answer = answer.pop(0)
        return answer(request) if callable(answer) else answer

    @property
    def requests(self) -> list[HTTPRequest]:
        """Every request sent so far."""
        return self.transport.requests

    def last(self) -> HTTPRequest:
        """The most recent request."""
        return self.requests[-1]


def body(request: HTTPRequest) -> Any:
    """The decoded JSON body of a request."""
    assert request.body is not None
    return orjson.loads(request.body)


def query(request: HTTPRequest) -> list[tuple[str, str]]:
    """The query pairs of a request, in order."""
    return parse_qsl(urlsplit(request.url).query)


def path(request: HTTPRequest) -> str:
    """The path of a request without the /v3 prefix."""
    return urlsplit(request.url).path.removeprefix("/v3")


@pytest.fixture
async def client_for() -> AsyncIterator[Callable[[Api], Client]]:
    """Build Clients on fake APIs; close them at the end."""
    made: list[Client] = []

    def build(api: Api) -> Client:
        client = Client(
            access_token="t",
            transport=api.transport,
            rate_limiter=RateLimiter.unlimited(),
            sleep=no_sleep,
        )
        client.campaigns.clock = lambda: NOW
        made.append(client)
        return client

    yield build
    for client in made:
        await client.aclose()


def create_kwargs(**more: Any) -> dict[str, Any]:
    """Valid arguments for campaigns.create."""
    return {
        "name": "Spring",
        "from_name": "Me",
        "from_email": "me@example.com",
        "reply_to_email": "me@example.com",
        "subject": "Hello",
        "html_content": HTML,
        **more,
    }


# --- create ---------------------------------------------------------------------------------------


async def test_create_posts_one_activity_and_accepts_200(client_for: Any) -> None:
    """create POSTs name + one format-5 activity (no None keys) and structures the 200 answer."""
    api = Api({("POST", "/emails"): json_response(campaign(), 200)})
    footer = PhysicalAddressInFooter(
        address_line1="1 Main St", country_code="FR", organization_name="Acme"
    )
    result = await client_for(api).campaigns.create(
        **create_kwargs(preheader="Pre", physical_address_in_footer=footer)
    )
    assert result.campaign_id == CID
    assert result.primary_activity_id == AID
    sent = body(api.last())
    assert sent == {
        "name": "Spring",
        "email_campaign_activities": [
            {
                "format_type": 5,
                "from_name": "Me",
                "from_email": "me@example.com",
                "reply_to_email": "me@example.com",
                "subject": "Hello",
                "html_content": HTML,
                "preheader": "Pre",
                "physical_address_in_footer": {
                    "address_line1": "1 Main St",
                    "country_code": "FR",
                    "organization_name": "Acme",
                },
            }
        ],
    }


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"name": "x" * 81}, "name"),
        ({"name": "   "}, "name"),
        ({"from_name": "x" * 101}, "from_name"),
        ({"from_email": "a" * 75 + "@b.com"}, "from_email"),
        ({"reply_to_email": ""}, "reply_to_email"),
        ({"subject": ""}, "subject"),
        ({"preheader": "p" * 201}, "preheader"),
        ({"html_content": "x" * 150_001}, "html_content"),
        ({"html_content": "<p>${name}</p>"}, "html_content"),
        ({"html_content": "<p>[#if]</p>"}, "html_content"),
        ({"html_content": "<@macro>"}, "html_content"),
        ({"html_content": ""}, "html_content"),
        (
            {
                "physical_address_in_footer": PhysicalAddressInFooter(
                    address_line1="1", country_code="US", organization_name="A"
                )
            },
            "physical_address_in_footer.state_code",
        ),
        (
            {
                "physical_address_in_footer": PhysicalAddressInFooter(
                    address_line1="1", country_code="fr", organization_name="A"
                )
            },
            "physical_address_in_footer.country_code",
        ),
    ],
)
async def test_create_validates_before_sending(
    client_for: Any, change: dict[str, Any], field: str
) -> None:
    """create refuses each broken rule with a ValidationError naming the field; nothing is sent."""
    api = Api({})
    with pytest.raises(ValidationError) as info:
        await client_for(api).campaigns.create(**create_kwargs(**change))
    assert info.value.field == field
    assert api.requests == []


async def test_create_accepts_the_limits_exactly(client_for: Any) -> None:
    """An 80-char name, 100-char from_name and 150,000-char html are accepted."""
    api = Api({("POST", "/emails"): json_response(campaign(), 200)})
    await client_for(api).campaigns.create(
        **create_kwargs(name="n" * 80, from_name="f" * 100, html_content="h" * 150_000)
    )
    assert body(api.last())["name"] == "n" * 80


async def test_create_conflict_raises_with_existing_id(client_for: Any) -> None:
    """A 409 naming a UUID raises ConflictError whose existing_id is that UUID."""
    err = [{"error_key": "conflict", "error_message": f"Name already used by campaign {CID2}"}]
    api = Api({("POST", "/emails"): json_response(err, 409)})
    with pytest.raises(ConflictError) as info:
        await client_for(api).campaigns.create(**create_kwargs())
    assert info.value.existing_id == CID2


async def test_create_conflict_can_return_existing_by_id(client_for: Any) -> None:
    """on_conflict='return_existing' GETs the campaign the 409 names."""
    err = [{"error_key": "conflict", "error_message": f"exists: {CID2}"}]
    api = Api(
        {
            ("POST", "/emails"): json_response(err, 409),
            ("GET", f"/emails/{CID2}"): json_response(campaign(CID2)),
        }
    )
    found = await client_for(api).campaigns.create(**create_kwargs(), on_conflict="return_existing")
    assert found.campaign_id == CID2
    assert [r.method for r in api.requests] == ["POST", "GET"]


async def test_create_conflict_without_id_finds_by_name(client_for: Any) -> None:
    """A 409 without an id is resolved by paging /emails for the name."""
    err = [{"error_key": "conflict", "error_message": "The name is already used."}]
    listing = {"campaigns": [campaign(CID2, "Other"), campaign(CID, "Spring")]}
    api = Api(
        {
            ("POST", "/emails"): json_response(err, 409),
            ("GET", "/emails"): json_response(listing),
            ("GET", f"/emails/{CID}"): json_response(campaign()),
        }
    )
    found = await client_for(api).campaigns.create(**create_kwargs(), on_conflict="return_existing")
    assert found.campaign_id == CID


async def test_create_timeout_recovers_when_the_post_landed(client_for: Any) -> None:
    """After a timeout, create looks the name up and returns the campaign that was created."""

    def timeout(request: HTTPRequest) -> HTTPResponse:
        raise RequestTimeoutError("timed out", method="POST", url="/v3/emails")

    api = Api(
        {
            ("POST", "/emails"): timeout,
            ("GET", "/emails"): json_response({"campaigns": [campaign()]}),
            ("GET", f"/emails/{CID}"): json_response(campaign()),
        }
    )
    found = await client_for(api).campaigns.create(**create_kwargs())
    assert found.campaign_id == CID
    assert [r.method for r in api.requests].count("POST") == 1


async def test_create_timeout_reraises_when_nothing_landed(client_for: Any) -> None:
    """After a timeout with no campaign of that name, the timeout is re-raised with a note."""

    def timeout(request: HTTPRequest) -> HTTPResponse:
        raise RequestTimeoutError("timed out", method="POST", url="/v3/emails")

    api = Api({("POST", "/emails"): timeout, ("GET", "/emails"): json_response({"campaigns": []})})
    with pytest.raises(RequestTimeoutError) as info:
        await client_for(api).campaigns.create(**create_kwargs())
    assert any("not created" in note for note in info.value.__notes__)


async def test_create_after_a_dropped_answer_retries_when_absent(client_for: Any) -> None:
    """A POST whose answer was cut is checked by name; absent, it is sent again (once)."""

    def dropped(request: HTTPRequest) -> HTTPResponse:
        raise TransportError("ServerDisconnectedError", method="POST", url="/v3/emails")

    api = Api(
        {
            ("POST", "/emails"): [dropped, json_response(campaign(), 200)],
            ("GET", "/emails"): json_response({"campaigns": []}),
        }
    )
    found = await client_for(api).campaigns.create(**create_kwargs())
    assert found.campaign_id == CID
    assert [(r.method, path(r)) for r in api.requests] == [
        ("POST", "/emails"),
        ("GET", "/emails"),
        ("POST", "/emails"),
    ]


SCHEDULES = f"/emails/activities/{AID}/schedules"
UNAVAILABLE = json_response({"error_key": "server_error", "error_message": "down"}, 503)


async def test_schedule_after_5xx_found_scheduled_is_not_sent_again(client_for: Any) -> None:
    """A 503 on POST schedules, then a SCHEDULED activity: landed, one POST, the asked time."""
    when = NOW + dt.timedelta(hours=1)
    api = Api(
        {
            ("POST", SCHEDULES): UNAVAILABLE,
            ("GET", f"/emails/activities/{AID}"): json_response(
                activity(current_status="SCHEDULED")
            ),
        }
    )
    entries = await client_for(api).campaigns.schedule(AID, when)
    assert [entry.scheduled_date for entry in entries] == [when]
    assert [r.method for r in api.requests] == ["POST", "GET"]


async def test_schedule_after_5xx_found_draft_is_sent_again(client_for: Any) -> None:
    """A 503 on POST schedules, then a DRAFT activity: not landed, the POST is sent again."""
    when = NOW + dt.timedelta(hours=1)
    answer = [{"scheduled_date": "2026-01-01T13:00:00.000Z"}]
    api = Api(
        {
            ("POST", SCHEDULES): [UNAVAILABLE, json_response(answer, 201)],
            ("GET", f"/emails/activities/{AID}"): json_response(activity()),
        }
    )
    entries = await client_for(api).campaigns.schedule(AID, when)
    assert entries[0].scheduled_date == when
    assert [r.method for r in api.requests] == ["POST", "GET", "POST"]


async def test_send_now_after_5xx_found_done_is_never_sent_again(client_for: Any) -> None:
    """A lost send-now answer with the activity DONE cannot tell: the 503 is raised, noted."""
    api = Api(
        {
            ("POST", SCHEDULES): UNAVAILABLE,
            ("GET", f"/emails/activities/{AID}"): json_response(activity(current_status="DONE")),
        }
    )
    with pytest.raises(ServerError) as info:
        await client_for(api).campaigns.send_now(AID)
    assert [r.method for r in api.requests] == ["POST", "GET"]
    assert any("may have been applied" in note for note in info.value.__notes__)


# --- campaigns ---------------------------------------------------------------------------------


async def test_get_campaign(client_for: Any) -> None:
    """get GETs /emails/{id} and exposes the activity ids by role."""
    api = Api({("GET", f"/emails/{CID}"): json_response(campaign())})
    found = await client_for(api).campaigns.get(CID)
    assert found.primary_activity_id == AID
    assert found.activity_id("permalink") == PID
    assert found.created_at == dt.datetime(2026, 1, 1, 10, tzinfo=dt.UTC)


async def test_get_rejects_malformed_id(client_for: Any) -> None:
    """A malformed campaign id is refused locally (it would only earn a 404)."""
    api = Api({})
    with pytest.raises(ValidationError) as info:
        await client_for(api).campaigns.get("not-a-uuid")
    assert info.value.field == "campaign_id"
    assert api.requests == []


async def test_iter_all_pages_with_date_filters(client_for: Any) -> None:
    """iter_all sends limit and ISO-Z dates and follows _links.next."""
    page1 = {
        "campaigns": [campaign(CID, "A")],
        "_links": {"next": {"href": "/v3/emails?cursor=abc&limit=2"}},
    }
    page2 = {"campaigns": [campaign(CID2, "B")]}
    api = Api({("GET", "/emails"): [json_response(page1), json_response(page2)]})
    after = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    before = dt.datetime(2026, 2, 1, 6, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    names = [
        c.name
        async for c in client_for(api).campaigns.iter_all(
            after_date=after, before_date=before, limit=2
        )
    ]
    assert names == ["A", "B"]
    assert dict(query(api.requests[0])) == {
        "limit": "2",
        "before_date": "2026-02-01T04:00:00.000Z",
        "after_date": "2026-01-01T00:00:00.000Z",
    }
    assert dict(query(api.requests[1])) == {"cursor": "abc", "limit": "2"}


@pytest.mark.parametrize(
    "kwargs",
    [{"limit": 501}, {"limit": 0}, {"after_date": dt.datetime(2026, 1, 1)}],
)
async def test_iter_all_validates(client_for: Any, kwargs: dict[str, Any]) -> None:
    """iter_all refuses a limit outside 1-500 and naive dates before any call."""
    api = Api({})
    with pytest.raises(ValidationError):
        client_for(api).campaigns.iter_all(**kwargs)
    assert api.requests == []


async def test_find_by_name_skips_removed_and_fetches_full(client_for: Any) -> None:
    """find_by_name prefers the live campaign over a Removed one and GETs its activities."""
    listing = {"campaigns": [campaign(CID2, "Spring", "Removed"), campaign(CID, "Spring")]}
    api = Api(
        {
            ("GET", "/emails"): json_response(listing),
            ("GET", f"/emails/{CID}"): json_response(campaign()),
        }
    )
    found = await client_for(api).campaigns.find_by_name("Spring")
    assert found is not None
    assert found.campaign_id == CID
    assert dict(query(api.requests[0]))["limit"] == "500"


async def test_find_by_name_removed_only_when_asked(client_for: Any) -> None:
    """A Removed-only match gives None, or the removed campaign with include_removed."""
    listing = {"campaigns": [campaign(CID2, "Spring", "Removed")]}
    api = Api(
        {
            ("GET", "/emails"): lambda r: json_response(listing),
            ("GET", f"/emails/{CID2}"): json_response(campaign(CID2, "Spring", "Removed")),
        }
    )
    client = client_for(api)
    assert await client.campaigns.find_by_name("Spring") is None
    found = await client.campaigns.find_by_name("Spring", include_removed=True)
    assert found is not None
    assert found.removed


async def test_rename_patches_name(client_for: Any) -> None:
    """rename PATCHes {name} and validates the 80-char limit first."""
    api = Api({("PATCH", f"/emails/{CID}"): json_response(campaign(name="New"))})
    client = client_for(api)
    renamed = await client.campaigns.rename(CID, "New")
    assert renamed.name == "New"
    assert body(api.last()) == {"name": "New"}
    with pytest.raises(ValidationError):
        await client.campaigns.rename(CID, "n" * 81)
    assert len(api.requests) == 1


async def test_delete_campaign(client_for: Any) -> None:
    """delete sends DELETE /emails/{id} and accepts 204."""
    api = Api({("DELETE", f"/emails/{CID}"): HTTPResponse(204, {}, b"")})
    await client_for(api).campaigns.delete(CID)
    assert api.last().method == "DELETE"
    assert path(api.last()) == f"/emails/{CID}"


async def test_id_xrefs(client_for: Any) -> None:
    """id_xrefs sends the V2 ids as csv and structures the xrefs."""
    data = {
        "xrefs": [{"v2_email_campaign_id": "11", "campaign_id": CID, "campaign_activity_id": AID}]
    }
    api = Api({("GET", "/emails/campaign_id_xrefs"): json_response(data)})
    client = client_for(api)
    xrefs = await client.campaigns.id_xrefs(["11", "12"])
    assert xrefs[0].campaign_activity_id == AID
    assert dict(query(api.last())) == {"v2_email_campaign_ids": "11,12"}
    with pytest.raises(ValidationError):
        await client.campaigns.id_xrefs([str(i) for i in range(51)])


# --- activities -----------------------------------------------------------------------------------


async def test_get_activity_with_include(client_for: Any) -> None:
    """get_activity sends include as csv and keeps unknown keys in extra."""
    api = Api({("GET", f"/emails/activities/{AID}"): json_response(activity())})
    found = await client_for(api).campaigns.get_activity(
        AID, include=["html_content", "permalink_url"]
    )
    assert found.subject == "Hello"
    assert found.extra == {"future_field": {"kept": True}}
    assert dict(query(api.last())) == {"include": "html_content,permalink_url"}


async def test_get_activity_rejects_unknown_include(client_for: Any) -> None:
    """An undocumented include value is refused locally."""
    api = Api({})
    with pytest.raises(ValidationError) as info:
        await client_for(api).campaigns.get_activity(AID, include=["everything"])
    assert info.value.field == "include[0]"


async def test_update_activity_round_trips_unknown_fields(client_for: Any) -> None:
    """GET → modify → PUT sends the complete activity, unknown keys included."""
    api = Api(
        {
            ("GET", f"/emails/activities/{AID}"): json_response(activity()),
            ("PUT", f"/emails/activities/{AID}"): lambda r: json_response(body(r)),
        }
    )
    client = client_for(api)
    current = await client.campaigns.get_activity(AID)
    current.subject = "Changed"
    updated = await client.campaigns.update_activity(current)
    sent = body(api.last())
    assert sent["future_field"] == {"kept": True}
    assert sent["subject"] == "Changed"
    assert sent["from_name"] == "Me"
    assert "segment_ids" not in sent
    assert "contact_list_ids" not in sent
    assert updated.extra == {"future_field": {"kept": True}}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"from_name": None}, "from_name"),
        ({"subject": " "}, "subject"),
        ({"reply_to_email": "r" * 81}, "reply_to_email"),
        ({"contact_list_ids": ["nope"]}, "contact_list_ids[0]"),
        ({"contact_list_ids": [L1], "segment_ids": [1]}, "contact_list_ids | segment_ids"),
        ({"segment_ids": [1, 2]}, "segment_ids"),
        ({"html_content": "${x}"}, "html_content"),
        ({"campaign_activity_id": None}, "campaign_activity_id"),
    ],
)
async def test_update_activity_validates(
    client_for: Any, change: dict[str, Any], field: str
) -> None:
    """update_activity refuses a broken activity before sending, naming the field."""
    api = Api({})
    record = CampaignActivity(
        campaign_activity_id=AID,
        from_name="Me",
        from_email="me@example.com",
        reply_to_email="me@example.com",
        subject="Hi",
    )
    for key, value in change.items():
        setattr(record, key, value)
    with pytest.raises(ValidationError) as info:
        await client_for(api).campaigns.update_activity(record)
    assert info.value.field == field
    assert api.requests == []


async def test_set_lists_gets_then_puts_lists(client_for: Any) -> None:
    """set_lists GETs the activity and PUTs it back with contact_list_ids, no segment."""
    api = Api(
        {
            ("GET", f"/emails/activities/{AID}"): json_response(activity(segment_ids=[3])),
            ("PUT", f"/emails/activities/{AID}"): lambda r: json_response(body(r)),
        }
    )
    result = await client_for(api).campaigns.set_lists(AID, [L1, L2])
    assert [r.method for r in api.requests] == ["GET", "PUT"]
    sent = body(api.last())
    assert sent["contact_list_ids"] == [L1, L2]
    assert "segment_ids" not in sent
    assert sent["future_field"] == {"kept": True}
    assert result.contact_list_ids == [L1, L2]


@pytest.mark.parametrize("lists", [[], ["bad"], L1])
async def test_set_lists_validates(client_for: Any, lists: Any) -> None:
    """set_lists needs at least one list UUID (a bare string is refused)."""
    api = Api({})
    with pytest.raises(ValidationError):
        await client_for(api).campaigns.set_lists(AID, lists)
    assert api.requests == []


# --- sending -----------------------------------------------------------------------------------


async def test_schedule_posts_iso_date(client_for: Any) -> None:
    """schedule POSTs scheduled_date in ISO Z and structures the 201 answer."""
    when = NOW + dt.timedelta(hours=1)
    answer = [{"scheduled_date": "2026-01-01T13:00:00.000Z"}]
    api = Api({("POST", f"/emails/activities/{AID}/schedules"): json_response(answer, 201)})
    entries = await client_for(api).campaigns.schedule(AID, when)
    assert body(api.last()) == {"scheduled_date": "2026-01-01T13:00:00.000Z"}
    assert entries[0].scheduled_date == when


@pytest.mark.parametrize(
    "when",
    [dt.datetime(2026, 1, 1, 13, 0), NOW, NOW - dt.timedelta(seconds=1)],
)
async def test_schedule_refuses_naive_or_past(client_for: Any, when: dt.datetime) -> None:
    """A naive time, now, or a past time is a ValidationError on field 'at'."""
    api = Api({})
    with pytest.raises(ValidationError) as info:
        await client_for(api).campaigns.schedule(AID, when)
    assert info.value.field == "at"
    assert api.requests == []


async def test_send_now_posts_zero(client_for: Any) -> None:
    """send_now POSTs scheduled_date "0" and returns the empty list."""
    api = Api({("POST", f"/emails/activities/{AID}/schedules"): json_response([], 201)})
    assert await client_for(api).campaigns.send_now(AID) == []
    assert body(api.last()) == {"scheduled_date": "0"}


async def test_unschedule_and_get_schedule(client_for: Any) -> None:
    """unschedule DELETEs (204); get_schedule GETs the list of entries."""
    api = Api(
        {
            ("DELETE", f"/emails/activities/{AID}/schedules"): HTTPResponse(204, {}, b""),
            ("GET", f"/emails/activities/{AID}/schedules"): json_response(
                [{"scheduled_date": "2026-03-01T00:00:00.000Z"}]
            ),
        }
    )
    client = client_for(api)
    await client.campaigns.unschedule(AID)
    assert api.last().method == "DELETE"
    entries = await client.campaigns.get_schedule(AID)
    assert entries[0].scheduled_date == dt.datetime(2026, 3, 1, tzinfo=dt.UTC)


async def test_send_test_body(client_for: Any) -> None:
    """send_test POSTs the addresses and personal message and accepts 204."""
    api = Api({("POST", f"/emails/activities/{AID}/tests"): HTTPResponse(204, {}, b"")})
    await client_for(api).campaigns.send_test(AID, ["a@example.com", "b@example.org"], "Look")
    await client_for(api).campaigns.send_test(AID, ["c@example.com"])
    assert body(api.last()) == {"email_addresses": ["c@example.com"]}
    assert body(api.requests[0]) == {
        "email_addresses": ["a@example.com", "b@example.org"],
        "personal_message": "Look",
    }


@pytest.mark.parametrize(
    ("emails", "message", "field"),
    [
        ([], None, "email_addresses"),
        ([f"u{i}@example.com" for i in range(6)], None, "email_addresses"),
        (["not-an-email"], None, "email_addresses[0]"),
        (["ok@example.com", "a@@b.com"], None, "email_addresses[1]"),
        ("a@example.com", None, "email_addresses"),
        (["ok@example.com"], "m" * 1001, "personal_message"),
    ],
)
async def test_send_test_validates(
    client_for: Any, emails: Any, message: str | None, field: str
) -> None:
    """send_test needs 1-5 valid addresses and a bounded message."""
    api = Api({})
    with pytest.raises(ValidationError) as info:
        await client_for(api).campaigns.send_test(AID, emails, message)
    assert info.value.field == field
    assert api.requests == []


async def test_send_history_and_preview(client_for: Any) -> None:
    """send_history and preview GET their paths and structure the answers."""
    history = [
        {
            "send_id": 1,
            "contact_list_ids": [L1],
            "count": 2,
            "run_date": "2026-01-01T12:00:00.000Z",
            "send_status": "COMPLETED",
            "reason_code": 0,
        }
    ]
    preview = {"campaign_activity_id": AID, "subject": "Hello", "preview_html_content": "<p>"}
    api = Api(
        {
            ("GET", f"/emails/activities/{AID}/send_history"): json_response(history),
            ("GET", f"/emails/activities/{AID}/previews"): json_response(preview),
        }
    )
    client = client_for(api)
    entries = await client.campaigns.send_history(AID)
    assert entries[0].count == 2
    assert entries[0].contact_list_ids == [L1]
    shown = await client.campaigns.preview(AID)
    assert shown.subject == "Hello"


async def test_activity_not_found_raises(client_for: Any) -> None:
    """A 404 on an activity path raises NotFoundError."""
    err = [{"error_key": "not_found", "error_message": "not found"}]
    api = Api({("GET", f"/emails/activities/{AID}/send_history"): json_response(err, 404)})
    with pytest.raises(NotFoundError):
        await client_for(api).campaigns.send_history(AID)


# --- resends -------------------------------------------------------------------------------------


async def test_create_resend_body(client_for: Any) -> None:
    """create_resend POSTs subject and the one delay given and structures the 201 answer."""
    answer = {"resend_subject": "Again", "delay_days": 2, "resend_request_id": "DRAFT"}
    api = Api(
        {("POST", f"/emails/activities/{AID}/non_opener_resends"): json_response(answer, 201)}
    )
    resend = await client_for(api).campaigns.create_resend(
        AID, resend_subject="Again", delay_days=2
    )
    assert body(api.last()) == {"resend_subject": "Again", "delay_days": 2}
    assert resend.resend_request_id == "DRAFT"


@pytest.mark.parametrize(
    "kwargs",
    [
        {"delay_days": 0},
        {"delay_days": 11},
        {"delay_minutes": 719},
        {"delay_minutes": 14_401},
        {},
        {"delay_days": 2, "delay_minutes": 800},
        {"delay_days": 2, "resend_subject": ""},
    ],
)
async def test_create_resend_validates(client_for: Any, kwargs: dict[str, Any]) -> None:
    """Delays outside 1-10 days / 720-14,400 minutes, none or both, or no subject are refused."""
    api = Api({})
    args = {"resend_subject": "Again", **kwargs}
    with pytest.raises(ValidationError):
        await client_for(api).campaigns.create_resend(AID, **args)
    assert api.requests == []


async def test_get_and_delete_resends(client_for: Any) -> None:
    """get_resends structures the array (minutes may carry a comma); delete_resend DELETEs."""
    data = [{"resend_subject": "Again", "delay_minutes": "10,080", "resend_request_id": "389093"}]
    api = Api(
        {
            ("GET", f"/emails/activities/{AID}/non_opener_resends"): json_response(data),
            ("DELETE", f"/emails/activities/{AID}/non_opener_resends/389093"): HTTPResponse(
                204, {}, b""
            ),
        }
    )
    client = client_for(api)
    resends = await client.campaigns.get_resends(AID)
    assert resends[0].delay_minutes == 10_080
    await client.campaigns.delete_resend(AID, "389093")
    assert path(api.last()).endswith("/non_opener_resends/389093")
    with pytest.raises(ValidationError):
        await client.campaigns.delete_resend(AID, "../x")
