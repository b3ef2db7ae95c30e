"""cc.contacts against a fake transport: paths, params, bodies, local checks, quirks."""

from __future__ import annotations

import datetime as dt
from typing import Any

import orjson
import pytest

from ccasync import Client, RateLimiter
from ccasync.errors import ConflictError, NotFoundError, ValidationError, WaitTimeoutError
from ccasync.models.contacts import (
    Contact,
    ContactCustomField,
    EmailAddress,
    NewContact,
    PhoneNumber,
    StreetAddress,
)
from ccasync.testing import FakeTransport, HTTPRequest, HTTPResponse, json_response, query_of

CID = "1618ae62-4752-11e9-9c8a-fa163e6b01c1"
OTHER = "2a2b8c1e-0000-4000-8000-000000000abc"
LID = "07936f78-662a-11eb-af0a-fa163e56c9b0"
FID = "3fa85f64-5717-4562-b3fc-2c963f66afa6"
CONTACT = {
    "contact_id": CID,
    "email_address": {
        "address": "dlang@example.com",
        "permission_to_send": "implicit",
        "created_at": "2016-03-03T10:53:04-05:00",
        "opt_in_source": "Contact",
    },
    "first_name": "Debora",
    "last_name": "Lang",
    "create_source": "Account",
    "created_at": "2016-01-23T13:48:44.108Z",
    "updated_at": "2016-01-23T13:48:44.108Z",
}


class Sleeps:
    """A fake sleep recording delays."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


def client(ft: FakeTransport, sleep: Sleeps | None = None) -> Client:
    """A Client on ``ft`` without limiting, with an instant sleep."""
    return Client(
        access_token="t",
        transport=ft,
        rate_limiter=RateLimiter.unlimited(),
        sleep=sleep or Sleeps(),
    )


def body_of(request: HTTPRequest) -> Any:
    """The decoded JSON body of a recorded request."""
    assert request.body is not None
    return orjson.loads(request.body)


def new_contact(**changes: Any) -> NewContact:
    """A valid contact to create."""
    fields: dict[str, Any] = {
        "email_address": EmailAddress(address="new@example.com", permission_to_send="implicit"),
        "first_name": "New",
        "create_source": "Account",
    }
    fields.update(changes)
    return NewContact(**fields)


async def test_create_posts_contact_and_returns_it() -> None:
    """create POSTs the contact without None fields and structures the 201 body."""
    ft = FakeTransport(lambda r: json_response(CONTACT, 201))
    async with client(ft) as cc:
        made = await cc.contacts.create(new_contact(list_memberships=[LID]))
    request = ft.requests[0]
    assert (request.method, request.url) == ("POST", "https://api.cc.email/v3/contacts")
    assert body_of(request) == {
        "email_address": {"address": "new@example.com", "permission_to_send": "implicit"},
        "first_name": "New",
        "create_source": "Account",
        "list_memberships": [LID],
    }
    assert made.contact_id == CID
    assert made.email_address is not None
    assert made.email_address.created_at == dt.datetime(2016, 3, 3, 15, 53, 4, tzinfo=dt.UTC)


async def test_create_conflict_names_existing_contact() -> None:
    """A 409 "Email already exists for contact <uuid>" exposes that id as existing_id."""
    body = [
        {
            "error_key": "contacts.api.conflict",
            "error_message": f"Email already exists for contact {OTHER}",
        }
    ]
    ft = FakeTransport(lambda r: json_response(body, 409))
    async with client(ft) as cc:
        with pytest.raises(ConflictError) as caught:
            await cc.contacts.create(new_contact())
    assert caught.value.existing_id == OTHER
    assert len(ft.requests) == 1


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"create_source": None}, "create_source"),
        ({"create_source": "Robot"}, "create_source"),
        ({"first_name": "x" * 51}, "first_name"),
        ({"last_name": "x" * 51}, "last_name"),
        ({"job_title": "x" * 51}, "job_title"),
        ({"company_name": "x" * 51}, "company_name"),
        ({"email_address": EmailAddress(address="a" * 75 + "@x.com")}, "email_address.address"),
        (
            {"email_address": EmailAddress(address="a@x.io", permission_to_send="yes")},
            "email_address.permission_to_send",
        ),
        ({"list_memberships": [LID] * 51}, "list_memberships"),
        ({"list_memberships": ["abc"]}, "list_memberships[0]"),
        (
            {"custom_fields": [ContactCustomField(custom_field_id=FID, value="v")] * 26},
            "custom_fields",
        ),
        (
            {"custom_fields": [ContactCustomField(custom_field_id="bad", value="v")]},
            "custom_fields[0].custom_field_id",
        ),
        ({"phone_numbers": [PhoneNumber(phone_number="1", kind="home")] * 4}, "phone_numbers"),
        ({"phone_numbers": [PhoneNumber(phone_number="1", kind="fax")]}, "phone_numbers[0].kind"),
        ({"street_addresses": [StreetAddress(kind="home")] * 4}, "street_addresses"),
        ({"street_addresses": [StreetAddress(kind="moon")]}, "street_addresses[0].kind"),
        ({"birthday_month": 13, "birthday_day": 1}, "birthday_month"),
        ({"birthday_day": 3}, "birthday_month"),
        (
            {"email_address": None, "first_name": None},
            "contact",
        ),
    ],
)
async def test_create_local_validation(changes: dict[str, Any], field: str) -> None:
    """Every documented create rule fails locally with the field named; nothing is sent."""
    ft = FakeTransport(lambda r: json_response(CONTACT, 201))
    async with client(ft) as cc:
        with pytest.raises(ValidationError) as caught:
            await cc.contacts.create(new_contact(**changes))
    assert caught.value.field == field
    assert ft.requests == []


async def test_get_with_include() -> None:
    """get sends include as csv; a malformed id fails locally instead of a 404 round trip."""
    ft = FakeTransport(lambda r: json_response({**CONTACT, "list_memberships": [LID]}))
    async with client(ft) as cc:
        got = await cc.contacts.get(CID, include=["list_memberships", "custom_fields"])
        with pytest.raises(ValidationError, match="UUID"):
            await cc.contacts.get("04fe9a-a579-43c5-bb1a-58ed29bf0a6a")
        with pytest.raises(ValidationError, match="include"):
            await cc.contacts.get(CID, include=["everything"])
    assert len(ft.requests) == 1
    assert ft.requests[0].url.split("?")[0].endswith(f"/contacts/{CID}")
    assert query_of(ft.requests[0]) == {"include": "list_memberships,custom_fields"}
    assert got.list_memberships == [LID]
    assert got.custom_fields is None


async def test_get_unknown_is_not_found() -> None:
    """A 404 from the API raises NotFoundError."""
    body = [{"error_key": "contacts.api.not_found", "error_message": "Not found"}]
    async with client(FakeTransport(lambda r: json_response(body, 404))) as cc:
        with pytest.raises(NotFoundError):
            await cc.contacts.get(CID)


async def test_update_round_trip_keeps_unknown_fields_and_sub_resources() -> None:
    """A contact read, edited and PUT back keeps unknown keys; unrequested lists are omitted."""
    server = {
        **CONTACT,
        "loyalty_tier": "gold",
        "email_address": {**CONTACT["email_address"], "bounce_state": "none"},
    }

    def handler(request: HTTPRequest) -> HTTPResponse:
        return json_response(body_of(request) if request.method == "PUT" else server)

    ft = FakeTransport(handler)
    async with client(ft) as cc:
        contact = await cc.contacts.get(CID)
        contact.first_name = "Deb"
        contact.update_source = "Account"
        updated = await cc.contacts.update(contact)
    put = ft.requests[1]
    sent = body_of(put)
    assert (put.method, put.url) == ("PUT", f"https://api.cc.email/v3/contacts/{CID}")
    assert sent["first_name"] == "Deb"
    assert sent["update_source"] == "Account"
    assert sent["loyalty_tier"] == "gold"
    assert sent["email_address"]["bounce_state"] == "none"
    assert "list_memberships" not in sent
    assert "custom_fields" not in sent
    assert updated.extra == {"loyalty_tier": "gold"}


async def test_update_requires_update_source_and_id() -> None:
    """update refuses a contact without update_source or with an empty contact_id."""
    ft = FakeTransport(lambda r: json_response(CONTACT))
    async with client(ft) as cc:
        with pytest.raises(ValidationError) as no_source:
            await cc.contacts.update(Contact(contact_id=CID, first_name="A"))
        with pytest.raises(ValidationError) as no_id:
            await cc.contacts.update(
                Contact(contact_id="", first_name="A", update_source="Account")
            )
        with pytest.raises(ValidationError) as bad_source:
            await cc.contacts.update(Contact(contact_id=CID, update_source="Me"))
    assert (no_source.value.field, no_id.value.field) == ("update_source", "contact_id")
    assert bad_source.value.field == "update_source"
    assert ft.requests == []


async def test_delete_sends_delete() -> None:
    """delete sends DELETE /contacts/{id} and returns None on 204."""
    ft = FakeTransport(lambda r: HTTPResponse(204, {}, b""))
    async with client(ft) as cc:
        assert await cc.contacts.delete(CID) is None
    assert (ft.requests[0].method, ft.requests[0].url) == (
        "DELETE",
        f"https://api.cc.email/v3/contacts/{CID}",
    )


@pytest.mark.parametrize(("status", "created"), [(201, True), (200, False)])
async def test_sign_up_form_reports_created_or_updated(status: int, created: bool) -> None:
    """sign_up_form sends the flat body; 201 means created, 200 updated."""
    answer = {"contact_id": CID, "action": "created" if created else "updated"}
    ft = FakeTransport(lambda r: json_response(answer, status))
    async with client(ft) as cc:
        result = await cc.contacts.sign_up_form(
            email_address="a@example.com",
            list_memberships=[LID],
            first_name="A",
            custom_fields={FID: "42"},
            street_address=StreetAddress(kind="home", city="Boston"),
        )
    assert ft.requests[0].url.endswith("/contacts/sign_up_form")
    assert body_of(ft.requests[0]) == {
        "email_address": "a@example.com",
        "first_name": "A",
        "list_memberships": [LID],
        "custom_fields": [{"custom_field_id": FID, "value": "42"}],
        "street_address": {"kind": "home", "city": "Boston"},
    }
    assert (result.contact_id, result.created) == (CID, created)


async def test_sign_up_form_answer_with_null_fields_decodes() -> None:
    """An answer with null in defaulted fields (created, action) still gives the result."""
    answer = {"contact_id": CID, "action": None, "created": None}
    ft = FakeTransport(lambda r: json_response(answer, 200))
    async with client(ft) as cc:
        result = await cc.contacts.sign_up_form(email_address="a@x.io", list_memberships=[LID])
    assert (result.contact_id, result.action, result.created) == (CID, None, False)


async def test_sign_up_form_is_retried_as_upsert() -> None:
    """A 503 on sign_up_form is retried: repeating an upsert has the same effect."""
    ft = FakeTransport(responses=[json_response([], 503), json_response({"contact_id": CID}, 201)])
    async with client(ft) as cc:
        result = await cc.contacts.sign_up_form(email_address="a@x.io", list_memberships=[LID])
    assert result.created
    assert len(ft.requests) == 2


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"list_memberships": []}, "list_memberships"),
        ({"list_memberships": [LID] * 51}, "list_memberships"),
        ({"list_memberships": [LID], "email_address": None}, "email_address"),
        ({"list_memberships": [LID], "first_name": "x" * 51}, "first_name"),
        ({"list_memberships": [LID], "phone_number": "1" * 26}, "phone_number"),
        (
            {
                "list_memberships": [LID],
                "custom_fields": {f"{FID[:-2]}{i:02d}": "v" for i in range(26)},
            },
            "custom_fields",
        ),
    ],
)
async def test_sign_up_form_local_checks(kwargs: dict[str, Any], field: str) -> None:
    """sign_up_form needs 1-50 lists, an email or SMS channel, and respects lengths."""
    kwargs = {"email_address": "a@x.io", **kwargs}
    ft = FakeTransport(lambda r: json_response({"contact_id": CID}, 201))
    async with client(ft) as cc:
        with pytest.raises(ValidationError) as caught:
            await cc.contacts.sign_up_form(**kwargs)
    assert caught.value.field == field
    assert ft.requests == []


async def test_counts() -> None:
    """counts reads ContactCounts; include_new_subscriber adds include=new_subscriber."""
    answer = {"total": 72, "explicit": 10, "implicit": 20, "pending": 30, "unsubscribed": 12}
    ft = FakeTransport(lambda r: json_response(answer))
    async with client(ft) as cc:
        counts = await cc.contacts.counts()
        await cc.contacts.counts(include_new_subscriber=True)
    assert ft.requests[0].url == "https://api.cc.email/v3/contacts/counts"
    assert query_of(ft.requests[1]) == {"include": "new_subscriber"}
    assert (counts.total, counts.unsubscribed, counts.new_subscriber) == (72, 12, None)


async def test_resubscribe() -> None:
    """resubscribe PUTs list_ids to /contacts/resubscribe/{id}."""
    ft = FakeTransport(lambda r: json_response({}))
    async with client(ft) as cc:
        await cc.contacts.resubscribe(CID, [LID])
        with pytest.raises(ValidationError):
            await cc.contacts.resubscribe(CID, [])
    assert (ft.requests[0].method, ft.requests[0].url) == (
        "PUT",
        f"https://api.cc.email/v3/contacts/resubscribe/{CID}",
    )
    assert body_of(ft.requests[0]) == {"list_ids": [LID]}


async def test_iter_all_sends_every_filter_and_pages() -> None:
    """iter_all encodes every filter and follows next links."""

    def handler(request: HTTPRequest) -> HTTPResponse:
        if "cursor" in request.url:
            return json_response({"contacts": [{**CONTACT, "first_name": "Second"}]})
        nxt = {"next": {"href": "/v3/contacts?cursor=p2"}}
        return json_response({"contacts": [CONTACT], "_links": nxt})

    ft = FakeTransport(handler)
    after = dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
    async with client(ft) as cc:
        names = [
            c.first_name
            async for c in cc.contacts.iter_all(
                status=["active", "unsubscribed"],
                email="dlang@example.com",
                lists=[LID],
                tags=[FID],
                updated_after=after,
                updated_before=after,
                created_after=after,
                created_before=after,
                optout_after=after,
                optout_before=after,
                include=["taggings"],
                sms_status="explicit",
                limit=100,
            )
        ]
    stamp = "2024-01-02T03:04:05.000Z"
    assert names == ["Debora", "Second"]
    assert query_of(ft.requests[0]) == {
        "status": "active,unsubscribed",
        "email": "dlang@example.com",
        "lists": LID,
        "tags": FID,
        "updated_after": stamp,
        "updated_before": stamp,
        "created_after": stamp,
        "created_before": stamp,
        "optout_after": stamp,
        "optout_before": stamp,
        "include": "taggings",
        "sms_status": "explicit",
        "limit": "100",
    }
    assert query_of(ft.requests[1]) == {"cursor": "p2"}


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"updated_after": dt.datetime(2024, 1, 1)}, "updated_after"),
        ({"created_before": dt.datetime(2024, 1, 1)}, "created_before"),
        ({"lists": [LID] * 26}, "lists"),
        ({"tags": [FID] * 51}, "tags"),
        ({"status": "gone"}, "status[0]"),
        ({"sms_status": ["maybe"]}, "sms_status[0]"),
        ({"limit": 501}, "limit"),
        ({"limit": 0}, "limit"),
        ({"segment_id": 14, "status": "all"}, "segment_id"),
        ({"segment_id": "abc"}, "segment_id"),
    ],
)
def test_iter_all_local_checks(kwargs: dict[str, Any], field: str) -> None:
    """Naive datetimes, too many lists/tags, unknown enums and bad limits fail at call time."""
    cc = client(FakeTransport(lambda r: json_response({"contacts": []})))
    with pytest.raises(ValidationError) as caught:
        cc.contacts.iter_all(**kwargs)
    assert caught.value.field == field


async def test_segment_search_retries_while_202() -> None:
    """GET /contacts?segment_id= answering 202 is retried with growing sleeps until 200."""
    processing = json_response({"status": "processing"}, 202)
    ready = json_response({"contacts": [CONTACT]})
    ft = FakeTransport(responses=[processing, processing, processing, ready])
    sleeps = Sleeps()
    async with client(ft, sleeps) as cc:
        found = [c.contact_id async for c in cc.contacts.iter_all(segment_id=14, limit=50)]
    assert found == [CID]
    assert sleeps.delays == [1.0, 2.0, 4.0]
    assert len(ft.requests) == 4
    assert query_of(ft.requests[0]) == {"segment_id": "14", "limit": "50"}


async def test_segment_search_gives_up_after_bounded_tries() -> None:
    """A segment that never becomes ready raises WaitTimeoutError after SEGMENT_TRIES tries."""
    from ccasync.resources.contacts import SEGMENT_TRIES

    ft = FakeTransport(lambda r: json_response({"status": "processing"}, 202))
    sleeps = Sleeps()
    async with client(ft, sleeps) as cc:
        with pytest.raises(WaitTimeoutError, match="segment"):
            [c async for c in cc.contacts.iter_all(segment_id="14")]
    assert len(ft.requests) == SEGMENT_TRIES
    assert max(sleeps.delays) <= 30.0


async def test_segment_search_follows_next_pages() -> None:
    """Segment results continue through _links.next like any search."""

    def handler(request: HTTPRequest) -> HTTPResponse:
        if "cursor" in request.url:
            return json_response({"contacts": [{**CONTACT, "contact_id": OTHER}]})
        return json_response(
            {"contacts": [CONTACT], "_links": {"next": {"href": "/v3/contacts?cursor=s2"}}}
        )

    async with client(FakeTransport(handler)) as cc:
        found = [c.contact_id async for c in cc.contacts.iter_all(segment_id=14)]
    assert found == [CID, OTHER]


async def test_find_by_email_searches_all_statuses() -> None:
    """find_by_email asks for status=all (deleted contacts keep their email) and limit=1."""
    answers = iter([{"contacts": [CONTACT]}, {"contacts": []}])
    ft = FakeTransport(lambda r: json_response(next(answers)))
    async with client(ft) as cc:
        found = await cc.contacts.find_by_email("dlang@example.com")
        missing = await cc.contacts.find_by_email("nobody@example.com")
    assert found is not None
    assert found.contact_id == CID
    assert missing is None
    assert query_of(ft.requests[0]) == {
        "email": "dlang@example.com",
        "status": "all",
        "limit": "1",
    }
