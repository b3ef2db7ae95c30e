"""A transport wrapper that adds the partner's ``x-api-key`` header to every API request."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import attrs

from ccasync._protocol import HTTPRequest, HTTPResponse, HTTPStream
from ccasync.transport import Transport


class KeyedTransport:
    """Sends through ``inner`` with ``x-api-key: <api_key>`` added; closing closes nothing.

    The inner transport's owner closes it: this wrapper only decorates requests.
    """

    def __init__(self, inner: Transport, api_key: str) -> None:
        self._inner = inner
        self._key = api_key

    def __repr__(self) -> str:
        return "KeyedTransport(api_key='***')"

    def _keyed(self, request: HTTPRequest) -> HTTPRequest:
        return attrs.evolve(request, headers={**request.headers, "x-api-key": self._key})

    async def send(self, request: HTTPRequest) -> HTTPResponse:
        """Send ``request`` with the API key header."""
        return await self._inner.send(self._keyed(request))

    @asynccontextmanager
    async def stream(self, request: HTTPRequest) -> AsyncIterator[HTTPStream]:
        """Stream ``request`` with the API key header."""
        async with self._inner.stream(self._keyed(request)) as response:
            yield response

    async def aclose(self) -> None:
        """Nothing to release (the inner transport is closed by its owner)."""
