"""ccasync.PartnerClient against the simulator: provision a client account and act on it.

Skipped, saying so, while the simulator's router has no partner routes.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from ccasync import PartnerClient, PartnerToken, RateLimiter
from ccasync.models.partner import Provision, SSOUser


def partner_client(sim: Any) -> PartnerClient:
    """A PartnerClient with the simulator's default partner credentials."""
    return PartnerClient(
        api_key=sim.partner_api_key,
        token_provider=PartnerToken(
            client_id=sim.partner_client_id,
            client_secret=sim.partner_client_secret,
            token_url=sim.partner_token_url,
        ),
        base_url=sim.base_url,
        rate_limiter=RateLimiter.unlimited(),
    )


async def test_provision_plan_sync_and_cancel(sim: Any) -> None:
    """A provisioned account is listed, gets a plan, is called on behalf of, and is cancelled."""
    async with partner_client(sim) as partner:
        made = await partner.accounts.provision(
            Provision(
                contact_email="owner@client.example",
                country_code="US",
                state_code="MA",
                login_name="client01",
            )
        )
        account = made.encoded_account_id
        listed = [a.encoded_account_id async for a in partner.accounts.iter_all()]
        assert account in listed
        assert (await partner.accounts.get_plan(account)).plan_type == "TRIAL"
        plan = await partner.accounts.set_plan(account, "GOLD", billing_day_of_month=1)
        assert plan.plan_type == "GOLD"
        created = await partner.accounts.sync_operation(
            account, "POST", "/contact_lists", payload={"name": "From the partner"}
        )
        assert created["name"] == "From the partner"
        lists = await partner.accounts.sync_operation(account, "GET", "/contact_lists")
        assert "From the partner" in [x["name"] for x in lists["lists"]]
        await partner.accounts.create_sso_user(
            account,
            SSOUser(
                first_name="Ann",
                last_name="Lee",
                role_name="campaign_creator",
                contact_email="ann@client.example",
                login_name="annlee01",
                external_id="42",
                external_provider="okta",
            ),
        )
        when = dt.datetime.now(dt.UTC) + dt.timedelta(days=30)
        cancelled = await partner.accounts.cancel(account, reason_id=1, effective_date=when)
        assert cancelled.reason_id == 1


async def test_webhook_subscription_and_test_send(sim: Any) -> None:
    """A topic is subscribed, read back, test-sent and unsubscribed."""
    async with partner_client(sim) as partner:
        await partner.webhooks.subscribe(3, "https://hooks.example/cancelled")
        assert (await partner.webhooks.get(3)).hook_uri == "https://hooks.example/cancelled"
        assert [s.topic_id for s in await partner.webhooks.subscriptions()] == [3]
        sent = await partner.webhooks.test_send(3)
        assert sent.topic_id == 3
        await partner.webhooks.delete(3)
        assert await partner.webhooks.subscriptions() == []


async def test_unsubscribe_contacts_of_a_client_account(sim: Any) -> None:
    """Contacts created on behalf of a client account are unsubscribed by email."""
    async with partner_client(sim) as partner:
        made = await partner.accounts.provision(
            Provision(
                contact_email="o2@client.example",
                country_code="US",
                state_code="MA",
                login_name="client02",
            )
        )
        account = made.encoded_account_id
        await partner.accounts.sync_operation(
            account,
            "POST",
            "/contacts",
            payload={"email_address": {"address": "c@example.com"}, "create_source": "Account"},
        )
        count = await partner.accounts.unsubscribe_contacts(account, ["c@example.com"])
        assert count == 1
