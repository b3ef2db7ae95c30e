"""Partners, their client accounts (real simulator accounts) and their webhook deliveries.

Plans: a provisioned account starts on ``TRIAL`` with no billing day (the spec's description);
``GOLD``/``SILVER``/``BRONZE`` are billable and a client cannot go back to TRIAL. One contacts tier
is shown, priced by plan (UNCONFIRMED amounts: TRIAL 0, BRONZE 12, SILVER 20, GOLD 45 USD) with
``current_usage`` = the account's live contacts. Webhook topics (from the spec): 1 billing tier
upgrade, 2 downgrade, 3 account cancelled, 4 account disabled; a notification's body is
``{url, api_key, event_type}`` as the spec's example shows (``tier.increase``; the other event
type names are UNCONFIRMED). Nothing is POSTed: deliveries are recorded in
``Partner.deliveries`` for tests to read.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import attrs

PLAN_TYPES = ("TRIAL", "BRONZE", "SILVER", "GOLD")
PLAN_PRICES = {"TRIAL": 0.0, "BRONZE": 12.0, "SILVER": 20.0, "GOLD": 45.0}
TOPICS = {
    1: (
        "Billing Tier Upgrade",
        "Executes when an account's billing tier is upgraded.",
        "tier.increase",
    ),
    2: (
        "Billing Tier Downgrade",
        "Executes when an account's billing tier is downgraded.",
        "tier.decrease",
    ),
    3: ("Account Cancelled", "Executes when an account is cancelled.", "account.cancelled"),
    4: ("Account Disabled", "Executes when an account is disabled.", "account.disabled"),
}


@attrs.define(eq=False)
class ClientAccount:
    """A partner's client account: the simulator account plus its billing and users."""

    account_id: str
    provision_uuid: str
    login_name: str
    managed: bool
    created_at: dt.datetime
    plan_type: str = "TRIAL"
    plan_group_id: int | None = None
    billing_day_of_month: int | None = None
    billing_status: str = "Trial"
    cancel_effective: dt.datetime | None = None
    cancel_reason_id: int | None = None
    sso_users: list[dict[str, Any]] = attrs.Factory(list)


@attrs.frozen
class WebhookDelivery:
    """A notification the simulator would have POSTed to a partner's callback URI."""

    topic_id: int
    hook_uri: str
    payload: dict[str, Any]
    at: dt.datetime
    test: bool


@attrs.define(eq=False)
class Partner:
    """One technology partner: credentials, client accounts, subscriptions, deliveries."""

    api_key: str
    client_id: str
    client_secret: str
    clients: dict[str, ClientAccount] = attrs.Factory(dict)
    hooks: dict[int, str] = attrs.Factory(dict)
    deliveries: list[WebhookDelivery] = attrs.Factory(list)

    def notify(self, topic_id: int, url: str, at: dt.datetime, *, test: bool = False) -> None:
        """Record a notification for ``topic_id`` when the partner subscribed to it."""
        hook = self.hooks.get(topic_id)
        if hook is None:
            return
        payload = {"url": url, "api_key": self.api_key, "event_type": TOPICS[topic_id][2]}
        self.deliveries.append(WebhookDelivery(topic_id, hook, payload, at, test))


def topic_json(topic_id: int, hook: str | None) -> dict[str, Any]:
    """A ``WebhooksSubscriptionResponse`` (``hook_uri`` only when subscribed)."""
    name, description, _ = TOPICS[topic_id]
    body: dict[str, Any] = {
        "topic_id": topic_id,
        "topic_name": name,
        "topic_description": description,
    }
    if hook is not None:
        body["hook_uri"] = hook
    return body


def plan_json(client: ClientAccount, contacts: int) -> dict[str, Any]:
    """A ``PlanTiersObject``."""
    body: dict[str, Any] = {
        "plan_type": client.plan_type,
        "billing_status": client.billing_status,
        "current_tiers": [
            {
                "tier": 1,
                "usage_type": "CONTACTS",
                "current_usage": float(contacts),
                "tier_min": 0.0,
                "tier_max": 500.0,
                "price": PLAN_PRICES[client.plan_type],
                "currency_code": "USD",
            }
        ],
    }
    if client.billing_day_of_month is not None:
        body["billing_day_of_month"] = client.billing_day_of_month
    return body
