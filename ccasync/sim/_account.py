"""Account endpoints: summary, physical address, account emails, user privileges."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from ._http import (
    ApiFailure,
    bad_request,
    conflict,
    csv_param,
    iso,
    json_response,
    read_json,
    read_object,
)
from ._state import Account
from ._validate import opt_str, req_str, valid_email

_SUMMARY_FIELDS = {
    "contact_email": 80,
    "contact_phone": 25,
    "country_code": 2,
    "first_name": 255,
    "last_name": 255,
    "organization_name": 255,
    "organization_phone": 25,
    "state_code": 2,
    "time_zone_id": 64,
    "website": 255,
}
_PRIVILEGES = (
    "account:read",
    "account:update",
    "contacts:read",
    "contacts:write",
    "contacts:lists:read",
    "contacts:lists:write",
    "campaign:read",
    "campaign:write",
    "campaign:delete",
    "campaign:send",
    "ui:campaign:metrics",
)
_CONFIRM = {
    "CONFIRMED": "CONFIRMED",
    "C": "CONFIRMED",
    "UNCONFIRMED": "UNCONFIRMED",
    "U": "UNCONFIRMED",
}
_ROLES = {"C": "CONTACT", "B": "BILLING", "R": "REPLY_TO", "J": "JOURNALING", "O": "OTHER"}
_ACCOUNT_KEY = "account.api.validation.error"


def register_account_routes(app: web.Application) -> None:
    """Add the ``/v3/account`` routes."""
    r = app.router
    r.add_get("/v3/account/summary", _get_summary)
    r.add_put("/v3/account/summary", _put_summary)
    r.add_get("/v3/account/summary/physical_address", _get_address)
    r.add_post("/v3/account/summary/physical_address", _post_address)
    r.add_put("/v3/account/summary/physical_address", _put_address)
    r.add_get("/v3/account/emails", _get_emails)
    r.add_post("/v3/account/emails", _post_email)
    r.add_get("/v3/account/user/privileges", _privileges)


def _summary(account: Account, extra: list[str]) -> dict[str, Any]:
    body = {**account.summary, "encoded_account_id": account.account_id}
    if "physical_address" in extra and account.physical_address is not None:
        body["physical_address"] = dict(account.physical_address)
    if "company_logo" in extra:
        body["company_logo"] = {"url": "https://example.com/logo.png", "internal_id": "logo-1"}
    return body


async def _get_summary(request: web.Request) -> web.Response:
    return json_response(_summary(request["account"], csv_param(request, "extra_fields")))


async def _put_summary(request: web.Request) -> web.Response:
    account: Account = request["account"]
    body = read_object(await read_json(request))
    changes = {f: opt_str(body, f, n) for f, n in _SUMMARY_FIELDS.items() if f in body}
    account.summary.update({k: v for k, v in changes.items() if v is not None})
    return json_response(_summary(account, []))


def _address(body: dict[str, Any]) -> dict[str, Any]:
    address = {
        "address_line1": req_str(body, "address_line1", 80),
        "city": req_str(body, "city", 255),
        "country_code": req_str(body, "country_code", 2, min_len=2).upper(),
    }
    for field, max_len in (
        ("address_line2", 80),
        ("address_line3", 80),
        ("state_name", 255),
        ("postal_code", 25),
        ("state_code", 2),
    ):
        value = opt_str(body, field, max_len)
        if value:
            address[field] = value
    if address["country_code"] in ("US", "CA"):
        if "state_code" not in address:
            raise bad_request("state_code is required for US and CA addresses.", _ACCOUNT_KEY)
        if "postal_code" not in address:
            raise bad_request("postal_code is required for US and CA addresses.", _ACCOUNT_KEY)
    return address


async def _get_address(request: web.Request) -> web.Response:
    account: Account = request["account"]
    if account.physical_address is None:
        raise ApiFailure(404, "account.api.not_found", "The account has no physical address.")
    return json_response(account.physical_address)


async def _post_address(request: web.Request) -> web.Response:
    account: Account = request["account"]
    address = _address(read_object(await read_json(request)))
    if account.physical_address is not None:
        raise conflict(
            "A physical address already exists for this account.", "account.api.conflict"
        )
    account.physical_address = address
    return json_response(address, 201)


async def _put_address(request: web.Request) -> web.Response:
    account: Account = request["account"]
    account.physical_address = _address(read_object(await read_json(request)))
    return json_response(account.physical_address)


def _email_filter(request: web.Request) -> tuple[str, str] | None:
    given = [k for k in ("confirm_status", "role_code", "email_address") if k in request.query]
    if len(given) > 1:
        raise bad_request("Only one of confirm_status, role_code or email_address may be used.")
    if not given:
        return None
    name, raw = given[0], request.query[given[0]]
    if name == "confirm_status":
        if raw.upper() not in _CONFIRM:
            raise bad_request("confirm_status must be CONFIRMED, C, UNCONFIRMED or U.")
        return name, _CONFIRM[raw.upper()]
    if name == "role_code":
        role = _ROLES.get(raw.upper(), raw.upper())
        if role not in _ROLES.values():
            raise bad_request("role_code must be CONTACT, BILLING, REPLY_TO, JOURNALING or OTHER.")
        return name, role
    return name, raw.lower()


def _email_matches(entry: dict[str, Any], wanted: tuple[str, str] | None) -> bool:
    if wanted is None:
        return True
    name, value = wanted
    if name == "confirm_status":
        return bool(entry["confirm_status"] == value)
    if name == "role_code":
        return value in entry["roles"]
    return bool(entry["email_address"].lower() == value)


async def _get_emails(request: web.Request) -> web.Response:
    account: Account = request["account"]
    wanted = _email_filter(request)
    return json_response([e for e in account.emails if _email_matches(e, wanted)])


async def _post_email(request: web.Request) -> web.Response:
    """Add an account email; @example.com addresses are confirmed at once (the sim's 'click')."""
    account: Account = request["account"]
    body = read_object(await read_json(request))
    address = req_str(body, "email_address", 80)
    if not valid_email(address):
        raise bad_request("email_address is not a valid email address.", _ACCOUNT_KEY)
    if any(e["email_address"].lower() == address.lower() for e in account.emails):
        raise conflict("The email address already exists in the account.", "account.api.conflict")
    email_id = max((e["email_id"] for e in account.emails), default=0) + 1
    entry: dict[str, Any] = {
        "email_address": address,
        "email_id": email_id,
        "confirm_status": "UNCONFIRMED",
        "roles": [],
        "pending_roles": [],
    }
    if address.lower().endswith("@example.com"):
        entry |= {
            "confirm_status": "CONFIRMED",
            "confirm_time": iso(request["state"].clock.now()),
            "confirm_source_type": "SITE_OWNER",
        }
    account.emails.append(entry)
    return json_response(
        {"email_address": address, "email_id": email_id, "confirm_status": "UNCONFIRMED"}, 201
    )


async def _privileges(request: web.Request) -> web.Response:
    return json_response(
        [{"privilege_id": i + 1, "privilege_name": name} for i, name in enumerate(_PRIVILEGES)]
    )
