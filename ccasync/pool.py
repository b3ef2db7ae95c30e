"""Many Constant Contact accounts at once: one Client per account, one rate limiter per API key.

Example::

    accounts = [
        PoolAccount("boston", api_key="key-a", access_token=token_boston),
        PoolAccount("denver", api_key="key-a", token_provider=refresher_denver),
        PoolAccount("paris", api_key="key-b", access_token=token_paris),
    ]
    async with AccountPool(accounts) as pool:
        results = await pool.map(count_contacts)          # async def count_contacts(cc, name)
        for name, outcome in results.items():
            print(name, outcome.value if outcome.ok else outcome.error)

Why one limiter per key: the API counts 4 requests/s and 10,000/day per API key, shared by
every account token the key serves (reference §3). Accounts of the same key therefore share
one :class:`ccasync.RateLimiter`.

Fairness: behind a shared paced limiter, every account of a key takes its turn. Each request
gets a ticket one past the account's previous ticket (or past the ticket being served, for an
account that was idle), and tickets are served in order: an account with 500 queued requests
and an account with one get alternate slots (start-time fair queueing), so one huge account
cannot starve the rest. Unpaced limiters (``per_second=None``) skip the queue.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from types import TracebackType
from typing import Any, Generic, Literal, TypeVar

import attrs

from ccasync.client import Client
from ccasync.config import DEFAULT_BASE_URL
from ccasync.errors import ConfigError
from ccasync.events import RequestEvent
from ccasync.limiter import RateLimiter
from ccasync.transport import AiohttpTransport, Transport

__all__ = ["AccountOutcome", "AccountPool", "FairShare", "PoolAccount"]

T = TypeVar("T")

PER_KEY_CONNECTIONS = 16
"""Pooled connections an :class:`AccountPool` allows per API key (see ``max_connections``)."""


@attrs.frozen(kw_only=True)
class PoolAccount:
    """One account of a pool: a unique ``name``, its API key and its token.

    ``api_key`` is the OAuth ``client_id`` whose rate limit the account's requests count
    against. Give exactly one of ``access_token`` and ``token_provider`` (anything
    ``Client(token_provider=...)`` accepts, e.g. an :class:`ccasync.auth.OAuth2Refresher`).
    """

    name: str
    api_key: str
    access_token: str | None = attrs.field(default=None, repr=False)
    token_provider: Any = attrs.field(default=None, repr=False)


@attrs.frozen
class AccountOutcome(Generic[T]):
    """What one account's coroutine gave: ``value`` when ``ok``, else the ``error`` it raised.

    Follows the per-item scheme of :class:`ccasync.ops.ItemOutcome` (``outcome``, ``ok``,
    ``error``, ``reason``).
    """

    name: str
    value: T | None = None
    error: Exception | None = None

    @property
    def ok(self) -> bool:
        """True when the coroutine returned normally."""
        return self.error is None

    @property
    def outcome(self) -> Literal["completed", "failed"]:
        """``completed`` when the coroutine returned, ``failed`` when it raised."""
        return "completed" if self.error is None else "failed"

    @property
    def reason(self) -> str | None:
        """The raised exception in words (``"<type>: <message>"``), None when ``ok``."""
        return None if self.error is None else f"{type(self.error).__name__}: {self.error}"


class _FairQueue:
    """Start-time fair queueing of one account group in front of one paced limiter."""

    def __init__(self, limiter: RateLimiter) -> None:
        self.limiter = limiter
        self._heap: list[tuple[int, int, asyncio.Future[None]]] = []
        self._seq = itertools.count()
        self._last: dict[str, int] = {}
        self._served = 0
        self._busy = False

    async def acquire(self, account: str) -> None:
        ticket = max(self._last.get(account, 0), self._served) + 1
        self._last[account] = ticket
        if self._busy or self._heap:
            await self._wait_turn(ticket)
        else:
            self._busy = True
        try:
            self._served = ticket
            await self.limiter.acquire()
        finally:
            self._pass_baton()

    async def _wait_turn(self, ticket: int) -> None:
        turn: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._heap, (ticket, next(self._seq), turn))
        try:
            await turn
        except asyncio.CancelledError:
            if turn.done() and not turn.cancelled():
                self._pass_baton()  # our turn came as we were cancelled: hand it on
            raise

    def _pass_baton(self) -> None:
        self._busy = False
        while self._heap:
            _, _, turn = heapq.heappop(self._heap)
            if not turn.done():
                self._busy = True
                turn.set_result(None)
                return


class FairShare:
    """One account's view of its key's limiter: requests wait their fair turn, then a slot.

    Implements what a Client needs from a limiter (``acquire``, ``on_throttled``,
    ``on_quota_exceeded``); server feedback goes straight to the shared limiter.
    """

    def __init__(self, queue: _FairQueue, account: str) -> None:
        self._queue = queue
        self.account = account

    @property
    def limiter(self) -> RateLimiter:
        """The key's shared :class:`RateLimiter`."""
        return self._queue.limiter

    async def acquire(self) -> None:
        """Wait for this account's turn, then for one slot of the shared limiter."""
        await self._queue.acquire(self.account)

    def on_throttled(self, retry_after: float | None) -> None:
        """Pass a server ``throttled`` answer to the shared limiter."""
        self._queue.limiter.on_throttled(retry_after)

    def on_quota_exceeded(self) -> None:
        """Pass a server ``quota_exceeded`` answer to the shared limiter."""
        self._queue.limiter.on_quota_exceeded()


def _default_limiter(_api_key: str) -> RateLimiter:
    return RateLimiter()


class AccountPool:
    """Clients for many accounts; accounts of one API key share one :class:`RateLimiter`.

    - ``limiter_factory(api_key)`` makes each key's limiter (default: the API's 4/s and
      10,000/day); ``limiters`` gives ready ones by key instead (e.g. shared with other pools).
    - ``client_options``: extra keyword arguments for every :class:`ccasync.Client`
      (``timeout``, ``retry``, ``sleep`` ...); ``on_event`` receives ``(account, event)``.

    Use as ``async with AccountPool(...) as pool``: entering opens one Client per account, all
    sharing one pooled connection set (unless ``transport=`` or ``session=`` is given, which is
    borrowed) of ``max_connections`` (a client option; default: the larger of 32, 16 per API
    key and one per account); leaving closes them all. Raises :class:`ConfigError` for no
    accounts or a repeated name.
    """

    def __init__(
        self,
        accounts: Iterable[PoolAccount],
        *,
        base_url: str = DEFAULT_BASE_URL,
        limiter_factory: Callable[[str], RateLimiter] = _default_limiter,
        limiters: Mapping[str, RateLimiter] | None = None,
        on_event: Callable[[str, RequestEvent], None] | None = None,
        **client_options: Any,
    ) -> None:
        self._accounts = _check_accounts(accounts)
        self._base_url = base_url
        self._limiters: dict[str, RateLimiter] = dict(limiters or {})
        for account in self._accounts.values():
            if account.api_key not in self._limiters:
                self._limiters[account.api_key] = limiter_factory(account.api_key)
        self._queues = {key: _FairQueue(lim) for key, lim in self._limiters.items()}
        self._on_event = on_event
        self._options = client_options
        self._clients: dict[str, Client] = {}
        self._shared: AiohttpTransport | None = None
        self._entered = False

    def __repr__(self) -> str:
        return f"AccountPool(accounts={len(self._accounts)}, api_keys={len(self._limiters)})"

    @property
    def names(self) -> list[str]:
        """Account names in the order given."""
        return list(self._accounts)

    @property
    def max_connections(self) -> int | None:
        """Size of the shared connection pool (None when a ``transport``/``session`` was given)."""
        if "transport" in self._options or "session" in self._options:
            return None
        return int(self._options.get("max_connections", self._pool_size()))

    def account(self, name: str) -> PoolAccount:
        """The :class:`PoolAccount` called ``name``; raises ``KeyError`` if unknown."""
        return self._accounts[name]

    def limiter(self, name: str) -> RateLimiter:
        """The shared limiter of account ``name``'s API key."""
        return self._limiters[self._accounts[name].api_key]

    def client(self, name: str) -> Client:
        """The open Client of account ``name``; raises ``RuntimeError`` outside ``async with``."""
        if not self._clients:
            raise RuntimeError("use the AccountPool inside 'async with' first")
        return self._clients[name]

    async def __aenter__(self) -> AccountPool:
        if self._entered:
            raise RuntimeError("an AccountPool can be entered only once; create a new one")
        self._entered = True
        try:
            transport = self._transport()
            for name, account in self._accounts.items():
                self._clients[name] = self._make_client(account, transport)
        except BaseException:
            await self.aclose()
            raise
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close every account's Client and the pool's shared connections; idempotent."""
        clients, self._clients = list(self._clients.values()), {}
        for cc in clients:
            await cc.aclose()
        shared, self._shared = self._shared, None
        if shared is not None:
            await shared.aclose()

    def _transport(self) -> Transport | None:
        """One pooled transport for every account, unless the caller brought its own.

        A Client per account with its own session would open a connection per account, and
        each account's first request would pay for it after its limiter slot (late arrivals
        that a sliding-window server counts together).
        """
        if "transport" in self._options or "session" in self._options:
            return None
        self._shared = AiohttpTransport(
            timeout=self._options.get("timeout", 30.0),
            max_connections=self.max_connections or self._pool_size(),
        )
        return self._shared

    def _pool_size(self) -> int:
        """Connections for the shared pool: room for every key and every account at once.

        A key paced at 4/s keeps about 4 requests in flight per second of latency, plus the
        ones held by slow or hung answers (up to ``timeout`` each): ``PER_KEY_CONNECTIONS`` per
        key. Every account of the pool may run at once (``map``'s default), so never fewer
        connections than accounts, nor than a single Client's default 32.
        """
        return max(32, PER_KEY_CONNECTIONS * len(self._limiters), len(self._accounts))

    def _make_client(self, account: PoolAccount, transport: Transport | None) -> Client:
        limiter = self._limiters[account.api_key]
        share: RateLimiter | FairShare = limiter
        if limiter.per_second is not None:
            share = FairShare(self._queues[account.api_key], account.name)
        return Client(
            access_token=account.access_token,
            token_provider=account.token_provider,
            base_url=self._base_url,
            rate_limiter=share,
            on_event=self._event_hook(account.name),
            **self._client_options(transport),
        )

    def _client_options(self, transport: Transport | None) -> dict[str, Any]:
        options = dict(self._options)
        if transport is not None:
            options["transport"] = transport
        return options

    def _event_hook(self, name: str) -> Callable[[RequestEvent], None] | None:
        hook = self._on_event
        if hook is None:
            return None
        return lambda event: hook(name, event)

    async def map(
        self,
        fn: Callable[[Client, str], Awaitable[T]],
        accounts: Sequence[str] | None = None,
        *,
        concurrency: int | None = None,
    ) -> dict[str, AccountOutcome[T]]:
        """Run ``fn(client, name)`` once per account and collect each outcome by name.

        ``accounts``: names to run (default: all, in order); ``concurrency``: at most this many
        accounts run at once (default: all). An exception in one account is recorded in its
        :class:`AccountOutcome` and never stops the others; cancellation propagates.
        Raises ``KeyError`` for an unknown name and :class:`ConfigError` for ``concurrency < 1``.
        """
        names = list(accounts) if accounts is not None else self.names
        for name in names:
            self.client(name)
        if concurrency is not None and concurrency < 1:
            raise ConfigError(f"concurrency must be >= 1, got {concurrency!r}")
        gate = asyncio.Semaphore(concurrency or max(1, len(names)))
        outcomes: dict[str, AccountOutcome[T]] = {}
        async with asyncio.TaskGroup() as group:
            for name in names:
                group.create_task(self._run_one(fn, name, gate, outcomes))
        return {name: outcomes[name] for name in names}

    async def _run_one(
        self,
        fn: Callable[[Client, str], Awaitable[T]],
        name: str,
        gate: asyncio.Semaphore,
        outcomes: dict[str, AccountOutcome[T]],
    ) -> None:
        async with gate:
            try:
                outcomes[name] = AccountOutcome(name, value=await fn(self._clients[name], name))
            except Exception as exc:  # recorded per account: one account never stops the rest
                outcomes[name] = AccountOutcome(name, error=exc)


def _check_accounts(accounts: Iterable[PoolAccount]) -> dict[str, PoolAccount]:
    by_name: dict[str, PoolAccount] = {}
    for account in accounts:
        if account.name in by_name:
            raise ConfigError(f"account name {account.name!r} appears twice")
        if (account.access_token is None) == (account.token_provider is None):
            raise ConfigError(
                f"account {account.name!r}: give exactly one of access_token or token_provider"
            )
        by_name[account.name] = account
    if not by_name:
        raise ConfigError("an AccountPool needs at least one account")
    return by_name
