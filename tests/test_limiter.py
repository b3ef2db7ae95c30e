"""RateLimiter: strict sliding-window pacing, FIFO, cancellation, daily ledger, pauses.

Everything runs in VIRTUAL time (aiolimiter's MockLoopTime technique, extended): the running
loop's ``time()`` and ``call_at()`` are patched, so ``asyncio.sleep`` and the limiter's timers
fire only when the test moves the virtual clock. Nothing sleeps for real.
"""

from __future__ import annotations

import asyncio
import bisect
import collections
import datetime as dt
import heapq
import itertools
import random
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any
from unittest import mock

import pytest

from ccasync import Client, ConfigError, QuotaExhaustedError, RateLimiter
from ccasync.testing import FakeTransport, HTTPRequest, HTTPResponse, json_response

SETTLE_ROUNDS = 8
"""Loop iterations given to tasks after each timer fires (grant -> task resumes -> re-queues)."""

MIDNIGHT = dt.datetime(2026, 11, 24, tzinfo=dt.UTC)


class _VirtualTimer:
    """What ``loop.call_at`` returns under virtual time: cancellable, ordered by ``when``."""

    _source_traceback = None  # read by BaseEventLoop.call_later

    def __init__(self, when: float, callback: Callable[..., object], args: tuple[Any, ...]) -> None:
        self._when = when
        self._callback = callback
        self._args = args
        self._cancelled = False

    def when(self) -> float:
        return self._when

    def cancel(self) -> None:
        self._cancelled = True

    def cancelled(self) -> bool:
        return self._cancelled


class VirtualLoopTime:
    """Patches the running loop's ``time`` and ``call_at``; timers fire as the test advances.

    ``lag`` (optional) returns extra seconds by which each timer fires late, to mimic a busy
    event loop.
    """

    def __init__(self, start: float = 0.0, lag: Callable[[], float] | None = None) -> None:
        self.now = start
        self.loop = asyncio.get_running_loop()
        self._lag = lag
        self._heap: list[tuple[float, int, _VirtualTimer]] = []
        self._seq = itertools.count()

    @contextmanager
    def patched(self) -> Iterator[VirtualLoopTime]:
        with (
            mock.patch.object(self.loop, "time", self._time),
            mock.patch.object(self.loop, "call_at", self._call_at),
        ):
            yield self

    def _time(self) -> float:
        return self.now

    def _call_at(
        self, when: float, callback: Callable[..., object], *args: Any, context: Any = None
    ) -> _VirtualTimer:
        timer = _VirtualTimer(when, callback, args)
        heapq.heappush(self._heap, (when, next(self._seq), timer))
        return timer

    async def settle(self) -> None:
        """Let every runnable task run until it blocks again."""
        for _ in range(SETTLE_ROUNDS):
            await asyncio.sleep(0)

    def fire_due(self) -> bool:
        """Run the earliest due timer synchronously (no settling); False when none is due."""
        while self._heap and self._heap[0][2].cancelled():
            heapq.heappop(self._heap)
        if not self._heap or self._heap[0][0] > self.now:
            return False
        _, _, timer = heapq.heappop(self._heap)
        timer._callback(*timer._args)
        return True

    async def advance_to(self, until: float) -> None:
        """Move virtual time to ``until``, firing every timer due on the way (late by ``lag``)."""
        await self.settle()
        while True:
            while self._heap and self._heap[0][2].cancelled():
                heapq.heappop(self._heap)
            if not self._heap or self._heap[0][0] > until:
                break
            when = self._heap[0][0]
            self.now = max(self.now, when + (self._lag() if self._lag else 0.0))
            while self.fire_due():
                pass
            await self.settle()
        self.now = max(self.now, until)
        await self.settle()

    async def advance(self, seconds: float) -> None:
        """Move virtual time forward by ``seconds``."""
        await self.advance_to(self.now + seconds)


@pytest.fixture
async def vtime() -> Any:
    """Virtual loop time starting at 0 for the duration of one test."""
    clock = VirtualLoopTime()
    with clock.patched():
        yield clock


def wall_clock(vt: VirtualLoopTime, start: dt.datetime) -> Callable[[], dt.datetime]:
    """A UTC wall clock that moves with the virtual loop time."""
    return lambda: start + dt.timedelta(seconds=vt.now)


def rejected_by_sliding_server(arrivals: list[float], per_window: int) -> int:
    """How many requests a server admitting ``per_window`` in any (t-1, t] window would reject."""
    admitted: collections.deque[float] = collections.deque()
    rejected = 0
    for t in sorted(arrivals):
        while admitted and admitted[0] <= t - 1.0:
            admitted.popleft()
        if len(admitted) >= per_window:
            rejected += 1
        else:
            admitted.append(t)
    return rejected


def max_in_any_window(stamps: list[float], width: float = 1.0) -> int:
    """The largest number of ``stamps`` inside any half-open window (t - width, t]."""
    ordered = sorted(stamps)
    return max(
        (j + 1 - bisect.bisect_right(ordered, t - width) for j, t in enumerate(ordered)),
        default=0,
    )


async def run_callers(
    limiter: RateLimiter, vt: VirtualLoopTime, callers: int, seconds: float
) -> list[float]:
    """``callers`` tasks acquiring in a loop for ``seconds`` of virtual time; grant times."""
    grants: list[float] = []

    async def caller() -> None:
        while True:
            await limiter.acquire()
            grants.append(vt.now)

    tasks = [asyncio.create_task(caller()) for _ in range(callers)]
    await vt.advance(seconds)
    for task in tasks:
        task.cancel()
    await vt.settle()
    return grants


# -- configuration ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs",
    [
        {"per_second": 0},
        {"per_second": -4},
        {"per_second": float("nan")},
        {"per_second": float("inf")},
        {"per_second": True},
        {"per_second": "4"},
        {"per_day": 0},
        {"per_day": -1},
        {"per_day": 10.5},
        {"per_day": True},
        {"margin": 0},
        {"margin": -0.01},
        {"margin": 1},
        {"margin": 1.5},
        {"margin": float("nan")},
        {"throttle_pause": 0},
        {"throttle_pause": 2.0, "max_pause": 1.0},
    ],
)
def test_bad_configuration_is_a_config_error(kwargs: dict[str, Any]) -> None:
    """Non-positive rates, bad per_day, a margin outside (0, 1) or bad pauses: ConfigError."""
    with pytest.raises(ConfigError):
        RateLimiter(**kwargs)


@pytest.mark.parametrize("amount", [0, -1, 5, True, 1.0])
async def test_impossible_amount_is_a_value_error(vtime: VirtualLoopTime, amount: Any) -> None:
    """amount must be an integer between 1 and floor(per_second)."""
    limiter = RateLimiter(4)
    with pytest.raises(ValueError, match="amount"):
        await limiter.acquire(amount)
    assert limiter.used_today == 0


async def test_naive_clock_is_a_config_error(vtime: VirtualLoopTime) -> None:
    """A wall clock returning a naive datetime is refused when the ledger first reads it."""
    limiter = RateLimiter(4, clock=lambda: dt.datetime(2026, 1, 1))
    with pytest.raises(ConfigError, match="aware"):
        await limiter.acquire()


# -- strictness and throughput --------------------------------------------------------------------


async def test_first_second_never_bursts(vtime: VirtualLoopTime) -> None:
    """200 callers starting together get 4 grants in the first second, evenly spaced."""
    limiter = RateLimiter(4)
    grants = await run_callers(limiter, vtime, callers=200, seconds=1.0)
    assert grants[:4] == pytest.approx([0.0, 0.255, 0.51, 0.765])
    assert len(grants) == 4


async def test_no_sliding_window_exceeded_with_jitter(vtime: VirtualLoopTime) -> None:
    """Thousands of grants seen with +/-10 ms jitter never put 5 requests in any 1-s window."""
    limiter = RateLimiter(4)
    grants = await run_callers(limiter, vtime, callers=200, seconds=750.0)
    rng = random.Random(7)
    arrivals = [t + rng.uniform(-0.01, 0.01) for t in grants]
    assert len(grants) >= 2900
    assert max_in_any_window(arrivals) == 4
    assert rejected_by_sliding_server(arrivals, 4) == 0
    assert len(grants) / 750.0 >= 0.975 * 4


async def test_window_checker_catches_a_margin_thinner_than_jitter(
    vtime: VirtualLoopTime,
) -> None:
    """The same check fails a limiter whose margin (0.1%) is smaller than the jitter."""
    limiter = RateLimiter(4, margin=0.001)
    grants = await run_callers(limiter, vtime, callers=50, seconds=300.0)
    rng = random.Random(7)
    arrivals = [t + rng.uniform(-0.01, 0.01) for t in grants]
    assert rejected_by_sliding_server(arrivals, 4) > 0


@pytest.mark.parametrize("per_second", [1, 2.5, 10])
async def test_other_rates_stay_strict(vtime: VirtualLoopTime, per_second: float) -> None:
    """Partner (10/s), slow (1/s) and fractional rates keep floor(rate) per window."""
    limiter = RateLimiter(per_second)
    grants = await run_callers(limiter, vtime, callers=30, seconds=120.0)
    assert max_in_any_window(grants, width=1.0) <= int(per_second)
    assert len(grants) / 120.0 >= 0.975 * int(per_second)


async def test_strict_and_fast_when_the_loop_wakes_late() -> None:
    """Timers firing 0-4 ms late (a busy loop) never shrink a window and keep >= 97.5%."""
    rng = random.Random(3)
    vt = VirtualLoopTime(lag=lambda: rng.uniform(0.0, 0.004))
    with vt.patched():
        limiter = RateLimiter(4)
        grants = await run_callers(limiter, vt, callers=100, seconds=500.0)
    ordered = sorted(grants)
    assert min(b - a for a, b in itertools.pairwise(ordered)) >= 0.75 * 0.255 - 1e-9
    assert min(ordered[i + 4] - ordered[i] for i in range(len(ordered) - 4)) >= 1.02 - 1e-9
    assert len(grants) / 500.0 >= 0.975 * 4


async def test_idle_period_does_not_build_a_burst(vtime: VirtualLoopTime) -> None:
    """After a minute of silence, 20 simultaneous callers are still spaced one interval apart."""
    limiter = RateLimiter(4)
    await limiter.acquire()
    await vtime.advance(60.0)
    grants = await run_callers(limiter, vtime, callers=20, seconds=2.0)
    assert [round(t - 60.0, 6) for t in grants] == [round(i * 0.255, 6) for i in range(8)]


async def test_shared_by_two_clients(vtime: VirtualLoopTime) -> None:
    """One limiter passed to two Clients keeps their combined traffic within 4 per window."""
    limiter = RateLimiter(4)
    seen: list[float] = []

    def handler(request: HTTPRequest) -> HTTPResponse:
        seen.append(vtime.now)
        return json_response({"ok": True})

    async def burst(cc: Client) -> None:
        for _ in range(30):
            await cc._requestor.request("GET", "/account/summary")

    async with (
        Client(access_token="a", transport=FakeTransport(handler), rate_limiter=limiter) as one,
        Client(access_token="b", transport=FakeTransport(handler), rate_limiter=limiter) as two,
    ):
        tasks = [asyncio.create_task(burst(cc)) for cc in (one, two, one, two)]
        await vtime.advance(40.0)
        await asyncio.gather(*tasks)
    assert len(seen) == 120
    assert max_in_any_window(seen) == 4
    assert limiter.used_today == 120


# -- fairness and cancellation -------------------------------------------------------------------


async def test_waiters_are_served_first_in_first_out(vtime: VirtualLoopTime) -> None:
    """Callers are granted in the order they started waiting."""
    limiter = RateLimiter(4)
    order: list[int] = []

    async def caller(i: int) -> None:
        await limiter.acquire()
        order.append(i)

    tasks = [asyncio.create_task(caller(i)) for i in range(40)]
    await vtime.advance(15.0)
    await asyncio.gather(*tasks)
    assert order == list(range(40))


async def test_large_acquisition_is_not_starved(vtime: VirtualLoopTime) -> None:
    """acquire(4) queued behind singles is served before singles that arrive after it."""
    limiter = RateLimiter(4)
    events: list[tuple[str, float]] = []

    async def single(tag: str) -> None:
        await limiter.acquire()
        events.append((tag, vtime.now))

    async def big() -> None:
        await limiter.acquire(4)
        events.append(("big", vtime.now))

    early = [asyncio.create_task(single(f"early{i}")) for i in range(6)]
    await vtime.settle()
    large = asyncio.create_task(big())
    await vtime.settle()
    late = [asyncio.create_task(single(f"late{i}")) for i in range(20)]
    await vtime.advance(20.0)
    await asyncio.gather(*early, large, *late)
    tags = [tag for tag, _ in events]
    assert tags.index("big") == 6
    stamps = [t for tag, t in events for _ in range(4 if tag == "big" else 1)]
    assert max_in_any_window(stamps) == 4


async def test_cancelled_waiter_consumes_no_slot(vtime: VirtualLoopTime) -> None:
    """Cancelling a queued caller lets the next one take its place in the schedule."""
    limiter = RateLimiter(4)
    grants: dict[int, float] = {}

    async def caller(i: int) -> None:
        await limiter.acquire()
        grants[i] = vtime.now

    tasks = [asyncio.create_task(caller(i)) for i in range(4)]
    await vtime.settle()
    tasks[1].cancel()
    tasks[2].cancel()
    await vtime.advance(2.0)
    assert grants == {0: 0.0, 3: pytest.approx(0.255)}
    assert limiter.used_today == 2
    assert limiter.stats().queued == 0


async def test_cancel_right_after_grant_gives_the_slot_back(vtime: VirtualLoopTime) -> None:
    """A caller cancelled after its grant but before it ran returns the slot and the count."""
    limiter = RateLimiter(4)
    await limiter.acquire()
    first = asyncio.create_task(limiter.acquire())
    second = asyncio.create_task(limiter.acquire())
    await vtime.settle()
    vtime.now = 0.255
    assert vtime.fire_due()  # grants `first` synchronously; its task has not resumed yet
    first.cancel()
    await vtime.settle()
    assert first.cancelled()
    assert second.done()  # took the returned slot at 0.255 instead of waiting for 0.51
    assert limiter.used_today == 2


# -- daily ledger -------------------------------------------------------------------------------


async def test_quota_exhausted_raises_before_sending(vtime: VirtualLoopTime) -> None:
    """Past per_day, acquire raises QuotaExhaustedError with resets_at = next 00:00 UTC."""
    start = dt.datetime(2026, 11, 23, 15, 30, tzinfo=dt.UTC)
    limiter = RateLimiter(4, per_day=3, clock=wall_clock(vtime, start))
    for _ in range(3):
        task = asyncio.create_task(limiter.acquire())
        await vtime.advance(0.3)
        assert task.done()
    with pytest.raises(QuotaExhaustedError) as info:
        await limiter.acquire()
    assert info.value.resets_at == MIDNIGHT
    assert (limiter.used_today, limiter.remaining_today) == (3, 0)
    assert limiter.stats().quota_refusals == 1


async def test_queued_callers_are_refused_when_the_budget_runs_out(
    vtime: VirtualLoopTime,
) -> None:
    """Callers already waiting get QuotaExhaustedError once the grants before them spend the day."""
    limiter = RateLimiter(4, per_day=2, clock=wall_clock(vtime, MIDNIGHT))
    tasks = [asyncio.create_task(limiter.acquire()) for _ in range(5)]
    await vtime.advance(2.0)
    outcomes = [type(t.exception()).__name__ if t.exception() else "ok" for t in tasks]
    assert outcomes == ["ok", "ok"] + ["QuotaExhaustedError"] * 3


async def test_ledger_resets_at_midnight_utc(vtime: VirtualLoopTime) -> None:
    """The daily count starts again at 00:00 UTC, whatever the local time zone of the clock."""
    paris = dt.timezone(dt.timedelta(hours=1))
    start = dt.datetime(2026, 11, 24, 0, 59, 58, tzinfo=paris)  # 23:59:58 UTC
    limiter = RateLimiter(4, per_day=2, clock=wall_clock(vtime, start))
    await limiter.acquire()
    await vtime.advance(0.5)
    await limiter.acquire()
    with pytest.raises(QuotaExhaustedError):
        await limiter.acquire()
    await vtime.advance(1.5)  # 00:00:00 UTC
    await limiter.acquire()
    assert (limiter.used_today, limiter.remaining_today) == (1, 1)


async def test_wait_for_reset_holds_callers_until_midnight(vtime: VirtualLoopTime) -> None:
    """With wait_for_reset=True a spent day makes callers wait for 00:00 UTC, then proceed."""
    start = MIDNIGHT - dt.timedelta(seconds=30)
    limiter = RateLimiter(4, per_day=1, wait_for_reset=True, clock=wall_clock(vtime, start))
    await limiter.acquire()
    waiting = asyncio.create_task(limiter.acquire())
    await vtime.advance(29.9)
    assert not waiting.done()
    await vtime.advance(0.2)
    assert waiting.done()
    assert waiting.exception() is None
    assert limiter.used_today == 1


async def test_server_quota_exceeded_stops_the_day(vtime: VirtualLoopTime) -> None:
    """on_quota_exceeded() refuses every caller until 00:00 UTC, even without a local per_day."""
    start = MIDNIGHT - dt.timedelta(seconds=10)
    limiter = RateLimiter(4, per_day=None, clock=wall_clock(vtime, start))
    await limiter.acquire()
    limiter.on_quota_exceeded()
    assert limiter.remaining_today == 0
    with pytest.raises(QuotaExhaustedError):
        await limiter.acquire()
    await vtime.advance(10.0)
    await limiter.acquire()
    assert limiter.remaining_today is None


# -- server feedback and stats -----------------------------------------------------------------


async def test_throttled_pauses_every_waiter(vtime: VirtualLoopTime) -> None:
    """on_throttled(None) pauses all waiters for throttle_pause, then pacing resumes."""
    limiter = RateLimiter(4, throttle_pause=1.0)
    grants = []

    async def caller() -> None:
        await limiter.acquire()
        grants.append(vtime.now)

    tasks = [asyncio.create_task(caller()) for _ in range(3)]
    await vtime.advance(0.1)
    limiter.on_throttled(None)
    assert limiter.stats().paused_for == pytest.approx(1.0)
    await vtime.advance(2.0)
    await asyncio.gather(*tasks)
    assert grants == pytest.approx([0.0, 1.1, 1.355])
    assert limiter.stats().throttles == 1


async def test_retry_after_sets_the_pause_and_is_capped(vtime: VirtualLoopTime) -> None:
    """A server Retry-After sets the pause length, capped at max_pause."""
    limiter = RateLimiter(4, max_pause=5.0)
    limiter.on_throttled(2.5)
    assert limiter.stats().paused_for == pytest.approx(2.5)
    limiter.on_throttled(600.0)
    assert limiter.stats().paused_for == pytest.approx(5.0)
    task = asyncio.create_task(limiter.acquire())
    await vtime.advance(4.9)
    assert not task.done()
    await vtime.advance(0.2)
    assert task.done()


async def test_stats_report_grants_waits_and_queue(vtime: VirtualLoopTime) -> None:
    """stats() counts granted slots, total and longest wait, and callers still queued."""
    limiter = RateLimiter(4, per_day=100, clock=wall_clock(vtime, MIDNIGHT))
    tasks = [asyncio.create_task(limiter.acquire()) for _ in range(6)]
    await vtime.advance(0.6)
    stats = limiter.stats()
    assert (stats.granted, stats.queued, stats.used_today, stats.remaining_today) == (3, 3, 3, 97)
    assert stats.waited == pytest.approx(0.255 + 0.51)
    assert stats.max_wait == pytest.approx(0.51)
    await vtime.advance(1.0)
    await asyncio.gather(*tasks)


async def test_unlimited_never_waits_and_ignores_feedback(vtime: VirtualLoopTime) -> None:
    """RateLimiter.unlimited() grants at once, even after throttles or a quota answer."""
    limiter = RateLimiter.unlimited()
    limiter.on_throttled(30.0)
    limiter.on_quota_exceeded()
    for _ in range(1000):
        await limiter.acquire()
    stats = limiter.stats()
    assert (stats.granted, stats.throttles, stats.paused_for, vtime.now) == (1000, 1, 0.0, 0.0)
    assert limiter.remaining_today is None


async def test_used_today_carries_over_a_restart() -> None:
    """A ledger seeded with used_today refuses once the rest of the day's budget is spent."""
    day = [dt.datetime(2026, 3, 1, 12, tzinfo=dt.UTC)]
    limiter = RateLimiter(per_second=None, per_day=5, used_today=4, clock=lambda: day[0])
    assert limiter.remaining_today == 1
    await limiter.acquire()
    with pytest.raises(QuotaExhaustedError):
        await limiter.acquire()
    day[0] = dt.datetime(2026, 3, 2, 0, 0, 1, tzinfo=dt.UTC)
    await limiter.acquire()
    assert limiter.used_today == 1


@pytest.mark.parametrize("bad", [-1, 1.5, True])
def test_used_today_must_be_a_count(bad: object) -> None:
    """A negative or non-integer used_today is a ConfigError."""
    with pytest.raises(ConfigError, match="used_today"):
        RateLimiter(used_today=bad)  # type: ignore[arg-type]


async def test_late_resume_restamps_the_grant(vtime: VirtualLoopTime) -> None:
    """A caller that resumes 50 ms after its grant pushes the next grants back accordingly."""
    limiter = RateLimiter(4)
    sends = [vtime.now]
    await limiter.acquire()
    late = asyncio.create_task(limiter.acquire())
    await vtime.settle()
    vtime.now = 0.255
    assert vtime.fire_due()  # granted now; its task has not run yet
    vtime.now = 0.305  # the busy loop gets to it 50 ms later: that is when it sends
    await vtime.settle()
    assert late.done()
    sends.append(vtime.now)
    for _ in range(6):
        task = asyncio.create_task(limiter.acquire())
        while not task.done():
            await vtime.advance(0.001)
        sends.append(vtime.now)
    spans = [sends[i + 4] - sends[i] for i in range(len(sends) - 4)]
    assert min(spans) >= 1.02 - 1e-6


async def test_default_clock_rolls_over_at_midnight_utc() -> None:
    """With the default wall clock, the cached day still ends exactly at 00:00 UTC."""
    midnight = dt.datetime(2026, 3, 2, tzinfo=dt.UTC).timestamp()
    with mock.patch("ccasync.limiter.time.time", return_value=midnight - 0.5):
        limiter = RateLimiter(per_second=None, per_day=1)
        await limiter.acquire()
        with pytest.raises(QuotaExhaustedError):
            await limiter.acquire()
    with mock.patch("ccasync.limiter.time.time", return_value=midnight + 0.5):
        await limiter.acquire()
        assert limiter.used_today == 1
