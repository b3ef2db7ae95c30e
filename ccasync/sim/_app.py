"""The aiohttp application: one middleware runs log, faults, tick, auth, limits, cursor."""

from __future__ import annotations

import asyncio
import contextlib
import warnings
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from multidict import MultiDict
from yarl import URL

from ._account import register_account_routes
from ._faults import Fault
from ._http import LOG_NOTES_KEY, PAGE_OFFSET_KEY, ApiFailure, bind_rng, decode_cursor, error_array
from ._log import LogEntry
from ._state import SLICE_UNITS, SimState
from .activities.routes import register_bulk_routes
from .automations.routes import register_automation_routes
from .campaigns.routes import register_campaign_routes
from .contacts.custom_fields import register_custom_field_routes
from .contacts.lists import register_list_routes
from .contacts.routes import register_contact_routes
from .contacts.tags import register_tag_routes
from .contacts.xrefs import register_xref_routes
from .events.routes import register_event_routes
from .oauth.bearer import admit, bearer_grant
from .oauth.routes import register_oauth_routes
from .partner.accounts import register_partner_account_routes
from .partner.auth import TOKEN_PATH, partner_token
from .partner.sync import register_partner_sync_routes
from .partner.webhooks import register_partner_webhook_routes
from .reports.channels import register_channel_routes
from .reports.routes import register_report_routes
from .segments.routes import register_segment_routes
from .social.routes import register_social_routes

STATE_KEY = web.AppKey("ccasync_sim_state", SimState)
PRIMED_KEY = web.AppKey("ccasync_sim_primed_request_keys", set[str])
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def build_app(state: SimState) -> web.Application:
    """The simulator's aiohttp application over ``state``."""
    app = web.Application(middlewares=[_pipeline], client_max_size=64 * 1024 * 1024)
    app[STATE_KEY] = state
    app[PRIMED_KEY] = set()
    for register in (
        register_oauth_routes,
        register_account_routes,
        register_xref_routes,
        register_contact_routes,
        register_list_routes,
        register_custom_field_routes,
        register_tag_routes,
        register_segment_routes,
        register_bulk_routes,
        register_campaign_routes,
        register_report_routes,
        register_automation_routes,
        register_event_routes,
        register_channel_routes,
        register_social_routes,
        register_partner_sync_routes,
        register_partner_account_routes,
        register_partner_webhook_routes,
    ):
        register(app)
    app.router.add_post(TOKEN_PATH, partner_token)
    return app


@web.middleware
async def _pipeline(request: web.Request, handler: Handler) -> web.StreamResponse:
    state = request.app[STATE_KEY]
    _store(request, "state", state)
    bind_rng(state.rng)
    arrival = state.clock.now()
    wall = asyncio.get_running_loop().time()
    notes: dict[str, Any] = {"client_id": None, "account_id": None, "fault": ""}
    _store(request, LOG_NOTES_KEY, notes)
    status = 500
    try:
        response = await _serve(request, handler, state, notes)
        status = response.status
        return response
    finally:
        state.log.add(
            LogEntry(
                arrival,
                wall,
                notes["client_id"],
                notes["account_id"],
                request.method,
                request.path,
                request.query_string,
                status,
                notes["fault"],
            )
        )


async def _serve(
    request: web.Request, handler: Handler, state: SimState, notes: dict[str, Any]
) -> web.StreamResponse:
    delay, fault = state.faults.decide(request.method, request.path)
    if delay:
        await asyncio.sleep(delay)
    if fault is not None:
        notes["fault"] = fault.kind if fault.kind != "status" else str(fault.status)
        if fault.kind == "status":
            return _fault_response(fault)
        if fault.kind == "hang":
            return await _hang(request, state)
    try:
        state.tick(SLICE_UNITS)
        if request.path.startswith("/v3/partner/"):
            partner = state.partners.grant(request, state.now())
            notes["client_id"] = partner.api_key
            _store(request, "partner", partner)
        elif request.path.startswith("/v3/"):
            grant = bearer_grant(request, state)
            notes["client_id"], notes["account_id"] = grant.client_id, grant.account_id
            _store(request, "grant", grant)
            _store(request, "account", admit(request, state, grant))
            request = _restore_cursor(request)
        response = await handler(request)
    except ApiFailure as failure:
        response = failure.response()
    except web.HTTPException as exc:
        response = _http_error(exc)
    except Exception as exc:  # the last line of defence: answer, keep serving
        state.handler_errors.append(f"{request.method} {request.path[:200]}: {exc!r}"[:700])
        response = error_array(500, "server_error", "An unexpected error occurred.")
    if fault is not None and fault.kind == "reset":
        return await _reset(request, response)
    return response


def _restore_cursor(request: web.Request) -> web.Request:
    """Put the query a cursor was made from back on the request (explicit params win)."""
    cursor = request.query.get("cursor")
    if cursor is None:
        return request
    pairs, offset = decode_cursor(cursor)
    explicit = {k for k in request.query if k != "cursor"}
    query: MultiDict[str] = MultiDict((k, v) for k, v in pairs if k not in explicit)
    query.extend((k, v) for k, v in request.query.items() if k != "cursor")
    query.add("cursor", cursor)
    clone = request.clone(rel_url=URL.build(path=request.path, query=query, encoded=False))
    _store(clone, PAGE_OFFSET_KEY, offset)
    return clone


def _store(request: web.Request, key: str, value: Any) -> None:
    """Set a string-keyed request value (the handlers' contract) without aiohttp's key warning.

    aiohttp warns once per key and process; the first store of each key is made with the warning
    silenced, later ones skip the (slow) warnings machinery.
    """
    primed = request.app[PRIMED_KEY]
    if key in primed:
        request[key] = value
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", web.NotAppKeyWarning)
        request[key] = value
    primed.add(key)


def _http_error(exc: web.HTTPException) -> web.Response:
    if exc.status == 405:
        method = getattr(exc, "method", "This method")
        return error_array(405, "method_not_allowed", f"Method {method} is not allowed here.")
    if exc.status == 404:
        return error_array(404, "not_found", "The requested resource was not found.")
    return error_array(exc.status, "http_error", exc.reason)


def _fault_response(fault: Fault) -> web.Response:
    headers = {} if fault.retry_after is None else {"Retry-After": f"{fault.retry_after:g}"}
    if fault.status == 429:
        failure = ApiFailure(429, "throttled", "Too Many Requests", "object")
    elif fault.status == 503:
        failure = ApiFailure(503, "service_unavailable", "The service is temporarily unavailable.")
    else:
        failure = ApiFailure(fault.status, "server_error", "An unexpected error occurred.")
    response = failure.response()
    response.headers.update(headers)
    return response


async def _hang(request: web.Request, state: SimState) -> web.Response:
    """Answer nothing until the client gives up, the simulator stops or ``hang_seconds`` pass.

    The 504 then sent is only seen when ``hang_seconds`` ran out with the client still waiting.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + state.config.hang_seconds
    while loop.time() < deadline and not state.shutdown.is_set():
        transport = request.transport
        if transport is None or transport.is_closing():
            break
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(state.shutdown.wait(), 0.05)
    return error_array(504, "gateway_timeout", "The upstream service did not answer in time.")


async def _reset(request: web.Request, response: web.StreamResponse) -> web.StreamResponse:
    """Send the headers and half the body, then drop the connection."""
    assert isinstance(response, web.Response)
    body = response.body if isinstance(response.body, bytes) else b""
    stream = web.StreamResponse(status=response.status, headers=response.headers)
    stream.content_length = max(len(body), 2)
    await stream.prepare(request)
    await stream.write(body[: len(body) // 2] or b"[")
    transport = request.transport
    if transport is not None:
        transport.abort()
    return stream
