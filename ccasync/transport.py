"""The one seam to the network: the Transport protocol and its aiohttp implementation.

The request/response records it carries (:class:`HTTPRequest`, :class:`HTTPResponse`,
:class:`HTTPStream`, :class:`MultipartField`) are plain sans-I/O data in :mod:`ccasync._protocol`.
Everything above this module is testable with :class:`ccasync.testing.FakeTransport`. This is
the ONLY client module that imports aiohttp; aiohttp exceptions are translated here, once
(``raise … from`` the original), into :class:`ConnectError`, :class:`RequestTimeoutError` or
:class:`TransportError` (and :class:`ValidationError` for a URL aiohttp refuses to send).
Messages never carry a query string: queries hold e-mail addresses.
"""

from __future__ import annotations

import asyncio
import io
import re
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Protocol, TypeAlias

import aiohttp
import attrs

from ccasync._protocol import HTTPRequest, HTTPResponse, HTTPStream, MultipartField
from ccasync.errors import ConnectError, RequestTimeoutError, TransportError, ValidationError

DEFAULT_POOL_TIMEOUT = 120.0
"""Seconds an attempt may wait for a free pooled connection before it is a ConnectError."""

AiohttpSession: TypeAlias = aiohttp.ClientSession
"""The aiohttp session a caller may lend to :class:`AiohttpTransport` or ``Client(session=)``."""


class Transport(Protocol):
    """Sends one HTTP request; raises only ccasync :class:`TransportError` subclasses.

    (:class:`ValidationError` for a URL that cannot be sent at all: nothing left the process.)
    """

    async def send(self, request: HTTPRequest) -> HTTPResponse:
        """Send ``request`` and read the whole body."""
        ...

    def stream(self, request: HTTPRequest) -> AbstractAsyncContextManager[HTTPStream]:
        """Send ``request`` and expose the body as an async iterator of chunks."""
        ...

    async def aclose(self) -> None:
        """Release connections the transport owns (a borrowed session is left open)."""
        ...


def _form(fields: tuple[MultipartField, ...]) -> aiohttp.FormData:
    form = aiohttp.FormData()
    for f in fields:
        form.add_field(f.name, f.value, filename=f.filename, content_type=f.content_type)
    return form


_LARGE_BODY = 1024 * 1024
"""aiohttp warns that raw bytes above 1 MiB may block the loop; larger bodies go as a stream."""


def _payload(request: HTTPRequest) -> aiohttp.FormData | bytes | io.BytesIO | None:
    # aiohttp sets the multipart boundary itself; a hand-set Content-Type would draw a 415.
    if request.multipart is not None:
        return _form(request.multipart)
    if request.body is not None and len(request.body) > _LARGE_BODY:
        # A fresh stream per attempt (retries re-read it); BytesIO shares the bytes, no copy.
        return io.BytesIO(request.body)
    return request.body


class AiohttpTransport:
    """A :class:`Transport` on one pooled aiohttp session with keep-alive.

    ``timeout`` bounds one exchange once it holds a connection: at most half of it (10 s at
    most) may go to opening a connection, and the server may stay silent at most ``timeout``
    seconds (waiting for the answer or between two chunks of it; ``pool_timeout + timeout``
    seconds in all is a last bound for a body that trickles). A connect that times out is a
    :class:`ConnectError` (the request was never sent, so even a POST may be retried).
    ``max_connections`` bounds the pool; time spent waiting for a free pooled connection does
    not count against ``timeout``: it is bounded by ``pool_timeout`` seconds, after which the
    attempt is a :class:`ConnectError` too (never sent). A ``session`` passed in is borrowed
    and never closed here.
    """

    def __init__(
        self,
        *,
        timeout: float = 30.0,
        max_connections: int = 32,
        session: AiohttpSession | None = None,
        pool_timeout: float = DEFAULT_POOL_TIMEOUT,
    ) -> None:
        # aiohttp's own phases, so that no request timer runs while the attempt is queued:
        # ``connect`` covers the pool wait plus opening a connection (ConnectionTimeoutError,
        # nothing sent), ``sock_read`` the server's silence once the request is out. ``total``
        # counts the queue too, so it only backs the others up (a trickling body).
        self._timeout = aiohttp.ClientTimeout(
            total=pool_timeout + timeout,
            connect=pool_timeout,
            sock_connect=min(_MAX_CONNECT_TIMEOUT, timeout / 2),
            sock_read=timeout,
        )
        self._max_connections = max_connections
        self._session = session
        self._owns_session = session is None

    def _get_session(self) -> aiohttp.ClientSession:
        if self._session is None:
            connector = aiohttp.TCPConnector(limit=self._max_connections, keepalive_timeout=30)
            self._session = aiohttp.ClientSession(
                connector=connector, timeout=self._timeout, auto_decompress=True
            )
        return self._session

    async def send(self, request: HTTPRequest) -> HTTPResponse:
        """Send ``request`` and read the whole body; aiohttp errors become TransportErrors."""
        try:
            async with self._get_session().request(
                request.method,
                request.url,
                headers=request.headers,
                data=_payload(request),
                allow_redirects=False,
                timeout=self._timeout,
            ) as resp:
                body = await resp.read()
                # The case-insensitive proxy is kept as is: copying it costs per call.
                return HTTPResponse(status=resp.status, headers=resp.headers, body=body)
        except Exception as exc:
            mapped = _translate(exc, request)
            if mapped is exc:
                raise
            raise mapped from exc

    @asynccontextmanager
    async def stream(self, request: HTTPRequest) -> AsyncIterator[HTTPStream]:
        """Send ``request``; yield an :class:`HTTPStream` whose chunks are read lazily.

        Failures while reading chunks are translated; the caller's own exceptions raised inside
        the ``async with`` block pass through untouched.
        """
        yielded = False
        try:
            async with self._get_session().request(
                request.method,
                request.url,
                headers=request.headers,
                data=_payload(request),
                timeout=attrs.evolve(self._timeout, total=None),
                allow_redirects=False,
            ) as resp:
                yielded = True
                yield HTTPStream(
                    status=resp.status,
                    headers=resp.headers,
                    chunks=_chunks(resp, request),
                )
        except Exception as exc:
            if yielded:
                raise
            mapped = _translate(exc, request)
            if mapped is exc:
                raise
            raise mapped from exc

    async def aclose(self) -> None:
        """Close the session if this transport created it; idempotent."""
        if self._owns_session and self._session is not None and not self._session.closed:
            await self._session.close()


async def _chunks(resp: aiohttp.ClientResponse, request: HTTPRequest) -> AsyncIterator[bytes]:
    try:
        async for chunk in resp.content.iter_chunked(64 * 1024):
            yield chunk
    except Exception as exc:
        mapped = _translate(exc, request)
        if mapped is exc:
            raise
        raise mapped from exc


def _translate(exc: Exception, request: HTTPRequest) -> Exception:
    """Map an aiohttp/asyncio exception to a ccasync one; anything else passes through."""
    path = _path_only(request.url)
    if isinstance(exc, aiohttp.InvalidURL):
        return ValidationError("url", f"aiohttp cannot send to {path}")
    if isinstance(exc, aiohttp.ClientConnectorError):
        return ConnectError(f"cannot connect: {exc.os_error}", method=request.method, url=path)
    if isinstance(exc, aiohttp.ConnectionTimeoutError):
        return ConnectError("connection timed out", method=request.method, url=path)
    if isinstance(exc, asyncio.TimeoutError | aiohttp.ServerTimeoutError):
        return RequestTimeoutError("timed out", method=request.method, url=path)
    if isinstance(exc, aiohttp.ClientError):
        text = _QUERY.sub("", f"{type(exc).__name__}: {exc}")
        return TransportError(text, method=request.method, url=path)
    return exc


_MAX_CONNECT_TIMEOUT = 10.0

_QUERY = re.compile(r"\?[^\s'\"]*")
"""A query string inside an aiohttp message (it quotes the full URL)."""


def _path_only(url: str) -> str:
    # Query strings carry e-mail addresses (and may one day carry secrets): path only.
    return url.split("?", 1)[0]
