"""Shared by the bulk operations: the per-item outcome scheme, one item's problem, which errors
are fatal, the raise helper, and what a job stopped by the daily quota still needs."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Literal, Protocol, get_args, runtime_checkable

import attrs

from ccasync.errors import (
    AuthenticationError,
    BulkError,
    ForbiddenError,
    QuotaExhaustedError,
    RateLimitError,
    RateLimitKind,
)
from ccasync.models.activities import TERMINAL_STATES


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


Outcome = Literal[
    "pending",
    "submitted",
    "completed",
    "scheduled",
    "sent",
    "already_scheduled",
    "already_sent",
    "failed",
    "cancelled",
    "timed_out",
    "not_sent",
    "unknown",
]
"""What happened to one item of a bulk operation (one vocabulary for every per-item record).

- ``pending``, ``submitted``: not finished yet (a payload or membership call while running);
- ``completed``: done (the item's activity completed; a pool account's coroutine returned);
- ``scheduled``, ``sent``: a campaign scheduled or sent by this run;
- ``already_scheduled``, ``already_sent``: found so by this run (an earlier run did it);
- ``failed``: did not happen (a step raised, or the activity ended ``failed``);
- ``cancelled``, ``timed_out``: the item's activity ended so;
- ``not_sent``: the request was refused or never made, so sending it again is safe;
- ``unknown``: the outcome could not be learned (the request may have landed).
"""

# Each terminal activity state is the outcome of the same name (a test checks none is missing).
_ACTIVITY_OUTCOMES: dict[str | None, Outcome] = {
    outcome: outcome for outcome in get_args(Outcome) if outcome in TERMINAL_STATES
}


def activity_outcome(state: str | None) -> Outcome:
    """The outcome named by a finished activity's ``state`` (``unknown`` for any other state)."""
    return _ACTIVITY_OUTCOMES.get(state, "unknown")


@runtime_checkable
class ItemOutcome(Protocol):
    """What every per-item record of a bulk operation says, so a caller can handle any the same way.

    The records: :class:`~ccasync.ops.ChunkOutcome` (an import payload),
    :class:`~ccasync.ops.MembershipChunk` (a membership call),
    :class:`~ccasync.ops.CampaignResult` (a fan-out location or activity) and
    :class:`ccasync.AccountOutcome` (a pool account). Each keeps its own fields besides these.
    One rule holds for all: once the item finished, ``reason`` is None exactly when it is
    ``ok``. Anything that failed in it (an exception, an activity that did not complete, rows
    or activity errors the API reported) sets ``reason`` and makes it not ``ok``; an item not
    finished yet (``pending``, ``submitted``) is not ``ok`` and has no reason.
    Import, membership and fan-out results expose the same aggregates: ``ok`` (every item ok),
    ``failed_items`` (the records not ok, in order), ``calls`` (API calls spent) and
    ``raise_for_failures()``. ``AccountPool.map`` returns a plain ``dict`` of
    :class:`~ccasync.AccountOutcome` by account name instead (each account's ``Client`` counts
    its own ``calls``).
    """

    @property
    def outcome(self) -> Outcome:
        """What happened: one of :data:`Outcome`."""

    @property
    def ok(self) -> bool:
        """True when the item ended as asked (done, or found done) and nothing in it failed."""

    @property
    def error(self) -> Exception | None:
        """The exception that made the item fail, if one did (None for a failure the API
        reported as data, such as an activity that ended ``failed``)."""

    @property
    def reason(self) -> str | None:
        """Why the item, or part of it, failed, in words; None when nothing failed (so a
        finished item with a reason is never ``ok``)."""


def raise_bulk_error(what: str, failures: int, total: int, result: object) -> None:
    """Raise :class:`BulkError` carrying ``result`` when ``failures`` > 0; otherwise do nothing."""
    if failures > 0:
        raise BulkError(f"{what}: {failures} of {total} failed", result=result)


def is_fatal(exc: BaseException) -> bool:
    """True for errors that make every further call fail the same way."""
    if isinstance(exc, RateLimitError):
        return exc.kind is RateLimitKind.DAILY_QUOTA
    return isinstance(exc, AuthenticationError | ForbiddenError | QuotaExhaustedError)


def is_quota(exc: BaseException | None) -> bool:
    """True for the errors that mean "the daily budget is spent" (local or server-side)."""
    if isinstance(exc, RateLimitError):
        return exc.kind is RateLimitKind.DAILY_QUOTA
    return isinstance(exc, QuotaExhaustedError)


@attrs.frozen(kw_only=True)
class QuotaStop:
    """A job stopped because the API key's daily budget is spent: rerun it after ``resets_at``.

    ``resets_at`` is the next 00:00 UTC (from the limiter when it refused locally, else from this
    machine's clock); ``calls_needed`` is an ESTIMATE of the calls the rest of the job costs
    (polls and retries vary); ``note`` says how it was counted. With a journal the rerun
    resumes exactly where this run stopped.
    """

    resets_at: dt.datetime
    calls_needed: int
    note: str


def quota_stop(errors: Iterable[BaseException | None], calls_needed: int, note: str) -> QuotaStop:
    """The :class:`QuotaStop` for a job whose ``errors`` include a quota error."""
    resets: dt.datetime | None = None
    for exc in errors:
        at = getattr(exc, "resets_at", None)
        if isinstance(at, dt.datetime) and (resets is None or at > resets):
            resets = at
    if resets is None:
        now = dt.datetime.now(dt.UTC)
        resets = dt.datetime.combine(now.date() + dt.timedelta(days=1), dt.time(), dt.UTC)
    return QuotaStop(resets_at=resets, calls_needed=max(0, calls_needed), note=note)
