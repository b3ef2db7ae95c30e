"""Retry decisions as data: what is safe to repeat, and how long to wait."""

from __future__ import annotations

import pytest

from ccasync._retry import Replay, decide
from ccasync.config import RetryPolicy
from ccasync.errors import (
    BadRequestError,
    ConnectError,
    RateLimitError,
    RateLimitKind,
    RequestTimeoutError,
    ServerError,
)

POLICY = RetryPolicy(max_attempts=4, base_delay=1.0, max_delay=8.0)


def _throttled(retry_after: float | None = None) -> RateLimitError:
    return RateLimitError(429, kind=RateLimitKind.THROTTLED, retry_after=retry_after)


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
@pytest.mark.parametrize(
    "error",
    [ServerError(500), ServerError(503), ConnectError("x"), RequestTimeoutError("x"), _throttled()],
)
def test_safe_methods_retry_on_transient_errors(method: str, error: Exception) -> None:
    """GET/PUT/DELETE retry on 5xx, connection errors, timeouts and throttled 429s."""
    got = decide(POLICY, method=method, replay=Replay.BY_METHOD, error=error, attempt=1, draw=0.5)
    assert got.retry


def test_post_retries_only_when_surely_not_landed() -> None:
    """POST retries on refused connections and throttles, never on 5xx or timeouts."""

    def go(err: Exception) -> bool:
        return decide(
            POLICY, method="POST", replay=Replay.BY_METHOD, error=err, attempt=1, draw=0.5
        ).retry

    assert go(ConnectError("refused"))
    assert go(_throttled())
    assert not go(ServerError(500))
    assert not go(RequestTimeoutError("slow"))


def test_upsert_post_retries_on_5xx() -> None:
    """A POST marked as an upsert is retried like a GET."""
    got = decide(
        POLICY, method="POST", replay=Replay.UPSERT, error=ServerError(503), attempt=1, draw=0.5
    )
    assert got.retry


def test_daily_quota_and_queue_cap_are_never_retried() -> None:
    """quota_exceeded and the queued-activities cap are not retried by the request loop."""
    for kind in (RateLimitKind.DAILY_QUOTA, RateLimitKind.QUEUED_ACTIVITIES):
        err = RateLimitError(429, kind=kind)
        assert not decide(
            POLICY, method="GET", replay=Replay.BY_METHOD, error=err, attempt=1, draw=0.5
        ).retry


def test_client_errors_are_not_retried() -> None:
    """A 400 is final: resending the same body cannot help."""
    got = decide(
        POLICY, method="GET", replay=Replay.UPSERT, error=BadRequestError(400), attempt=1, draw=0.5
    )
    assert not got.retry


def test_never_replay_blocks_even_safe_errors() -> None:
    """Replay.NEVER refuses to repeat even a refused connection."""
    got = decide(
        POLICY, method="GET", replay=Replay.NEVER, error=ConnectError("x"), attempt=1, draw=0.5
    )
    assert not got.retry


def test_attempt_budget() -> None:
    """max_attempts counts the first try: the 4th failure is final."""
    err = ServerError(500)
    assert decide(
        POLICY, method="GET", replay=Replay.BY_METHOD, error=err, attempt=3, draw=0.5
    ).retry
    final = decide(POLICY, method="GET", replay=Replay.BY_METHOD, error=err, attempt=4, draw=0.5)
    assert not final.retry
    assert final.reason == "max_attempts=4 reached"


def test_full_jitter_backoff_is_capped() -> None:
    """Delay = draw x min(max_delay, base x 2^(n-1)): exponential, jittered, capped."""
    err = ServerError(500)
    delays = [
        decide(POLICY, method="GET", replay=Replay.BY_METHOD, error=err, attempt=n, draw=1.0).delay
        for n in (1, 2, 3)
    ]
    assert delays == [1.0, 2.0, 4.0]
    assert POLICY.backoff(10, 1.0) == 8.0
    assert POLICY.backoff(3, 0.0) == 0.0


def test_retry_after_wins_over_backoff() -> None:
    """A Retry-After header sets the delay (capped by max_retry_after)."""
    got = decide(
        POLICY, method="GET", replay=Replay.BY_METHOD, error=_throttled(7.0), attempt=1, draw=0.1
    )
    assert got.delay == 7.0
    huge = decide(
        POLICY, method="GET", replay=Replay.BY_METHOD, error=_throttled(1e6), attempt=1, draw=0.1
    )
    assert huge.delay == POLICY.max_retry_after


def test_retry_after_on_a_5xx_is_honoured() -> None:
    """A 503 that says Retry-After is retried after that many seconds, not the backoff."""
    err = ServerError(503, headers={"Retry-After": "7"})
    got = decide(POLICY, method="GET", replay=Replay.BY_METHOD, error=err, attempt=1, draw=0.1)
    assert got.retry
    assert got.delay == 7.0


def test_test_send_cap_is_never_retried() -> None:
    """The daily test-send cap resets at midnight: retrying within the call cannot help."""
    err = RateLimitError(429, kind=RateLimitKind.TEST_SENDS)
    got = decide(POLICY, method="POST", replay=Replay.BY_METHOD, error=err, attempt=1, draw=0.5)
    assert not got.retry
