"""The records an import hands back: per-payload outcomes, progress events, the whole result."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Literal

import attrs

from ccasync.ops._common import Outcome, QuotaStop, RowIssue, raise_bulk_error

TERMINAL_OK: Outcome = "completed"
Resume = Literal["journal", "polled", "found", "resent"]
"""How a payload was handled without (or before) a plain POST; see :attr:`ChunkOutcome.resume`."""


@attrs.define(kw_only=True, eq=False)
class ChunkOutcome:
    """What became of one payload (an :class:`~ccasync.ops.ItemOutcome`).

    ``outcome`` is the activity's final state (``completed``, ``failed``, ``cancelled``,
    ``timed_out``), ``not_sent`` when the POST itself failed, or ``unknown`` when the outcome could
    not be learned (activity expired, import stopped, POST timed out after retries); ``error`` is
    the exception behind it, if any. ``rows`` counts the input rows carried (merged duplicates
    included); they all lie within ``first_row..last_row``. ``failed`` counts rows that failed
    remotely, of which ``unmapped_failures`` the API reported only as a count (it named no row),
    see ``reason``. ``not_added_to_lists`` are contacts imported but kept off the lists (they had
    unsubscribed). ``reason`` is set whenever something failed: rows, the whole payload, or
    activity errors that name no row (then the payload is not ``ok`` though no row counts as
    failed).

    ``resume`` says how an earlier run's work was reused (None: posted normally): ``journal``
    (the journal held its final outcome: no call), ``polled`` (the journal held its activity id:
    polled, not sent again), ``found`` (its POST's answer was lost; the activity was found in
    ``GET /activities``: not sent again), ``resent`` (a lost POST was not found there, so the
    payload was sent again: safe, the import is an upsert, but it spent a call).
    """

    index: int
    first_row: int
    last_row: int
    rows: int
    payload_bytes: int
    activity_id: str | None = None
    outcome: Outcome = "pending"
    imported: int = 0
    failed: int = 0
    unmapped_failures: int = 0
    not_added_to_lists: int = 0
    polls: int = 0
    resume: Resume | None = None
    reason: str | None = None
    error: Exception | None = None
    # Sequence, not array[int]: array is subscriptable only from Python 3.12, and the API
    # reference (pdoc) evaluates the annotations of public records.
    whole_chunk_rows: Sequence[int] | None = attrs.field(default=None, repr=False)
    """Input rows of a payload that failed as a whole (kept only in that case)."""

    @property
    def ok(self) -> bool:
        """True when the activity completed, no row of it failed and it reported no error."""
        return self.outcome == TERMINAL_OK and not self.failed and self.reason is None


@attrs.frozen
class ImportProgress:
    """A progress snapshot, sent to the ``progress`` callback after each step (counts so far).

    ``rows_sent`` counts rows placed in payloads; ``chunks_sent`` payloads whose activity was
    created; ``chunks_done`` payloads finished one way or another; ``activities_completed`` those
    whose activity reached ``completed``. The total row count is unknown while streaming.
    """

    rows_read: int
    rows_rejected: int
    rows_sent: int
    chunks_sent: int
    chunks_done: int
    activities_completed: int
    rows_imported: int
    rows_failed: int


@attrs.define(kw_only=True, eq=False)
class ImportResult:
    """Everything an import did, row by row where the API allows.

    Invariants once finished: ``submitted + rejected == rows_read`` and
    ``imported + failed == submitted``. ``rejected_rows`` are rows refused locally (never sent);
    ``failed_rows`` are rows the API named as failed; rows of payloads that failed as a whole, and
    failures the API only counted, are described per payload in ``chunks`` (see
    :meth:`iter_failures`). ``merged`` rows were duplicates folded into an earlier row of the same
    payload (they count as submitted). ``calls`` counts the API calls this import made (retries
    included; calls other tasks make on the same client at the same time are not counted).
    """

    rows_read: int = 0
    submitted: int = 0
    rejected: int = 0
    merged: int = 0
    imported: int = 0
    failed: int = 0
    not_added_to_lists: int = 0
    rejected_rows: list[RowIssue] = attrs.field(factory=list)
    failed_rows: list[RowIssue] = attrs.field(factory=list)
    chunks: list[ChunkOutcome] = attrs.field(factory=list)
    calls: int = 0
    stopped: str | None = None
    """Why the import stopped early (a fatal error), or None when it ran to the end."""
    quota_stop: QuotaStop | None = None
    """Set when the daily quota stopped the import: when it resets and an estimate of the calls
    the rest needs (rerun with the same journal and job id to resume where it stopped)."""

    @property
    def activity_ids(self) -> list[str]:
        """The ids of the import activities created, in submission order."""
        return [c.activity_id for c in self.chunks if c.activity_id is not None]

    @property
    def payloads(self) -> int:
        """Payloads built (one POST each, retries aside)."""
        return len(self.chunks)

    @property
    def ok(self) -> bool:
        """True when nothing was rejected or failed, the import ran to the end and every payload
        is ``ok`` (none reported activity errors)."""
        return not (self.rejected or self.failed or self.stopped or self.failed_items)

    @property
    def failed_items(self) -> list[ChunkOutcome]:
        """The payloads not ``ok`` (failed as a whole, or with failed rows), in order."""
        return [chunk for chunk in self.chunks if not chunk.ok]

    def iter_failures(self) -> Iterator[RowIssue]:
        """Every row that did not make it: rejected, failed by name, then whole failed payloads."""
        yield from self.rejected_rows
        yield from self.failed_rows
        for chunk in self.chunks:
            if chunk.whole_chunk_rows is not None:
                reason = chunk.reason or f"payload {chunk.index} {chunk.outcome}"
                for row in chunk.whole_chunk_rows:
                    yield RowIssue(row, None, reason)

    def raise_for_failures(self) -> None:
        """Raise :class:`ccasync.errors.BulkError` (``.result`` = self) unless :attr:`ok`.

        The count in its message adds the rows that did not make it and the payloads that
        reported errors naming no row.
        """
        flagged = sum(1 for chunk in self.failed_items if not chunk.failed)
        problems = self.rejected + self.failed + flagged
        problems += 1 if self.stopped and not problems else 0
        raise_bulk_error("contact import", problems, self.rows_read, self)

    def progress(self, chunks_done: int) -> ImportProgress:
        """A snapshot of the counts for the progress callback."""
        return ImportProgress(
            rows_read=self.rows_read,
            rows_rejected=self.rejected,
            rows_sent=self.submitted,
            chunks_sent=sum(c.activity_id is not None for c in self.chunks),
            chunks_done=chunks_done,
            activities_completed=sum(c.outcome == TERMINAL_OK for c in self.chunks),
            rows_imported=self.imported,
            rows_failed=self.failed,
        )
