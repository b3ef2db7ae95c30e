"""Property tests: any configuration value constructs, or raises ConfigError; nothing else.

Seeded (derandomize), bounded examples; together with the other property modules under 30 s.
"""

from __future__ import annotations

import math
from typing import Any

from hypothesis import Phase, given, settings
from hypothesis import strategies as st

from ccasync import Client, ConfigError, RateLimiter
from ccasync.config import MAX_SECONDS, RetryPolicy

# No "explain" phase: it imports a deprecated module, an error under filterwarnings=error.
PHASES = [Phase.explicit, Phase.reuse, Phase.generate, Phase.shrink]
SETTINGS = settings(max_examples=150, derandomize=True, deadline=None, phases=PHASES)
ANY_NUMBER = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.booleans(),
    st.none(),
    st.text(max_size=4),
)


@SETTINGS
@given(
    attempts=ANY_NUMBER,
    base=ANY_NUMBER,
    cap=ANY_NUMBER,
    after=ANY_NUMBER,
    pause=ANY_NUMBER,
    draw=st.floats(0, 1, exclude_max=True),
    attempt=st.integers(1, 10_000),
)
def test_retry_policy_is_valid_or_config_error(
    attempts: Any, base: Any, cap: Any, after: Any, pause: Any, draw: float, attempt: int
) -> None:
    """RetryPolicy takes finite bounded numbers only; a valid one always gives a finite delay."""
    try:
        policy = RetryPolicy(
            max_attempts=attempts,
            base_delay=base,
            max_delay=cap,
            max_retry_after=after,
            throttle_pause=pause,
        )
    except ConfigError:
        return
    delay = policy.backoff(attempt, draw)
    assert math.isfinite(delay)
    assert 0 <= delay <= MAX_SECONDS


@SETTINGS
@given(timeout=ANY_NUMBER, connections=ANY_NUMBER, body=ANY_NUMBER, pages=ANY_NUMBER)
def test_client_settings_are_valid_or_config_error(
    timeout: Any, connections: Any, body: Any, pages: Any
) -> None:
    """Client(timeout=, max_connections=, max_body_bytes=, max_pages=): built or ConfigError."""
    try:
        Client(
            access_token="t",
            timeout=timeout,
            max_connections=connections,
            max_body_bytes=body,
            max_pages=pages,
        )
    except ConfigError:
        return
    assert math.isfinite(timeout)


@SETTINGS
@given(rate=ANY_NUMBER, day=ANY_NUMBER, margin=ANY_NUMBER)
def test_rate_limiter_settings_are_valid_or_config_error(rate: Any, day: Any, margin: Any) -> None:
    """RateLimiter(per_second=, per_day=, margin=): built or ConfigError, never OverflowError."""
    try:
        limiter = RateLimiter(per_second=rate, per_day=day, margin=margin)
    except ConfigError:
        return
    assert limiter.per_second is None or 0 < limiter.per_second <= 1_000_000
