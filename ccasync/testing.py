"""Test support for code that uses ccasync: a transport that never touches the network.

``FakeTransport(handler)`` records every :class:`HTTPRequest` in ``.requests`` and answers with
whatever ``handler(request)`` returns (an :class:`HTTPResponse`, or raise a ccasync
``TransportError`` to simulate a network failure). :func:`json_response` builds answers.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import orjson

from ccasync._protocol import HTTPRequest, HTTPResponse, HTTPStream, MultipartField

__all__ = [
    "FakeTransport",
    "HTTPRequest",
    "HTTPResponse",
    "MultipartField",
    "json_response",
    "query_of",
]

Handler = Callable[[HTTPRequest], HTTPResponse | Awaitable[HTTPResponse]]


def json_response(
    data: Any, status: int = 200, headers: Mapping[str, str] | None = None
) -> HTTPResponse:
    """An :class:`HTTPResponse` carrying ``data`` as JSON (``None`` gives an empty body)."""
    body = b"" if data is None else orjson.dumps(data)
    merged = {"Content-Type": "application/json", **(headers or {})}
    return HTTPResponse(status=status, headers=merged, body=body)


def query_of(request: HTTPRequest) -> dict[str, str]:
    """The query parameters of ``request`` as a dict (last value wins)."""
    return dict(parse_qsl(urlsplit(request.url).query))


class FakeTransport:
    """A :class:`ccasync.transport.Transport` that answers from a handler and records requests.

    ``handler`` may be a function or a coroutine function; ``responses`` (an iterable of
    :class:`HTTPResponse` or exceptions) is the simpler alternative: answered in order.
    """

    def __init__(
        self,
        handler: Handler | None = None,
        *,
        responses: Iterable[HTTPResponse | BaseException] | None = None,
    ) -> None:
        if (handler is None) == (responses is None):
            raise ValueError("pass exactly one of handler or responses")
        self._handler = handler
        self._queue = list(responses or ())
        self.requests: list[HTTPRequest] = []
        self.closed = False

    async def send(self, request: HTTPRequest) -> HTTPResponse:
        """Record ``request`` and answer it."""
        self.requests.append(request)
        if self._handler is None:
            if not self._queue:
                raise AssertionError(f"unexpected request {request.method} {request.url}")
            item = self._queue.pop(0)
            if isinstance(item, BaseException):
                raise item
            return item
        result = self._handler(request)
        if isinstance(result, HTTPResponse):
            return result
        return await result

    @asynccontextmanager
    async def stream(self, request: HTTPRequest) -> AsyncIterator[HTTPStream]:
        """Answer like :meth:`send`, exposing the body in chunks of a third of its size."""
        response = await self.send(request)
        yield HTTPStream(response.status, response.headers, _chunked(response.body))

    async def aclose(self) -> None:
        """Mark closed."""
        self.closed = True


async def _chunked(body: bytes) -> AsyncIterator[bytes]:
    step = max(1, len(body) // 3)
    for start in range(0, len(body), step):
        yield body[start : start + step]
