"""Talking to the OAuth2 token endpoint through a :class:`Transport`, politely.

The token endpoint allows 1 request/second (reference §2.3; UNCONFIRMED whether per client_id or
per caller, so assume per client_id). A :class:`TokenRequestPacer` spaces requests
``min_interval`` apart (default 1.05 s: a little margin for jitter), FIFO; share one pacer
between the refreshers of every account of one application. :class:`TokenEndpoint` retries an
answer that surely was not processed: a 429 (after ``Retry-After`` or a growing pause), a
connection failure, or a 502/503/504 from a gateway.
Other failures are final by default: with rotating refresh tokens a request that may have landed
must not be blindly repeated (the first one already consumed the refresh token). A refresh passes
``retry_uncertain=True``: there, repeating is never worse than the alternative (failing the
caller, whose next call would send the same refresh token again), and it often succeeds.
A ``Retry-After`` longer than ``max_retry_after`` seconds is not waited for: the 429 is raised at
once (a hostile or broken server cannot park a refresh, and every call waiting on it, for days).

Parameters travel in the form body (``application/x-www-form-urlencoded``), as RFC 6749 §4.1.3
requires. UNCONFIRMED: Constant Contact's own examples put them in the query string (§2.2, §16);
the form body was chosen because a query string lands in proxy and server access logs, which
must never see a refresh token or authorization code.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import quote, urlencode

from ccasync import _protocol
from ccasync._protocol import HTTPRequest, HTTPResponse
from ccasync.config import check_base_url
from ccasync.errors import (
    ConfigError,
    ConnectError,
    RateLimitError,
    RequestTimeoutError,
    ServerError,
    TransportError,
)
from ccasync.transport import AiohttpTransport, Transport

logger = logging.getLogger("ccasync")

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]
BeforeSend = Callable[[], Awaitable[None]]

_GATEWAY_STATUSES = frozenset({502, 503, 504})


def check_oauth_url(name: str, url: str) -> str:
    """``url`` checked like an API base URL (https, or http to loopback only).

    Raises :class:`ConfigError` naming ``name`` otherwise.
    """
    try:
        return check_base_url(url)
    except ConfigError as exc:
        raise ConfigError(f"{name}: {exc}") from None


def basic_auth(client_id: str, client_secret: str) -> str:
    """The ``Authorization: Basic`` value for a confidential client (RFC 6749 §2.3.1)."""
    pair = f"{quote(client_id, safe='')}:{quote(client_secret, safe='')}"
    return "Basic " + base64.b64encode(pair.encode()).decode()


class TokenRequestPacer:
    """Spaces token-endpoint requests ``min_interval`` seconds apart, first come first served.

    One pacer per application (client_id): pass the same instance to every
    :class:`ccasync.auth.OAuth2Refresher` of that application so that refreshing many accounts
    at once never exceeds the endpoint's 1 request/second. ``clock`` (seconds) and ``sleep``
    are injectable for tests. Raises :class:`ConfigError` for a negative interval.
    """

    def __init__(
        self,
        min_interval: float = 1.05,
        *,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        if not min_interval >= 0:
            raise ConfigError(f"min_interval must be >= 0 seconds, got {min_interval!r}")
        self.min_interval = float(min_interval)
        self._clock = clock
        self._sleep = sleep
        self._next_at = float("-inf")
        self._lock = asyncio.Lock()

    def __repr__(self) -> str:
        return f"TokenRequestPacer(min_interval={self.min_interval})"

    async def wait(self) -> None:
        """Return when the next token-endpoint request may be sent."""
        # asyncio.Lock wakes waiters in arrival order, which makes the queue FIFO.
        async with self._lock:
            delay = self._next_at - self._clock()
            if delay > 0:
                await self._sleep(delay)
            self._next_at = self._clock() + self.min_interval


class TokenEndpoint:
    """Sends forms to one OAuth2 endpoint, at most one request per ``min_interval`` seconds.

    ``client_secret`` None means a public (PKCE/device) client: ``client_id`` goes in the form;
    otherwise HTTP Basic authentication is used. ``max_attempts`` bounds tries per call;
    ``timeout`` (seconds, None: the transport's own) bounds each exchange; a ``Retry-After``
    longer than ``max_retry_after`` seconds fails at once instead of being waited for.
    """

    def __init__(
        self,
        url: str,
        *,
        client_id: str,
        client_secret: str | None,
        clock: Clock,
        sleep: Sleep,
        pacer: TokenRequestPacer | None = None,
        max_attempts: int = 5,
        timeout: float | None = None,
        max_retry_after: float = 120.0,
    ) -> None:
        self.url = url
        self.timeout = timeout
        self._max_retry_after = max_retry_after
        self._client_id = client_id
        self._secret = client_secret
        self._sleep = sleep
        self.pacer = pacer or TokenRequestPacer(clock=clock, sleep=sleep)
        self._max_attempts = max_attempts

    def __repr__(self) -> str:
        return f"TokenEndpoint({self.url!r}, client_id={self._client_id!r})"

    async def post(
        self,
        transport: Transport,
        form: Mapping[str, str],
        *,
        retry_uncertain: bool = False,
        before_send: BeforeSend | None = None,
    ) -> Any:
        """POST ``form`` and return the decoded JSON answer.

        ``retry_uncertain`` also retries any 5xx and a timeout (the request may have landed).
        ``before_send`` is awaited right before each attempt leaves (after pacing).
        Raises the specific :class:`APIError` (``invalid_grant`` →
        ``AuthenticationError(reauthorize=True)``, 429 → ``RateLimitError`` once retries are
        spent) or a :class:`TransportError`.
        """
        request = self._request(form)
        attempt = 0
        while True:
            attempt += 1
            try:
                return await self._attempt(transport, request, before_send)
            except (RateLimitError, TransportError, ServerError) as exc:
                pause = self._pause_after(exc, attempt, retry_uncertain)
                if pause is None:
                    if attempt > 1:
                        exc.add_note(f"ccasync: token endpoint gave up after {attempt} attempts")
                    raise
                logger.debug(
                    "token endpoint: retrying in %.2fs after %s", pause, type(exc).__name__
                )
                await self._sleep(pause)

    def _request(self, form: Mapping[str, str]) -> HTTPRequest:
        fields = dict(form)
        headers = {
            "Accept": "application/json",
            "Content-Type": "application/x-www-form-urlencoded",
        }
        if self._secret is None:
            fields["client_id"] = self._client_id
        else:
            headers["Authorization"] = basic_auth(self._client_id, self._secret)
        return HTTPRequest("POST", self.url, headers, urlencode(fields).encode())

    async def _attempt(
        self, transport: Transport, request: HTTPRequest, before_send: BeforeSend | None
    ) -> Any:
        await self.pacer.wait()
        if before_send is not None:
            await before_send()
        path = self.url.split("?", 1)[0]
        response = await self._send(transport, request, path)
        logger.debug("POST %s -> %s (token endpoint)", path, response.status)
        return _protocol.decipher(
            response.status,
            response.headers,
            response.body,
            method="POST",
            url=path,
            token_endpoint=True,
        )

    async def _send(self, transport: Transport, request: HTTPRequest, path: str) -> HTTPResponse:
        if self.timeout is None:
            return await transport.send(request)
        try:
            async with asyncio.timeout(self.timeout):
                return await transport.send(request)
        except TimeoutError:
            raise RequestTimeoutError(
                f"no answer within {self.timeout:g} s", method="POST", url=path
            ) from None

    def _pause_after(self, exc: Exception, attempt: int, retry_uncertain: bool) -> float | None:
        if attempt >= self._max_attempts:
            return None
        uncertain = isinstance(exc, RequestTimeoutError) or (
            isinstance(exc, ServerError) and exc.status not in _GATEWAY_STATUSES
        )
        if uncertain and not retry_uncertain:
            return None
        if isinstance(exc, TransportError) and not isinstance(
            exc, ConnectError | RequestTimeoutError
        ):
            return None  # a broken body or a refused request: repeating will not help
        if isinstance(exc, RateLimitError) and exc.retry_after is not None:
            if exc.retry_after > self._max_retry_after:
                exc.add_note(
                    f"ccasync: Retry-After {exc.retry_after:g} s exceeds max_retry_after="
                    f"{self._max_retry_after:g} s; not waiting"
                )
                return None
            return max(exc.retry_after, self.pacer.min_interval)
        return max(self.pacer.min_interval, 1.0) * 2.0 ** (attempt - 1)


@asynccontextmanager
async def transport_for(transport: Transport | None) -> AsyncIterator[Transport]:
    """Yield ``transport``, or a fresh aiohttp transport that is closed afterwards."""
    if transport is not None:
        yield transport
        return
    owned = AiohttpTransport(timeout=30.0, max_connections=2)
    try:
        yield owned
    finally:
        await owned.aclose()
