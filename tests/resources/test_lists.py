"""cc.lists against a fake transport: paths, bodies, local checks, 202 delete, round trip."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from ccasync import Client, RateLimiter
from ccasync._serde import structure
from ccasync.errors import ConflictError, TransportError, ValidationError
from ccasync.models.lists import ContactList
from ccasync.testing import FakeTransport, HTTPRequest, HTTPResponse, json_response, query_of

LID = "06526938-56dd-11e9-932a-fa163ea075fa"
AID = "04fa57a7-cf55-4185-cc1a-58ed29bf0a6a"
LIST = {
    "list_id": LID,
    "name": "Repeat buyers",
    "description": "People who bought twice",
    "favorite": False,
    "created_at": "2016-01-23T13:48:44.108Z",
    "updated_at": "2016-03-03T10:56:29-05:00",
}


def client(ft: FakeTransport) -> Client:
    """A Client on ``ft`` without limiting."""
    return Client(access_token="t", transport=ft, rate_limiter=RateLimiter.unlimited())


def body_of(request: HTTPRequest) -> Any:
    """The decoded JSON body of a recorded request."""
    assert request.body is not None
    return orjson.loads(request.body)


async def test_create_posts_name_description_favorite() -> None:
    """create POSTs ListInput and structures the 201 answer."""
    ft = FakeTransport(lambda r: json_response(LIST, 201))
    async with client(ft) as cc:
        made = await cc.lists.create("Repeat buyers", description="People who bought twice")
    request = ft.requests[0]
    assert (request.method, request.url) == ("POST", "https://api.cc.email/v3/contact_lists")
    assert body_of(request) == {
        "name": "Repeat buyers",
        "description": "People who bought twice",
        "favorite": False,
    }
    assert made.list_id == LID
    assert made.created_at is not None
    assert made.created_at.tzinfo is not None


@pytest.mark.parametrize(
    ("name", "description", "field"),
    [("", None, "name"), ("x" * 256, None, "name"), ("ok", "d" * 256, "description")],
)
async def test_create_checks_lengths(name: str, description: str | None, field: str) -> None:
    """List names are 1-255 characters and descriptions at most 255."""
    ft = FakeTransport(lambda r: json_response(LIST, 201))
    async with client(ft) as cc:
        with pytest.raises(ValidationError) as caught:
            await cc.lists.create(name, description=description)
    assert caught.value.field == field
    assert ft.requests == []


async def test_create_conflict_is_conflict_error() -> None:
    """A duplicate name answers 409, raised as ConflictError."""
    body = [{"error_key": "contacts.api.conflict", "error_message": "Name already exists."}]
    async with client(FakeTransport(lambda r: json_response(body, 409))) as cc:
        with pytest.raises(ConflictError):
            await cc.lists.create("Repeat buyers")


async def test_get_with_membership_count() -> None:
    """get passes include_membership_count and reads membership_count."""
    ft = FakeTransport(lambda r: json_response({**LIST, "membership_count": 327}))
    async with client(ft) as cc:
        got = await cc.lists.get(LID, include_membership_count="active")
        with pytest.raises(ValidationError):
            await cc.lists.get(LID, include_membership_count="some")
        with pytest.raises(ValidationError):
            await cc.lists.get("06526938")
    assert ft.requests[0].url.split("?")[0].endswith(f"/contact_lists/{LID}")
    assert query_of(ft.requests[0]) == {"include_membership_count": "active"}
    assert got.membership_count == 327
    assert len(ft.requests) == 1


async def test_update_round_trip_keeps_unknown_fields() -> None:
    """A list read, renamed and PUT back carries the server's unknown fields unchanged."""
    server = {**LIST, "future_flag": {"x": 1}}
    ft = FakeTransport(lambda r: json_response(body_of(r) if r.method == "PUT" else server))
    async with client(ft) as cc:
        current = await cc.lists.get(LID)
        current.name = "Loyal buyers"
        updated = await cc.lists.update(current)
    sent = body_of(ft.requests[1])
    assert ft.requests[1].method == "PUT"
    assert ft.requests[1].url.endswith(f"/contact_lists/{LID}")
    assert sent["name"] == "Loyal buyers"
    assert sent["future_flag"] == {"x": 1}
    assert updated.extra == {"future_flag": {"x": 1}}


async def test_update_needs_a_list_id() -> None:
    """update refuses a record without a well-formed list_id."""
    async with client(FakeTransport(lambda r: json_response(LIST))) as cc:
        with pytest.raises(ValidationError, match="list_id"):
            await cc.lists.update(ContactList(name="x", list_id=""))


async def test_delete_returns_the_202_activity() -> None:
    """DELETE answers 202 with an activity lacking activity_id; it is taken from the link."""
    answer = {
        "state": "initialized",
        "percent_done": 1,
        "activity_errors": [],
        "_links": {"self": {"href": f"/v3/activities/{AID}"}},
    }
    ft = FakeTransport(lambda r: json_response(answer, 202, {"Location": f"/v3/activities/{AID}"}))
    async with client(ft) as cc:
        job = await cc.lists.delete(LID)
    assert ft.requests[0].method == "DELETE"
    assert ft.requests[0].url.endswith(f"/contact_lists/{LID}")
    assert (job.activity_id, job.state) == (AID, "initialized")


async def test_delete_takes_id_from_location_header() -> None:
    """Without a self link the activity id comes from the Location header."""
    answer = {"state": "initialized"}
    ft = FakeTransport(lambda r: json_response(answer, 202, {"Location": f"/v3/activities/{AID}"}))
    async with client(ft) as cc:
        job = await cc.lists.delete(LID)
    assert job.activity_id == AID


async def test_iter_all_pages_and_params() -> None:
    """iter_all follows next links and sends its filters."""

    def handler(request: HTTPRequest) -> HTTPResponse:
        if "cursor" in request.url:
            return json_response({"lists": [{**LIST, "name": "b"}]})
        nxt = {"next": {"href": "/v3/contact_lists?cursor=abc&limit=2"}}
        return json_response({"lists": [LIST], "lists_count": 2, "_links": nxt})

    ft = FakeTransport(handler)
    async with client(ft) as cc:
        names = [
            x.name
            async for x in cc.lists.iter_all(status="all", include_membership_count="all", limit=2)
        ]
        with pytest.raises(ValidationError):
            cc.lists.iter_all(limit=0)
        with pytest.raises(ValidationError):
            cc.lists.iter_all(status="gone")
    assert names == ["Repeat buyers", "b"]
    assert query_of(ft.requests[0]) == {
        "status": "all",
        "include_membership_count": "all",
        "limit": "2",
    }
    assert query_of(ft.requests[1]) == {"cursor": "abc", "limit": "2"}


async def test_find_by_name() -> None:
    """find_by_name queries name= and returns the exact match or None."""
    answers = iter([{"lists": [LIST]}, {"lists": []}])
    ft = FakeTransport(lambda r: json_response(next(answers)))
    async with client(ft) as cc:
        found = await cc.lists.find_by_name("Repeat buyers")
        missing = await cc.lists.find_by_name("Nope")
    assert found is not None
    assert found.list_id == LID
    assert missing is None
    assert query_of(ft.requests[0])["name"] == "Repeat buyers"


def test_contact_list_tolerates_unknown_fields() -> None:
    """Unknown keys land in extra instead of failing."""
    parsed = structure({**LIST, "channel_type": "email"}, ContactList)
    assert parsed.extra == {"channel_type": "email"}


async def test_create_after_a_dropped_answer_checks_the_name_then_retries() -> None:
    """A reset POST is checked by name (absent), sent again once; a 503 then found is not."""
    dropped = TransportError("ServerDisconnectedError", method="POST", url="/v3/contact_lists")
    unavailable = json_response({"error_key": "x", "error_message": "down"}, 503)
    answers: list[HTTPResponse | BaseException] = [
        dropped,
        json_response({"lists": []}),
        json_response(LIST, 201),
        unavailable,
        json_response({"lists": [LIST]}),
    ]
    ft = FakeTransport(responses=answers)

    async def no_sleep(_: float) -> None:
        pass

    async with Client(
        access_token="t", transport=ft, rate_limiter=RateLimiter.unlimited(), sleep=no_sleep
    ) as cc:
        first = await cc.lists.create("Repeat buyers")
        second = await cc.lists.create("Repeat buyers")
    assert first.list_id == second.list_id == LID
    assert [r.method for r in ft.requests] == ["POST", "GET", "POST", "POST", "GET"]
    assert query_of(ft.requests[1])["name"] == "Repeat buyers"
