"""What a Client reports about its HTTP exchanges: the event record and the hook type.

Public because hooks are written by users (metrics, tracing) and by :class:`AccountPool`.
"""

from __future__ import annotations

from collections.abc import Callable

import attrs


@attrs.frozen
class RequestEvent:
    """One finished attempt, for metrics hooks.

    ``status`` is None when no HTTP answer came back; ``latency`` is seconds spent in the
    transport (limiter waits excluded); ``error`` is the exception class name (``CancelledError``
    when the caller gave up mid-request) or None.
    """

    method: str
    path: str
    status: int | None
    attempt: int
    latency: float
    error: str | None


EventHook = Callable[[RequestEvent], None]
"""Called with a :class:`RequestEvent` after every HTTP attempt; an exception it raises is logged
and never fails the call."""
