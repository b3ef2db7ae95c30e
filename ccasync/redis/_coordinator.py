"""RedisCoordinator: one Redis connection pool, the key scheme, and the shared objects."""

from __future__ import annotations

import re
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self

import redis.asyncio as aioredis
import redis.exceptions

from ccasync.errors import ConfigError
from ccasync.ops import ListPool
from ccasync.redis._limiter import RedisErrorPolicy, RedisRateLimiter, key_tag
from ccasync.redis._lists import RedisListLeases
from ccasync.redis._pacer import RedisTokenPacer
from ccasync.redis._tokens import RedisTokenStore

if TYPE_CHECKING:
    from ccasync.redis._journal import RedisJournal

_NAMESPACE = re.compile(r"[A-Za-z0-9_.-]{1,64}")
_SCHEMES = ("redis", "rediss", "unix")


def _check_url(url: object) -> str:
    if not isinstance(url, str):
        raise ConfigError(f"Redis URL must be a str, got {type(url).__name__}")
    scheme, sep, _ = url.partition("://")
    if not sep or scheme not in _SCHEMES:
        # Echo only the scheme: the rest of a URL may carry a password.
        raise ConfigError(
            f"Redis URL must start with one of {', '.join(s + '://' for s in _SCHEMES)}; "
            f"got scheme {scheme!r}"
            if sep
            else "Redis URL has no scheme (redis://host:port/db)"
        )
    return url


def _check_namespace(namespace: object) -> str:
    if not isinstance(namespace, str):
        raise ConfigError(f"namespace must be a str, got {type(namespace).__name__}")
    if not _NAMESPACE.fullmatch(namespace):
        raise ConfigError(
            "namespace must be 1-64 characters of letters, digits, '_', '.' or '-', "
            f"got {namespace!r}"
        )
    return namespace


class RedisCoordinator:
    """Shared limiter, token store, pacer, list pool and journal on one Redis server or cluster.

    Build it with :meth:`from_url` (or pass a ``redis.asyncio.Redis`` you own) and close it with
    :meth:`aclose` (or ``async with``). ``namespace`` prefixes every key so several applications
    can share one Redis; keys carry a Redis Cluster hash tag so one API key's (or one account's)
    state lives in one slot. Raises :class:`~ccasync.ConfigError` for a malformed URL or
    namespace; Redis failures later surface as :class:`~ccasync.CoordinationError`.
    """

    def __init__(
        self, client: aioredis.Redis, *, namespace: str = "ccasync", owns_client: bool = False
    ) -> None:
        self._redis = client
        self._namespace = _check_namespace(namespace)
        self._owns_client = owns_client

    @classmethod
    def from_url(cls, url: str, *, namespace: str = "ccasync", **options: Any) -> Self:
        """A coordinator on a new connection pool for ``url`` (``redis://``, ``rediss://``, ``unix://``).

        ``options`` go to ``redis.asyncio.Redis.from_url`` (e.g. ``socket_timeout``). Nothing is
        sent to Redis here; the first use connects. Raises :class:`~ccasync.ConfigError` for a
        malformed URL or namespace, naming the problem without echoing a password.
        """
        checked = _check_url(url)
        _check_namespace(namespace)
        options.setdefault("socket_timeout", 5.0)
        options.setdefault("socket_connect_timeout", 5.0)
        try:
            client = aioredis.Redis.from_url(checked, **options)
        except (ValueError, redis.exceptions.RedisError) as exc:
            # The message of a URL parse error can quote the URL: never chain it.
            raise ConfigError(f"Redis URL could not be parsed: {type(exc).__name__}") from None
        return cls(client, namespace=namespace, owns_client=True)

    @property
    def namespace(self) -> str:
        """The prefix of every key this coordinator writes."""
        return self._namespace

    @property
    def client(self) -> aioredis.Redis:
        """The underlying ``redis.asyncio.Redis`` (shared by every object handed out)."""
        return self._redis

    def token_store(self, name: str, *, lease_ttl: float = 60.0) -> RedisTokenStore:
        """One account's token pair (a :class:`~ccasync.auth.SharedTokenStore`) named ``name``.

        Give every account its own ``name`` (letters, digits, ``_.@-``; e.g. the account id).
        ``lease_ttl``: seconds a refresh lease lives unless its holder extends it (the
        refresher extends it to cover its token request). Raises :class:`~ccasync.ConfigError`
        for a bad name or TTL. Nothing is sent to Redis here.
        """
        return RedisTokenStore(self, name, lease_ttl=lease_ttl)

    def list_pool(
        self, prefix: str = "ccasync-audience", size: int = 5, *, lease_ttl: float = 30.0
    ) -> ListPool:
        """A :class:`~ccasync.ops.ListPool` whose list leases live in Redis (safe across hosts).

        ``prefix``/``size`` as for ``ListPool``; ``lease_ttl``: seconds a crashed holder's lease
        outlives it (a live holder extends it every third of that; 0.03..86,400). Raises
        :class:`~ccasync.ConfigError` for a bad prefix or TTL,
        :class:`~ccasync.ValidationError` for a bad size. Nothing is sent to Redis here.
        """
        return ListPool(prefix, size, leases=RedisListLeases(self, prefix, lease_ttl=lease_ttl))

    def key(self, tag: str, *parts: str) -> str:
        """The Redis key ``<namespace>:{<tag>}:<parts…>``; ``tag`` is the Cluster hash tag."""
        return ":".join((self._namespace, "{" + tag + "}", *parts))

    def journal(self) -> RedisJournal:
        """A job journal on this Redis (:class:`ccasync.journal.Journal`), for jobs that may be
        resumed on another host. Claims and fenced writes are Lua scripts on the server's clock.

        Steps never expire (delete a finished job's keys yourself). Its calls raise
        :class:`~ccasync.CoordinationError` when Redis cannot be reached or a claim was taken
        over, and :class:`~ccasync.ValidationError` for a ``job_id`` rerun with another input.
        """
        from ccasync.redis._journal import RedisJournal

        return RedisJournal(self)

    def rate_limiter(
        self,
        api_key: str,
        per_second: float | None = 4,
        per_day: int | None = 10_000,
        *,
        margin: float = 0.02,
        wait_for_reset: bool = False,
        throttle_pause: float = 1.0,
        max_pause: float = 120.0,
        on_redis_error: RedisErrorPolicy = "fail",
        processes: int | None = None,
    ) -> RedisRateLimiter:
        """A :class:`ccasync.RateLimiter` for ``api_key`` shared by every process on this Redis.

        The parameters mean what they mean for :class:`ccasync.RateLimiter`, but hold across
        processes and hosts: at most ``floor(per_second)`` grants in any ``1 + margin`` seconds
        of the Redis server's clock, one daily ledger per key (reset 00:00 UTC, Redis time),
        and a ``throttled`` pause or a spent day reported by one process stops them all.
        Within a process callers are served FIFO; between processes, in turn.

        When Redis cannot be reached: ``on_redis_error="fail"`` (default) fails the acquire
        with :class:`~ccasync.CoordinationError` before anything is sent; ``"local"`` paces
        this process alone at ``per_second / processes`` (and at most its share of the day's
        remaining budget) and tries Redis again every second; it is safe only when every
        process loses Redis together. Raises :class:`~ccasync.ConfigError` for bad values.
        """
        if not isinstance(api_key, str) or not api_key:
            raise ConfigError("api_key must be a non-empty str")
        tag = key_tag(api_key)
        return RedisRateLimiter(
            self._redis,
            (self.key(tag, "limiter"), self.key(tag, "limiter", "grants")),
            per_second,
            per_day,
            margin=margin,
            wait_for_reset=wait_for_reset,
            throttle_pause=throttle_pause,
            max_pause=max_pause,
            on_redis_error=on_redis_error,
            processes=processes,
        )

    def token_pacer(self, api_key: str, *, min_interval: float = 1.05) -> RedisTokenPacer:
        """A :class:`ccasync.auth.TokenRequestPacer` shared by every process of ``api_key``.

        Pass it as ``pacer=`` to every :class:`ccasync.auth.OAuth2Refresher` of the
        application: token-endpoint requests of all processes stay ``min_interval`` seconds
        apart (the endpoint allows 1 request/second). Its ``wait()`` raises
        :class:`~ccasync.CoordinationError` when Redis cannot be reached. Raises
        :class:`~ccasync.ConfigError` for an empty key or a non-positive interval.
        """
        if not isinstance(api_key, str) or not api_key:
            raise ConfigError("api_key must be a non-empty str")
        if not (isinstance(min_interval, int | float) and 0 < min_interval < 3600):
            raise ConfigError(f"min_interval must be > 0 seconds, got {min_interval!r}")
        per_second, margin = RedisTokenPacer.per_second(min_interval)
        tag = key_tag(api_key)
        limiter = RedisRateLimiter(
            self._redis,
            (self.key(tag, "token-pacer"), self.key(tag, "token-pacer", "grants")),
            per_second,
            None,
            margin=margin,
            wait_for_reset=False,
            throttle_pause=1.0,
            max_pause=120.0,
            on_redis_error="fail",
            processes=None,
        )
        return RedisTokenPacer(limiter, min_interval)

    async def aclose(self) -> None:
        """Close the connection pool when this coordinator created it (idempotent)."""
        if self._owns_client:
            await self._redis.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()
