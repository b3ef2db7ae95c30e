"""Partner endpoints: auth, provisioning real accounts, plans, cancel, SSO, unsubscribe, sync,
webhook subscriptions and their recorded notifications."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest

from ccasync.sim import Sim
from tests.sim.partner.partner_api import PROVISION, PartnerApi, basic


@pytest.fixture
async def partner(fsim: Sim) -> AsyncIterator[PartnerApi]:
    """A partner caller on the frozen-clock simulator."""
    async with aiohttp.ClientSession() as session:
        yield PartnerApi(session, fsim)


async def test_auth_needs_key_and_live_token(partner: PartnerApi, fsim: Sim) -> None:
    """No key is 403, no or expired token 401, wrong secret invalid_client; both pass."""
    answer = await partner.fetch_token()
    assert (answer["token_type"], answer["expires_in"]) == ("Bearer", 3600)
    assert (await partner.call("GET", "/partner/accounts"))[0] == 200
    status, _ = await partner.call("GET", "/partner/accounts", headers={"x-api-key": "nope"})
    assert status == 403
    status, _ = await partner.call("GET", "/partner/accounts", headers={"Authorization": "x"})
    assert status == 401
    fsim.clock.advance(3600)
    assert (await partner.call("GET", "/partner/accounts"))[0] == 401
    headers = {"Authorization": basic(fsim.partner_client_id, "wrong")}
    async with partner.session.post(
        fsim.partner_token_url, data={"grant_type": "client_credentials"}, headers=headers
    ) as resp:
        assert resp.status == 401
    dev = await partner.session.get(
        fsim.base_url + "/partner/accounts", headers={"Authorization": f"Bearer {fsim.token}"}
    )
    assert dev.status == 403  # an account token is not a partner credential
    dev.release()


async def test_provisioned_account_is_real_and_usable(partner: PartnerApi, fsim: Sim) -> None:
    """A provisioned account exists, lists, and its owner's own tokens work on it."""
    status, created = await partner.call("POST", "/partner/accounts", json=PROVISION)
    assert status == 201, created
    account_id = created["encoded_account_id"]
    assert (await partner.call("POST", "/partner/accounts", json=PROVISION))[0] == 409
    status, listed = await partner.call(
        "GET", "/partner/accounts", params={"account_type": "managed"}
    )
    assert [a["encoded_account_id"] for a in listed["site_owner_list"]] == [account_id]
    assert listed["site_owner_list"][0]["subscriber_count"] == 1
    tokens = fsim.issue_tokens(account_id)
    headers = {"Authorization": f"Bearer {tokens['access_token']}"}
    async with partner.session.get(fsim.base_url + "/account/summary", headers=headers) as resp:
        summary = await resp.json()
    assert (summary["encoded_account_id"], summary["organization_name"]) == (
        account_id,
        "Cleo's Cakes",
    )
    async with partner.session.get(fsim.base_url + "/contact_lists", headers=headers) as resp:
        lists = await resp.json()
    assert [x["name"] for x in lists["lists"]] == ["General Interest"]


async def test_plans_cancel_and_webhook_notifications(partner: PartnerApi, fsim: Sim) -> None:
    """Plan changes and cancellation notify subscribed topics; TRIAL cannot come back."""
    _, created = await partner.call("POST", "/partner/accounts", json=PROVISION)
    plan = f"/partner/accounts/{created['encoded_account_id']}/plan"
    status, body = await partner.call("GET", plan)
    assert (status, body["plan_type"], body["billing_status"]) == (200, "TRIAL", "Trial")
    hook = {"hook_uri": "https://hooks.example/cc"}
    for topic in (1, 2, 3):
        status, _ = await partner.call("PUT", f"/partner/webhooks/subscriptions/{topic}", json=hook)
        assert status == 200
    status, body = await partner.call(
        "PUT", plan, json={"plan_type": "GOLD", "billing_day_of_month": 9}
    )
    assert (status, body["plan_type"], body["billing_day_of_month"]) == (200, "GOLD", 9)
    assert (await partner.call("PUT", plan, json={"plan_type": "SILVER"}))[1][
        "plan_type"
    ] == "SILVER"
    assert (await partner.call("PUT", plan, json={"plan_type": "TRIAL"}))[0] == 400
    cancel = f"/partner/accounts/{created['encoded_account_id']}/status/cancel"
    status, body = await partner.call("PUT", cancel, json={"reason_id": 2})
    assert (status, body["reason_id"]) == (200, 2)
    assert (await partner.call("GET", plan))[1]["billing_status"] == "Canceled"
    partner_record = fsim.state.partners.partners[fsim.partner_api_key]
    events = [d.payload["event_type"] for d in partner_record.deliveries]
    assert events == ["tier.increase", "tier.decrease", "account.cancelled"]
    status, _ = await partner.call("POST", "/partner/webhooks/subscriptions/3/tests")
    assert status == 201
    assert partner_record.deliveries[-1].test
    assert (await partner.call("POST", "/partner/webhooks/subscriptions/4/tests"))[0] == 400
    assert (await partner.call("GET", "/partner/webhooks/subscriptions/9"))[0] == 404
    assert (await partner.call("DELETE", "/partner/webhooks/subscriptions/3"))[0] == 204
    assert [
        t["topic_id"] for t in (await partner.call("GET", "/partner/webhooks/subscriptions"))[1]
    ] == [1, 2]


async def test_unsubscribe_sso_and_sync(partner: PartnerApi, fsim: Sim) -> None:
    """Unsubscribe counts changed contacts; SSO users are unique; sync calls v3 as the client."""
    _, created = await partner.call("POST", "/partner/accounts", json=PROVISION)
    base = f"/partner/accounts/{created['encoded_account_id']}"
    body = {
        "email_addresses": ["client@example.com", "ghost@example.com"],
        "update_source": "Account",
    }
    assert (await partner.call("POST", f"{base}/contacts/unsubscribe", json=body))[1] == {
        "unsubscribed_count": 1
    }
    assert (await partner.call("POST", f"{base}/contacts/unsubscribe", json=body))[1] == {
        "unsubscribed_count": 0
    }
    sso = {
        "contact_email": "u@example.com",
        "external_id": "1",
        "external_provider": "Idp",
        "first_name": "U",
        "last_name": "V",
        "login_name": "uv_user",
        "role_name": "campaign_creator",
    }
    assert (await partner.call("POST", f"{base}/users/sso", json=sso))[0] == 201
    assert (await partner.call("POST", f"{base}/users/sso", json=sso))[0] == 409
    operation = {
        "account_operation_method": "GET",
        "account_operation_url": "/contact_lists",
        "account_operation_query_parameters": [
            {"query_param_key": "include_count", "query_param_value": "true"}
        ],
    }
    status, answer = await partner.call("POST", f"{base}/account_operations/sync", json=operation)
    assert status == 200, answer
    assert (answer["lists_count"], answer["lists"][0]["name"]) == (1, "General Interest")
    create = {
        "account_operation_method": "POST",
        "account_operation_url": "/contact_tags",
        "account_operation_payload": '{"name": "vip"}',
    }
    status, tag = await partner.call("POST", f"{base}/account_operations/sync", json=create)
    assert (status, tag["name"]) == (201, "vip")
    bad = {"account_operation_method": "GET", "account_operation_url": "/partner/accounts"}
    assert (await partner.call("POST", f"{base}/account_operations/sync", json=bad))[0] == 400
    other = f"/partner/accounts/{fsim.account_id}/plan"
    assert (await partner.call("GET", other))[0] == 404
