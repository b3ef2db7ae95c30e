"""cc.custom_fields against a fake transport: paths, bodies, local checks, paging."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from ccasync import Client, RateLimiter
from ccasync.errors import ServerError, ValidationError
from ccasync.models.custom_fields import CustomField, CustomFieldChoice
from ccasync.testing import FakeTransport, HTTPRequest, HTTPResponse, json_response, query_of

FID = "1618ae62-4752-11e9-9c8a-fa163e6b01c1"
FIELD = {
    "custom_field_id": FID,
    "label": "Shoe size",
    "name": "Shoe_size",
    "type": "string",
    "version": 1,
    "choices": [],
    "created_at": "2016-03-03T10:53:04-05:00",
}


def client(ft: FakeTransport) -> Client:
    """A Client on ``ft`` without limiting."""
    return Client(access_token="t", transport=ft, rate_limiter=RateLimiter.unlimited())


def body_of(request: HTTPRequest) -> Any:
    """The decoded JSON body of a recorded request."""
    assert request.body is not None
    return orjson.loads(request.body)


async def test_create_posts_label_type_and_choices() -> None:
    """create sends label, type and ordered choices; 201 is structured."""
    ft = FakeTransport(lambda r: json_response(FIELD, 201))
    async with client(ft) as cc:
        made = await cc.custom_fields.create("Shoe size")
        await cc.custom_fields.create("Color", type="single_select", choices=["Red", "Blue"])
    assert ft.requests[0].url == "https://api.cc.email/v3/contact_custom_fields"
    assert body_of(ft.requests[0]) == {"label": "Shoe size", "type": "string"}
    assert body_of(ft.requests[1]) == {
        "label": "Color",
        "type": "single_select",
        "choices": [
            {"choice_label": "Red", "display_order": 1},
            {"choice_label": "Blue", "display_order": 2},
        ],
    }
    assert (made.custom_field_id, made.name) == (FID, "Shoe_size")


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"label": "x" * 51}, "label"),
        ({"label": ""}, "label"),
        ({"label": "ok", "type": "t" * 21}, "type"),
        ({"label": "ok", "choices": ["c"] * 101}, "choices"),
        ({"label": "ok", "choices": ["c" * 256]}, "choices[0].choice_label"),
    ],
)
async def test_create_local_checks(kwargs: dict[str, Any], field: str) -> None:
    """Labels ≤50, types ≤20, ≤100 choices of ≤255 chars, checked before sending."""
    ft = FakeTransport(lambda r: json_response(FIELD, 201))
    async with client(ft) as cc:
        with pytest.raises(ValidationError) as caught:
            await cc.custom_fields.create(**kwargs)
    assert caught.value.field == field
    assert ft.requests == []


async def test_get_update_delete() -> None:
    """get, update (label + choices only) and delete use the field's path."""

    def handler(request: HTTPRequest) -> HTTPResponse:
        if request.method == "DELETE":
            return HTTPResponse(204, {}, b"")
        return json_response(FIELD)

    ft = FakeTransport(handler)
    async with client(ft) as cc:
        field = await cc.custom_fields.get(FID)
        field.label = "Shoe size (EU)"
        field.choices = [CustomFieldChoice(choice_id=3, choice_label="40", display_order=1)]
        await cc.custom_fields.update(field)
        assert await cc.custom_fields.delete(FID) is None
        with pytest.raises(ValidationError):
            await cc.custom_fields.update(CustomField(label="no id", custom_field_id=""))
    assert [r.method for r in ft.requests] == ["GET", "PUT", "DELETE"]
    assert all(r.url.endswith(f"/contact_custom_fields/{FID}") for r in ft.requests)
    assert body_of(ft.requests[1]) == {
        "label": "Shoe size (EU)",
        "choices": [{"choice_id": 3, "choice_label": "40", "display_order": 1}],
    }


async def test_iter_all_and_find_by_name() -> None:
    """iter_all pages with limit ≤100; find_by_name matches name or label."""

    def handler(request: HTTPRequest) -> HTTPResponse:
        if "cursor" in request.url:
            return json_response({"custom_fields": [{**FIELD, "label": "B", "name": "B"}]})
        nxt = {"next": {"href": "/v3/contact_custom_fields?cursor=n1"}}
        return json_response({"custom_fields": [FIELD], "_links": nxt})

    ft = FakeTransport(handler)
    async with client(ft) as cc:
        labels = [f.label async for f in cc.custom_fields.iter_all(limit=1)]
        found = await cc.custom_fields.find_by_name("B")
        with pytest.raises(ValidationError):
            cc.custom_fields.iter_all(limit=101)
    assert labels == ["Shoe size", "B"]
    assert query_of(ft.requests[0]) == {"limit": "1"}
    assert found is not None
    assert found.label == "B"


async def test_create_after_5xx_checks_the_label_and_gives_up_after_max_attempts() -> None:
    """Each 503 is checked by label; never found, the POST is sent max_attempts times, noted."""
    from ccasync.config import RetryPolicy

    unavailable = json_response({"error_key": "x", "error_message": "down"}, 503)
    answers: list[HTTPResponse | BaseException] = []
    for _ in range(3):
        answers += [unavailable, json_response({"custom_fields": []})]
    ft = FakeTransport(responses=answers)

    async def no_sleep(_: float) -> None:
        pass

    async with Client(
        access_token="t",
        transport=ft,
        rate_limiter=RateLimiter.unlimited(),
        sleep=no_sleep,
        retry=RetryPolicy(max_attempts=3),
    ) as cc:
        with pytest.raises(ServerError) as info:
            await cc.custom_fields.create("Shoe size")
    assert [r.method for r in ft.requests] == ["POST", "GET"] * 3
    assert any("not found after 3 tries" in note for note in info.value.__notes__)
