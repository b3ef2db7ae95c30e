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
import functools
import os
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any, Literal, Protocol

from ccasync.config import check_number
from ccasync.errors import BulkError, CCAsyncError, ValidationError, WaitTimeoutError
from ccasync.journal import JobRun, Journal
from ccasync.ops._common import QuotaStop, RowIssue, is_fatal, is_quota, quota_stop
from ccasync.ops.imports._csv_rows import CsvBatch
from ccasync.ops.imports._encoder import FULL, Chunk, EncodedRun, PayloadBuilder
from ccasync.ops.imports._listing import find_accepted
from ccasync.ops.imports._result import ChunkOutcome, ImportProgress, ImportResult
from ccasync.ops.imports._resume import ImportSteps, import_fingerprint, posted_at, replay_final
from ccasync.ops.imports._row_checks import RowChecker, SeenKeys, row_key, row_keys
from ccasync.ops.imports._source import ColumnMap, ImportSource, open_source
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
DEFAULT_IMPORT_TIMEOUT = 4 * 3600.0
"""The default bound (seconds) of a whole import: UNCONFIRMED how fast the real API imports;
the simulator takes 1.5 s per 40,000 rows, so a million rows take a few minutes there."""

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


async def _custom_fields(
    client: Client, steps: ImportSteps | None
) -> tuple[dict[str, str], dict[str, str]]:
    recorded = steps.fields() if steps is not None else None
    if recorded is not None:
        return recorded  # the names the job's payloads were built with: same rows, no call
    by_name: dict[str, str] = {}
    by_id: dict[str, str] = {}
    async for field in client.custom_fields.iter_all():
        name = field.name or field.label
        by_name[name.casefold()] = name
        by_id[field.custom_field_id] = name
    if steps is not None:
        await steps.record_fields(by_name, by_id)
    return by_name, by_id


class _Import:
    """The state of one import run: the result being filled and the pipeline parts."""

    def __init__(
        self,
        result: ImportResult,
        progress: ProgressCallback | None,
        client: Client,
        steps: ImportSteps | None,
    ) -> None:
        self.result = result
        self.progress = progress
        self.client = client
        self.steps = steps
        self.runner: Runner | None = None
        self.sending: tuple[Chunk, ChunkOutcome] | None = None
        self.posting: asyncio.Task[None] | None = None
        self.problem: ValidationError | None = None
        """A CSV line that could not be read: the import stopped reading there."""

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
        if self.steps is not None and await self._resumed(chunk, outcome, self.steps):
            self.report()
            return
        self.sending = (chunk, outcome)
        self.posting = asyncio.create_task(self._submit(chunk, outcome))

    async def _resumed(self, chunk: Chunk, outcome: ChunkOutcome, steps: ImportSteps) -> bool:
        """Reuse what an earlier run of the job did with ``chunk``; False: POST it (again)."""
        assert self.runner is not None
        data = steps.earlier(chunk)
        if data is None:
            return False
        if data.get("final") is not None:
            chunk.payload = None
            outcome.activity_id = data.get("activity_id")
            outcome.resume = "journal"
            replay_final(self.result, chunk, outcome, data["final"])
            self.runner.done += 1
            return True
        activity_id = data.get("activity_id")
        if activity_id is None:
            activity_id = await self._look_up(chunk, data, steps)
            if activity_id is None:
                outcome.resume = "resent"
                return False
            await steps.accepted(chunk, activity_id)
            outcome.resume = "found"
        else:
            outcome.resume = "polled"
        self.runner.track(chunk, outcome, str(activity_id))
        return True

    async def _look_up(self, chunk: Chunk, data: Any, steps: ImportSteps) -> str | None:
        """The activity of a payload whose POST may have landed (intent, no answer recorded)."""
        try:
            found = await find_accepted(
                self.client,
                chunk.count,
                steps.known_ids(),
                steps.anchor(chunk.index),
                posted_at(data),
            )
        except CCAsyncError as exc:
            if is_fatal(exc):
                raise ImportStopped(str(exc)) from exc
            return None  # sending again is safe (an upsert); it only costs a call
        return found.activity_id if found is not None else None

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
    encoding: str | None = None,
    columns: ColumnMap | None = None,
    timeout: float = DEFAULT_IMPORT_TIMEOUT,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    journal: Journal | None = None,
    job_id: str | None = None,
) -> ImportResult:
    """Import contacts from ``source`` into ``list_ids`` and account for every input row.

    ``source``: a CSV file path (``str`` or ``os.PathLike``; a ``str`` is always a path: pass
    CSV text as ``io.StringIO(text)``), a text or binary file object holding CSV (header row of
    import keys: ``email``, ``first_name``, …, ``cf:<custom field name>``), or an iterable /
    async iterable of mappings of import keys or ``Contact`` records. Rows are numbered from 1
    (CSV: the first record after the header is row 1). Empty cells are absent values: an import
    never blanks a field.

    ``encoding``: of a CSV path or binary stream; None detects a byte order mark (UTF-8,
    UTF-16, UTF-32) or UTF-16 without one, else reads UTF-8 (a non-UTF-8 byte in the first
    64 KiB is refused up front: pass e.g. ``encoding="cp1252"`` for Excel files). ``columns``
    renames CSV header columns to import keys (``{"Email Address": "email", "First Name":
    "first_name"}``, the names of Constant Contact's own exports); a column mapped to None is
    ignored.

    Every row-level problem rejects the row (``rejected_rows``: row, field, reason), never the
    import: a value that is not text or a number, undecodable bytes or lone surrogates, more
    cells than the header has columns, a key that is not a string, an item that is not a
    mapping or ``Contact``.

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

    Resume: with a ``journal`` (e.g. :class:`ccasync.SqliteJournal`) and a ``job_id``, each
    payload's rows are recorded before its POST and its activity id after the 201; rerunning
    the job sends no payload the API accepted, polls the activities still running, and goes on
    from the first payload not sent (payloads are cut the same way from the same input). A
    payload whose POST got no answer is looked up in ``GET /activities`` before it is sent
    again (:attr:`ChunkOutcome.resume` says which happened). A finished job's rerun costs no
    call. Without a journal a rerun sends every row again (safe: the import is an upsert).

    ``timeout``: the most seconds the whole import may take (default 4 h, by ``clock``); when
    it runs out, activities still running are recorded ``unknown`` and the import stops.

    Raises :class:`ValidationError` before any request for bad options, a ``job_id`` rerun with
    another input, and a source that cannot import at all: an unsupported type, a file that
    cannot be opened or is not in its encoding, a CSV header with an unknown or repeated column
    or with neither an ``email`` nor an ``sms_number`` column. Raises
    :class:`CoordinationError` when another process runs the same job, and :class:`BulkError`
    (``.result`` = the partial result, ``.result.stopped`` = why) when the import cannot go on:
    a fatal error (401, 403, daily quota), ``timeout``, or a CSV line that cannot be read
    (longer than 1 MiB, a cell over 131,072 characters); in the last case every row before it
    is imported first. After the daily quota, ``result.quota_stop`` says when it resets and
    estimates the calls still needed. Row problems never raise: see the result and
    :meth:`ImportResult.raise_for_failures`.
    """
    _check_options(list_ids, on_duplicate, concurrency, max_payload_bytes, max_rows)
    check_number("timeout", timeout, low=0, high=30 * 86_400.0)
    if (journal is None) != (job_id is None):
        raise ValidationError("job_id", "give journal= and job_id= together")
    shape = {
        "list_ids": list(list_ids),
        "on_duplicate": on_duplicate,
        "max_payload_bytes": max_payload_bytes,
        "max_rows": max_rows,
        "sms_permission_to_send": sms_permission_to_send,
        "encoding": encoding,
        "columns": dict(columns) if columns is not None else None,
    }
    opened = open_source(source, encoding=encoding, columns=columns)
    try:
        job = (
            JobRun(journal, job_id, await _fingerprint(source, shape))
            if journal is not None and job_id is not None
            else None
        )
        async with job if job is not None else contextlib.nullcontext():
            return await _import(
                client,
                opened,
                functools.partial(_count_payloads, source, encoding, columns),
                list_ids=list_ids,
                seen=SeenKeys() if on_duplicate == "reject" else None,
                concurrency=concurrency,
                progress=progress,
                max_payload_bytes=max_payload_bytes,
                max_rows=max_rows,
                sms_permission_to_send=sms_permission_to_send,
                deadline=_Deadline(clock, sleep, clock() + timeout, timeout),
                clock=clock,
                steps=ImportSteps(job) if job is not None else None,
            )
    finally:
        opened.close()


async def _fingerprint(source: Any, shape: dict[str, Any]) -> str:
    # Reads two blocks of a file: off the event loop.
    return await asyncio.to_thread(import_fingerprint, source, shape)


async def _import(
    client: Client,
    source: ImportSource,
    count_payloads: Callable[..., Awaitable[int | None]],
    *,
    list_ids: Sequence[str],
    seen: SeenKeys | None,
    concurrency: int,
    progress: ProgressCallback | None,
    max_payload_bytes: int,
    max_rows: int,
    sms_permission_to_send: str | None,
    deadline: _Deadline,
    clock: Callable[[], float],
    steps: ImportSteps | None,
) -> ImportResult:
    result = ImportResult()
    with client.count_calls() as count:
        run = _Import(result, progress, client, steps)
        by_name, by_id = await _custom_fields(client, steps)
        checker = RowChecker(by_name)
        make_builder = functools.partial(
            PayloadBuilder,
            list_ids,
            max_bytes=max_payload_bytes,
            max_rows=max_rows,
            merge_duplicates=seen is None,
            sms_permission_to_send=sms_permission_to_send,
        )
        builder = make_builder()
        runner = Runner(
            client,
            result,
            concurrency=concurrency,
            clock=clock,
            sleep=deadline.sleep,
            on_change=run.report,
            steps=steps,
        )
        run.runner = runner
        poller = asyncio.create_task(runner.poll_forever())
        try:
            await _pipeline(run, source, by_id, checker, seen, builder)
            await runner.finish()
        except ImportStopped as stop:
            run.stop(builder, stop)
            if is_quota(stop.__cause__):
                total = await count_payloads((by_name, by_id), make_builder, seen is not None)
                result.quota_stop = _quota_stop(result, total, steps, stop)
            message = f"contact import stopped: {stop}"
            raise BulkError(message, result=result) from stop.__cause__
        finally:
            await run.cancel()
            poller.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await poller
            result.calls = count.calls
    run.report()
    if run.problem is not None:
        result.stopped = str(run.problem)
        message = f"contact import stopped at {run.problem} (rows before it were imported)"
        raise BulkError(message, result=result) from run.problem
    return result


class _Deadline:
    """The import's time bound, applied where the import waits: in the runner's sleeps."""

    def __init__(
        self,
        clock: Callable[[], float],
        sleep: Callable[[float], Awaitable[None]],
        deadline: float,
        timeout: float,
    ) -> None:
        self._clock = clock
        self._sleep = sleep
        self._deadline = deadline
        self._timeout = timeout

    async def sleep(self, seconds: float) -> None:
        """Sleep at most until the deadline; raise WaitTimeoutError once it has passed."""
        left = self._deadline - self._clock()
        if left <= 0:
            raise WaitTimeoutError(f"the import outlasted timeout={self._timeout:g} s")
        await self._sleep(min(seconds, left))


class _Sink(Protocol):
    """Where the per-row loop hands its verdicts: the import run, or a local count."""

    result: ImportResult
    problem: ValidationError | None

    def reject(self, issue: RowIssue) -> None: ...

    def unsent(self, row: int, key: str) -> None: ...

    def report(self) -> None: ...

    async def flush(self) -> None: ...

    async def send(self, chunk: Chunk) -> None: ...


async def _pipeline(
    run: _Sink,
    source: ImportSource,
    by_id: dict[str, str],
    checker: RowChecker,
    seen: SeenKeys | None,
    builder: PayloadBuilder,
) -> None:
    await _read(run, source, by_id, checker, seen, builder)
    await run.flush()
    last = builder.close()
    if last is not None:
        await run.send(last)
    await run.flush()


async def _read(
    run: _Sink,
    source: ImportSource,
    by_id: dict[str, str],
    checker: RowChecker,
    seen: SeenKeys | None,
    builder: PayloadBuilder,
) -> None:
    result = run.result
    batches = source.batches(by_id)
    while True:
        try:
            batch = await anext(batches)
        except StopAsyncIteration:
            break
        except ValidationError as problem:
            # A CSV line that cannot be read: what came before it is still sent, then we stop.
            # Only the source's errors mean this; a journal's refusal (a changed input) raises.
            run.problem = problem
            break
        if type(batch) is CsvBatch and seen is None:
            await _csv_batch(run, batch, checker, builder)
        else:
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
                await _offer(run, builder, row, clean, key)
        run.report()
        # A synchronous source never suspends: let the poller run between batches.
        await asyncio.sleep(0)


async def _csv_batch(
    run: _Sink, batch: CsvBatch, checker: RowChecker, builder: PayloadBuilder
) -> None:
    # The CSV hot path: the batch is validated column-wise and each stretch of clean rows
    # between issues is encoded and taken in a few C-level steps; only rows the builder must
    # decide alone (payload full, a merge, a huge row) take the row-by-row path.
    cleans, issues = checker.check_csv(batch)
    start = 0
    for stop in (*issues, len(cleans)):
        # Stretches of at most _STRETCH rows: their encoding stays small (peak RSS).
        for part in range(start, stop, _STRETCH):
            stretch: list[dict[str, Any]] = cleans[part : min(stop, part + _STRETCH)]  # type: ignore[assignment]
            await _offer_stretch(run, builder, batch.first + part, stretch)
        if stop < len(cleans):
            run.result.rows_read += 1
            run.reject(cleans[stop])  # type: ignore[arg-type]
        start = stop + 1


_STRETCH = 250
"""Most clean rows encoded by one orjson call (~90 kB of JSON): against 1,000 rows this
measured 0.7 MiB less peak RSS for 1.7% of the speed (benchmarks/RESULTS.md)."""


async def _offer_stretch(
    run: _Sink, builder: PayloadBuilder, first_row: int, cleans: list[dict[str, Any]]
) -> None:
    result = run.result
    keys = row_keys(cleans)
    encoded = EncodedRun.encode(cleans)
    at = 0
    while at < len(cleans):
        taken = builder.offer_run(first_row, encoded, at, keys) if encoded is not None else 0
        result.rows_read += taken
        result.submitted += taken
        at += taken
        if at < len(cleans):
            result.rows_read += 1
            await _offer(run, builder, first_row + at, cleans[at], keys[at])
            at += 1


async def _offer(
    run: _Sink, builder: PayloadBuilder, row: int, clean: dict[str, Any], key: str
) -> None:
    """Offer one clean row; a full payload is sent first (after the previous POST finished)."""
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
        return
    run.result.submitted += 1


def _quota_stop(
    result: ImportResult, total: int | None, steps: ImportSteps | None, stop: ImportStopped
) -> QuotaStop:
    """What the rest of a quota-stopped import costs: an estimate of 1 POST + 1 poll per
    payload not accepted, 1 poll per accepted payload not finished (journal), or the whole
    import again (no journal: the rerun starts from row 1)."""
    known = len(result.chunks)
    payloads = max(total or 0, known)
    where = "" if total is not None else " at least (the source cannot be read again to count)"
    if steps is None:
        needed = 1 + 2 * payloads
        note = (
            f"estimate{where}: without a journal the rerun sends all {payloads} payloads again "
            "(1 POST + ~1 poll each) plus 1 custom-field listing"
        )
    else:
        accepted = [c for c in result.chunks if c.activity_id]
        running = sum(
            1 for c in accepted if steps.run.data(f"payload/{c.index}").get("final") is None
        )
        needed = 2 * (payloads - len(accepted)) + running
        note = (
            f"estimate{where}: {payloads - len(accepted)} payloads to send (1 POST + ~1 poll "
            f"each) and {running} accepted activities to poll again; none is sent twice"
        )
    return quota_stop([stop.__cause__], needed, note)


class _PayloadCounter:
    """A :class:`_Sink` that only counts the payloads a local pass over the input closes."""

    def __init__(self) -> None:
        self.result = ImportResult()
        self.problem: ValidationError | None = None
        self.payloads = 0

    def reject(self, issue: RowIssue) -> None:
        """Rejected rows make no payload."""

    def unsent(self, row: int, key: str) -> None:
        """Nothing is sent, so nothing stays unsent."""

    def report(self) -> None:
        """No progress for a count."""

    async def flush(self) -> None:
        """Nothing is being sent."""

    async def send(self, chunk: Chunk) -> None:
        """Count the payload instead of sending it."""
        self.payloads += 1


async def _count_payloads(
    source: Any,
    encoding: str | None,
    columns: ColumnMap | None,
    fields: tuple[dict[str, str], dict[str, str]],
    make_builder: Callable[[], PayloadBuilder],
    reject: bool,
) -> int | None:
    """Payloads the whole input makes (a local pass over a file: no call), None for a stream.

    The pass runs the import's own per-row loop, so the count is the import's.
    """
    if not isinstance(source, str | os.PathLike):
        return None
    counter = _PayloadCounter()
    opened = open_source(source, encoding=encoding, columns=columns)
    try:
        seen = SeenKeys() if reject else None
        await _pipeline(counter, opened, fields[1], RowChecker(fields[0]), seen, make_builder())
    finally:
        opened.close()
    return counter.payloads
