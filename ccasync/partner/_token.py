"""The partner JWT: fetched with the partner's client credentials, renewed before it expires.

UNCONFIRMED (the docs leave it open, reference §2.1): the token URL (the spec's security
definition names an AWS Cognito endpoint, :data:`DEFAULT_PARTNER_TOKEN_URL`; another source names
``https://authz.constantcontact.com/partners/oauth2/default/v1/token``), the grant (OAuth2
``client_credentials`` with HTTP Basic client authentication, as Cognito does), the scope
(``v3api/general.partner``, the spec's) and the lifetime (read from the JWT's ``exp`` or
``expires_in``; 1 hour assumed when neither is given).
"""

from __future__ import annotations

import asyncio
import base64
import time
from collections.abc import Awaitable, Callable
from urllib.parse import quote, urlencode

from ccasync import _protocol
from ccasync._protocol import HTTPRequest
from ccasync.auth import jwt_expiry
from ccasync.config import check_base_url
from ccasync.errors import ConfigError, ConnectError, DecodeError, RateLimitError, ServerError
from ccasync.transport import Transport

DEFAULT_PARTNER_TOKEN_URL = "https://v3api-partner.auth.us-east-1.amazoncognito.com/oauth2/token"
"""Where the partner JWT is requested (UNCONFIRMED: the spec's security definition)."""
PARTNER_SCOPE = "v3api/general.partner"
"""The scope the partner endpoints need (from the spec)."""
ASSUMED_LIFETIME = 3600.0
"""Seconds a token is trusted when the answer states no expiry (UNCONFIRMED)."""
FETCH_ATTEMPTS = 3
"""Tries of one token request when the answer surely was not a token (429, 502-504, no link)."""
_GATEWAY = frozenset({502, 503, 504})


def _basic(client_id: str, client_secret: str) -> str:
    pair = f"{quote(client_id, safe='')}:{quote(client_secret, safe='')}"
    return "Basic " + base64.b64encode(pair.encode()).decode()


class PartnerToken:
    """Keeps one partner JWT valid: fetched on first use, renewed ``margin`` seconds early.

    Renewal is single-flight: concurrent callers wait for the one request. A 401 from the API
    renews once (the token may have been revoked). A token request answered 429 or 502-504, or
    that could not connect, is tried up to :data:`FETCH_ATTEMPTS` times (``Retry-After``, else 1 s
    then 2 s; a client-credentials request is safe to repeat); other failures are raised. The
    secret and the token never appear in ``repr`` or errors. Raises :class:`ConfigError` for
    empty credentials or a non-https URL.
    """

    def __init__(
        self,
        *,
        client_id: str,
        client_secret: str,
        token_url: str = DEFAULT_PARTNER_TOKEN_URL,
        scope: str = PARTNER_SCOPE,
        margin: float = 300.0,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        if not client_id or not client_secret:
            raise ConfigError("client_id and client_secret are required for the partner token")
        self._client_id = client_id
        self._secret = client_secret
        self._url = check_base_url(token_url)
        self._scope = scope
        self._margin = margin
        self._clock = clock
        self._sleep = sleep
        self._transport: Transport | None = None
        self._token: str | None = None
        self._expires_at = 0.0
        self._lock = asyncio.Lock()
        self.fetches = 0
        """Token requests made so far."""

    def __repr__(self) -> str:
        return f"PartnerToken(client_id={self._client_id!r}, token_url={self._url!r})"

    def bind_transport(self, transport: Transport) -> None:
        """Use ``transport`` for the token requests (the client's own, without the API key)."""
        self._transport = transport

    async def token(self) -> str:
        """A JWT valid for at least ``margin`` more seconds (renewing first when needed)."""
        async with self._lock:
            if self._token is None or self._clock() >= self._expires_at - self._margin:
                await self._fetch()
            assert self._token is not None
            return self._token

    async def on_unauthorized(self, rejected: str) -> bool:
        """Renew after a 401 unless another caller already did; True when a new token exists."""
        async with self._lock:
            if self._token == rejected:
                await self._fetch()
            return self._token != rejected

    async def _fetch(self) -> None:
        for attempt in range(1, FETCH_ATTEMPTS + 1):
            try:
                return await self._fetch_once()
            except (RateLimitError, ConnectError, ServerError) as exc:
                retryable = not isinstance(exc, ServerError) or exc.status in _GATEWAY
                if attempt == FETCH_ATTEMPTS or not retryable:
                    raise
                wait = exc.retry_after if isinstance(exc, RateLimitError) else None
                await self._sleep(wait if wait is not None else float(attempt))

    async def _fetch_once(self) -> None:
        if self._transport is None:
            raise RuntimeError("PartnerToken used before bind_transport()")
        self.fetches += 1
        response = await self._transport.send(self._request())
        data = _protocol.decipher(
            response.status,
            response.headers,
            response.body,
            method="POST",
            url=self._url.split("?", 1)[0],
            token_endpoint=True,
        )
        token = data.get("access_token") if isinstance(data, dict) else None
        if not isinstance(token, str) or not token:
            raise DecodeError("partner token answer has no access_token")
        self._token = token
        self._expires_at = self._expiry(token, data.get("expires_in"))

    def _expiry(self, token: str, expires_in: object) -> float:
        exp = jwt_expiry(token)
        if exp is not None:
            return exp.timestamp()
        if isinstance(expires_in, int | float) and not isinstance(expires_in, bool):
            return self._clock() + float(expires_in)
        return self._clock() + ASSUMED_LIFETIME

    def _request(self) -> HTTPRequest:
        headers = {
            "Accept": "application/json",
            "Content-Type": "application/x-www-form-urlencoded",
            "Authorization": _basic(self._client_id, self._secret),
        }
        form = {"grant_type": "client_credentials", "scope": self._scope}
        return HTTPRequest("POST", self._url, headers, urlencode(form).encode())
