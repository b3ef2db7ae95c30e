"""A worker process for the cross-process refresh tests: N concurrent API calls on one account.

``python -m tests.auth.refresh_worker SPEC_JSON``: builds an :class:`OAuth2Refresher` on the
store the spec names (``{"file": path}`` or ``{"redis": url, "namespace": ns, "name": n}``),
prints ``ready``, waits for a line on stdin (so every worker starts together), fires ``calls``
concurrent ``GET /account/summary`` and prints one JSON line: ``ok`` (calls that succeeded),
``errors`` (exception type names), ``reauthorize`` (errors asking for consent) and
``refreshes`` (token-endpoint refreshes this process made). ``stall`` (seconds) makes the
first save under a lease wait that long first: a holder frozen between answer and save.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

import orjson

from ccasync import Client, RateLimiter
from ccasync.auth import FileTokenStore, OAuth2Refresher, OAuth2Token, SharedTokenStore, TokenLease
from ccasync.errors import AuthenticationError


class StallingStore:
    """A SharedTokenStore wrapper whose first save under a lease waits ``stall`` seconds."""

    def __init__(self, inner: SharedTokenStore, stall: float) -> None:
        self.inner = inner
        self.stall = stall

    async def load(self) -> OAuth2Token | None:
        """The inner store's pair."""
        return await self.inner.load()

    async def save(self, token: OAuth2Token) -> None:
        """Save to the inner store."""
        await self.inner.save(token)

    def refresh_lease(self, *, wait: float) -> AbstractAsyncContextManager[TokenLease]:
        """The inner store's lease, with a stalled first save."""
        return self._lease(wait)

    @asynccontextmanager
    async def _lease(self, wait: float) -> AsyncIterator[TokenLease]:
        async with self.inner.refresh_lease(wait=wait) as lease:
            yield _StallingLease(lease, self)


class _StallingLease:
    def __init__(self, inner: TokenLease, owner: StallingStore) -> None:
        self.inner = inner
        self.owner = owner
        self.took_over = inner.took_over

    def remaining(self) -> float:
        return self.inner.remaining()

    async def extend(self, seconds: float) -> bool:
        return await self.inner.extend(seconds)

    async def load(self) -> OAuth2Token | None:
        return await self.inner.load()

    async def save(self, token: OAuth2Token) -> bool:
        stall, self.owner.stall = self.owner.stall, 0.0
        await asyncio.sleep(stall)
        return await self.inner.save(token)


async def _store(spec: dict[str, Any]) -> tuple[SharedTokenStore, Any]:
    if "file" in spec:
        return FileTokenStore(spec["file"]), None
    from ccasync.redis import RedisCoordinator

    coord = RedisCoordinator.from_url(spec["redis"], namespace=spec["namespace"])
    return coord.token_store(spec["name"], lease_ttl=spec.get("lease_ttl", 60.0)), coord


async def call_outcome(cc: Client) -> str:
    """One ``GET /account/summary``: ``ok``, ``reauthorize`` or the error's type name."""
    try:
        await cc.account.get_summary()
    except AuthenticationError as exc:
        return "reauthorize" if exc.reauthorize else type(exc).__name__
    except Exception as exc:
        return type(exc).__name__
    return "ok"


async def main(spec: dict[str, Any]) -> dict[str, Any]:
    """Run the worker described by ``spec``; its outcome counts."""
    store, coord = await _store(spec)
    shared: SharedTokenStore = StallingStore(store, spec["stall"]) if spec.get("stall") else store
    refresher = OAuth2Refresher(
        spec["client_id"],
        store=shared,
        token_url=spec["token_url"],
        token_timeout=spec.get("token_timeout", 30.0),
    )
    try:
        async with Client(
            token_provider=refresher,
            base_url=spec["base_url"],
            rate_limiter=RateLimiter.unlimited(),
        ) as cc:
            print("ready", flush=True)
            await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
            outcomes = await asyncio.gather(*(call_outcome(cc) for _ in range(spec["calls"])))
    finally:
        if coord is not None:
            await coord.aclose()
    return {
        "ok": outcomes.count("ok"),
        "reauthorize": outcomes.count("reauthorize"),
        "errors": sorted(o for o in outcomes if o != "ok"),
        "refreshes": refresher.refreshes,
    }


if __name__ == "__main__":
    result = asyncio.run(main(orjson.loads(sys.argv[1])))
    print(orjson.dumps(result).decode(), flush=True)
