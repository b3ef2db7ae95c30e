"""Request limits per API key: per-second (sliding, fixed or bucket rule) and per-day quota.

Decisions (the real API documents neither; UNCONFIRMED):
- A request over the daily quota gets ``quota_exceeded`` and is not counted further.
- A request throttled by the per-second rule still counts toward the daily total ("each HTTP call
  counts"), but not toward the per-second window (it was refused at the door).
- Times are SIMULATED seconds, so the day rolls over at 00:00 UTC of the virtual clock.
"""

from __future__ import annotations

import collections
import datetime as dt
import math

from ._http import ApiFailure


def throttled() -> ApiFailure:
    """The documented per-second 429 (single object)."""
    return ApiFailure(429, "throttled", "Too Many Requests", "object")


def quota_exceeded() -> ApiFailure:
    """The documented daily-quota 429 (single object)."""
    return ApiFailure(429, "quota_exceeded", "Limit Exceeded", "object")


class PerSecond:
    """Admission under one rule for ``rate`` requests/s.

    sliding: no half-open 1-second window ``(t-1, t]`` ever holds more than ``floor(rate)`` admitted
    requests (the strictest reading); fixed: at most ``floor(rate)`` per calendar second; bucket: a
    token bucket of capacity ``rate`` refilled at ``rate``/s (lets a full burst through).
    """

    def __init__(self, rate: float, rule: str) -> None:
        """``rate`` > 0 requests per second under ``rule`` (sliding, fixed, bucket)."""
        self.rate = rate
        self.rule = rule
        self._cap = max(1, math.floor(rate))
        self._stamps: collections.deque[float] = collections.deque()
        self._second = -1
        self._count = 0
        self._tokens = float(rate)
        self._last = -math.inf

    def admit(self, now: float) -> bool:
        """True (and recorded) when a request at simulated ``now`` may pass."""
        if self.rule == "sliding":
            return self._sliding(now)
        if self.rule == "fixed":
            return self._fixed(now)
        return self._bucket(now)

    def _sliding(self, now: float) -> bool:
        stamps = self._stamps
        while stamps and stamps[0] <= now - 1.0:
            stamps.popleft()
        if len(stamps) >= self._cap:
            return False
        stamps.append(now)
        return True

    def _fixed(self, now: float) -> bool:
        second = math.floor(now)
        if second != self._second:
            self._second, self._count = second, 0
        if self._count >= self._cap:
            return False
        self._count += 1
        return True

    def _bucket(self, now: float) -> bool:
        if self._last != -math.inf:
            self._tokens = min(self.rate, self._tokens + (now - self._last) * self.rate)
        self._last = now
        if self._tokens < 1.0:
            return False
        self._tokens -= 1.0
        return True


class DailyQuota:
    """A per-day request counter that resets at 00:00 UTC (simulated)."""

    def __init__(self, per_day: int) -> None:
        """Allow ``per_day`` requests per UTC day."""
        self.per_day = per_day
        self.day: dt.date | None = None
        self.used = 0

    def _roll(self, now: float) -> None:
        day = dt.datetime.fromtimestamp(now, dt.UTC).date()
        if day != self.day:
            self.day, self.used = day, 0

    def exhausted(self, now: float) -> bool:
        """True when today's budget is spent."""
        self._roll(now)
        return self.used >= self.per_day

    def count(self) -> None:
        """Record one request against today's budget."""
        self.used += 1


class KeyLimits:
    """The limits of one API key; ``check`` raises the documented 429 or lets the request pass."""

    def __init__(self, per_second: float | None, per_day: int | None, rule: str) -> None:
        """``None`` switches a limit off."""
        self.per_second = PerSecond(per_second, rule) if per_second else None
        self.daily = DailyQuota(per_day) if per_day else None
        self.throttled = 0
        self.quota_refused = 0

    def check(self, now: float) -> None:
        """Admit a request at simulated ``now`` or raise ``ApiFailure`` 429 (single-object body)."""
        daily = self.daily
        if daily is not None:
            if daily.exhausted(now):
                self.quota_refused += 1
                raise quota_exceeded()
            daily.count()
        if self.per_second is not None and not self.per_second.admit(now):
            self.throttled += 1
            raise throttled()

    def used_today(self, now: float) -> int:
        """Requests counted against today's quota (0 when the quota is off)."""
        if self.daily is None:
            return 0
        self.daily.exhausted(now)
        return self.daily.used
