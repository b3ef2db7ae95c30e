"""Getting the first token pair: authorization code (+ PKCE) and device flow helpers.

Every flow needs the user's consent once (reference §2.2: no client-credentials grant exists);
afterwards :class:`ccasync.auth.OAuth2Refresher` keeps access alive with the refresh token.
Request ``offline_access`` among the scopes, or no refresh token is issued.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import secrets
import time
from collections.abc import Sequence
from typing import Any
from urllib.parse import quote, urlencode

import attrs

from ccasync.auth._endpoint import Clock, Sleep, TokenEndpoint, check_oauth_url, transport_for
from ccasync.auth._token import OAuth2Token, hidden_repr, token_from_response
from ccasync.config import DEFAULT_OAUTH_BASE
from ccasync.errors import (
    APIError,
    APIErrorDetail,
    AuthenticationError,
    ConfigError,
    DecodeError,
)
from ccasync.transport import Transport

DEFAULT_AUTHORIZE_URL = f"{DEFAULT_OAUTH_BASE}/authorize"
"""Constant Contact's authorization (consent) page."""
DEFAULT_TOKEN_URL = f"{DEFAULT_OAUTH_BASE}/token"
"""Constant Contact's token endpoint (code exchange, refresh, device polling)."""
DEFAULT_DEVICE_URL = f"{DEFAULT_OAUTH_BASE}/device/authorize"
"""Constant Contact's device authorization endpoint."""

DEVICE_GRANT_TYPE = "urn:ietf:params:oauth:grant-type:device_code"
_SLOW_DOWN_STEP = 5.0  # RFC 8628 §3.5: add 5 s to the interval on slow_down


@attrs.frozen
class PKCEPair:
    """A PKCE ``code_verifier`` (secret: keep it for the exchange; hidden in repr) and its
    S256 ``code_challenge`` (goes in the authorization URL)."""

    verifier: str = attrs.field(repr=hidden_repr)
    challenge: str


def pkce_pair() -> PKCEPair:
    """A fresh random PKCE verifier (86 chars, RFC 7636 allows 43-128) and its S256 challenge."""
    verifier = secrets.token_urlsafe(64)
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    challenge = base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")
    return PKCEPair(verifier, challenge)


def _require(name: str, value: str | None) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{name} must be a non-empty string")
    return value


def _scope_text(scopes: Sequence[str] | str) -> str:
    items = scopes.split() if isinstance(scopes, str) else list(scopes)
    if not items or not all(isinstance(s, str) and s.strip() for s in items):
        raise ConfigError("scopes must be a non-empty list of scope names")
    return " ".join(s.strip() for s in items)


def build_authorization_url(
    client_id: str,
    redirect_uri: str,
    scopes: Sequence[str] | str,
    state: str,
    code_challenge: str | None = None,
    *,
    authorize_url: str = DEFAULT_AUTHORIZE_URL,
) -> str:
    """The consent URL to send the user's browser to (authorization-code flow, PKCE optional).

    ``redirect_uri`` must match the application setting exactly and be reused at
    :func:`exchange_code`. ``state`` is your CSRF value: check it on the redirect. With
    ``code_challenge`` (from :func:`pkce_pair`) the URL asks for S256 PKCE. Include
    ``offline_access`` in ``scopes`` to get a refresh token. Raises :class:`ConfigError` for
    empty values or a non-https ``authorize_url`` (loopback http is allowed for the simulator).
    """
    base = check_oauth_url("authorize_url", authorize_url)
    query = {
        "client_id": _require("client_id", client_id),
        "redirect_uri": _require("redirect_uri", redirect_uri),
        "response_type": "code",
        "scope": _scope_text(scopes),
        "state": _require("state", state),
    }
    if code_challenge is not None:
        query["code_challenge"] = _require("code_challenge", code_challenge)
        query["code_challenge_method"] = "S256"
    return f"{base}?{urlencode(query, quote_via=quote)}"


async def exchange_code(
    code: str,
    *,
    client_id: str,
    redirect_uri: str,
    client_secret: str | None = None,
    code_verifier: str | None = None,
    token_url: str = DEFAULT_TOKEN_URL,
    transport: Transport | None = None,
    clock: Clock = time.time,
) -> OAuth2Token:
    """Exchange an authorization ``code`` (single use, valid 5 minutes) for a token pair.

    Confidential clients pass ``client_secret`` (sent as HTTP Basic); public clients pass the
    PKCE ``code_verifier`` (``client_id`` goes in the form). Parameters travel in the form body
    (UNCONFIRMED whether CC requires its examples' query string; see :mod:`ccasync.auth._endpoint`).
    ``transport`` defaults to a private aiohttp one, closed afterwards. Save the result in a
    :class:`TokenStore` before using it. Raises :class:`ConfigError` when neither secret nor
    verifier is given, ``AuthenticationError(reauthorize=True)`` for a used/expired code or a
    redirect_uri mismatch (``invalid_grant``), other :class:`APIError` s as answered.
    """
    _require("code", code)
    if client_secret is None and code_verifier is None:
        raise ConfigError("pass client_secret (confidential client) or code_verifier (PKCE)")
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri}
    if code_verifier is not None:
        form["code_verifier"] = code_verifier
    endpoint = _endpoint(token_url, client_id, client_secret, clock, asyncio.sleep)
    async with transport_for(transport) as active:
        data = await endpoint.post(active, form)
    return token_from_response(data, now=clock())


def _endpoint(
    url: str, client_id: str, client_secret: str | None, clock: Clock, sleep: Sleep
) -> TokenEndpoint:
    return TokenEndpoint(
        check_oauth_url("token_url", url),
        client_id=_require("client_id", client_id),
        client_secret=client_secret,
        clock=clock,
        sleep=sleep,
    )


@attrs.frozen(kw_only=True)
class DeviceAuthorization:
    """A started device flow: show ``user_code`` and ``verification_uri`` to the user.

    ``device_code`` is secret (hidden in repr); ``expires_in`` and ``interval`` are seconds;
    ``started_at`` is the epoch time the flow started (for the polling deadline).
    """

    device_code: str = attrs.field(repr=hidden_repr)
    user_code: str
    verification_uri: str
    verification_uri_complete: str | None
    expires_in: float
    interval: float
    started_at: float


async def start_device_flow(
    client_id: str,
    scopes: Sequence[str] | str,
    *,
    device_url: str = DEFAULT_DEVICE_URL,
    transport: Transport | None = None,
    clock: Clock = time.time,
) -> DeviceAuthorization:
    """Start the device flow (no browser on this machine): ask for a user code.

    Show the returned ``user_code`` and ``verification_uri`` to the user, then call
    :func:`poll_device_token`. Raises :class:`ConfigError` for bad arguments,
    :class:`DecodeError` for an answer without the device fields, :class:`APIError` as answered.
    """
    endpoint = _endpoint(device_url, client_id, None, clock, asyncio.sleep)
    async with transport_for(transport) as active:
        data = await endpoint.post(active, {"scope": _scope_text(scopes)})
    return _device_from(data, clock())


def _device_from(data: Any, now: float) -> DeviceAuthorization:
    try:
        return DeviceAuthorization(
            device_code=str(data["device_code"]),
            user_code=str(data["user_code"]),
            verification_uri=str(data["verification_uri"]),
            verification_uri_complete=data.get("verification_uri_complete"),
            expires_in=float(data.get("expires_in") or 600),
            interval=float(data.get("interval") or 5),
            started_at=now,
        )
    except (KeyError, TypeError, ValueError):
        raise DecodeError("device authorization answer lacks device_code/user_code") from None


async def poll_device_token(
    device: DeviceAuthorization,
    *,
    client_id: str,
    token_url: str = DEFAULT_TOKEN_URL,
    transport: Transport | None = None,
    clock: Clock = time.time,
    sleep: Sleep = asyncio.sleep,
) -> OAuth2Token:
    """Poll the token endpoint until the user approves ``device``; return the token pair.

    Waits ``device.interval`` seconds between polls, adding 5 s on every ``slow_down``
    (RFC 8628) and keeps polling on ``authorization_pending``. Raises
    ``AuthenticationError(reauthorize=True)`` when the user denies, the device code expires
    (``expired_token``) or ``expires_in`` passes without approval; other APIErrors as answered.
    """
    endpoint = _endpoint(token_url, client_id, None, clock, sleep)
    form = {"grant_type": DEVICE_GRANT_TYPE, "device_code": device.device_code}
    interval = device.interval
    async with transport_for(transport) as active:
        while clock() + interval < device.started_at + device.expires_in:
            await sleep(interval)
            try:
                data = await endpoint.post(active, form)
            except APIError as exc:
                interval = _next_interval(exc, interval)
                continue
            return token_from_response(data, now=clock())
    raise _device_failure("expired_token", "the device code expired before the user approved it")


def _next_interval(exc: APIError, interval: float) -> float:
    keys = set(exc.error_keys)
    if "authorization_pending" in keys:
        return interval
    if "slow_down" in keys:
        return interval + _SLOW_DOWN_STEP
    if keys & {"expired_token", "access_denied", "invalid_grant"}:
        reason = "the user denied access" if "access_denied" in keys else "the device code expired"
        raise _device_failure(sorted(keys)[0], reason) from exc
    raise exc


def _device_failure(key: str, reason: str) -> AuthenticationError:
    message = f"{reason}; start the device flow again and ask the user to authorize"
    return AuthenticationError(400, [APIErrorDetail(key, message)], reauthorize=True)
