"""A token-endpoint pacer shared by every process: 1 request per ``min_interval`` on Redis."""

from __future__ import annotations

from ccasync.auth import TokenRequestPacer
from ccasync.redis._limiter import RedisRateLimiter

_MARGIN = 0.02


class RedisTokenPacer(TokenRequestPacer):
    """A :class:`ccasync.auth.TokenRequestPacer` whose spacing holds across processes and hosts.

    Built by :meth:`ccasync.redis.RedisCoordinator.token_pacer`: requests of every process
    sharing the application's ``client_id`` are at least ``min_interval`` seconds apart on the
    Redis server's clock, first come first served within a process, fair between processes.
    :meth:`wait` raises :class:`~ccasync.CoordinationError` when Redis cannot be reached (no
    token request is sent then).
    """

    def __init__(self, limiter: RedisRateLimiter, min_interval: float) -> None:
        super().__init__(min_interval)
        self._limiter = limiter

    def __repr__(self) -> str:
        return f"RedisTokenPacer(min_interval={self.min_interval})"

    @staticmethod
    def per_second(min_interval: float) -> tuple[float, float]:
        """The ``(per_second, margin)`` of a limiter spacing grants ``min_interval`` s apart."""
        return (1 + _MARGIN) / min_interval, _MARGIN

    async def wait(self) -> None:
        """Return when the next token-endpoint request may be sent (by any process)."""
        await self._limiter.acquire()
