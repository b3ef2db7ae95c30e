"""The one place where limiter, auth, transport, protocol and retry meet.

One call to :meth:`Requestor.request` is: for each attempt, take a token, wait for the limiter,
send through the transport, decipher the answer; on failure ask :mod:`ccasync._retry` whether
and when to try again. A 401 triggers one single-flight token refresh and one more try. When
retries give up, the last error is re-raised with a note saying how many tries were made.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Collection, Iterator, Mapping
from contextlib import AsyncExitStack, asynccontextmanager, contextmanager
from contextvars import ContextVar
from types import TracebackType
from typing import Any, NamedTuple, NoReturn, Protocol, Self, TypeVar

import attrs
import orjson

from ccasync import _protocol
from ccasync._protocol import HTTPRequest, HTTPResponse, MultipartField
from ccasync._retry import Replay, decide, may_have_landed, retry_delay
from ccasync._serde import structure, unstructure
from ccasync.config import DEFAULT_MAX_PAGES, RetryPolicy
from ccasync.errors import (
    AuthenticationError,
    CCAsyncError,
    ConflictError,
    DecodeError,
    RateLimitError,
    RateLimitKind,
    ValidationError,
)
from ccasync.events import EventHook, RequestEvent
from ccasync.transport import Transport

T = TypeVar("T")


class _Answered(Protocol):
    @property
    def status(self) -> int: ...


_R = TypeVar("_R", bound=_Answered)

logger = logging.getLogger("ccasync")


class TokenSource(Protocol):
    """What the requestor needs from an auth provider (see :mod:`ccasync.auth`)."""

    async def token(self) -> str:
        """A currently valid access token (refreshing first when it is near expiry)."""
        ...

    async def on_unauthorized(self, rejected: str) -> bool:
        """Handle a 401 for ``rejected``; True when a different token is now available."""
        ...

    def bind_transport(self, transport: Transport) -> None:
        """Give the provider the client's transport for token-endpoint calls."""
        ...


class Limiter(Protocol):
    """What the requestor needs from a rate limiter (see :class:`ccasync.RateLimiter`)."""

    async def acquire(self) -> None:
        """Wait for a slot; raise QuotaExhaustedError when the day's budget is spent."""
        ...

    def on_throttled(self, retry_after: float | None) -> None:
        """The server answered a per-second 429: slow down."""
        ...

    def on_quota_exceeded(self) -> None:
        """The server says the daily quota is spent: stop until the reset."""
        ...


@attrs.define(eq=False)
class CallCount:
    """HTTP exchanges one client made inside one ``count_calls()`` block (retries included).

    Counts the calls of the task that entered the block and of every task it starts inside it
    (asyncio tasks copy the context), never those of other tasks sharing the client.
    """

    calls: int = 0
    owner: object = attrs.field(default=None, repr=False)
    """The requestor whose calls are counted."""


_COUNTS: ContextVar[tuple[CallCount, ...]] = ContextVar("ccasync_call_counts", default=())
"""The counts open in the current context (nested blocks each count)."""


class APIResponse(NamedTuple):
    """A successful answer: status, headers and decoded data (``bytes`` for non-JSON bodies).

    A named tuple: built once per API call, at a third of the cost of a frozen attrs record.
    """

    status: int
    headers: Mapping[str, str]
    data: Any


@attrs.define(kw_only=True)
class Requestor:
    """Sends API calls with limiting, auth, retries, logging and events. Internal."""

    transport: Transport
    base_url: str
    tokens: TokenSource
    limiter: Limiter | None
    retry: RetryPolicy
    user_agent: str
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    draw: Callable[[], float] = random.random
    on_event: EventHook | None = None
    max_pages: int = DEFAULT_MAX_PAGES
    """The most pages one :meth:`iter_pages` follows before raising DecodeError."""
    calls: int = attrs.field(default=0, init=False)
    """HTTP exchanges sent so far (every attempt counts: each one costs API budget)."""
    closed: bool = attrs.field(default=False, init=False)
    """Set by Client.aclose(); any later call raises RuntimeError."""
    _base_path: str | None = attrs.field(default=None, init=False, repr=False)
    _header_sets: dict[tuple[str, bool], dict[str, str]] = attrs.field(
        factory=dict, init=False, repr=False
    )

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: _protocol.Params | None = None,
        json: Any = None,
        content: bytes | None = None,
        multipart: tuple[MultipartField, ...] | None = None,
        replay: Replay = Replay.BY_METHOD,
        expected: Collection[int] | None = None,
        into: type | None = None,
    ) -> APIResponse:
        """Send one API call and return its decoded answer.

        ``path`` is relative to the base URL (``/contacts``) or an absolute URL on the same
        origin (a followed ``next`` link). ``json`` is unstructured and encoded; ``content`` is
        an already encoded JSON body. ``expected`` restricts the accepted 2xx statuses.
        ``into`` (a record class): ``data`` is the answer decoded as that record (see
        :func:`ccasync._protocol.decode_answer`).
        Raises the specific :class:`APIError`, :class:`TransportError`,
        :class:`QuotaExhaustedError` or :class:`DecodeError`.
        """
        self._check_open()
        url = self._url(path, params)
        body = content if content is not None or json is None else _encode_json(json)
        has_json = json is not None or content is not None
        attempt = 0
        refreshed = False
        while True:
            attempt += 1
            token = await self.tokens.token()
            request = HTTPRequest(method, url, self._headers(token, has_json), body, multipart)
            try:
                return await self._attempt(request, path, attempt, expected, into)
            except AuthenticationError:
                # One refresh per call: a second 401 with a fresh token is final.
                if refreshed or not await self.tokens.on_unauthorized(token):
                    raise
                refreshed = True
            except CCAsyncError as exc:
                await self._after_failure(exc, method, replay, attempt)

    async def send_checked(
        self,
        send: Callable[[], Awaitable[T]],
        landed: Callable[[], Awaitable[T | None]],
        *,
        what: str,
    ) -> T:
        """Check, then retry: the one way a non-idempotent POST is sent again.

        ``send`` makes the POST (one :meth:`request`, whose own retries cover what surely did
        not land). When it fails in a way that may have landed (a 5xx, a timeout, a connection
        dropped after sending; see :func:`ccasync._retry.may_have_landed`), ``landed`` looks the
        record up by its natural key: what it finds is returned, and only when it finds nothing
        is the POST sent again, after the policy's backoff, up to ``retry.max_attempts`` tries.
        A 409 on a later try means an earlier one landed: ``landed`` is asked again. Any other
        error, and a failure of ``landed`` itself, is raised (with a note naming ``what``).
        """
        attempt = 1
        while True:
            try:
                return await send()
            except CCAsyncError as exc:
                retried_conflict = attempt > 1 and isinstance(exc, ConflictError)
                if not (retried_conflict or may_have_landed(self.retry, exc)):
                    raise
                error = exc
            found = await self._look_up(landed, error, what)
            if found is not None:
                return found
            if retried_conflict or attempt >= self.retry.max_attempts:
                error.add_note(f"ccasync: {what} not found after {attempt} tries; not created")
                raise error
            logger.debug("%s did not land (%s); sending it again", what, type(error).__name__)
            await self.sleep(retry_delay(self.retry, error, attempt, self.draw()))
            attempt += 1

    @staticmethod
    async def _look_up(
        landed: Callable[[], Awaitable[T | None]], error: CCAsyncError, what: str
    ) -> T | None:
        try:
            return await landed()
        except CCAsyncError as failed:
            # The POST's outcome stays unknown: report that error, with why it is unknown.
            error.add_note(f"ccasync: could not check whether {what} landed: {failed}")
            raise error from failed

    async def _after_failure(
        self, exc: CCAsyncError, method: str, replay: Replay, attempt: int
    ) -> None:
        self._tell_limiter(exc)
        decision = decide(
            self.retry, method=method, replay=replay, error=exc, attempt=attempt, draw=self.draw()
        )
        if not decision.retry:
            if attempt > 1:
                exc.add_note(f"ccasync: gave up after {attempt} attempts ({decision.reason})")
            raise exc
        logger.debug("retrying %s in %.2fs after %s", method, decision.delay, decision.reason)
        await self.sleep(decision.delay)

    async def _attempt(
        self,
        request: HTTPRequest,
        path: str,
        attempt: int,
        expected: Collection[int] | None,
        into: type | None,
    ) -> APIResponse:
        """One try of :meth:`request`. ``path`` is the caller's: what logs, events and errors
        show of it (no query) is worked out only when one of them needs it."""
        if self.limiter is not None:
            await self.limiter.acquire()
        # _observed, inlined: this runs once per API call (one coroutine frame less).
        started = self._counted()
        try:
            response = await self.transport.send(request)
        except BaseException as exc:  # cancellation included: the attempt still happened
            logged = self._logged(path, request.url)
            self._record(request.method, logged, None, type(exc).__name__, attempt, _since(started))
            raise
        status = response.status
        if self.on_event is not None or logger.isEnabledFor(logging.DEBUG):
            logged = self._logged(path, request.url)
            self._record(request.method, logged, status, None, attempt, _since(started))
        if status >= 300 or (expected is not None and status not in expected):
            self._refuse(request, self._logged(path, request.url), response, expected)
        data = _protocol.decode_answer(response.headers, response.body, into=into)
        return APIResponse(status, response.headers, data)

    @staticmethod
    def _refuse(
        request: HTTPRequest, path: str, response: HTTPResponse, expected: Collection[int] | None
    ) -> NoReturn:
        """Raise the error an answer with this status means (never returns)."""
        if response.status >= 300:
            raise _protocol.error_for(
                response.status, response.headers, response.body, method=request.method, url=path
            )
        raise DecodeError(
            f"{request.method} {path}: unexpected status {response.status}, "
            f"expected one of {sorted(expected or ())}"
        )

    async def _observed(self, method: str, path: str, attempt: int, exchange: Awaitable[_R]) -> _R:
        """Await one HTTP exchange, counting it and reporting it to the log and event hook."""
        started = self._counted()
        status: int | None = None
        error: str | None = None
        try:
            answer = await exchange
            status = answer.status
            return answer
        except BaseException as exc:  # cancellation included: the attempt still happened
            error = type(exc).__name__
            raise
        finally:
            self._record(method, path, status, error, attempt, _since(started))

    def _counted(self) -> float:
        """Count one exchange (the client's total, every open ``count_calls`` block of this
        client); the time it starts."""
        self.calls += 1
        for count in _COUNTS.get():
            if count.owner is self:
                count.calls += 1
        return time.perf_counter()

    @contextmanager
    def count_calls(self) -> Iterator[CallCount]:
        """Count this requestor's calls made in the current context until the block exits."""
        count = CallCount(owner=self)
        token = _COUNTS.set((*_COUNTS.get(), count))
        try:
            yield count
        finally:
            _COUNTS.reset(token)

    def _record(
        self,
        method: str,
        path: str,
        status: int | None,
        error: str | None,
        attempt: int,
        latency: float,
    ) -> None:
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug(
                "%s %s -> %s attempt=%d latency=%.1fms",
                method,
                path,
                status or error,
                attempt,
                latency * 1e3,
            )
        if self.on_event is not None:
            try:
                self.on_event(RequestEvent(method, path, status, attempt, latency, error))
            except Exception:
                # A broken metrics hook must not fail (or retry) the API call it observes.
                logger.warning("ccasync on_event hook raised; ignored", exc_info=True)

    def _tell_limiter(self, exc: CCAsyncError) -> None:
        if self.limiter is None or not isinstance(exc, RateLimitError):
            return
        if exc.kind is RateLimitKind.DAILY_QUOTA:
            self.limiter.on_quota_exceeded()
        elif exc.kind is RateLimitKind.THROTTLED:
            pause = exc.retry_after if exc.retry_after is not None else self.retry.throttle_pause
            self.limiter.on_throttled(pause)

    def _check_open(self) -> None:
        if self.closed:
            raise RuntimeError("this ccasync.Client is closed; create a new one")

    def _logged(self, path: str, url: str) -> str:
        """What logs, events and errors show of ``url``: its path (no query, no fragment)."""
        if path.startswith("/"):
            # A relative path: the base URL's path plus ``path`` up to its query, without
            # scanning the whole URL (same answer as _path(url)).
            prefix = self._base_path
            if prefix is None:
                prefix = self._base_path = _protocol.base_path(self.base_url)
            end = len(path)
            for mark in "?#":
                cut = path.find(mark)
                if 0 <= cut < end:
                    end = cut
            return prefix + "/" + path[:end].lstrip("/")
        return _path(url)

    def _url(self, path: str, params: _protocol.Params | None) -> str:
        if path.startswith(("http://", "https://")):
            if not path.startswith(_protocol.origin(self.base_url) + "/"):
                # A ValidationError (a ValueError too): every error ccasync raises is its own.
                raise ValidationError(
                    "url", f"refusing to send the token to another origin: {_path(path)}"
                )
            return path
        return _protocol.build_url(self.base_url, path, params)

    def _headers(self, token: str, has_json: bool) -> dict[str, str]:
        """The request headers for ``token``; the same dict for every call with the same token
        (built once per token: a transport only reads them)."""
        key = (token, has_json)
        headers = self._header_sets.get(key)
        if headers is None:
            if len(self._header_sets) >= 8:  # tokens were renewed: drop the old ones
                self._header_sets.clear()
            headers = {"Accept": "application/json", "User-Agent": self.user_agent}
            if has_json:
                headers["Content-Type"] = "application/json"
            headers = self._header_sets[key] = _bearer(headers, token)
        return headers

    async def get_model(
        self, path: str, model: type[T], *, params: _protocol.Params | None = None
    ) -> T:
        """GET ``path`` and decode the body as ``model``."""
        response = await self.request("GET", path, params=params, into=model)
        return response.data  # type: ignore[no-any-return]

    async def send_model(
        self,
        method: str,
        path: str,
        model: type[T],
        *,
        json: Any = None,
        expected: Collection[int] | None = None,
    ) -> T:
        """Send ``json`` (unstructured and encoded) and decode the answer as ``model``."""
        response = await self.request(method, path, json=json, expected=expected, into=model)
        return response.data  # type: ignore[no-any-return]

    async def iter_pages(
        self, path: str, *, params: _protocol.Params | None = None
    ) -> AsyncIterator[Any]:
        """Yield each page body of a cursor-paginated endpoint, following ``_links.next``.

        Raises :class:`DecodeError` when a next link leads back to a page already read (A→B→A
        would loop forever, spending the daily quota) or past ``max_pages`` pages.
        """
        async for page in self.walk_pages(self._url(path, params), self._get_data):
            yield page

    async def _get_data(self, url: str) -> Any:
        return (await self.request("GET", url)).data

    async def walk_pages(
        self, first: str, fetch: Callable[[str], Awaitable[Any]]
    ) -> AsyncIterator[Any]:
        """Yield ``await fetch(url)`` for ``first`` and each ``_links.next`` after it.

        The one pagination loop: it refuses a next link that leads back to a page already read
        and stops past ``max_pages`` pages, raising :class:`DecodeError` either way.
        """
        url: str | None = first
        visited: set[str] = set()
        while url is not None:
            if url in visited:
                raise DecodeError(f"GET {_path(url)}: the next link leads back to a page read")
            if len(visited) >= self.max_pages:
                raise DecodeError(
                    f"GET {_path(url)}: more than max_pages={self.max_pages:,} pages; "
                    "raise Client(max_pages=) if the listing is really this long"
                )
            visited.add(url)
            page = await fetch(url)
            yield page
            url = _protocol.next_page_url(page, request_url=url, base_url=self.base_url)

    async def iter_items(
        self,
        path: str,
        *,
        items_key: str,
        model: type[T],
        params: _protocol.Params | None = None,
    ) -> AsyncIterator[T]:
        """Yield every item under ``items_key`` across all pages, structured as ``model``."""
        async for page in self.iter_pages(path, params=params):
            for item in (page or {}).get(items_key) or ():
                yield structure(item, model)

    @asynccontextmanager
    async def stream(
        self, path: str, *, params: _protocol.Params | None = None
    ) -> AsyncIterator[AsyncIterator[bytes]]:
        """GET ``path`` and yield its body as chunks (CSV downloads).

        Until the body starts it behaves like :meth:`request` (limiter, one refresh after a
        401, retries by policy, events); a failure once chunks flow is raised, never retried.
        """
        self._check_open()
        url = self._url(path, params)
        logged = self._logged(path, url)
        attempt = 0
        refreshed = False
        while True:
            attempt += 1
            token = await self.tokens.token()
            request = HTTPRequest("GET", url, _bearer({"User-Agent": self.user_agent}, token))
            async with AsyncExitStack() as stack:
                try:
                    chunks = await self._open_stream(stack, request, logged, attempt)
                except AuthenticationError:
                    if refreshed or not await self.tokens.on_unauthorized(token):
                        raise
                    refreshed = True
                    continue
                except CCAsyncError as exc:
                    await self._after_failure(exc, "GET", Replay.BY_METHOD, attempt)
                    continue
                yield chunks
                return

    async def _open_stream(
        self, stack: AsyncExitStack, request: HTTPRequest, path: str, attempt: int
    ) -> AsyncIterator[bytes]:
        """One attempt: wait for the limiter, open the response in ``stack``, check its status."""
        if self.limiter is not None:
            await self.limiter.acquire()
        opened = stack.enter_async_context(self.transport.stream(request))
        resp = await self._observed("GET", path, attempt, opened)
        if resp.status >= 300:
            body = await _error_body(resp.chunks)
            raise _protocol.error_for(resp.status, resp.headers, body, method="GET", url=path)
        return resp.chunks


_MAX_ERROR_BODY = 1024 * 1024
"""The most bytes of a streamed error answer kept for its message (error bodies are small)."""


async def _error_body(chunks: AsyncIterator[bytes]) -> bytes:
    # An error status on a download may come with an endless body: keep the start only.
    kept = bytearray()
    async for chunk in chunks:
        kept += chunk[: _MAX_ERROR_BODY - len(kept)]
        if len(kept) >= _MAX_ERROR_BODY:
            break
    return bytes(kept)


def _bearer(headers: dict[str, str], token: str) -> dict[str, str]:
    return {**headers, "Authorization": f"Bearer {token}"}


def _since(started: float) -> float:
    return time.perf_counter() - started


def _encode_json(payload: Any) -> bytes | None:
    if payload is None:
        return None
    return orjson.dumps(unstructure(payload))


def _path(url: str) -> str:
    # Logs, events and errors show the path only: queries carry e-mail addresses (PII).
    # Plain slicing: urlsplit costs a few microseconds on every call.
    scheme_end = url.find("//")
    start = url.find("/", scheme_end + 2) if scheme_end >= 0 else 0
    if start < 0:
        return ""
    end = len(url)
    for mark in "?#":
        cut = url.find(mark, start)
        if 0 <= cut < end:
            end = cut
    return url[start:end]


class ClientLifecycle:
    """What every client built on one :class:`Requestor` shares: entered at most once, and
    closing what it opened (a borrowed session or transport stays open). Internal.

    The subclass sets ``_requestor``, ``_transport`` and ``_owns_transport`` in ``__init__``.
    """

    _requestor: Requestor
    _transport: Transport
    _owns_transport: bool
    _entered = False
    _closed = False

    async def __aenter__(self) -> Self:
        if self._entered or self._closed:
            name = type(self).__name__
            raise RuntimeError(f"a ccasync.{name} can be entered only once; create a new one")
        self._entered = True
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the connections this client opened (a borrowed session or transport stays
        open); idempotent. Any later call raises RuntimeError."""
        if self._closed:
            return
        self._closed = True
        self._requestor.closed = True
        if self._owns_transport:
            await self._transport.aclose()
