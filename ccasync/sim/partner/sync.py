"""``POST /v3/partner/accounts/{id}/account_operations/sync``: a v3 call made for a client.

The simulator makes the described request against itself over loopback, as the client account
(a development token kept for the purpose), so it passes through the same middleware, limits,
faults and log as any request; the answer's status and JSON body are returned as they came
(UNCONFIRMED: the spec documents only 200; whether an inner error keeps its status is not
said). Only non-partner v3 paths are allowed (the spec); path parameters fill ``{name}``
placeholders; the payload is a JSON string.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import aiohttp
import orjson
from aiohttp import web

from .._http import bad_request, json_response, read_json, read_object
from .._state import SimState
from .accounts import client_of
from .provision import KEY

_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
_FORWARDED_HEADERS = ("accept", "content-type")


def register_partner_sync_routes(app: web.Application) -> None:
    """Add the account-operations route."""
    app.router.add_post("/v3/partner/accounts/{encoded_account_id}/account_operations/sync", _sync)


def _pairs(body: dict[str, Any], field: str, key: str, value: str) -> list[tuple[str, str]]:
    raw = body.get(field) or []
    if not isinstance(raw, list) or len(raw) > 50:
        raise bad_request(f"{field} must be an array of at most 50 objects.", KEY)
    pairs = []
    for item in raw:
        if not isinstance(item, dict):
            raise bad_request(f"{field} must hold objects.", KEY)
        k, v = item.get(key), item.get(value)
        if not isinstance(k, str) or not isinstance(v, str) or len(k) > 100 or len(v) > 2000:
            raise bad_request(f"{field} items need string {key} and {value}.", KEY)
        pairs.append((k, v))
    return pairs


def _target(body: dict[str, Any]) -> tuple[str, str]:
    method = body.get("account_operation_method")
    url = body.get("account_operation_url")
    if not isinstance(method, str) or method.upper() not in _METHODS:
        raise bad_request(f"account_operation_method must be one of {', '.join(_METHODS)}.", KEY)
    if not isinstance(url, str) or not url.startswith("/") or len(url) > 2000:
        raise bad_request("account_operation_url must be a v3 path such as /contacts.", KEY)
    path = url.removeprefix("/v3")
    for name, value in _pairs(
        body, "account_operation_path_parameters", "path_param_key", "path_param_value"
    ):
        path = path.replace("{" + name + "}", quote(value, safe=""))
    if path.startswith("/partner") or "{" in path or ".." in path:
        raise bad_request("account_operation_url must be a non-partner v3 path, filled.", KEY)
    return method.upper(), path


async def _sync(request: web.Request) -> web.Response:
    account = client_of(request)[1]
    body = read_object(await read_json(request))
    method, path = _target(body)
    query = _pairs(
        body, "account_operation_query_parameters", "query_param_key", "query_param_value"
    )
    headers = {
        k: v
        for k, v in _pairs(body, "account_operation_headers", "header_key", "header_value")
        if k.lower() in _FORWARDED_HEADERS
    }
    payload = body.get("account_operation_payload") or None
    if payload is not None and not isinstance(payload, str):
        raise bad_request("account_operation_payload must be a JSON string.", KEY)
    state: SimState = request["state"]
    token = f"partner-sync-{account.account_id}"
    if state.tokens.lookup(token, state.now()) is None:
        state.tokens.add_dev_token(token, account.account_id, account.api_key.client_id)
    headers["Authorization"] = f"Bearer {token}"
    if payload is not None:
        headers.setdefault("Content-Type", "application/json")
    url = f"{request.url.origin()}/v3{path}"
    async with (
        aiohttp.ClientSession() as session,
        session.request(method, url, params=query, data=payload, headers=headers) as answer,
    ):
        raw = await answer.read()
        status = answer.status
    if not raw:
        return web.Response(status=status)
    try:
        return json_response(orjson.loads(raw), status)
    except orjson.JSONDecodeError:
        return web.Response(status=status, body=raw)
