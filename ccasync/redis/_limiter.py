"""The Redis backend of :class:`ccasync.RateLimiter`: one key's limit shared by every process.

How a process uses Redis (the script and its state are described in ``_limiter_lua``):

- Callers queue locally, FIFO. Only the head of the queue calls Redis, so a process holds at
  most one reservation and a grant costs about one round trip (the script answers with the
  slot, in Redis time, and the head sleeps until then without asking again).
- The slot is mapped to the loop clock as if the script had run when its reply arrived (it
  ran earlier), so a caller never leaves before its slot; no client clock is ever compared
  with another's. The grant is then re-stamped with an upper bound of when its caller really
  resumed (resume lateness plus the round trip), so the window guard is never fooled.
- Everything a process must tell the others (a grant that left late, a slot given back, a
  ``throttled`` pause, a spent day) is queued as a *report* and piggy-backed on its next call;
  the next call starts when the granted caller resumes, so a late resume is known to Redis
  before the grant that would fall in its window is reserved. A report is sent on its own only
  when no caller is waiting (a give-back, a pause, a spent day, or a re-stamp above
  ``SLACK``); the script's window guard adds ``SLACK`` to a grant not re-stamped yet. The
  guard is exact when a grant's re-stamp reaches Redis before ``floor(per_second)`` later
  grants are reserved: always when fewer processes than that share the key (each holds one
  reservation and calls right after its caller resumes); beyond that, a re-stamp that arrives
  too late is covered up to ``SLACK`` only.
- A caller that finds nobody ahead calls Redis in its own task (no task to start, no extra turn
  of the loop); the next heads' calls run in a task of the limiter, so no caller's
  cancellation can cut them. A caller cancelled during its own call has its grant undone by id.
- A reservation whose caller was cancelled passes to the next caller of the same amount, else
  it is given back.

When Redis cannot be reached the head's acquire, and every caller queued behind it, fails with
:class:`~ccasync.CoordinationError` (``on_redis_error="fail"``, the default), or the process
falls back to an in-memory limiter at ``per_second / processes`` for ``_RETRY_AFTER`` seconds
before trying Redis again (``on_redis_error="local"``).
"""

from __future__ import annotations

import asyncio
import collections
import datetime as dt
import hashlib
import itertools
import logging
import math
import uuid
from typing import Any, Literal

import attrs
import redis.asyncio as aioredis
import redis.exceptions

from ccasync.errors import ConfigError, CoordinationError, QuotaExhaustedError
from ccasync.limiter import LimiterStats, RateLimiter
from ccasync.redis._limiter_lua import ACQUIRE

logger = logging.getLogger("ccasync")

RedisErrorPolicy = Literal["fail", "local"]

SLACK = 0.005
"""Seconds the window guard adds for re-stamps not yet reported (an idle process reports a
larger one at once). Costs at most ``SLACK / floor(per_second)`` seconds of pace per grant,
and nothing once the re-stamps arrive before they are needed (a busy process)."""
_SLACK_US = round(SLACK * 1_000_000)

_RETRY_AFTER = 1.0
"""Seconds a process stays on its local fallback before trying Redis again."""

_US = 1_000_000
_GRANTED, _REFUSED = 1, 0


def key_tag(api_key: str) -> str:
    """The Cluster hash tag for one API key (a digest: any characters, nothing readable)."""
    return "key-" + hashlib.sha256(api_key.encode()).hexdigest()[:20]


@attrs.define(eq=False)
class _Waiter:
    amount: int
    future: asyncio.Future[_Grant | None]
    queued_at: float


@attrs.define(eq=False)
class _Grant:
    """One reservation: ``slot_us`` on the Redis clock, ``at`` no earlier on the loop's.

    ``rtt``: the round trip that brought it; ``left_by_us``: once its caller resumed, an upper
    bound (Redis clock) of when its request left.
    """

    grant_id: str
    amount: int
    slot_us: int
    at: float
    rtt: float
    left_by_us: int | None = None


@attrs.frozen
class _Report:
    """One fact for the script (format in ``_limiter_lua``); ``urgent``: send even when idle."""

    text: str
    urgent: bool = True


@attrs.frozen
class _Ledger:
    """The shared ledger as the last reply saw it (``paused_until`` on the loop clock)."""

    used: int = 0
    day: int | None = None
    paused_until: float = -math.inf


class RedisRateLimiter(RateLimiter):
    """A :class:`ccasync.RateLimiter` whose pace, pause and daily ledger live in Redis.

    Built by :meth:`ccasync.redis.RedisCoordinator.rate_limiter`; see it for the parameters.
    ``used_today``, ``remaining_today``, ``resets_at()`` and ``stats()`` read a snapshot of the
    shared ledger taken at this process's last Redis call (other processes' grants since then
    are not in it).
    """

    def __init__(
        self,
        client: aioredis.Redis,
        keys: tuple[str, str],
        per_second: float | None,
        per_day: int | None,
        *,
        margin: float,
        wait_for_reset: bool,
        throttle_pause: float,
        max_pause: float,
        on_redis_error: RedisErrorPolicy,
        processes: int | None,
    ) -> None:
        super().__init__(
            per_second,
            per_day,
            margin=margin,
            wait_for_reset=wait_for_reset,
            throttle_pause=throttle_pause,
            max_pause=max_pause,
        )
        _check_policy(on_redis_error, processes)
        self.on_redis_error = on_redis_error
        self.processes = processes
        self._script = client.register_script(ACQUIRE)
        self._conf = self._pace_conf()
        self._keys = keys
        self._prefix = uuid.uuid4().hex[:12]
        self._ids = itertools.count(1)
        self._queue: collections.deque[_Waiter] = collections.deque()
        self._reports: list[_Report] = []
        self._call: asyncio.Task[Any] | None = None
        self._held: _Grant | None = None
        self._hold_timer: asyncio.TimerHandle | None = None
        self._granted_to: tuple[_Waiter, _Grant] | None = None
        self._ledger = _Ledger()
        self._fallback: RateLimiter | None = None
        self._fallback_until = -math.inf
        self._fallback_budget: int | None = None

    def __repr__(self) -> str:
        return (
            f"RedisRateLimiter(per_second={self.per_second!r}, per_day={self.per_day!r}, "
            f"margin={self.margin!r}, on_redis_error={self.on_redis_error!r}, "
            f"queued={len(self._queue)})"
        )

    # -- public state (a snapshot of the shared ledger) ---------------------------------------

    @property
    def used_today(self) -> int:
        """Requests the key spent today (UTC, all processes), as of this process's last call."""
        if self._ledger.day is not None and self._ledger.day != self._today_number():
            return 0
        return self._ledger.used

    @property
    def remaining_today(self) -> int | None:
        """Requests left today as of the last call (0 once the day is spent); None if unlimited."""
        if self._spent_day == self._today():
            return 0
        if self.per_day is None:
            return None
        return max(0, self.per_day - self.used_today)

    def resets_at(self) -> dt.datetime:
        """The next 00:00 UTC (of the Redis server's clock once a call has been answered)."""
        if self._ledger.day is None:
            return super().resets_at()
        day = max(self._ledger.day, self._today_number())
        return dt.datetime.fromtimestamp((day + 1) * 86400, dt.UTC)

    def stats(self) -> LimiterStats:
        """A snapshot: this process's counters, the shared ledger as of the last call."""
        return super().stats()

    def _pause_ends(self) -> float:
        return self._ledger.paused_until

    def _queued(self) -> int:
        return len(self._queue)

    # -- the Limiter protocol ------------------------------------------------------------------

    async def acquire(self, amount: int = 1, *, timeout: float | None = None) -> None:
        """Wait for ``amount`` slots of the key's shared limit (FIFO within this process).

        ``timeout``: most seconds to wait (default: the enclosing
        :func:`ccasync.acquire_timeout`, else no limit); past it
        :class:`~ccasync.AcquireTimeoutError` is raised and the slot is given back. Raises
        :class:`QuotaExhaustedError` when the shared day is spent (unless ``wait_for_reset``),
        :class:`CoordinationError` when Redis cannot be reached (with ``on_redis_error="fail"``)
        or answers with an error, ``ValueError`` for an impossible ``amount``. Cancelling the
        wait gives the slot back.
        """
        limit = self._wait_limit(timeout)
        if limit is None:
            await self._acquire(amount)
            return
        try:
            async with asyncio.timeout(limit):
                await self._acquire(amount)
        except TimeoutError:
            raise self._timed_out(limit, len(self._queue)) from None

    async def _acquire(self, amount: int) -> None:
        self._check_amount(amount)
        loop = self._bind_loop()
        if self._fallback is not None and loop.time() < self._fallback_until:
            await self._acquire_locally(amount)
            return
        waiter = _Waiter(amount, loop.create_future(), loop.time())
        self._queue.append(waiter)
        try:
            if self._idle():
                await self._reserve_inline(amount)
            else:
                self._kick()
            grant = await waiter.future
        except asyncio.CancelledError:
            self._drop_waiter(waiter)
            raise
        if grant is None:  # Redis unreachable: the local fallback decides
            await self._acquire_locally(amount)
            return
        self._resumed(waiter, grant, loop.time())

    def on_throttled(self, retry_after: float | None) -> None:
        """The server answered ``throttled``: pause every process sharing the key.

        The pause (``retry_after`` capped at ``max_pause``, else ``throttle_pause``) reaches
        Redis with this process's next call, sent at once; a reservation this process holds is
        given back so that it waits out the pause too.
        """
        self._throttles += 1
        pause = retry_after if retry_after is not None and retry_after > 0 else self.throttle_pause
        self._reports.append(_Report(f"P {round(min(pause, self.max_pause) * _US)}"))
        self._drop_held()
        self._kick()

    def on_quota_exceeded(self) -> None:
        """The server says the day is spent: mark it spent for every process until 00:00 UTC."""
        self._spent_day = self._today()
        self._reports.append(_Report("Q"))
        self._drop_held()
        self._kick()

    # -- the local queue -----------------------------------------------------------------------

    def _bind_loop(self) -> asyncio.AbstractEventLoop:
        loop = asyncio.get_running_loop()
        if self._loop is not loop:
            if self._queue or self._call is not None or self._held is not None:
                raise RuntimeError("this RateLimiter has waiters on another event loop")
            self._loop = loop
        return loop

    def _kick(self) -> None:
        """Start the next Redis call if none is running and no grant is held or unresumed."""
        if self._call is not None or self._held is not None or self._granted_to is not None:
            return
        queue = self._queue
        while queue and queue[0].future.done():
            queue.popleft()
        if queue:
            self._start_call(queue[0].amount, reserve=True)
        elif any(r.urgent for r in self._reports):
            # Small re-stamps wait for the next call: the guard's slack covers them meanwhile.
            self._start_call(1, reserve=False)

    def _idle(self) -> bool:
        """Nobody queued ahead, no call, no reservation: the caller may call Redis itself."""
        return (
            len(self._queue) == 1
            and self._call is None
            and self._held is None
            and self._granted_to is None
        )

    async def _reserve_inline(self, amount: int) -> None:
        """Reserve in the caller's own task (no task to start, no turn of the loop to wait).

        If the caller is cancelled while the script may have run, its grant (if any) is undone
        by id on the next call: the slot and its count go back.
        """
        self._call = asyncio.current_task()
        grant_id = f"{self._prefix}:{next(self._ids)}"
        try:
            await self._reserve(amount, True, grant_id)
        except asyncio.CancelledError:
            self._reports.append(_Report(f"X {grant_id} {amount}"))
            raise
        task = asyncio.current_task()
        if task is not None and task.cancelling():
            # redis-py may finish a command it was cancelled in and swallow the cancellation;
            # the reply is known, so the caller's handler gives the grant back as usual.
            raise asyncio.CancelledError

    def _start_call(self, amount: int, *, reserve: bool) -> None:
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        grant_id = f"{self._prefix}:{next(self._ids)}"
        self._call = loop.create_task(self._reserve(amount, reserve, grant_id))

    async def _reserve(self, amount: int, reserve: bool, grant_id: str) -> None:
        loop = asyncio.get_running_loop()
        reports, self._reports = self._reports, []
        args: list[Any] = [grant_id, amount, 1 if reserve else 0, self._conf]
        args.extend(report.text for report in reports)
        sent = loop.time()
        try:
            reply = await self._script(keys=list(self._keys), args=args)
        except (redis.exceptions.RedisError, OSError) as exc:
            self._call = None
            self._reports[:0] = reports
            self._on_redis_error(exc)
            return
        finally:
            self._call = None
        received = loop.time()
        self._on_reply(reply, grant_id, amount, received, received - sent)

    def _pace_conf(self) -> str:
        """The script's configuration string (see ``_limiter_lua``)."""
        per_day = -1 if self.per_day is None else self.per_day
        lag = round(0.25 * self._interval * _US)
        pace = (round(self._interval * _US), round(self._window * _US), self._cap)
        return " ".join(map(str, (*pace, per_day, lag, _SLACK_US)))

    def _on_reply(
        self, reply: bytes, grant_id: str, amount: int, received: float, rtt: float
    ) -> None:
        status, slot_us, now_us, used, day, paused_us = (int(v) for v in reply.split())
        self._ledger = _Ledger(used, day, received + paused_us / _US)
        if status == _GRANTED and any(r.text[0] == "P" for r in self._reports):
            # A pause arrived while this call was on its way: wait it out like everyone else.
            self._return_slot(_Grant(grant_id, amount, slot_us, received, rtt))
            self._kick()
        elif status == _GRANTED:
            at = received + (slot_us - now_us) / _US
            self._hold(_Grant(grant_id, amount, slot_us, at, rtt))
        elif status == _REFUSED:
            self._refuse_head(now_us, received)
        else:
            self._kick()

    def _hold(self, grant: _Grant) -> None:
        loop = self._loop
        assert loop is not None
        if not any(not w.future.done() for w in self._queue):
            self._return_slot(grant)  # everyone it was for is gone
            self._kick()
            return
        self._held = grant
        if grant.at <= loop.time():
            self._release_held()
        else:
            self._hold_timer = loop.call_at(grant.at, self._release_held)

    def _release_held(self) -> None:
        """The held slot has come: hand it to the head, or give it back if nobody can use it."""
        grant, self._held, self._hold_timer = self._held, None, None
        if grant is None:
            return
        queue = self._queue
        while queue and queue[0].future.done():
            queue.popleft()
        if queue and queue[0].amount == grant.amount:
            head = queue.popleft()
            self._granted_to = (head, grant)
            self._count(grant.amount)
            self._note_wait(grant.at - head.queued_at)
            head.future.set_result(grant)
        else:
            self._return_slot(grant)
            self._kick()

    def _drop_held(self) -> None:
        """Give back a reservation not yet handed out (a pause or a spent day came first)."""
        if self._held is None:
            return
        if self._hold_timer is not None:
            self._hold_timer.cancel()
        grant, self._held, self._hold_timer = self._held, None, None
        self._return_slot(grant)

    def _return_slot(self, grant: _Grant) -> None:
        self._reports.append(_Report(f"G {grant.grant_id} {grant.amount} {grant.slot_us}"))

    def _resumed(self, waiter: _Waiter, grant: _Grant, now: float) -> None:
        """The granted caller runs: report how late it leaves, then let the next head call."""
        if self._granted_to is not None and self._granted_to[0] is waiter:
            self._granted_to = None
        # The script ran somewhere in the round trip: the caller resumed at most this long
        # after its slot, on the Redis clock.
        late_us = round((now - grant.at + grant.rtt) * _US)
        grant.left_by_us = grant.slot_us + late_us
        if self._cap:
            text = f"R {grant.grant_id} {late_us} {grant.amount}"
            self._reports.append(_Report(text, urgent=late_us > _SLACK_US))
        self._kick()

    def _drop_waiter(self, waiter: _Waiter) -> None:
        """A cancelled caller: give its slot back if it had one, then serve the next."""
        if waiter.future.done() and not waiter.future.cancelled():
            waiter.future.exception()  # an error nobody will await now counts as seen
        taken = self._granted_to
        if taken is not None and taken[0] is waiter:
            self._granted_to = None
            self._granted -= waiter.amount
            self._return_slot(taken[1])
        elif waiter in self._queue:
            self._queue.remove(waiter)
            if not any(not w.future.done() for w in self._queue):
                self._drop_held()
        self._kick()

    def _refuse_head(self, now_us: int, received: float) -> None:
        """The shared day is spent: refuse the head (or wait for 00:00 UTC, Redis time)."""
        loop = self._loop
        assert loop is not None
        if self.wait_for_reset:
            reset_us = (now_us // (86400 * _US) + 1) * 86400 * _US
            self._held = None
            self._call = loop.create_task(self._sleep_until(received + (reset_us - now_us) / _US))
            return
        queue = self._queue
        while queue and queue[0].future.done():
            queue.popleft()
        if queue:
            self._quota_refusals += 1
            resets_at = self.resets_at()
            queue.popleft().future.set_exception(
                QuotaExhaustedError(
                    "the daily request budget of this API key is spent (shared ledger); it "
                    f"resets at {resets_at.isoformat()}",
                    resets_at=resets_at,
                )
            )
        self._kick()

    async def _sleep_until(self, at: float) -> None:
        loop = asyncio.get_running_loop()
        try:
            await asyncio.sleep(max(0.0, at - loop.time()))
        finally:
            self._call = None
        self._kick()

    def _today_number(self) -> int:
        return (self._today() - dt.date(1970, 1, 1)).days

    # -- Redis unreachable ---------------------------------------------------------------------

    def _on_redis_error(self, exc: BaseException) -> None:
        """Fail every queued caller, or send them to the local fallback (``"local"``)."""
        # Refused credentials are a configuration error, not an outage: never fall back.
        unreachable = isinstance(
            exc, redis.exceptions.ConnectionError | redis.exceptions.TimeoutError | OSError
        ) and not isinstance(exc, redis.exceptions.AuthenticationError)
        waiters = [w for w in self._queue if not w.future.done()]
        self._queue.clear()
        if unreachable and self.on_redis_error == "local":
            self._start_fallback(exc)
            for waiter in waiters:
                waiter.future.set_result(None)
            return
        what = "could not be reached" if unreachable else "answered with an error"
        if isinstance(exc, redis.exceptions.AuthenticationError):
            what = "refused the credentials"
        for waiter in waiters:
            error = CoordinationError(
                f"Redis {what} for the shared rate limiter ({type(exc).__name__}: {exc}); "
                "nothing was sent"
            )
            error.__cause__ = exc
            waiter.future.set_exception(error)

    def _start_fallback(self, exc: BaseException) -> None:
        loop = self._loop
        assert loop is not None
        assert self.processes is not None
        if self._fallback is None:
            logger.warning(
                "Redis unreachable for the shared rate limiter (%s); pacing this process alone "
                "at 1/%d of the limit, trying Redis again every %.0f s",
                type(exc).__name__,
                self.processes,
                _RETRY_AFTER,
            )
        if self._fallback is None:
            rate = None if self.per_second is None else self.per_second / self.processes
            self._fallback = RateLimiter(rate, None, margin=self.margin)
            if self.per_day is not None:
                left = max(0, self.per_day - self.used_today)
                self._fallback_budget = left // self.processes
        self._fallback_until = loop.time() + _RETRY_AFTER

    async def _acquire_locally(self, amount: int) -> None:
        assert self._fallback is not None
        if self._fallback_budget is not None:
            if self._fallback_budget < amount:
                raise CoordinationError(
                    "Redis is unreachable and this process's share of today's remaining budget "
                    "is spent; nothing was sent"
                )
            self._fallback_budget -= amount
        await self._fallback.acquire(amount)
        self._count(amount)


def _check_policy(on_redis_error: object, processes: object) -> None:
    if on_redis_error not in ("fail", "local"):
        raise ConfigError(f"on_redis_error must be 'fail' or 'local', got {on_redis_error!r}")
    if on_redis_error == "local" and (
        isinstance(processes, bool) or not isinstance(processes, int) or processes < 1
    ):
        raise ConfigError(
            "on_redis_error='local' needs processes=N (an integer >= 1: the most processes "
            f"sharing the key, each falling back to per_second / N), got {processes!r}"
        )
