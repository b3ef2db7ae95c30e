"""Partner resources on a fake transport: accounts, plans, cancel, sync, SSO, unsubscribe, hooks."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from ccasync import PartnerClient, RateLimiter
from ccasync.errors import ValidationError
from ccasync.models.partner import Provision, SSOUser
from ccasync.testing import FakeTransport, HTTPRequest, HTTPResponse, json_response, query_of
from tests.resources.recorded import body_of, line

ACCOUNT = "a07e1my9tbw0"


class StaticPartnerToken:
    """A token provider that never calls a token endpoint."""

    async def token(self) -> str:
        """The same JWT every time."""
        return "jwt"

    async def on_unauthorized(self, rejected: str) -> bool:
        """Nothing to renew."""
        return False

    def bind_transport(self, transport: Any) -> None:
        """No token endpoint, nothing to bind."""


def partner(*replies: tuple[int, Any]) -> tuple[PartnerClient, FakeTransport]:
    """A PartnerClient answering ``replies`` in order, and its transport."""
    queue = list(replies)

    def handler(request: HTTPRequest) -> HTTPResponse:
        status, body = queue.pop(0)
        return json_response(body, status)

    ft = FakeTransport(handler)
    client = PartnerClient(
        api_key="k",
        token_provider=StaticPartnerToken(),
        transport=ft,
        rate_limiter=RateLimiter.unlimited(),
    )
    return client, ft


async def test_accounts_listing_provision_plan_and_cancel() -> None:
    """Listing follows the offset link; provision, plans and cancel hit their paths."""
    page1 = {
        "site_owner_list": [{"encoded_account_id": "a1"}],
        "_links": {"next": {"href": "/v3/partner/accounts?offset=10&limit=10"}},
    }
    plan = {"plan_type": "GOLD", "current_tiers": [{"tier": 1}], "billing_day_of_month": 15}
    client, ft = partner(
        (200, page1),
        (200, {"site_owner_list": [{"encoded_account_id": "a2"}]}),
        (201, {"encoded_account_id": ACCOUNT, "provision_uuid": "u"}),
        (200, plan),
        (200, plan),
        (200, {"reason_id": 2, "effective_date": "2030-01-01T00:00:00.000Z"}),
    )
    new = Provision(
        contact_email="o@example.com", country_code="US", state_code="MA", login_name="owner01"
    )
    async with client as p:
        ids = [
            a.encoded_account_id
            async for a in p.accounts.iter_all(account_type="managed", limit=10)
        ]
        made = await p.accounts.provision(new)
        got = await p.accounts.get_plan(ACCOUNT)
        await p.accounts.set_plan(ACCOUNT, "GOLD", billing_day_of_month=15)
        cancelled = await p.accounts.cancel(
            ACCOUNT, reason_id=2, effective_date=dt.datetime(2030, 1, 1, tzinfo=dt.UTC)
        )
    assert ids == ["a1", "a2"]
    assert query_of(ft.requests[0]) == {"account_type": "managed", "limit": "10"}
    assert query_of(ft.requests[1]) == {"offset": "10", "limit": "10"}
    assert [line(r) for r in ft.requests[2:]] == [
        "POST /partner/accounts",
        f"GET /partner/accounts/{ACCOUNT}/plan",
        f"PUT /partner/accounts/{ACCOUNT}/plan",
        f"PUT /partner/accounts/{ACCOUNT}/status/cancel",
    ]
    assert body_of(ft.requests[2]) == {
        "contact_email": "o@example.com",
        "country_code": "US",
        "state_code": "MA",
        "login_name": "owner01",
    }
    assert body_of(ft.requests[4]) == {"plan_type": "GOLD", "billing_day_of_month": 15}
    assert body_of(ft.requests[5]) == {"reason_id": 2, "effective_date": "2030-01-01T00:00:00.000Z"}
    assert made.encoded_account_id == ACCOUNT
    assert got.current_tiers is not None
    assert cancelled.reason_id == 2


async def test_sync_operation_wraps_the_request_and_returns_its_answer() -> None:
    """sync_operation sends the wrapped call (payload as JSON text) and returns its JSON answer."""
    client, ft = partner((200, {"contact_id": "c1"}))
    async with client as p:
        answer = await p.accounts.sync_operation(
            ACCOUNT,
            "PUT",
            "/contacts/{contact_id}",
            payload={"first_name": "Ann"},
            path_params={"contact_id": "c1"},
            query={"include": "list_memberships"},
        )
    assert line(ft.requests[0]) == f"POST /partner/accounts/{ACCOUNT}/account_operations/sync"
    assert body_of(ft.requests[0]) == {
        "account_operation_url": "/contacts/{contact_id}",
        "account_operation_method": "PUT",
        "account_operation_payload": '{"first_name": "Ann"}',
        "account_operation_query_parameters": [
            {"query_param_key": "include", "query_param_value": "list_memberships"}
        ],
        "account_operation_path_parameters": [
            {"path_param_key": "contact_id", "path_param_value": "c1"}
        ],
    }
    assert answer == {"contact_id": "c1"}


async def test_sso_user_and_unsubscribe() -> None:
    """create_sso_user POSTs the user; unsubscribe_contacts returns the count."""
    user = SSOUser(
        first_name="Ann",
        last_name="Lee",
        role_name="campaign_creator",
        contact_email="ann@example.com",
        login_name="annlee",
        external_id="42",
        external_provider="okta",
    )
    client, ft = partner((201, None), (200, {"unsubscribed_count": 2}))
    async with client as p:
        await p.accounts.create_sso_user(ACCOUNT, user)
        count = await p.accounts.unsubscribe_contacts(
            ACCOUNT, ["a@example.com", "b@example.com"], global_unsubscribe=True
        )
    assert line(ft.requests[0]) == f"POST /partner/accounts/{ACCOUNT}/users/sso"
    assert body_of(ft.requests[1]) == {
        "email_addresses": ["a@example.com", "b@example.com"],
        "update_source": "Account",
        "delete_contacts": False,
        "global_unsubscribe": True,
    }
    assert count == 2


async def test_webhooks() -> None:
    """Subscriptions listed, read, set (PUT hook_uri), test-sent and deleted by topic id."""
    hook = {"topic_id": 3, "hook_uri": "https://hooks.example/cc"}
    client, ft = partner((200, [hook]), (200, hook), (200, hook), (201, hook), (204, None))
    async with client as p:
        listed = await p.webhooks.subscriptions()
        await p.webhooks.get(3)
        await p.webhooks.subscribe(3, "https://hooks.example/cc")
        sent = await p.webhooks.test_send(3)
        await p.webhooks.delete(3)
    base = "/partner/webhooks/subscriptions"
    assert [line(r) for r in ft.requests] == [
        f"GET {base}",
        f"GET {base}/3",
        f"PUT {base}/3",
        f"POST {base}/3/tests",
        f"DELETE {base}/3",
    ]
    assert body_of(ft.requests[2]) == {"hook_uri": "https://hooks.example/cc"}
    assert listed[0].topic_id == 3
    assert sent.hook_uri == "https://hooks.example/cc"


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda p: p.accounts.get_plan("a/b"), "encoded_account_id"),
        (lambda p: p.accounts.set_plan(ACCOUNT), "plan_type"),
        (
            lambda p: p.accounts.set_plan(ACCOUNT, "GOLD", billing_day_of_month=32),
            "billing_day_of_month",
        ),
        (
            lambda p: p.accounts.provision(
                Provision(
                    contact_email="o@example.com",
                    country_code="US",
                    state_code="MA",
                    login_name="short",
                )
            ),
            "login_name",
        ),
        (
            lambda p: p.accounts.sync_operation(ACCOUNT, "GET", "https://api.cc.email/v3/contacts"),
            "url",
        ),
        (lambda p: p.accounts.sync_operation(ACCOUNT, "HEAD", "/contacts"), "method"),
        (lambda p: p.accounts.unsubscribe_contacts(ACCOUNT, []), "email_addresses"),
        (
            lambda p: p.accounts.unsubscribe_contacts(
                ACCOUNT, ["a@example.com"], update_source="Me"
            ),
            "update_source",
        ),
        (lambda p: p.webhooks.get(5), "topic_id"),
        (lambda p: p.webhooks.subscribe(1, "http://hooks.example/cc"), "hook_uri"),
    ],
)
async def test_rules_are_checked_before_sending(call: Any, field: str) -> None:
    """Ids, plan, lengths, sync targets, sources, topics and hook URIs fail locally."""
    client, ft = partner()
    async with client as p:
        with pytest.raises(ValidationError) as caught:
            await call(p)
    assert caught.value.field == field
    assert ft.requests == []
