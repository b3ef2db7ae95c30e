"""Per-API-key rate limiter: strict per-second pacing plus a daily ledger reset at 00:00 UTC.

Constant Contact allows 4 requests/s and 10,000 requests/day **per API key**, shared by every
account token the key serves, so one :class:`RateLimiter` is shared by every Client of that key.

Why strict, and why not aiolimiter
----------------------------------
A server that counts requests in any sliding 1-second window rejects the request that makes
``per_second + 1`` fall inside one second. ``aiolimiter.AsyncLimiter(4, 1)`` is a leaky bucket of
capacity 4: it grants 4 at once, then one every 0.25 s, so 7 requests land in its first second
and a sliding-window server rejects about 18% of a saturated stream (``benchmarks/bench_rate.py``
measures it). A capacity-1 configuration such as ``AsyncLimiter(1, 1.02 / 4)`` would pace
correctly, but aiolimiter (1.3, read in its source) keeps waiters in a heap ordered by *amount*
(small acquisitions overtake a large one indefinitely: not FIFO, starvation), refuses an
``amount`` above its capacity (so ``acquire(2)`` is impossible at capacity 1), measures nothing
in actual send times to guard the window against event-loop lag, and has no hook for a
server-imposed pause or a daily budget. The algorithm below is about as long as the
configuration and wrapping would be, so it is written here and aiolimiter is not imported
(it remains the baseline in the benchmark).

The algorithm (virtual scheduling, GCRA-style, with a window guard)
-------------------------------------------------------------------
- Slots are ``interval = (1 + margin) / per_second`` apart, following the *planned* slot
  times: a waiter woken a little late (event-loop lag, up to a quarter interval) does not push
  the next slot back; after an idle period the schedule restarts from "now", so idling never
  builds up a burst.
- The guard that makes it strict: any ``n + 1`` grants (``n = floor(per_second)``) are at
  least ``1 + margin`` seconds apart in *actual* loop time. A server that sees each request
  shifted by at most ``margin / 2`` seconds of jitter therefore never counts more than ``n`` in
  any 1-second window. The default margin of 2% covers +/-10 ms at 4/s and keeps sustained
  throughput at 1 / 1.02 = 98% of ``per_second``.
- Waiters form one FIFO queue; only its head may be granted, so a large acquisition is never
  overtaken. A cancelled waiter leaves the queue; if it was cancelled just after being granted
  (before it could send), its slot and its daily count are given back.
- A caller woken late by a busy loop has its grant re-stamped at the moment it resumes, so the
  window guard counts from when the request really leaves, not from when the timer fired.
- ``on_throttled`` (the server answered ``throttled``: another process shares the key) pauses
  every waiter; ``on_quota_exceeded`` marks the UTC day spent.

Backends
--------
:class:`RateLimiter` itself is the in-memory backend: one process, its own loop clock. A backend
that keeps the state elsewhere subclasses it and replaces the Limiter protocol (``acquire``,
``on_throttled``, ``on_quota_exceeded``) and the ledger views (``used_today``,
``remaining_today``, ``resets_at``, ``stats``); configuration checks, ``per_second``/``per_day``/
``margin`` and the derived pacing (``_interval``, ``_cap``, ``_window``) and counters
(``_count``, ``_note_wait``) stay here, so every backend paces by the same numbers and the
Client, :class:`ccasync.AccountPool` and the requestor take any of them as a RateLimiter.
``ccasync.redis.RedisCoordinator.rate_limiter`` builds the Redis backend (shared by every
process and host on one Redis, on the Redis server's clock).
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import contextvars
import datetime as dt
import math
import time
from collections.abc import Callable, Iterator

import attrs

from ccasync.config import MAX_SECONDS, check_number
from ccasync.errors import AcquireTimeoutError, ConfigError, QuotaExhaustedError

Clock = Callable[[], dt.datetime]
"""A wall clock returning an aware datetime (converted to UTC); used only for the daily ledger."""

_LAG_CREDIT = 0.25
"""Fraction of an interval a late grant may recover (the window guard keeps it strict)."""

_WAIT_LIMIT: contextvars.ContextVar[float | None] = contextvars.ContextVar(
    "ccasync_acquire_timeout", default=None
)
"""The ``acquire_timeout`` in force for the current task (None: wait as long as it takes)."""


@contextlib.contextmanager
def acquire_timeout(seconds: float | None) -> Iterator[None]:
    """Bound every rate-limiter wait of the requests made inside the block to ``seconds``.

    For request handlers that share a Client with bulk jobs: ``with acquire_timeout(2):
    await cc.contacts.create(...)`` raises :class:`AcquireTimeoutError` (nothing sent) when no
    slot comes free within 2 s. Context-local: other tasks keep waiting as before; ``None``
    lifts the bound. Raises ConfigError for a negative or non-finite value.
    """
    _check_wait_limit(seconds)
    token = _WAIT_LIMIT.set(seconds)
    try:
        yield
    finally:
        _WAIT_LIMIT.reset(token)


def _check_wait_limit(seconds: float | None) -> None:
    if seconds is not None and not (isinstance(seconds, int | float) and 0 <= seconds < math.inf):
        raise ConfigError(f"acquire timeout must be None or finite seconds >= 0, got {seconds!r}")


_MIN_RESET_WAIT = 0.01
"""Seconds between re-checks when the wall clock has not yet reached the reset (clock skew)."""


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@attrs.frozen
class LimiterStats:
    """A snapshot of one limiter for metrics.

    ``granted``: slots granted since creation (one slot = one request). ``waited``: total seconds
    callers spent queued; ``max_wait``: the longest single wait. ``throttles``: ``throttled``
    429s reported by the server; ``quota_refusals``: QuotaExhaustedError raised locally.
    ``queued``: callers waiting now. ``used_today``/``remaining_today``: the UTC day's ledger
    (``remaining_today`` is None without a daily limit). ``paused_for``: seconds left of a pause.
    """

    granted: int
    waited: float
    max_wait: float
    throttles: int
    quota_refusals: int
    queued: int
    used_today: int
    remaining_today: int | None
    paused_for: float


@attrs.define(eq=False)
class _Waiter:
    amount: int
    future: asyncio.Future[None]
    queued_at: float
    granted_at: float = -math.inf


@attrs.frozen
class _Undo:
    """What one queued grant changed, to give the slot back if its caller is cancelled."""

    waiter: _Waiter
    next_at: float
    recent: tuple[float, ...]


MAX_PER_SECOND = 1_000_000
"""The highest ``per_second`` accepted (far above any API key's limit; larger values overflow the
pacing arithmetic)."""


def _check_config(
    per_second: float | None, per_day: int | None, margin: float, pauses: tuple[float, float]
) -> None:
    if per_second is not None:
        check_number("per_second", per_second, low=0, high=MAX_PER_SECOND)
    if per_day is not None:
        check_number("per_day", per_day, low=0, high=10**12, integer=True)
    check_number("margin", margin, low=0, high=0.999)
    throttle_pause, max_pause = pauses
    check_number("throttle_pause", throttle_pause, low=0, high=MAX_SECONDS)
    check_number("max_pause", max_pause, low=0, high=MAX_SECONDS)
    if not max_pause >= throttle_pause:
        raise ConfigError(f"max_pause must be >= throttle_pause, got {max_pause!r}")


class RateLimiter:
    """Per-API-key limiter: ``per_second`` in any sliding 1-s window, ``per_day`` per UTC day.

    Share ONE instance between every Client whose token comes from the same API key (the API
    counts per key). Use it from one event loop at a time.

    - ``per_second``: requests allowed in any 1-second window (API: 4; partner keys: 10).
      At most ``floor(per_second)`` requests fall in any 1-second window (below 1/s: one per
      ``1/per_second`` s); sustained throughput is ``per_second / (1 + margin)`` (a
      fractional rate above 1 sustains ``floor(per_second) / (1 + margin)``). ``None``: no
      per-second pacing.
    - ``per_day``: requests per UTC day (API: 10,000), reset at 00:00 UTC. ``None``: no local
      daily limit (a server ``quota_exceeded`` still stops the day).
    - ``margin``: safety margin, a fraction in (0, 1): every window is stretched to
      ``1 + margin`` seconds to absorb network jitter (2% covers +/-10 ms at 4/s).
    - ``wait_for_reset``: when the day is spent, wait until 00:00 UTC instead of raising
      :class:`QuotaExhaustedError`.
    - ``throttle_pause``: seconds every waiter pauses after a ``throttled`` 429 without
      ``Retry-After``; ``max_pause`` caps a server's ``Retry-After``.
    - ``clock``: wall clock for the daily ledger, returning an aware datetime (injectable).
    - ``used_today``: requests this key already spent today (UTC), e.g. read back from your own
      store after a restart; the ledger starts from it.

    Raises :class:`ConfigError` for a non-positive, non-finite or too large rate (above
    1,000,000), a ``per_day`` that is not
    a positive integer, a margin outside (0, 1), or bad pauses.
    """

    def __init__(
        self,
        per_second: float | None = 4,
        per_day: int | None = 10_000,
        *,
        margin: float = 0.02,
        wait_for_reset: bool = False,
        throttle_pause: float = 1.0,
        max_pause: float = 120.0,
        clock: Clock = _utc_now,
        used_today: int = 0,
    ) -> None:
        _check_config(per_second, per_day, margin, (throttle_pause, max_pause))
        self.per_second = per_second
        self.per_day = per_day
        self.margin = margin
        self.wait_for_reset = wait_for_reset
        self.throttle_pause = throttle_pause
        self.max_pause = max_pause
        self._clock = clock
        self._cached_day = dt.date.min
        self._day_ends = -math.inf
        self._unlimited = False
        self._setup_pacing(per_second, margin)
        self._waiters: collections.deque[_Waiter] = collections.deque()
        self._timer: asyncio.TimerHandle | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._undo: _Undo | None = None
        self._paused_until = -math.inf
        if isinstance(used_today, bool) or not isinstance(used_today, int) or used_today < 0:
            raise ConfigError(f"used_today must be an integer >= 0, got {used_today!r}")
        # A process that restarts mid-day can carry over what the key already spent today.
        self._day: dt.date | None = self._today() if used_today else None
        self._used = used_today
        self._spent_day: dt.date | None = None
        self._granted = 0
        self._waited = 0.0
        self._max_wait = 0.0
        self._throttles = 0
        self._quota_refusals = 0

    def _setup_pacing(self, per_second: float | None, margin: float) -> None:
        if per_second is None:
            self._interval = 0.0
            self._cap = 0
            self._window = 0.0
        else:
            self._interval = (1 + margin) / per_second
            self._cap = max(1, math.floor(per_second))
            self._window = (1 + margin) * max(1.0, self._cap / per_second)
        self._next_at = -math.inf
        self._recent: collections.deque[float] = collections.deque(maxlen=max(1, self._cap))

    @classmethod
    def unlimited(cls) -> RateLimiter:
        """A limiter that never waits and never refuses (tests, simulators with limits off).

        Server feedback (``on_throttled``/``on_quota_exceeded``) is only counted in :meth:`stats`.
        """
        limiter = cls(None, None)
        limiter._unlimited = True
        return limiter

    def __repr__(self) -> str:
        return (
            f"RateLimiter(per_second={self.per_second!r}, per_day={self.per_day!r}, "
            f"margin={self.margin!r}, used_today={self.used_today}, queued={len(self._waiters)})"
        )

    # -- public state -------------------------------------------------------------------------

    @property
    def used_today(self) -> int:
        """Requests granted so far in the current UTC day."""
        self._roll_day()
        return self._used

    @property
    def remaining_today(self) -> int | None:
        """Requests left today (0 once the server said ``quota_exceeded``); None if unlimited."""
        self._roll_day()
        if self._spent_day == self._day and not self._unlimited:
            return 0
        if self.per_day is None:
            return None
        return max(0, self.per_day - self._used)

    def resets_at(self) -> dt.datetime:
        """The next 00:00 UTC, when the daily budget resets."""
        today = self._today()
        return dt.datetime.combine(today + dt.timedelta(days=1), dt.time(0), tzinfo=dt.UTC)

    def stats(self) -> LimiterStats:
        """A :class:`LimiterStats` snapshot (cheap; safe to call often)."""
        paused_for = 0.0
        if self._loop is not None and not self._loop.is_closed():
            paused_for = max(0.0, self._pause_ends() - self._loop.time())
        return LimiterStats(
            granted=self._granted,
            waited=self._waited,
            max_wait=self._max_wait,
            throttles=self._throttles,
            quota_refusals=self._quota_refusals,
            queued=self._queued(),
            used_today=self.used_today,
            remaining_today=self.remaining_today,
            paused_for=paused_for,
        )

    def _pause_ends(self) -> float:
        """Loop time at which a ``throttled`` pause ends (a backend keeps it elsewhere)."""
        return self._paused_until

    def _queued(self) -> int:
        """Callers waiting in this process (a backend keeps its own queue)."""
        return len(self._waiters)

    # -- the Limiter protocol used by the requestor ---------------------------------------------

    async def acquire(self, amount: int = 1, *, timeout: float | None = None) -> None:
        """Wait for ``amount`` request slots (FIFO with every other caller), then return.

        ``amount`` (1..floor(per_second)) slots are granted together, for that many requests
        sent at once. ``timeout``: most seconds to wait (default: the enclosing
        :func:`acquire_timeout`, else no limit); past it :class:`AcquireTimeoutError` is
        raised and nothing is consumed. Raises :class:`QuotaExhaustedError` (with
        ``resets_at``) before anything is sent when the UTC day's budget cannot cover ``amount``
        (unless ``wait_for_reset``), and ``ValueError`` for an impossible ``amount``.
        Cancelling the wait consumes nothing.
        """
        if self._unlimited and amount == 1 and timeout is None:
            self._count(1)  # the unlimited limiter only counts: no check can fail here
            return
        limit = self._wait_limit(timeout)
        self._check_amount(amount)
        if self._unlimited:
            self._count(amount)
            return
        loop = self._bind_loop()
        if not self._waiters and self._try_now(amount, loop.time()):
            return
        waiter = _Waiter(amount, loop.create_future(), loop.time())
        self._waiters.append(waiter)
        self._pump()
        try:
            async with asyncio.timeout(limit):
                try:
                    await waiter.future
                except asyncio.CancelledError:
                    self._forget(waiter)
                    raise
        except TimeoutError:
            raise self._timed_out(limit, len(self._waiters)) from None
        self._restamp(waiter, loop.time())

    @staticmethod
    def _wait_limit(timeout: float | None) -> float | None:
        """The wait bound of one acquire: ``timeout``, else the enclosing acquire_timeout."""
        _check_wait_limit(timeout)
        return _WAIT_LIMIT.get() if timeout is None else timeout

    @staticmethod
    def _timed_out(limit: float | None, queued: int) -> AcquireTimeoutError:
        return AcquireTimeoutError(
            f"no request slot of this API key came free within {limit:g} s "
            f"({queued} requests still queued); nothing was sent",
            timeout=float(limit or 0),
            queued=queued,
        )

    def on_throttled(self, retry_after: float | None) -> None:
        """The server answered ``throttled``: pause every waiter, then resume at the same pace.

        Pauses ``retry_after`` seconds when the server gave a positive value (capped at
        ``max_pause``), else ``throttle_pause``. Call it from the event loop.
        """
        self._throttles += 1
        if self._unlimited:
            return
        pause = retry_after if retry_after is not None and retry_after > 0 else self.throttle_pause
        now = self._bind_loop().time()
        self._paused_until = max(self._paused_until, now + min(pause, self.max_pause))
        self._pump()

    def on_quota_exceeded(self) -> None:
        """The server says the daily quota is spent: refuse (or hold) everything until 00:00 UTC."""
        if self._unlimited:
            return
        self._spent_day = self._today()
        if self._loop is not None and not self._loop.is_closed():
            self._pump()

    # -- internals ----------------------------------------------------------------------------

    def _check_amount(self, amount: int) -> None:
        if isinstance(amount, bool) or not isinstance(amount, int) or amount < 1:
            raise ValueError(f"amount must be an integer >= 1, got {amount!r}")
        if self._cap and amount > self._cap:
            raise ValueError(f"amount {amount} exceeds the {self._cap} requests allowed per window")
        if self.per_day is not None and amount > self.per_day:
            raise ValueError(f"amount {amount} exceeds the daily budget of {self.per_day}")

    def _bind_loop(self) -> asyncio.AbstractEventLoop:
        loop = asyncio.get_running_loop()
        if self._loop is not loop:
            if self._waiters:
                raise RuntimeError("this RateLimiter has waiters on another event loop")
            self._loop, self._timer = loop, None
        return loop

    def _today(self) -> dt.date:
        if self._clock is _utc_now:
            # The default clock: compare epoch seconds with the cached day's end instead of
            # building a datetime on every grant.
            epoch = time.time()
            if epoch < self._day_ends:
                return self._cached_day
            day = dt.datetime.fromtimestamp(epoch, dt.UTC).date()
            self._cached_day = day
            self._day_ends = dt.datetime.combine(
                day + dt.timedelta(days=1), dt.time(), dt.UTC
            ).timestamp()
            return day
        now = self._clock()
        if now.tzinfo is None:
            raise ConfigError("the RateLimiter clock must return an aware datetime")
        return now.astimezone(dt.UTC).date()

    def _roll_day(self) -> None:
        today = self._today()
        if today != self._day:
            self._day, self._used = today, 0

    def _quota_blocks(self, amount: int) -> bool:
        self._roll_day()
        if self._spent_day == self._day:
            return True
        return self.per_day is not None and self._used + amount > self.per_day

    def _ready_at(self, amount: int) -> float:
        """Loop time from which ``amount`` slots may be granted."""
        ready = max(self._next_at, self._paused_until)
        # The (n + 1 - amount)-th latest grant must be a whole window before the new ones.
        back = self._cap + 1 - amount
        if self._cap and len(self._recent) >= back:
            ready = max(ready, self._recent[-back] + self._window)
        return ready

    def _try_now(self, amount: int, now: float) -> bool:
        """Grant at once when nobody waits, the pace allows it and the day has budget."""
        if self._quota_blocks(amount):
            if self.wait_for_reset:
                return False
            self._refuse()
        slot = self._ready_at(amount)
        if now < slot:
            return False
        self._grant(amount, now, slot)
        return True

    def _grant(self, amount: int, now: float, slot: float) -> None:
        # Recover a little wake-up lag, never the time spent idle.
        base = slot if now - slot <= _LAG_CREDIT * self._interval else now
        self._next_at = base + amount * self._interval
        self._recent.extend([now] * amount)
        self._undo = None
        self._count(amount)

    def _count(self, amount: int) -> None:
        self._roll_day()
        self._used += amount
        self._granted += amount

    def _refuse(self) -> None:
        self._quota_refusals += 1
        resets_at = self.resets_at()
        raise QuotaExhaustedError(
            f"the daily request budget of this API key is spent; it resets at "
            f"{resets_at.isoformat()}",
            resets_at=resets_at,
        )

    def _pump(self) -> None:
        """Grant, refuse or schedule the head of the queue; re-arms the single timer."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        loop = self._loop
        waiters = self._waiters
        while waiters and loop is not None:
            head = waiters[0]
            if head.future.done():
                waiters.popleft()
                continue
            wake_at = self._serve_head(head, loop.time())
            if wake_at is not None:
                self._timer = loop.call_at(wake_at, self._pump)
                return

    def _serve_head(self, head: _Waiter, now: float) -> float | None:
        """Resolve ``head`` if possible and return None, else the loop time to look again."""
        if self._quota_blocks(head.amount):
            if self.wait_for_reset:
                wait = (self.resets_at() - self._clock()).total_seconds()
                return now + max(wait, _MIN_RESET_WAIT)
            try:
                self._refuse()
            except QuotaExhaustedError as exc:
                head.future.set_exception(exc)
            self._waiters.popleft()
            return None
        slot = self._ready_at(head.amount)
        if now < slot:
            return slot
        undo = _Undo(head, self._next_at, tuple(self._recent))
        head.granted_at = now
        self._grant(head.amount, now, slot)
        self._undo = undo
        self._note_wait(now - head.queued_at)
        self._waiters.popleft()
        head.future.set_result(None)
        return None

    def _restamp(self, waiter: _Waiter, resumed: float) -> None:
        """Record a grant at the time its caller really resumed (and so sends), if later.

        A caller granted by the timer resumes only when the loop gets to it; behind a busy loop
        (a GC pause, CPU work of other tasks) that can be tens of milliseconds, and its request
        would then reach the server bunched with the next ones. Moving the recorded time later
        only makes the window guard stricter for the grants that follow.
        """
        if not self._cap or resumed <= waiter.granted_at:
            return
        stamps = list(self._recent)
        left = waiter.amount
        for i in range(len(stamps) - 1, -1, -1):
            if left and stamps[i] == waiter.granted_at:
                stamps[i] = resumed
                left -= 1
        self._recent.clear()
        self._recent.extend(sorted(stamps))

    def _note_wait(self, waited: float) -> None:
        self._waited += waited
        self._max_wait = max(self._max_wait, waited)

    def _forget(self, waiter: _Waiter) -> None:
        """Drop a cancelled waiter; give its slot back if it was granted but never used."""
        future = waiter.future
        if future.done() and not future.cancelled() and future.exception() is None:
            self._give_back(waiter)
        elif waiter in self._waiters:
            self._waiters.remove(waiter)
        self._pump()

    def _give_back(self, waiter: _Waiter) -> None:
        self._roll_day()
        self._used = max(0, self._used - waiter.amount)
        self._granted -= waiter.amount
        undo = self._undo
        # Rewind the pace only if nothing was granted since (later grants relied on it).
        if undo is not None and undo.waiter is waiter:
            self._next_at = undo.next_at
            self._recent.clear()
            self._recent.extend(undo.recent)
        self._undo = None
