"""Retry decisions as data: given the policy, the call and the error, retry or not, and when.

Pure: randomness comes in as a ``draw`` in [0, 1); the requestor does the sleeping. A
``Retry-After`` the server sent (on a 429 or a 5xx) replaces the backoff, capped at
``max_retry_after``.
"""

from __future__ import annotations

import enum

import attrs

from ccasync._protocol import retry_after
from ccasync.config import RetryPolicy
from ccasync.errors import (
    APIError,
    CCAsyncError,
    ConnectError,
    RateLimitError,
    RateLimitKind,
    ServerError,
    TransportError,
)


class Replay(enum.Enum):
    """How safe it is to send a call again when the first try may have landed."""

    BY_METHOD = "by_method"
    """Decide by HTTP method: GET/PUT/DELETE are safe, POST/PATCH are not."""
    UPSERT = "upsert"
    """Repeating has the same effect as sending once (import by email, sign_up_form)."""
    NEVER = "never"
    """Never repeat, even when the request surely did not land (caller handles it)."""


@attrs.frozen
class RetryDecision:
    """Whether to retry, after how many seconds, and why (for logs and the give-up note)."""

    retry: bool
    delay: float = 0.0
    reason: str = ""


def _landed_surely_not(error: CCAsyncError) -> bool:
    # A refused connection or a throttled 429 means the server did not process the request.
    if isinstance(error, ConnectError):
        return True
    return isinstance(error, RateLimitError) and error.kind is RateLimitKind.THROTTLED


def _transient(error: CCAsyncError, policy: RetryPolicy) -> bool:
    if isinstance(error, RateLimitError):
        return error.kind in (RateLimitKind.THROTTLED, RateLimitKind.TOKEN_ENDPOINT)
    if isinstance(error, ServerError):
        return error.status in policy.retry_statuses
    return isinstance(error, TransportError)


def _repeatable(method: str, replay: Replay, policy: RetryPolicy) -> bool:
    if replay is Replay.UPSERT:
        return True
    return replay is Replay.BY_METHOD and method.upper() in policy.safe_methods


def may_have_landed(policy: RetryPolicy, error: CCAsyncError) -> bool:
    """True when a POST that failed with ``error`` may or may not have been processed.

    That is a transient failure (a 5xx of ``retry_statuses``, a timeout, a connection dropped
    after sending) which does not prove the request never reached the server: the answer was
    lost, so only a look at the server can tell whether to send again.
    """
    return _transient(error, policy) and not _landed_surely_not(error)


def decide(
    policy: RetryPolicy,
    *,
    method: str,
    replay: Replay,
    error: CCAsyncError,
    attempt: int,
    draw: float,
) -> RetryDecision:
    """Decide whether try number ``attempt`` (1-based) that failed with ``error`` is retried."""
    if attempt >= policy.max_attempts:
        return RetryDecision(False, reason=f"max_attempts={policy.max_attempts} reached")
    if replay is Replay.NEVER or not _transient(error, policy):
        return RetryDecision(False, reason="not a transient error")
    if not (_repeatable(method, replay, policy) or _landed_surely_not(error)):
        return RetryDecision(False, reason=f"{method} may have landed; not safe to repeat")
    delay = retry_delay(policy, error, attempt, draw)
    return RetryDecision(True, delay, reason=type(error).__name__)


def retry_delay(policy: RetryPolicy, error: CCAsyncError, attempt: int, draw: float) -> float:
    """Seconds before retry ``attempt``: the server's ``Retry-After`` (capped), else backoff."""
    wait = _server_wait(error)
    if wait is not None:
        return min(wait, policy.max_retry_after)
    return policy.backoff(attempt, draw)


def _server_wait(error: CCAsyncError) -> float | None:
    """Seconds the server asked us to wait (``Retry-After``), on a 429 or any other answer."""
    if isinstance(error, RateLimitError):
        return error.retry_after
    if isinstance(error, APIError):  # e.g. a 503 during maintenance
        return retry_after(error.headers)
    return None
