"""The one seam to the network: the Transport protocol and its aiohttp implementation.

The request/response records it carries (:class:`HTTPRequest`, :class:`HTTPResponse`,
:class:`HTTPStream`, :class:`MultipartField`) are plain sans-I/O data in :mod:`ccasync._protocol`.
Everything above this module is testable with :class:`ccasync.testing.FakeTransport`. This is
the ONLY client module that imports aiohttp; aiohttp exceptions are translated here, once
(``raise … from`` the original), into :class:`ConnectError`, :class:`RequestTimeoutError` or
:class:`TransportError` (and :class:`ValidationError` for a URL aiohttp refuses to send).
Messages never carry a query string (queries hold e-mail addresses) nor a URL's password, and a
translated error is raised with no chain: aiohttp's exception (whose ``repr`` shows the request
headers, ``Authorization`` included) is neither its ``__cause__`` nor its ``__context__``.
Bodies read whole are bounded (``max_body_bytes``, decompressed size): a larger answer is a
:class:`DecodeError` before it can exhaust memory.
"""

from __future__ import annotations

import asyncio
import collections
import re
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Protocol, TypeAlias

import aiohttp
from aiohttp.abc import AbstractStreamWriter

from ccasync._protocol import HTTPRequest, HTTPResponse, HTTPStream, MultipartField
from ccasync.config import MAX_SECONDS, check_number, redact_url
from ccasync.errors import (
    ConnectError,
    DecodeError,
    RequestTimeoutError,
    TransportError,
    ValidationError,
)

DEFAULT_POOL_TIMEOUT = 120.0
"""Seconds an attempt may wait for a free pooled connection before it is a ConnectError."""

AiohttpSession: TypeAlias = aiohttp.ClientSession
"""The aiohttp session a caller may lend to :class:`AiohttpTransport` or ``Client(session=)``."""


class Transport(Protocol):
    """Sends one HTTP request; raises only ccasync :class:`TransportError` subclasses.

    (:class:`ValidationError` for a URL that cannot be sent at all: nothing left the process;
    :class:`DecodeError` for a body over the transport's size bound.)
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


DEFAULT_MAX_BODY_BYTES = 64 * 1024 * 1024
"""The default bound of a body read whole: 64 MiB (the largest API answers are a few MB)."""

_LARGE_BODY = 1024 * 1024
"""aiohttp warns that raw bytes above 1 MiB may block the loop; larger bodies go as a stream."""


class _LargeBody(aiohttp.payload.Payload):
    """A large request body written in 64 KiB slices of the caller's bytes, never copied.

    ``bytes`` above 1 MiB draw aiohttp's "might lock the event loop" warning, and an
    ``io.BytesIO`` is copied whole by aiohttp (its size is read through ``getbuffer()``, which
    unshares the buffer: 4 MB more per import payload in flight). This writes memoryview
    slices and lets the loop run between them; each attempt (retry) starts from byte 0.
    """

    def __init__(self, value: bytes) -> None:
        super().__init__(value, content_type=None)
        self._size = len(value)

    def decode(self, encoding: str = "utf-8", errors: str = "strict") -> str:
        """The body as text (aiohttp's Payload API)."""
        return bytes(self._value).decode(encoding, errors)

    async def as_bytes(self, encoding: str = "utf-8", errors: str = "strict") -> bytes:
        """The body itself (aiohttp's Payload API)."""
        return bytes(self._value)

    async def write(self, writer: AbstractStreamWriter) -> None:
        """Write the whole body."""
        await self.write_with_length(writer, None)

    async def write_with_length(
        self, writer: AbstractStreamWriter, content_length: int | None
    ) -> None:
        """Write the body, at most ``content_length`` bytes of it."""
        with memoryview(self._value) as view:
            end = len(view) if content_length is None else min(len(view), content_length)
            for start in range(0, end, _CHUNK):
                if start:
                    await asyncio.sleep(0)  # a 4 MB body must not hold the loop
                await writer.write(view[start : min(end, start + _CHUNK)])


def _payload(request: HTTPRequest) -> aiohttp.FormData | bytes | _LargeBody | None:
    # aiohttp sets the multipart boundary itself; a hand-set Content-Type would draw a 415.
    if request.multipart is not None:
        return _form(request.multipart)
    if request.body is not None and len(request.body) > _LARGE_BODY:
        return _LargeBody(request.body)
    return request.body


class AiohttpTransport:
    """A :class:`Transport` on one pooled aiohttp session with keep-alive.

    ``timeout`` bounds one exchange once it holds a connection: opening one (at most half of
    it, 10 s at most), sending the request and reading the whole answer; for a streamed body
    (:meth:`stream`) it bounds the server's silence between two chunks instead. A connect that
    times out is a :class:`ConnectError` (the request was never sent, so even a POST may be
    retried). ``max_connections`` bounds the pool; time spent waiting for a free connection does
    not count against ``timeout``: it is bounded by ``pool_timeout`` seconds, after which the
    attempt is a :class:`ConnectError` too (never sent). The wait is this transport's own (a
    FIFO queue for ``max_connections`` slots), so aiohttp never queues and an attempt that gets a
    connection at once arms one timer, not three. With a borrowed ``session`` whose connector
    allows fewer connections, aiohttp's own queue counts against ``timeout``.
    ``max_body_bytes`` bounds a body read whole, counted after decompression (default 64 MiB,
    far above any API answer): a larger one raises :class:`DecodeError` (not retried) without
    being read further. Streamed bodies are bounded by their reader. A ``session`` passed in is
    borrowed and never
    closed here. Raises :class:`ConfigError` for a ``timeout`` or ``pool_timeout`` that is not
    a finite number of seconds in (0, 86,400], or a ``max_connections``/``max_body_bytes``
    that is not a positive integer (≤ 100,000 / 2**40).
    """

    def __init__(
        self,
        *,
        timeout: float = 30.0,
        max_connections: int = 32,
        session: AiohttpSession | None = None,
        max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
        pool_timeout: float = DEFAULT_POOL_TIMEOUT,
    ) -> None:
        check_number("timeout", timeout, low=0, high=MAX_SECONDS)
        check_number("pool_timeout", pool_timeout, low=0, high=MAX_SECONDS)
        check_number("max_connections", max_connections, low=0, high=100_000, integer=True)
        check_number("max_body_bytes", max_body_bytes, low=0, high=2**40, integer=True)
        self._max_body = max_body_bytes
        # The pool wait is ours (see _Slots), so aiohttp's timers start with a connection in
        # hand: ``total`` for the exchange, ``sock_connect`` only while a connection opens
        # (ConnectionTimeoutError: nothing sent). Each extra phase timer aiohttp arms costs a
        # heap push and a cancel per request (~10 us for connect + sock_read, issue 15).
        connect = min(_MAX_CONNECT_TIMEOUT, timeout / 2)
        self._timeout = aiohttp.ClientTimeout(total=timeout, sock_connect=connect)
        self._stream_timeout = aiohttp.ClientTimeout(sock_connect=connect, sock_read=timeout)
        self._pool_timeout = pool_timeout
        self._slots = _Slots(max_connections)
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
        # One coroutine for the common case (a free slot, a sized plain body): this runs once
        # per API call, and each nested coroutine cost about a microsecond.
        body = request.body
        data: aiohttp.FormData | bytes | _LargeBody | None = body
        if request.multipart is not None or (body is not None and len(body) > _LARGE_BODY):
            data = _payload(request)  # a form, or a body too large to hand over whole
        # Built before a slot is taken: nothing between take and the try below can raise.
        if not self._slots.take_now():
            await self._wait_for_slot(request)
        mapped: Exception
        try:
            async with (self._session or self._get_session()).request(
                request.method,
                request.url,
                headers=request.headers,
                data=data,
                allow_redirects=False,
                timeout=self._timeout,
            ) as resp:
                declared = resp.content_length
                headers = resp.headers
                if (
                    declared is not None
                    and declared <= self._max_body
                    and "Content-Encoding" not in headers
                ):
                    # The parser stops at Content-Length and nothing inflates the body, so it
                    # cannot pass the bound: one read, no chunk loop.
                    answer = await resp.read()
                else:
                    answer = await _read_bounded(resp, self._max_body, request)
                # The case-insensitive proxy is kept as is: copying it costs per call.
                return HTTPResponse(resp.status, headers, answer)
        except Exception as exc:
            mapped = _translate(exc, request)
            if mapped is exc:
                raise
        finally:
            self._slots.give()
        # Raised outside the handler: no __context__ pointing at aiohttp's exception.
        raise mapped

    async def _wait_for_slot(self, request: HTTPRequest) -> None:
        """Wait for a connection slot at most ``pool_timeout`` seconds (then ConnectError)."""
        try:
            async with asyncio.timeout(self._pool_timeout):
                await self._slots.take()
        except TimeoutError:
            raise ConnectError(
                f"no free connection within pool_timeout={self._pool_timeout:g} s "
                f"(max_connections={self._max_connections}); not sent",
                method=request.method,
                url=redact_url(request.url),
            ) from None

    @asynccontextmanager
    async def stream(self, request: HTTPRequest) -> AsyncIterator[HTTPStream]:
        """Send ``request``; yield an :class:`HTTPStream` whose chunks are read lazily.

        Failures while reading chunks are translated; the caller's own exceptions raised inside
        the ``async with`` block pass through untouched.
        """
        yielded = False
        mapped: Exception | None = None
        if not self._slots.take_now():  # held while the body is read: the connection is busy
            await self._wait_for_slot(request)
        try:
            async with self._get_session().request(
                request.method,
                request.url,
                headers=request.headers,
                data=_payload(request),
                timeout=self._stream_timeout,
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
        finally:
            self._slots.give()
        if mapped is not None:
            raise mapped

    async def aclose(self) -> None:
        """Close the session if this transport created it; idempotent."""
        if self._owns_session and self._session is not None and not self._session.closed:
            await self._session.close()


class _Slots:
    """The transport's connections: one is taken at once while free, else callers wait in
    FIFO order (cancellable: a slot handed to a caller that is leaving is passed on)."""

    def __init__(self, size: int) -> None:
        self.free = size
        self._waiters: collections.deque[asyncio.Future[None]] = collections.deque()

    def take_now(self) -> bool:
        """Take a slot if one is free and nobody waits; False otherwise."""
        if self.free and not self._waiters:
            self.free -= 1
            return True
        return False

    async def take(self) -> None:
        """Wait for a slot (bound the wait with ``asyncio.timeout``)."""
        waiter = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            await waiter
        except BaseException:
            if waiter.done() and not waiter.cancelled():
                self.give()  # handed a slot while being cancelled: the next caller gets it
            elif waiter in self._waiters:
                self._waiters.remove(waiter)
            raise

    def give(self) -> None:
        """Return a slot: to the first caller still waiting, else to the free ones."""
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return
        self.free += 1


async def _chunks(resp: aiohttp.ClientResponse, request: HTTPRequest) -> AsyncIterator[bytes]:
    mapped: Exception | None = None
    try:
        async for chunk in resp.content.iter_chunked(_CHUNK):
            yield chunk
    except Exception as exc:
        mapped = _translate(exc, request)
        if mapped is exc:
            raise
    if mapped is not None:
        raise mapped


async def _read_bounded(resp: aiohttp.ClientResponse, limit: int, request: HTTPRequest) -> bytes:
    """The whole (decompressed) body, refused as soon as it passes ``limit`` bytes.

    For the answers :meth:`AiohttpTransport.send` cannot read in one go: no Content-Length, a
    compressed body (it may inflate past the limit), or a declared length over the limit.
    """
    declared = resp.content_length
    if declared is not None and declared > limit:
        raise _too_large(limit, request)
    parts: list[bytes] = []
    size = 0
    async for chunk in resp.content.iter_chunked(_CHUNK):
        size += len(chunk)
        if size > limit:
            raise _too_large(limit, request)
        parts.append(chunk)
    return b"".join(parts)


def _too_large(limit: int, request: HTTPRequest) -> DecodeError:
    where = f"{request.method} {redact_url(request.url)}"
    return DecodeError(f"{where}: the answer is larger than max_body_bytes={limit:,}")


def _translate(exc: Exception, request: HTTPRequest) -> Exception:
    """Map an aiohttp/asyncio exception to a ccasync one; anything else passes through."""
    path = redact_url(request.url)
    if isinstance(exc, aiohttp.InvalidURL):
        return ValidationError("url", f"aiohttp cannot send to {path}")
    if isinstance(exc, aiohttp.ClientConnectorError):
        return ConnectError(f"cannot connect: {exc.os_error}", method=request.method, url=path)
    if isinstance(exc, aiohttp.ConnectionTimeoutError):
        return ConnectError("connection timed out", method=request.method, url=path)
    if isinstance(exc, asyncio.TimeoutError | aiohttp.ServerTimeoutError):
        return RequestTimeoutError("timed out", method=request.method, url=path)
    if isinstance(exc, aiohttp.ClientError):
        text = _scrub(f"{type(exc).__name__}: {exc}")
        return TransportError(text, method=request.method, url=path)
    return exc


_MAX_CONNECT_TIMEOUT = 10.0
_CHUNK = 64 * 1024

_QUERY = re.compile(r"\?[^\s'\"]*")
"""A query string inside an aiohttp message (it quotes the full URL)."""
_PASSWORD = re.compile(r"(//[^/\s:@'\"]*):[^@\s/'\"]*@")
"""A URL's userinfo password inside a message."""


def _scrub(text: str) -> str:
    # aiohttp messages quote the full URL: queries hold e-mail addresses, userinfo a password.
    return _PASSWORD.sub(r"\1:***@", _QUERY.sub("", text))
