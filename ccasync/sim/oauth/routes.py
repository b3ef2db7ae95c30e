"""OAuth endpoints under ``/oauth2/default/v1``: token, device/authorize, authorize.

Parameters are accepted in the query string and in a form body (CC's examples use the query
string; UNCONFIRMED whether the real server takes a form body too). Errors are
``{error, error_description}``. The token endpoint allows ``token_per_second`` requests per
client_id (sliding window); the body of its 429 is UNCONFIRMED.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping

from aiohttp import web
from multidict import MultiDict
from yarl import URL

from .._http import LOG_NOTES_KEY, json_response
from .._identity import ApiKey
from .._state import SimState
from .tokens import DEFAULT_SCOPES, OAuthError

DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
_BASE = "/oauth2/default/v1"


def register_oauth_routes(app: web.Application) -> None:
    """Add the OAuth routes."""
    app.router.add_post(f"{_BASE}/token", _token)
    app.router.add_post(f"{_BASE}/device/authorize", _device_authorize)
    app.router.add_get(f"{_BASE}/authorize", _authorize)


def _oauth_error(exc: OAuthError) -> web.Response:
    return json_response({"error": exc.error, "error_description": exc.description}, exc.status)


async def _params(request: web.Request) -> MultiDict[str]:
    params: MultiDict[str] = MultiDict(request.query)
    if request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        form = await request.post()
        params.extend((k, v) for k, v in form.items() if isinstance(v, str))
    return params


def _scopes(raw: str | None) -> frozenset[str]:
    if not raw:
        return frozenset(s for s in DEFAULT_SCOPES if s != "offline_access")
    return frozenset(raw.replace("+", " ").split())


def _basic(request: web.Request) -> tuple[str, str] | None:
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        client_id, _, secret = base64.b64decode(value.strip()).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        raise OAuthError(401, "invalid_client", "Malformed Basic credentials.") from None
    return client_id, secret


def _client(
    request: web.Request, state: SimState, params: Mapping[str, str]
) -> tuple[ApiKey, bool]:
    """The calling API key and whether it authenticated with its secret."""
    basic = _basic(request)
    client_id = basic[0] if basic else params.get("client_id", "")
    key = state.keys.get(client_id)
    if key is None or (basic is not None and basic[1] != key.client_secret):
        raise OAuthError(401, "invalid_client", "Client authentication failed.")
    request[LOG_NOTES_KEY]["client_id"] = key.client_id
    if key.token_limit is not None and not key.token_limit.admit(state.now()):
        raise OAuthError(429, "rate_limit_exceeded", "Too Many Requests")
    return key, basic is not None


async def _token(request: web.Request) -> web.Response:
    state: SimState = request["state"]
    try:
        params = await _params(request)
        key, confidential = _client(request, state, params)
        body = _grant(state, key, confidential, params)
    except OAuthError as exc:
        return _oauth_error(exc)
    return json_response(body, headers={"Cache-Control": "no-store"})


def _grant(
    state: SimState, key: ApiKey, confidential: bool, params: Mapping[str, str]
) -> dict[str, object]:
    grant_type = params.get("grant_type")
    now = state.now()
    if grant_type == "authorization_code":
        code = state.tokens.redeem_code(
            params.get("code", ""),
            key.client_id,
            params.get("redirect_uri", ""),
            params.get("code_verifier"),
            now,
        )
        if code.challenge is None and not confidential:
            raise OAuthError(401, "invalid_client", "Client authentication failed.")
        return state.tokens.issue(
            code.account_id, key.client_id, code.scopes, now, key.refresh_tokens
        )
    if grant_type == "refresh_token":
        return state.tokens.use_refresh(
            params.get("refresh_token", ""), key.client_id, now, key.refresh_tokens
        )
    if grant_type == DEVICE_GRANT:
        device = state.tokens.poll_device(params.get("device_code", ""), key.client_id, now)
        assert device.account_id is not None
        return state.tokens.issue(
            device.account_id, key.client_id, device.scopes, now, key.refresh_tokens
        )
    raise OAuthError(400, "unsupported_grant_type", f"grant_type {grant_type!r} is not supported.")


async def _device_authorize(request: web.Request) -> web.Response:
    state: SimState = request["state"]
    try:
        params = await _params(request)
        key, _ = _client(request, state, params)
    except OAuthError as exc:
        return _oauth_error(exc)
    device = state.tokens.new_device(key.client_id, _scopes(params.get("scope")), state.now())
    verify = f"{request.scheme}://{request.host}{_BASE}/device"
    return json_response(
        {
            "device_code": device.device_code,
            "user_code": device.user_code,
            "verification_uri": verify,
            "verification_uri_complete": f"{verify}?user_code={device.user_code}",
            "expires_in": int(device.expires_at - state.now()),
            "interval": 5,
        }
    )


async def _authorize(request: web.Request) -> web.StreamResponse:
    """Browser consent stand-in: the key's first account consents at once (302 to redirect_uri)."""
    state: SimState = request["state"]
    query = request.query
    key = state.keys.get(query.get("client_id", ""))
    redirect_uri = query.get("redirect_uri", "")
    if key is None or not key.account_ids or not redirect_uri:
        return _oauth_error(
            OAuthError(400, "invalid_request", "Unknown client_id or no redirect_uri.")
        )
    if query.get("response_type") != "code":
        return _oauth_error(
            OAuthError(400, "unsupported_response_type", "Only response_type=code.")
        )
    challenge = query.get("code_challenge")
    if challenge is not None and query.get("code_challenge_method", "S256") != "S256":
        return _oauth_error(OAuthError(400, "invalid_request", "Only code_challenge_method=S256."))
    code = state.tokens.new_code(
        key.account_ids[0],
        key.client_id,
        redirect_uri,
        _scopes(query.get("scope")),
        challenge,
        state.now(),
    )
    extra = {"state": query["state"]} if "state" in query else {}
    target = URL(redirect_uri).update_query({"code": code, **extra})
    return web.Response(status=302, headers={"Location": str(target)})
