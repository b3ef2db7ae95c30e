"""Shared by the bulk operations: one item's problem, which errors are fatal, the raise helper."""

from __future__ import annotations

import attrs

from ccasync.errors import (
    AuthenticationError,
    BulkError,
    ForbiddenError,
    QuotaExhaustedError,
    RateLimitError,
    RateLimitKind,
)


@attrs.frozen(slots=True)
class RowIssue:
    """One input item that did not make it, and why.

    ``row`` is the 1-based position of the item in the caller's input (for a CSV file: the data
    record number, the header not counted). ``field`` names the offending field or ``None`` when
    the whole item is concerned; ``reason`` is human readable; ``key`` is the item's natural key
    (the email address for contacts) when known.
    """

    row: int
    field: str | None
    reason: str
    key: str | None = None


def raise_bulk_error(what: str, failures: int, total: int, result: object) -> None:
    """Raise :class:`BulkError` carrying ``result`` when ``failures`` > 0; otherwise do nothing."""
    if failures > 0:
        raise BulkError(f"{what}: {failures} of {total} failed", result=result)


def is_fatal(exc: BaseException) -> bool:
    """True for errors that make every further call fail the same way."""
    if isinstance(exc, RateLimitError):
        return exc.kind is RateLimitKind.DAILY_QUOTA
    return isinstance(exc, AuthenticationError | ForbiddenError | QuotaExhaustedError)
