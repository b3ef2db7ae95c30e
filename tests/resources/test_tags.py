"""cc.tags against a fake transport: CRUD paths, 202 delete, the internal cursor href."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from ccasync import Client, RateLimiter
from ccasync.errors import ConflictError, RequestTimeoutError, ValidationError
from ccasync.testing import FakeTransport, HTTPRequest, HTTPResponse, json_response, query_of

TID = "3fa85f64-5717-4562-b3fc-2c963f66afa6"
AID = "d44ac96c-24f3-11eb-8ae8-fa163e595123"
TAG = {
    "tag_id": TID,
    "name": "Gold card member",
    "contacts_count": 325,
    "created_at": "2019-04-25T11:08:00.000Z",
    "updated_at": "2016-01-23T13:48:44.108Z",
    "tag_source": "ESTY",
}


def client(ft: FakeTransport) -> Client:
    """A Client on ``ft`` without limiting."""
    return Client(access_token="t", transport=ft, rate_limiter=RateLimiter.unlimited())


def body_of(request: HTTPRequest) -> Any:
    """The decoded JSON body of a recorded request."""
    assert request.body is not None
    return orjson.loads(request.body)


async def test_create_get_rename() -> None:
    """create POSTs name+tag_source, get passes include_count, rename PUTs only the name."""

    def handler(request: HTTPRequest) -> HTTPResponse:
        return json_response(TAG, 201 if request.method == "POST" else 200)

    ft = FakeTransport(handler)
    async with client(ft) as cc:
        made = await cc.tags.create("Gold card member", tag_source="ESTY")
        got = await cc.tags.get(TID, include_count=True)
        await cc.tags.get(TID)
        await cc.tags.rename(TID, "Platinum")
    assert (ft.requests[0].method, ft.requests[0].url) == (
        "POST",
        "https://api.cc.email/v3/contact_tags",
    )
    assert body_of(ft.requests[0]) == {"name": "Gold card member", "tag_source": "ESTY"}
    assert query_of(ft.requests[1]) == {"include_count": "true"}
    assert query_of(ft.requests[2]) == {}
    assert ft.requests[3].method == "PUT"
    assert ft.requests[3].url.endswith(f"/contact_tags/{TID}")
    assert body_of(ft.requests[3]) == {"name": "Platinum"}
    assert made.tag_id == TID
    assert got.contacts_count == 325


@pytest.mark.parametrize("name", ["", "x" * 256])
async def test_tag_names_are_1_to_255_chars(name: str) -> None:
    """Tag names outside 1-255 characters fail locally on create and rename."""
    ft = FakeTransport(lambda r: json_response(TAG, 201))
    async with client(ft) as cc:
        with pytest.raises(ValidationError, match="name"):
            await cc.tags.create(name)
        with pytest.raises(ValidationError, match="name"):
            await cc.tags.rename(TID, name)
    assert ft.requests == []


async def test_duplicate_name_is_conflict() -> None:
    """A 409 on create raises ConflictError."""
    body = [{"error_key": "tags.api.conflict", "error_message": "Tag name already exists"}]
    async with client(FakeTransport(lambda r: json_response(body, 409))) as cc:
        with pytest.raises(ConflictError):
            await cc.tags.create("dup")


async def test_delete_returns_activity_from_202() -> None:
    """DELETE /contact_tags/{id} answers 202 with an activity, returned as Activity."""
    answer = {
        "activity_id": AID,
        "state": "processing",
        "percent_done": 25,
        "activity_errors": [{}],
        "status": {"items_total_count": 89, "items_completed_count": 20},
        "_links": {"self": {"href": f"/v3/activities/{AID}"}},
    }
    ft = FakeTransport(lambda r: json_response(answer, 202))
    async with client(ft) as cc:
        job = await cc.tags.delete(TID)
        with pytest.raises(ValidationError):
            await cc.tags.delete("not-a-tag")
    assert ft.requests[0].method == "DELETE"
    assert (job.activity_id, job.state, job.activity_errors) == (AID, "processing", [])
    assert job.status is not None
    assert job.status.items_total_count == 89
    assert len(ft.requests) == 1


async def test_iter_all_rebuilds_internal_cursor_href() -> None:
    """The tags next href is an internal path: the cursor is replayed on /v3/contact_tags."""
    internal = "/contacts-service/v3/accounts/1234/contact_tags?cursor=bmV4dA&limit=2"

    def handler(request: HTTPRequest) -> HTTPResponse:
        if "cursor" in request.url:
            return json_response({"tags": [{**TAG, "name": "Second"}]})
        return json_response({"tags": [TAG], "_links": {"next": {"href": internal}}})

    ft = FakeTransport(handler)
    async with client(ft) as cc:
        names = [t.name async for t in cc.tags.iter_all(include_count=True, limit=2)]
    assert names == ["Gold card member", "Second"]
    second = ft.requests[1].url
    assert second.startswith("https://api.cc.email/v3/contact_tags?")
    assert query_of(ft.requests[1]) == {"limit": "2", "cursor": "bmV4dA"}
    assert query_of(ft.requests[0]) == {"include_count": "true", "limit": "2"}


async def test_find_by_name_and_limit_check() -> None:
    """find_by_name pages through tags; limit outside 1-500 is refused."""
    ft = FakeTransport(lambda r: json_response({"tags": [TAG]}))
    async with client(ft) as cc:
        found = await cc.tags.find_by_name("Gold card member")
        missing = await cc.tags.find_by_name("Silver")
        with pytest.raises(ValidationError):
            cc.tags.iter_all(limit=501)
    assert found is not None
    assert found.tag_id == TID
    assert missing is None


async def test_create_after_a_timeout_checks_the_name_then_retries() -> None:
    """A timed-out POST is checked by name (absent) and sent again; a 409 on it means landed."""
    timeout = RequestTimeoutError("timed out", method="POST", url="/v3/contact_tags")
    conflict = json_response([{"error_key": "conflict", "error_message": "exists"}], 409)
    answers: list[HTTPResponse | BaseException] = [
        timeout,
        json_response({"tags": []}),
        conflict,
        json_response({"tags": [TAG]}),
    ]
    ft = FakeTransport(responses=answers)

    async def no_sleep(_: float) -> None:
        pass

    async with Client(
        access_token="t", transport=ft, rate_limiter=RateLimiter.unlimited(), sleep=no_sleep
    ) as cc:
        tag = await cc.tags.create("Gold card member")
    assert tag.tag_id == TID
    assert [r.method for r in ft.requests] == ["POST", "GET", "POST", "GET"]
