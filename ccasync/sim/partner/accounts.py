"""``/v3/partner/accounts`` routes: list, provision, plan, cancel, SSO users, unsubscribe.

Rules from the spec's descriptions: ``limit`` outside 10-50 falls back to 50; new accounts are
TRIAL with no billing day; a billable plan cannot go back to TRIAL (400); the billing day changes
only when leaving TRIAL (default: that day); cancelling another partner's client is 400, an
unknown account 404; ``effective_date`` defaults to now. UNCONFIRMED: a duplicate SSO
``login_name`` in the account is 409 (the spec lists 409); ``global_unsubscribe`` reaches every
client account of the partner.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from aiohttp import web

from .._http import (
    ApiFailure,
    bad_request,
    conflict,
    iso,
    json_response,
    parse_datetime,
    read_json,
    read_object,
)
from .._state import Account, SimState
from .._validate import is_choice, opt_bool, opt_int, opt_str, req_str
from .provision import KEY, provision
from .records import PLAN_TYPES, ClientAccount, Partner, plan_json

_BASE = "/v3/partner/accounts"
_ONE = _BASE + "/{encoded_account_id}"
_SOURCES = ("Account", "Contact", "System")
_SSO_FIELDS = {
    "contact_email": 80,
    "external_id": 255,
    "external_provider": 80,
    "first_name": 80,
    "last_name": 80,
    "login_name": 50,
    "role_name": 50,
}


def register_partner_account_routes(app: web.Application) -> None:
    """Add the partner account routes."""
    r = app.router
    r.add_get(_BASE, _list)
    r.add_post(_BASE, _create)
    r.add_get(_ONE + "/plan", _get_plan)
    r.add_put(_ONE + "/plan", _put_plan)
    r.add_put(_ONE + "/status/cancel", _cancel)
    r.add_post(_ONE + "/users/sso", _sso)
    r.add_post(_ONE + "/contacts/unsubscribe", _unsubscribe)


def _now(request: web.Request) -> dt.datetime:
    now: dt.datetime = request["state"].clock.now()
    return now


def client_of(request: web.Request) -> tuple[ClientAccount, Account]:
    """The requesting partner's client named in the path, and its account (404 / 400)."""
    partner: Partner = request["partner"]
    state: SimState = request["state"]
    account_id = request.match_info["encoded_account_id"][:40]
    client = partner.clients.get(account_id)
    if client is None:
        if state.partners.owner(account_id) is not None:
            raise bad_request("The account belongs to a different technology partner.", KEY)
        raise ApiFailure(404, "partner.api.not_found", f"Account {account_id} was not found.")
    return client, state.accounts[account_id]


def _live_contacts(account: Account) -> int:
    return sum(not c.is_deleted for c in account.contacts.values())


async def _list(request: web.Request) -> web.Response:
    partner: Partner = request["partner"]
    state: SimState = request["state"]
    kind = request.query.get("account_type", "all")
    if not is_choice(kind, ("all", "managed", "unmanaged")):
        raise bad_request("account_type must be all, managed or unmanaged.", KEY)
    raw_limit, raw_offset = request.query.get("limit", "50"), request.query.get("offset", "0")
    limit = int(raw_limit) if raw_limit.isdigit() and 10 <= int(raw_limit[:3]) <= 50 else 50
    if not (len(raw_offset) <= 9 and raw_offset.isascii() and raw_offset.isdigit()):
        raise bad_request("offset must be a non-negative integer.", KEY)
    offset = int(raw_offset)
    clients = [
        c for c in partner.clients.values() if kind == "all" or c.managed == (kind == "managed")
    ]
    rows = []
    for client in clients[offset : offset + limit]:
        account = state.accounts[client.account_id]
        rows.append(
            {
                "encoded_account_id": client.account_id,
                "site_owner_name": client.login_name,
                "organization_name": account.summary.get("organization_name") or "",
                "billing_status": client.billing_status,
                "subscriber_count": _live_contacts(account),
                "last_login_date": iso(client.created_at),
            }
        )
    body: dict[str, Any] = {"site_owner_list": rows}
    if offset + limit < len(clients):
        href = f"{_BASE}?offset={offset + limit}&limit={limit}&account_type={kind}"
        body["_links"] = {"next": {"href": href}}
    return json_response(body)


async def _create(request: web.Request) -> web.Response:
    body = await read_json(request)
    client = provision(request["state"], request["partner"], body, _now(request))
    return json_response(
        {"encoded_account_id": client.account_id, "provision_uuid": client.provision_uuid}, 201
    )


async def _get_plan(request: web.Request) -> web.Response:
    client, account = client_of(request)
    return json_response(plan_json(client, _live_contacts(account)))


async def _put_plan(request: web.Request) -> web.Response:
    client, account = client_of(request)
    body = read_object(await read_json(request)) if request.can_read_body else {}
    plan = body.get("plan_type", client.plan_type)
    if not is_choice(plan, PLAN_TYPES):
        raise bad_request(f"plan_type must be one of {', '.join(PLAN_TYPES)}.", KEY)
    if plan == "TRIAL" and client.plan_type != "TRIAL":
        raise bad_request("A billable plan cannot be changed back to TRIAL.", KEY)
    day = opt_int(body, "billing_day_of_month", 1, 31)
    client.plan_group_id = opt_int(body, "plan_group_id", 0, 2**31 - 1) or client.plan_group_id
    now = _now(request)
    if client.plan_type == "TRIAL" and plan != "TRIAL":
        client.billing_day_of_month = day or now.day
        client.billing_status = "Open"
    rank = PLAN_TYPES.index
    if rank(plan) != rank(client.plan_type):
        topic = 1 if rank(plan) > rank(client.plan_type) else 2
        request["partner"].notify(topic, f"https://api.cc.email{request.path}", now)
    client.plan_type = str(plan)
    return json_response(plan_json(client, _live_contacts(account)))


async def _cancel(request: web.Request) -> web.Response:
    client, _ = client_of(request)
    body = read_object(await read_json(request)) if request.can_read_body else {}
    raw = opt_str(body, "effective_date", 40)
    now = _now(request)
    effective = now if raw is None else parse_datetime(raw, "effective_date")
    client.cancel_effective = effective
    client.cancel_reason_id = opt_int(body, "reason_id", 0, 2**31 - 1)
    client.billing_status = "Canceled"
    request["partner"].notify(3, f"https://api.cc.email{request.path}", now)
    answer: dict[str, Any] = {"effective_date": iso(effective)}
    if client.cancel_reason_id is not None:
        answer["reason_id"] = client.cancel_reason_id
    return json_response(answer)


async def _sso(request: web.Request) -> web.Response:
    client, _ = client_of(request)
    body = read_object(await read_json(request))
    user = {field: req_str(body, field, max_len) for field, max_len in _SSO_FIELDS.items()}
    if any(u["login_name"].casefold() == user["login_name"].casefold() for u in client.sso_users):
        raise conflict(
            f"The login_name {user['login_name']} already exists.", "partner.api.conflict"
        )
    client.sso_users.append(user)
    return web.Response(status=201)


async def _unsubscribe(request: web.Request) -> web.Response:
    account = client_of(request)[1]
    body = read_object(await read_json(request))
    source = body.get("update_source")
    if not is_choice(source, _SOURCES):
        raise bad_request(f"update_source is required: one of {', '.join(_SOURCES)}.", KEY)
    addresses = body.get("email_addresses", [])
    if not isinstance(addresses, list) or len(addresses) > 500:
        raise bad_request("email_addresses must be an array of at most 500 addresses.", KEY)
    if not all(isinstance(a, str) and len(a) <= 80 for a in addresses):
        raise bad_request("email_addresses must hold email address strings.", KEY)
    reason = opt_str(body, "opt_out_reason", 255) or ""
    delete = bool(opt_bool(body, "delete_contacts"))
    accounts = [account]
    if opt_bool(body, "global_unsubscribe"):
        state: SimState = request["state"]
        accounts = [state.accounts[c] for c in request["partner"].clients]
    now = _now(request)
    count = 0
    for target in accounts:
        for address in addresses:
            contact = target.find_email(address)
            if contact is None or contact.is_deleted:
                continue
            if not contact.is_unsubscribed:
                target.unsubscribe(contact.contact_id, reason, now)
                contact.opt_out_source = str(source)
                count += 1
            if delete:
                target.delete_contact(contact, now)
    return json_response({"unsubscribed_count": count})
