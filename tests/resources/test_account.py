"""cc.account against a fake transport: summary, emails, senders, physical address."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from ccasync import Client, RateLimiter
from ccasync.errors import ValidationError
from ccasync.models.account import PhysicalAddress
from ccasync.testing import FakeTransport, HTTPRequest, HTTPResponse, json_response, query_of

SUMMARY = {
    "contact_email": "owner@example.com",
    "country_code": "US",
    "encoded_account_id": "p07e1l8cdif9dl",
    "organization_name": "InstaPrinz",
    "time_zone_id": "US/Eastern",
    "physical_address": {
        "address_line1": "123 Maple Street",
        "city": "Boston",
        "state_code": "MA",
        "postal_code": "02451",
        "country_code": "US",
    },
}
EMAILS = [
    {
        "email_address": "owner@example.com",
        "email_id": 1,
        "confirm_status": "CONFIRMED",
        "roles": ["CONTACT"],
        "pending_roles": [],
    },
    {"email_address": "new@example.com", "email_id": 2, "confirm_status": "UNCONFIRMED"},
]
ADDRESS = PhysicalAddress(
    address_line1="123 Maple Street",
    city="Boston",
    state_code="MA",
    postal_code="02451",
    country_code="US",
)


def client(ft: FakeTransport) -> Client:
    """A Client on ``ft`` without limiting."""
    return Client(access_token="t", transport=ft, rate_limiter=RateLimiter.unlimited())


def body_of(request: HTTPRequest) -> Any:
    """The decoded JSON body of a recorded request."""
    assert request.body is not None
    return orjson.loads(request.body)


async def test_get_summary_with_extra_fields() -> None:
    """get_summary passes extra_fields as csv and structures the physical address."""
    ft = FakeTransport(lambda r: json_response(SUMMARY))
    async with client(ft) as cc:
        summary = await cc.account.get_summary(["physical_address", "company_logo"])
        with pytest.raises(ValidationError, match="extra_fields"):
            await cc.account.get_summary(["bank_account"])
    assert ft.requests[0].url.split("?")[0] == "https://api.cc.email/v3/account/summary"
    assert query_of(ft.requests[0]) == {"extra_fields": "physical_address,company_logo"}
    assert summary.physical_address is not None
    assert summary.physical_address.city == "Boston"
    assert summary.time_zone_id == "US/Eastern"
    assert len(ft.requests) == 1


async def test_update_summary_is_partial() -> None:
    """update_summary PUTs only the given writable fields."""
    ft = FakeTransport(lambda r: json_response({**SUMMARY, **body_of(r)}))
    async with client(ft) as cc:
        updated = await cc.account.update_summary(
            organization_name="New Org", website="https://x.io"
        )
        with pytest.raises(ValidationError, match="encoded_account_id"):
            await cc.account.update_summary(encoded_account_id="zzz")
        with pytest.raises(ValidationError, match="contact_phone"):
            await cc.account.update_summary(contact_phone="1" * 26)
        with pytest.raises(ValidationError):
            await cc.account.update_summary()
    assert ft.requests[0].method == "PUT"
    assert body_of(ft.requests[0]) == {"organization_name": "New Org", "website": "https://x.io"}
    assert updated.organization_name == "New Org"
    assert len(ft.requests) == 1


async def test_list_and_iter_emails_with_one_filter() -> None:
    """list_emails/iter_emails accept one filter at a time and check its values."""
    ft = FakeTransport(lambda r: json_response(EMAILS))
    async with client(ft) as cc:
        emails = await cc.account.list_emails(role_code="CONTACT")
        iterated = [e.email_address async for e in cc.account.iter_emails()]
        with pytest.raises(ValidationError, match="only one filter"):
            await cc.account.list_emails(confirm_status="CONFIRMED", role_code="C")
        with pytest.raises(ValidationError, match="confirm_status"):
            await cc.account.list_emails(confirm_status="MAYBE")
    assert query_of(ft.requests[0]) == {"role_code": "CONTACT"}
    assert [e.email_id for e in emails] == [1, 2]
    assert emails[0].roles == ["CONTACT"]
    assert iterated == ["owner@example.com", "new@example.com"]
    assert len(ft.requests) == 2


async def test_confirmed_senders() -> None:
    """confirmed_senders asks for CONFIRMED addresses and keeps only confirmed ones."""
    ft = FakeTransport(lambda r: json_response(EMAILS))
    async with client(ft) as cc:
        senders = await cc.account.confirmed_senders()
    assert query_of(ft.requests[0]) == {"confirm_status": "CONFIRMED"}
    assert senders == ["owner@example.com"]


async def test_add_email() -> None:
    """add_email POSTs the address and returns the UNCONFIRMED record."""
    answer = {"email_address": "new@example.com", "email_id": 2, "confirm_status": "UNCONFIRMED"}
    ft = FakeTransport(lambda r: json_response(answer, 201))
    async with client(ft) as cc:
        added = await cc.account.add_email("new@example.com")
        with pytest.raises(ValidationError):
            await cc.account.add_email("a" * 75 + "@x.com")
    assert body_of(ft.requests[0]) == {"email_address": "new@example.com"}
    assert (added.email_id, added.confirmed) == (2, False)


async def test_physical_address_get_and_create() -> None:
    """get_physical_address reads it; set_physical_address POSTs a new one."""

    def handler(request: HTTPRequest) -> HTTPResponse:
        if request.method == "POST":
            return json_response(body_of(request), 201)
        return json_response(SUMMARY["physical_address"])

    ft = FakeTransport(handler)
    async with client(ft) as cc:
        current = await cc.account.get_physical_address()
        saved = await cc.account.set_physical_address(ADDRESS)
    assert current.postal_code == "02451"
    assert [r.method for r in ft.requests] == ["GET", "POST"]
    assert ft.requests[1].url.endswith("/account/summary/physical_address")
    assert saved == ADDRESS


async def test_set_physical_address_replaces_existing_on_409() -> None:
    """When an address exists (409 on POST), set_physical_address PUTs it instead."""
    conflict = json_response([{"error_key": "conflict", "error_message": "exists"}], 409)
    ft = FakeTransport(responses=[conflict, json_response(SUMMARY["physical_address"])])
    async with client(ft) as cc:
        await cc.account.set_physical_address(ADDRESS)
    assert [r.method for r in ft.requests] == ["POST", "PUT"]
    assert body_of(ft.requests[1])["address_line1"] == "123 Maple Street"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"address_line1": ""}, "address_line1"),
        ({"address_line1": "x" * 81}, "address_line1"),
        ({"postal_code": None}, "postal_code"),
        ({"country_code": "FR", "state_code": "ID"}, "state_code"),
        ({"address_line2": "y" * 81}, "address_line2"),
    ],
)
async def test_physical_address_checks(changes: dict[str, Any], field: str) -> None:
    """Required fields, 80-char lines, US/CA postal codes and state codes are checked first."""
    fields = {
        "address_line1": "1 Main St",
        "city": "Boston",
        "country_code": "US",
        "postal_code": "02451",
        **changes,
    }
    ft = FakeTransport(lambda r: json_response({}, 201))
    async with client(ft) as cc:
        with pytest.raises(ValidationError) as caught:
            await cc.account.set_physical_address(PhysicalAddress(**fields))
    assert caught.value.field == field
    assert ft.requests == []
