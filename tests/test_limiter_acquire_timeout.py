"""RateLimiter.acquire(timeout=) and acquire_timeout(): a bounded wait, a typed error."""

from __future__ import annotations

import asyncio

import pytest

from ccasync import AcquireTimeoutError, ConfigError, RateLimiter, acquire_timeout


async def test_acquire_timeout_raises_typed_error_and_consumes_nothing() -> None:
    """A wait past ``timeout`` raises AcquireTimeoutError; the queue and ledger are intact."""
    limiter = RateLimiter(per_second=1, per_day=100)
    await limiter.acquire()
    with pytest.raises(AcquireTimeoutError) as info:
        await limiter.acquire(timeout=0.05)
    assert isinstance(info.value, TimeoutError)
    assert info.value.timeout == pytest.approx(0.05)
    assert "nothing was sent" in str(info.value)
    assert limiter.used_today == 1
    assert limiter.stats().queued == 0


async def test_context_bound_applies_to_requests_inside_only() -> None:
    """``acquire_timeout`` bounds waits in its block; a task outside it keeps waiting."""
    limiter = RateLimiter(per_second=1, per_day=100)
    await limiter.acquire()
    outside = asyncio.create_task(limiter.acquire())
    await asyncio.sleep(0)
    with acquire_timeout(0.05), pytest.raises(AcquireTimeoutError):
        await limiter.acquire()
    assert not outside.done()
    outside.cancel()
    with pytest.raises(asyncio.CancelledError):
        await outside
    assert limiter.used_today == 1


async def test_bad_timeouts_are_config_errors() -> None:
    """A negative or infinite timeout is refused before waiting."""
    limiter = RateLimiter(per_second=1, per_day=100)
    with pytest.raises(ConfigError):
        await limiter.acquire(timeout=-1)
    with pytest.raises(ConfigError), acquire_timeout(float("inf")):
        pass
