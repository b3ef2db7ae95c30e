"""Bulk contact import: stream a source into size-aware JSON import payloads; account for every row.

Example::

    async with ccasync.Client(access_token=token) as cc:
        result = await import_contacts(cc, "contacts.csv", list_ids=[list_id])
        print(result.imported, result.rejected, result.failed)
        result.raise_for_failures()

Pipeline: read (streaming, batches of 1,000) → validate each row → encode into one reused
payload buffer, closed before it reaches ``max_payload_bytes`` or exceeds ``max_rows`` → POST
``/activities/contacts_json_import`` in the background while the next payload is encoded (at
most ``concurrency`` activities running) → poll them all with one activity listing when a batch
should be done → map errors and counts back to input rows. Memory stays flat in the input size (one
payload buffer plus one finished payload; see :func:`import_contacts` for the one exception).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any, Literal

from ccasync.errors import BulkError, ValidationError
from ccasync.ops._common import RowIssue
from ccasync.ops.imports._encoder import FULL, Chunk, PayloadBuilder
from ccasync.ops.imports._result import ChunkOutcome, ImportProgress, ImportResult
from ccasync.ops.imports._row_checks import RowChecker, SeenKeys, row_key
from ccasync.ops.imports._source import read_batches
from ccasync.ops.imports._submit import ImportStopped, Runner, fail_whole

if TYPE_CHECKING:
    from ccasync.client import Client

__all__ = [
    "API_MAX_PAYLOAD_BYTES",
    "API_MAX_ROWS",
    "DEFAULT_MAX_PAYLOAD_BYTES",
    "ChunkOutcome",
    "ImportProgress",
    "ImportResult",
    "RowIssue",
    "import_contacts",
]

API_MAX_PAYLOAD_BYTES = 4_000_000
"""The API keeps at most this many bytes of a JSON import body (§8.1: "< 4 MB")."""
API_MAX_ROWS = 40_000
"""The API keeps at most this many contacts of one JSON import (§8.1)."""
DEFAULT_MAX_PAYLOAD_BYTES = 3_900_000
"""The default payload cap: 100 kB under the API limit, in case "4 MB" is counted differently."""
MAX_LIST_IDS = 50

ProgressCallback = Callable[[ImportProgress], None]


def _check_options(
    list_ids: Sequence[str], on_duplicate: str, concurrency: int, max_bytes: int, max_rows: int
) -> None:
    if isinstance(list_ids, str) or not 1 <= len(list_ids) <= MAX_LIST_IDS:
        raise ValidationError("list_ids", f"give 1 to {MAX_LIST_IDS} list ids (a sequence)")
    if on_duplicate not in ("merge", "reject"):
        raise ValidationError("on_duplicate", "must be 'merge' or 'reject'", value=on_duplicate)
    if not 1 <= concurrency <= 100:
        raise ValidationError(
            "concurrency", "must be within 1..100 (the API queues 1,000 per account)"
        )
    if not 1_000 <= max_bytes <= API_MAX_PAYLOAD_BYTES:
        raise ValidationError(
            "max_payload_bytes", f"must be within 1,000..{API_MAX_PAYLOAD_BYTES:,}"
        )
    if not 1 <= max_rows <= API_MAX_ROWS:
        raise ValidationError("max_rows", f"must be within 1..{API_MAX_ROWS:,}")


async def _custom_fields(client: Client) -> tuple[dict[str, str], dict[str, str]]:
    by_name: dict[str, str] = {}
    by_id: dict[str, str] = {}
    async for field in client.custom_fields.iter_all():
        name = field.name or field.label
        by_name[name.casefold()] = name
        by_id[field.custom_field_id] = name
    return by_name, by_id


class _Import:
    """The state of one import run: the result being filled and the pipeline parts."""

    def __init__(self, result: ImportResult, progress: ProgressCallback | None) -> None:
        self.result = result
        self.progress = progress
        self.runner: Runner | None = None
        self.sending: tuple[Chunk, ChunkOutcome] | None = None
        self.posting: asyncio.Task[None] | None = None

    def report(self) -> None:
        if self.progress is not None:
            self.progress(self.result.progress(self.runner.done if self.runner else 0))

    def reject(self, issue: RowIssue) -> None:
        self.result.rejected += 1
        self.result.rejected_rows.append(issue)

    def unsent(self, row: int, key: str) -> None:
        """Account for a row read but never placed in a payload (the import stopped)."""
        self.result.submitted += 1
        self.result.failed += 1
        self.result.failed_rows.append(RowIssue(row, None, "not sent: the import stopped", key))

    def outcome_for(self, chunk: Chunk) -> ChunkOutcome:
        merged = sum(len(rows) for rows in chunk.merged.values())
        first = min(chunk.rows)
        if chunk.merged:
            first = min(first, *(min(rows) for rows in chunk.merged.values()))
        outcome = ChunkOutcome(
            index=chunk.index,
            first_row=first,
            last_row=max(chunk.rows),
            rows=chunk.count + merged,
            payload_bytes=chunk.size,
        )
        self.result.merged += merged
        self.result.chunks.append(outcome)
        return outcome

    async def send(self, chunk: Chunk) -> None:
        """Start submitting ``chunk`` in the background (after the previous one is through)."""
        await self.flush()
        outcome = self.outcome_for(chunk)
        self.sending = (chunk, outcome)
        self.posting = asyncio.create_task(self._submit(chunk, outcome))

    async def _submit(self, chunk: Chunk, outcome: ChunkOutcome) -> None:
        assert self.runner is not None
        await self.runner.submit(chunk, outcome)
        self.sending = None
        self.report()

    async def flush(self) -> None:
        """Wait until the chunk being submitted is through (raises what its submission raised)."""
        if self.posting is not None:
            task, self.posting = self.posting, None
            await task

    async def cancel(self) -> None:
        """Abandon a submission still running (the import is failing for another reason)."""
        if self.posting is not None:
            self.posting.cancel()
            with contextlib.suppress(asyncio.CancelledError, ImportStopped):
                await self.posting
            self.posting = None

    def stop(self, builder: PayloadBuilder, stop: ImportStopped) -> None:
        """Account for every row not confirmed when a fatal error stopped the import."""
        assert self.runner is not None
        self.result.stopped = str(stop)
        cause = stop.__cause__ if isinstance(stop.__cause__, Exception) else None
        for tracked in self.runner.queue:
            chunk, outcome = tracked.payload
            reason = f"import stopped first: {stop}"
            fail_whole(self.result, chunk, outcome, "unknown", reason, cause)
        unsent = [self.sending] if self.sending is not None else []
        rest = builder.close()
        if rest is not None:
            unsent.append((rest, self.outcome_for(rest)))
        for chunk, outcome in unsent:
            fail_whole(self.result, chunk, outcome, "not_sent", f"import stopped: {stop}", cause)


async def import_contacts(
    client: Client,
    source: Any,
    *,
    list_ids: Sequence[str],
    on_duplicate: Literal["merge", "reject"] = "merge",
    concurrency: int = 8,
    progress: ProgressCallback | None = None,
    max_payload_bytes: int = DEFAULT_MAX_PAYLOAD_BYTES,
    max_rows: int = API_MAX_ROWS,
    sms_permission_to_send: Literal["explicit", "not_set"] | None = None,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> ImportResult:
    """Import contacts from ``source`` into ``list_ids`` and account for every input row.

    ``source``: a CSV path or text file object (header row of import keys: ``email``,
    ``first_name``, …, ``cf:<custom field name>``), or an iterable / async iterable of mappings
    of import keys or ``Contact`` records. Rows are numbered from 1 (CSV: the first record after
    the header is row 1). Empty cells are absent values: an import never blanks a field.

    ``on_duplicate`` — an email seen earlier in the input: ``"merge"`` (default) folds the later
    row into the earlier one (the later row's non-empty values win): inside one payload locally,
    across payloads through the API's upsert by email, in submission order (UNCONFIRMED that the
    API runs a account's imports in order). ``"reject"`` keeps the first row and rejects later
    ones; it keeps a 64-bit hash per distinct email (≤ 16 bytes each), the only memory that
    grows with the input.

    Limits: every payload stays below ``max_payload_bytes`` (≤ 4,000,000) and holds at most
    ``max_rows`` (≤ 40,000) contacts; at most ``concurrency`` activities are queued at once.
    API calls: 1 to list custom fields per 100 of them, 1 POST per payload, and one
    ``GET /activities`` listing per polling round for every in-flight activity (a round when
    ``concurrency - 1`` of them should be done, adaptive: about 1 per 7 payloads at the
    default 8). ``clock``/``sleep`` are injectable for tests.

    Raises :class:`ValidationError` for bad options or a CSV header with an unknown column
    (before any request), and :class:`BulkError` (``.result`` = the partial result) when a
    fatal error (401, 403, daily quota) stops the import. Row problems never raise: see the
    result and :meth:`ImportResult.raise_for_failures`.
    """
    _check_options(list_ids, on_duplicate, concurrency, max_payload_bytes, max_rows)
    calls_before = client.calls
    result = ImportResult()
    run = _Import(result, progress)
    by_name, by_id = await _custom_fields(client)
    checker = RowChecker(by_name)
    seen = SeenKeys() if on_duplicate == "reject" else None
    builder = PayloadBuilder(
        list_ids,
        max_bytes=max_payload_bytes,
        max_rows=max_rows,
        merge_duplicates=seen is None,
        sms_permission_to_send=sms_permission_to_send,
    )
    runner = Runner(
        client, result, concurrency=concurrency, clock=clock, sleep=sleep, on_change=run.report
    )
    run.runner = runner
    poller = asyncio.create_task(runner.poll_forever())
    try:
        await _pipeline(run, source, by_id, checker, seen, builder)
        await runner.finish()
    except ImportStopped as stop:
        run.stop(builder, stop)
        raise BulkError(f"contact import stopped: {stop}", result=result) from stop.__cause__
    finally:
        await run.cancel()
        poller.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await poller
        result.calls = client.calls - calls_before
    run.report()
    return result


async def _pipeline(
    run: _Import,
    source: Any,
    by_id: dict[str, str],
    checker: RowChecker,
    seen: SeenKeys | None,
    builder: PayloadBuilder,
) -> None:
    result = run.result
    async for batch in read_batches(source, by_id):
        for row, record in batch:
            result.rows_read += 1
            clean = checker.check(row, record)
            if isinstance(clean, RowIssue):
                run.reject(clean)
                continue
            key = row_key(clean)
            if seen is not None and not seen.add(key):
                run.reject(
                    RowIssue(
                        row, "email", "duplicate of an earlier row (on_duplicate='reject')", key
                    )
                )
                continue
            outcome = builder.offer(row, clean, key)
            if outcome is FULL:
                # Let the previous POST finish before the next payload exists: one in memory.
                try:
                    await run.flush()
                except ImportStopped:
                    run.unsent(row, key)
                    raise
                await run.send(builder.close_full())
                outcome = builder.offer(row, clean, key)
            if isinstance(outcome, RowIssue):
                run.reject(outcome)
                continue
            result.submitted += 1
        run.report()
        # A synchronous source never suspends: let the poller run between batches.
        await asyncio.sleep(0)
    await run.flush()
    last = builder.close()
    if last is not None:
        await run.send(last)
    await run.flush()
