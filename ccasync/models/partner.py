"""Technology-partner records (``/partner/…``): client accounts, plans, SSO users, webhooks."""

from __future__ import annotations

import datetime as dt
from typing import Any

import attrs

from ccasync import _checks
from ccasync.errors import ValidationError

ACCOUNT_TYPES = frozenset({"all", "managed", "unmanaged"})
"""Values of ``account_type`` of ``GET /partner/accounts``."""
ACCOUNTS_PAGE_MIN = 10
"""Min ``limit`` of ``GET /partner/accounts`` (a value outside 10-50 is ignored by the API)."""
ACCOUNTS_PAGE_MAX = 50
"""Max ``limit`` of ``GET /partner/accounts`` (also its default)."""
UPDATE_SOURCES = frozenset({"Account", "Contact", "System"})
"""Values of ``update_source`` when a partner unsubscribes contacts."""
SSO_ROLES = frozenset({"account_manager", "campaign_creator"})
"""Roles an SSO user can be given."""
WEBHOOK_TOPICS = {
    1: "Billing tier upgrade",
    2: "Billing tier downgrade",
    3: "Account cancelled",
    4: "Account disabled",
}
"""The partner webhook topics by ``topic_id``."""
METHODS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE"})
"""HTTP methods ``account_operations/sync`` can send on a client account's behalf."""


@attrs.define(kw_only=True)
class PartnerSiteOwner:
    """One client account of the partner (an item of ``PartnerAccount.site_owner_list``)."""

    encoded_account_id: str
    organization_name: str | None = None
    site_owner_name: str | None = None
    subscriber_count: int | None = None
    billing_status: str | None = None
    last_login_date: dt.datetime | None = None
    extra: dict[str, Any] = attrs.field(factory=dict, repr=False)


@attrs.define(kw_only=True)
class Provision:
    """A new client account (the spec's ``Provision``); ``*`` marks what the API requires.

    ``contact_email``* ≤80, ``country_code``* 2-3, ``state_code``*, ``login_name``* 6-50,
    ``password`` 8-80, names 2-80, ``organization_name`` 1-50, phones 5-25 characters.
    """

    contact_email: str
    country_code: str
    state_code: str
    login_name: str
    password: str | None = attrs.field(default=None, repr=False)
    first_name: str | None = None
    last_name: str | None = None
    organization_name: str | None = None
    organization_phone: str | None = None
    contact_phone: str | None = None
    time_zone_id: str | None = None
    website: str | None = None
    partner_account_id: str | None = None
    billing_locale: str | None = None
    managed_site_owner: bool | None = None
    enable_single_billing: bool | None = None
    gdpr_opt_out: bool | None = None
    external_id: str | None = None
    external_provider: str | None = None
    extra: dict[str, Any] = attrs.field(factory=dict, repr=False)


@attrs.define(kw_only=True)
class ProvisionResponse:
    """The new client account's ``encoded_account_id`` (and the provisioning request id)."""

    encoded_account_id: str
    provision_uuid: str | None = None
    extra: dict[str, Any] = attrs.field(factory=dict, repr=False)


@attrs.define(kw_only=True)
class TierObject:
    """One usage tier of a billing plan (``usage_type`` CONTACTS by default)."""

    usage_type: str | None = None
    current_usage: float | None = None
    tier: int | None = None
    tier_min: float | None = None
    tier_max: float | None = None
    price: float | None = None
    currency_code: str | None = None
    extra: dict[str, Any] = attrs.field(factory=dict, repr=False)


@attrs.define(kw_only=True)
class PlanTiersObject:
    """A client account's billing plan (``plan_type`` TRIAL for a new account) and its tiers."""

    plan_type: str | None = None
    current_tiers: list[TierObject] | None = None
    billing_status: str | None = None
    billing_day_of_month: int | None = None
    extra: dict[str, Any] = attrs.field(factory=dict, repr=False)


@attrs.define(kw_only=True)
class AccountCancellation:
    """A cancellation: ``reason_id`` (1 cost too high, 2 competitor, …) and when it takes effect."""

    reason_id: int | None = None
    effective_date: dt.datetime | None = None
    extra: dict[str, Any] = attrs.field(factory=dict, repr=False)


@attrs.define(kw_only=True)
class SSOUser:
    """A user of an SSO-enabled client account; every field is required by the API.

    ``role_name`` account_manager or campaign_creator; names and email ≤80, ``login_name`` ≤50,
    ``external_id`` ≤255, ``external_provider`` ≤80 characters.
    """

    first_name: str
    last_name: str
    role_name: str
    contact_email: str
    login_name: str
    external_id: str
    external_provider: str
    extra: dict[str, Any] = attrs.field(factory=dict, repr=False)


@attrs.define(kw_only=True)
class PartnerUnsubscribeResponse:
    """How many contacts a partner unsubscribe request unsubscribed."""

    unsubscribed_count: int = 0
    extra: dict[str, Any] = attrs.field(factory=dict, repr=False)


@attrs.define(kw_only=True)
class WebhooksSubscription:
    """A webhook topic subscription: the topic and the callback URI notifications go to."""

    topic_id: int | None = None
    hook_uri: str | None = None
    topic_name: str | None = None
    topic_description: str | None = None
    extra: dict[str, Any] = attrs.field(factory=dict, repr=False)


def check_provision(account: Provision) -> None:
    """The documented lengths and required fields of a new client account."""
    for field in ("contact_email", "country_code", "state_code", "login_name"):
        _checks.check_required(field, getattr(account, field))
    limits = {
        "contact_email": (0, 80),
        "country_code": (2, 3),
        "login_name": (6, 50),
        "password": (8, 80),
        "first_name": (2, 80),
        "last_name": (2, 80),
        "organization_name": (1, 50),
        "organization_phone": (5, 25),
        "contact_phone": (5, 25),
        "partner_account_id": (0, 80),
        "external_id": (0, 255),
        "external_provider": (0, 80),
    }
    for field, (low, high) in limits.items():
        _checks.check_length(field, getattr(account, field), max_len=high, min_len=low)


def check_sso_user(user: SSOUser) -> None:
    """Every field present, the role known, the documented lengths."""
    limits = {
        "first_name": 80,
        "last_name": 80,
        "contact_email": 80,
        "login_name": 50,
        "external_id": 255,
        "external_provider": 80,
    }
    for field, high in limits.items():
        _checks.check_required(field, getattr(user, field))
        _checks.check_length(field, getattr(user, field), max_len=high)
    _checks.check_enum("role_name", user.role_name, SSO_ROLES)


def check_topic(topic_id: int) -> None:
    """A known webhook topic id (1-4)."""
    if isinstance(topic_id, bool) or topic_id not in WEBHOOK_TOPICS:
        raise ValidationError("topic_id", "must be 1, 2, 3 or 4", value=topic_id)


def check_encoded_account_id(value: object) -> None:
    """An encoded account id: letters and digits (``a07e1my9tbw0``), safe in a path."""
    if not isinstance(value, str) or not value.isalnum() or len(value) > 64:
        raise ValidationError("encoded_account_id", "must be letters and digits", value=value)
