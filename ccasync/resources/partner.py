"""The technology-partner endpoints (``/partner/…``): reach them through ``ccasync.PartnerClient``.

They need the partner's own credentials (an ``x-api-key`` and a partner JWT), not an account
token: a :class:`ccasync.Client` cannot call them.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

from ccasync import _checks
from ccasync._retry import Replay
from ccasync._serde import format_datetime, structure
from ccasync.errors import ValidationError
from ccasync.models.partner import (
    ACCOUNT_TYPES,
    ACCOUNTS_PAGE_MAX,
    ACCOUNTS_PAGE_MIN,
    METHODS,
    UPDATE_SOURCES,
    AccountCancellation,
    PartnerSiteOwner,
    PartnerUnsubscribeResponse,
    PlanTiersObject,
    Provision,
    ProvisionResponse,
    SSOUser,
    WebhooksSubscription,
    check_encoded_account_id,
    check_provision,
    check_sso_user,
    check_topic,
)
from ccasync.resources._base import Resource

_ACCOUNTS = "/partner/accounts"
_HOOKS = "/partner/webhooks/subscriptions"
UNSUBSCRIBE_MAX = 500
"""Email addresses per partner unsubscribe call (UNCONFIRMED: the spec states no limit)."""


def _account(encoded_account_id: str, tail: str) -> str:
    check_encoded_account_id(encoded_account_id)
    return f"{_ACCOUNTS}/{encoded_account_id}{tail}"


def _pairs(kind: str, values: Mapping[str, str] | None) -> list[dict[str, str]] | None:
    if not values:
        return None
    return [{f"{kind}_key": k, f"{kind}_value": str(v)} for k, v in values.items()]


class PartnerAccountsResource(Resource):
    """The partner's client accounts; reach it as ``partner.accounts``."""

    def iter_all(
        self, *, account_type: str | None = None, limit: int = ACCOUNTS_PAGE_MAX
    ) -> AsyncIterator[PartnerSiteOwner]:
        """Iterate over the partner's client accounts (``GET /partner/accounts``), page by page.

        ``account_type`` all (default), managed or unmanaged; ``limit`` 10-50 per page (one API
        call per page; the API's next link carries the offset). Raises ValidationError at once,
        APIError subclasses while iterating.
        """
        _checks.check_enum("account_type", account_type, ACCOUNT_TYPES)
        _checks.check_range("limit", limit, low=ACCOUNTS_PAGE_MIN, high=ACCOUNTS_PAGE_MAX)
        return self._requestor.iter_items(
            _ACCOUNTS,
            items_key="site_owner_list",
            model=PartnerSiteOwner,
            params={"account_type": account_type, "limit": limit},
        )

    async def provision(self, account: Provision) -> ProvisionResponse:
        """Create a client account (``POST /partner/accounts``, 201); its plan starts as TRIAL.

        One API call (not repeated if it may have landed: find it with :meth:`iter_all`).
        Raises ValidationError (required fields, lengths), ConflictError (login taken),
        other APIError subclasses.
        """
        check_provision(account)
        return await self._requestor.send_model(
            "POST", _ACCOUNTS, ProvisionResponse, json=account, expected=(200, 201)
        )

    async def get_plan(self, encoded_account_id: str) -> PlanTiersObject:
        """A client account's billing plan and tiers (``GET …/{encoded_account_id}/plan``).

        One API call. Raises ValidationError (id), NotFoundError, other APIError subclasses.
        """
        return await self._requestor.get_model(
            _account(encoded_account_id, "/plan"), PlanTiersObject
        )

    async def set_plan(
        self,
        encoded_account_id: str,
        plan_type: str | None = None,
        *,
        plan_group_id: int | None = None,
        billing_day_of_month: int | None = None,
    ) -> PlanTiersObject:
        """Change a client account's billing plan (``PUT …/{encoded_account_id}/plan``).

        ``plan_type`` must exist in the partner's plan group (else 400); leaving TRIAL is final
        and opens billing. ``billing_day_of_month`` 1-31, used only when leaving TRIAL. One API
        call, retried safely. Raises ValidationError, BadRequestError, NotFoundError, APIErrors.
        """
        if plan_type is None and plan_group_id is None:
            raise ValidationError("plan_type", "give plan_type or plan_group_id")
        _checks.check_range("billing_day_of_month", billing_day_of_month, low=1, high=31)
        body = {
            "plan_type": plan_type,
            "plan_group_id": plan_group_id,
            "billing_day_of_month": billing_day_of_month,
        }
        return await self._requestor.send_model(
            "PUT",
            _account(encoded_account_id, "/plan"),
            PlanTiersObject,
            json={k: v for k, v in body.items() if v is not None},
        )

    async def cancel(
        self,
        encoded_account_id: str,
        *,
        reason_id: int | None = None,
        effective_date: dt.datetime | None = None,
    ) -> AccountCancellation:
        """Cancel a client account (``PUT …/{encoded_account_id}/status/cancel``).

        ``effective_date`` (aware; default now) may be in the future; ``reason_id`` the
        client's reason (1 cost too high, 2 competitor, 3 not doing email marketing, …). One
        API call, retried safely. Raises ValidationError, NotFoundError, BadRequestError (the
        account belongs to another partner), other APIError subclasses.
        """
        _checks.check_aware("effective_date", effective_date)
        body: dict[str, Any] = {}
        if reason_id is not None:
            body["reason_id"] = reason_id
        if effective_date is not None:
            body["effective_date"] = format_datetime(effective_date)
        response = await self._requestor.request(
            "PUT", _account(encoded_account_id, "/status/cancel"), json=body
        )
        return structure(response.data or body, AccountCancellation)

    async def sync_operation(
        self,
        encoded_account_id: str,
        method: str,
        url: str,
        *,
        payload: Any = None,
        query: Mapping[str, str] | None = None,
        path_params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Any:
        """Call a v3 endpoint on behalf of a managed client account; its decoded answer.

        ``POST …/{encoded_account_id}/account_operations/sync``. ``url`` is the v3 path without
        the base (``/contacts/{contact_id}``, placeholders filled from ``path_params``);
        ``payload`` any JSON value (sent as the escaped JSON string the API wants). One API call;
        retried only when ``method`` is GET, PUT or DELETE. Raises ValidationError, NotFoundError
        (unknown account or path), other APIError subclasses as the wrapped call answers.
        """
        _checks.check_enum("method", method, METHODS)
        if not url.startswith("/") or urlsplit(url).scheme or "?" in url:
            raise ValidationError("url", "must be a v3 path such as /contacts (no base, no query)")
        body: dict[str, Any] = {
            "account_operation_url": url,
            "account_operation_method": method,
            "account_operation_payload": None if payload is None else json.dumps(payload),
            "account_operation_query_parameters": _pairs("query_param", query),
            "account_operation_path_parameters": _pairs("path_param", path_params),
            "account_operation_headers": _pairs("header", headers),
        }
        replay = Replay.BY_METHOD if method in ("POST", "PATCH") else Replay.UPSERT
        response = await self._requestor.request(
            "POST",
            _account(encoded_account_id, "/account_operations/sync"),
            json={k: v for k, v in body.items() if v is not None},
            replay=replay,
        )
        return response.data

    async def create_sso_user(self, encoded_account_id: str, user: SSOUser) -> None:
        """Add a user to an SSO-enabled client account (``POST …/users/sso``, 201).

        One API call. Raises ValidationError (every field required), ConflictError (login or
        email taken), other APIError subclasses.
        """
        check_sso_user(user)
        await self._requestor.request(
            "POST", _account(encoded_account_id, "/users/sso"), json=user, expected=(200, 201)
        )

    async def unsubscribe_contacts(
        self,
        encoded_account_id: str,
        email_addresses: Sequence[str],
        *,
        update_source: str = "Account",
        opt_out_reason: str | None = None,
        delete_contacts: bool = False,
        global_unsubscribe: bool = False,
    ) -> int:
        """Unsubscribe contacts of a client account by email; how many were unsubscribed.

        ``POST …/{encoded_account_id}/contacts/unsubscribe``. ``global_unsubscribe`` unsubscribes
        the addresses from every client account of the partner; ``delete_contacts`` deletes
        them too. ``update_source`` Account, Contact or System; ``opt_out_reason`` ≤255. One
        API call, retried safely (unsubscribing twice changes nothing). Raises
        ValidationError, NotFoundError, other APIError subclasses.
        """
        if isinstance(email_addresses, str):
            raise ValidationError(
                "email_addresses", "must be a sequence of addresses, not a string"
            )
        _checks.check_count(
            "email_addresses", email_addresses, max_items=UNSUBSCRIBE_MAX, min_items=1
        )
        _checks.check_enum("update_source", update_source, UPDATE_SOURCES)
        _checks.check_length("opt_out_reason", opt_out_reason, max_len=255)
        body = {
            "email_addresses": list(email_addresses),
            "update_source": update_source,
            "opt_out_reason": opt_out_reason,
            "delete_contacts": delete_contacts,
            "global_unsubscribe": global_unsubscribe,
        }
        response = await self._requestor.request(
            "POST",
            _account(encoded_account_id, "/contacts/unsubscribe"),
            json={k: v for k, v in body.items() if v is not None},
            replay=Replay.UPSERT,
        )
        return structure(response.data or {}, PartnerUnsubscribeResponse).unsubscribed_count


class PartnerWebhooksResource(Resource):
    """The partner's webhook topic subscriptions; reach it as ``partner.webhooks``.

    Topics: 1 billing tier upgrade, 2 downgrade, 3 account cancelled, 4 account disabled. The
    API POSTs ``{url, api_key, event_type}`` to the ``hook_uri`` and retries each minute for an
    hour until it gets a 2xx.
    """

    async def subscriptions(self) -> list[WebhooksSubscription]:
        """Every topic subscription (``GET /partner/webhooks/subscriptions``). One API call."""
        response = await self._requestor.request("GET", _HOOKS)
        return structure(response.data or [], list[WebhooksSubscription])

    async def get(self, topic_id: int) -> WebhooksSubscription:
        """One topic's subscription (``GET …/subscriptions/{topic_id}``).

        One API call. Raises ValidationError (topic), NotFoundError, other APIErrors.
        """
        check_topic(topic_id)
        return await self._requestor.get_model(f"{_HOOKS}/{topic_id}", WebhooksSubscription)

    async def subscribe(self, topic_id: int, hook_uri: str) -> WebhooksSubscription:
        """Subscribe to a topic, or change its callback URI (``PUT …/subscriptions/{topic_id}``).

        ``hook_uri`` an absolute https URL (http is refused: the notification carries the
        partner's API key). One API call, retried safely. Raises ValidationError, APIErrors.
        """
        check_topic(topic_id)
        if urlsplit(hook_uri).scheme != "https" or not urlsplit(hook_uri).netloc:
            raise ValidationError("hook_uri", "must be an absolute https URL", value=hook_uri)
        return await self._requestor.send_model(
            "PUT", f"{_HOOKS}/{topic_id}", WebhooksSubscription, json={"hook_uri": hook_uri}
        )

    async def delete(self, topic_id: int) -> None:
        """Unsubscribe from a topic (``DELETE …/subscriptions/{topic_id}``, 204). One API call."""
        check_topic(topic_id)
        await self._requestor.request("DELETE", f"{_HOOKS}/{topic_id}", expected=(200, 204))

    async def test_send(self, topic_id: int) -> WebhooksSubscription:
        """Have the API send a test notification to the topic's URI (``POST …/tests``, 201).

        One API call. Raises ValidationError, NotFoundError (not subscribed), other APIErrors.
        """
        check_topic(topic_id)
        return await self._requestor.send_model(
            "POST", f"{_HOOKS}/{topic_id}/tests", WebhooksSubscription, expected=(200, 201)
        )
