"""TEMPORARY (being replaced by the limiter helper): the interface the requestor uses."""

from __future__ import annotations

import asyncio


class RateLimiter:
    """Per-API-key limiter: ``per_second`` requests in any 1-s window, ``per_day`` per UTC day."""

    def __init__(self, per_second: float | None = 4, per_day: int | None = 10_000) -> None:
        self.per_second = per_second
        self.per_day = per_day
        self._next = 0.0
        self._lock = asyncio.Lock()

    @classmethod
    def unlimited(cls) -> RateLimiter:
        """A limiter that never waits (for benchmarks against a simulator with limits off)."""
        return cls(None, None)

    async def acquire(self) -> None:
        """Wait for a slot."""
        if self.per_second is None:
            return
        async with self._lock:
            loop = asyncio.get_running_loop()
            now = loop.time()
            wait = self._next - now
            self._next = max(now, self._next) + 1.02 / self.per_second
            if wait > 0:
                await asyncio.sleep(wait)

    def on_throttled(self, retry_after: float | None) -> None:
        """Slow down after a per-second 429."""

    def on_quota_exceeded(self) -> None:
        """Stop until the daily reset."""
