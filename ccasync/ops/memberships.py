"""Add many contacts to, or remove them from, many lists: chunked to the API's limits, with results.

One ``add_list_memberships`` / ``remove_list_memberships`` call takes at most 500 contact ids and
50 target lists (reference §8.1), so N contacts and L lists cost ``ceil(N/500) * ceil(L/50)``
POSTs, plus the status polls of ``cc.activities.wait`` (about one per call at the simulator's
speed). Both operations are upserts: a chunk whose answer was lost is safely sent again by the
client's retry policy. Contact ids are streamed: memory holds one chunk of ids per call in flight.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterable, AsyncIterator, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal

import attrs

from ccasync.config import DEFAULT_WAIT_TIMEOUT
from ccasync.errors import CCAsyncError, ValidationError
from ccasync.journal import JobRun, Journal, fingerprint
from ccasync.ops._common import Outcome, activity_outcome, is_fatal, raise_bulk_error

if TYPE_CHECKING:
    from ccasync.client import Client

__all__ = [
    "MAX_CONTACTS_PER_CALL",
    "MAX_LISTS_PER_CALL",
    "MembershipChunk",
    "MembershipResult",
    "add_to_lists",
    "remove_from_lists",
]

MAX_CONTACTS_PER_CALL = 500
MAX_LISTS_PER_CALL = 50
Action = Literal["add", "remove"]


@attrs.define(kw_only=True, eq=False)
class MembershipChunk:
    """One API call: contacts ``first..first+count-1`` (1-based input positions) × ``list_ids``.

    An :class:`~ccasync.ops.ItemOutcome`. ``outcome``: the activity's final state
    (``completed``, ``failed``, ``cancelled``, ``timed_out``), ``not_sent`` when the call was
    refused, or ``unknown`` when its outcome could not be learned; ``reason`` says why (the
    activity's state if it did not complete, then its errors), and is None exactly when the call
    is ``ok``; ``error`` is the exception, if any. ``contact_ids`` are kept only
    for chunks that did not complete, so the caller can retry them.
    """

    index: int
    first: int
    count: int
    list_ids: tuple[str, ...]
    activity_id: str | None = None
    outcome: Outcome = "pending"
    reason: str | None = None
    error: Exception | None = None
    contact_ids: tuple[str, ...] | None = attrs.field(default=None, repr=False)

    @property
    def ok(self) -> bool:
        """True when the activity completed without errors."""
        return self.outcome == "completed" and self.reason is None


@attrs.define(kw_only=True, eq=False)
class MembershipResult:
    """What a bulk membership operation did, call by call.

    ``contacts`` counts the ids read, ``chunks`` lists every call made (or refused);
    ``calls`` is the client's call counter delta (POSTs, polls and retries).
    """

    action: Action
    contacts: int = 0
    lists: int = 0
    chunks: list[MembershipChunk] = attrs.field(factory=list)
    calls: int = 0

    @property
    def failed_items(self) -> list[MembershipChunk]:
        """Calls that did not complete cleanly (their ``contact_ids`` are kept)."""
        return [c for c in self.chunks if not c.ok]

    @property
    def activity_ids(self) -> list[str]:
        """The activities created, in call order."""
        return [c.activity_id for c in self.chunks if c.activity_id is not None]

    @property
    def ok(self) -> bool:
        """True when every call completed cleanly."""
        return not self.failed_items

    def raise_for_failures(self) -> None:
        """Raise :class:`ccasync.errors.BulkError` (``.result`` = self) if a call failed."""
        raise_bulk_error(
            f"list membership {self.action}", len(self.failed_items), len(self.chunks), self
        )


async def _batches(contact_ids: Iterable[str] | AsyncIterable[str]) -> AsyncIterator[list[str]]:
    if isinstance(contact_ids, AsyncIterable):
        batch: list[str] = []
        async for contact_id in contact_ids:
            batch.append(contact_id)
            if len(batch) == MAX_CONTACTS_PER_CALL:
                yield batch
                batch = []
        if batch:
            yield batch
        return
    iterator = iter(contact_ids)
    while batch := list(itertools.islice(iterator, MAX_CONTACTS_PER_CALL)):
        yield batch


def list_groups(list_ids: Sequence[str]) -> list[tuple[str, ...]]:
    """``list_ids`` cut into groups of at most 50 (duplicates dropped, order kept)."""
    unique = tuple(dict.fromkeys(list_ids))
    return [unique[i : i + MAX_LISTS_PER_CALL] for i in range(0, len(unique), MAX_LISTS_PER_CALL)]


class _Journaled:
    """A membership job's journal: ``chunk/<k>`` holds the ids' digest (intent, before the
    POST), the activity id (after the 201) and the final outcome (after the wait)."""

    def __init__(self, run: JobRun) -> None:
        self.run = run

    def earlier(self, chunk: MembershipChunk, contact_ids: list[str]) -> Mapping[str, Any]:
        """What an earlier run recorded for ``chunk`` (checked to be the same ids), or {}."""
        data = self.run.data(f"chunk/{chunk.index}")
        if data and data.get("digest") != _digest(chunk, contact_ids):
            raise ValidationError(
                "job_id",
                f"call {chunk.index} (contacts {chunk.first}..) holds other ids than when this "
                "job ran before: the input changed; use a new job_id",
                value=self.run.job_id,
            )
        return data

    async def before(self, chunk: MembershipChunk, contact_ids: list[str]) -> None:
        await self.run.intend(f"chunk/{chunk.index}", digest=_digest(chunk, contact_ids))

    async def accepted(self, chunk: MembershipChunk) -> None:
        await self.run.record(f"chunk/{chunk.index}", activity_id=chunk.activity_id)

    async def finished(self, chunk: MembershipChunk) -> None:
        if chunk.outcome in ("completed", "failed", "cancelled", "timed_out"):
            final = {"outcome": chunk.outcome, "reason": chunk.reason}
            await self.run.record(f"chunk/{chunk.index}", final=final)


def _digest(chunk: MembershipChunk, contact_ids: list[str]) -> str:
    return fingerprint(list(chunk.list_ids), contact_ids)


class _Calls:
    """Runs membership calls with at most ``limit`` activities waited on at once."""

    def __init__(
        self,
        client: Client,
        action: Action,
        limit: int,
        timeout: float | None,
        journaled: _Journaled | None = None,
    ) -> None:
        self._journaled = journaled
        activities = client.activities
        self._post = (
            activities.add_list_memberships
            if action == "add"
            else activities.remove_list_memberships
        )
        self._wait = activities.wait
        self._timeout = timeout
        self._slots = asyncio.Semaphore(limit)
        self._tasks: set[asyncio.Task[None]] = set()
        self.stopped: str | None = None

    async def start(self, chunk: MembershipChunk, contact_ids: list[str]) -> None:
        await self._slots.acquire()
        task = asyncio.create_task(self._run(chunk, contact_ids))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def finish(self) -> None:
        if self._tasks:
            await asyncio.gather(*self._tasks)

    async def cancel(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _run(self, chunk: MembershipChunk, contact_ids: list[str]) -> None:
        try:
            await self._call(chunk, contact_ids)
        finally:
            self._slots.release()
        if not chunk.ok:
            chunk.contact_ids = tuple(contact_ids)

    async def _call(self, chunk: MembershipChunk, contact_ids: list[str]) -> None:
        journaled = self._journaled
        earlier = journaled.earlier(chunk, contact_ids) if journaled is not None else {}
        final = earlier.get("final")
        if final is not None:  # an earlier run of the job saw it end: no call
            chunk.activity_id = earlier.get("activity_id")
            chunk.outcome, chunk.reason = final["outcome"], final["reason"]
            return
        if earlier.get("activity_id"):
            chunk.activity_id = str(earlier["activity_id"])
            await self._wait_for(chunk, chunk.activity_id)
        else:
            # An intent without an answer is sent again: memberships are upserts.
            await self._post_and_wait(chunk, contact_ids)
        if journaled is not None:
            await journaled.finished(chunk)

    async def _post_and_wait(self, chunk: MembershipChunk, contact_ids: list[str]) -> None:
        if self.stopped is not None:
            chunk.outcome = "not_sent"
            chunk.reason = f"not sent after a fatal error: {self.stopped}"
            return
        if self._journaled is not None:
            await self._journaled.before(chunk, contact_ids)
        try:
            activity = await self._post(list(chunk.list_ids), contact_ids=contact_ids)
        except CCAsyncError as exc:
            # 401/403/daily quota would fail every later call the same way: stop sending.
            if is_fatal(exc):
                self.stopped = str(exc)
            chunk.outcome, chunk.reason, chunk.error = "not_sent", str(exc), exc
            return
        chunk.activity_id = activity.activity_id
        if self._journaled is not None:
            await self._journaled.accepted(chunk)
        await self._wait_for(chunk, activity.activity_id)

    async def _wait_for(self, chunk: MembershipChunk, activity_id: str) -> None:
        try:
            done = await self._wait(activity_id, timeout=self._timeout)
        except CCAsyncError as exc:  # WaitTimeoutError included
            chunk.outcome, chunk.reason, chunk.error = "unknown", f"status unknown: {exc}", exc
            return
        chunk.outcome = activity_outcome(done.state)
        # Whatever went wrong is named, so that reason is None exactly when the call is ok.
        notes = [] if chunk.outcome == "completed" else [f"activity {done.state}"]
        notes += list(done.activity_errors or ())[:5]
        chunk.reason = "; ".join(notes) or None


async def _run(
    client: Client,
    action: Action,
    contact_ids: Iterable[str] | AsyncIterable[str],
    list_ids: Sequence[str],
    concurrency: int,
    timeout: float | None,
    journal: Journal | None = None,
    job_id: str | None = None,
) -> MembershipResult:
    if (journal is None) != (job_id is None):
        raise ValidationError("job_id", "give journal= and job_id= together")
    if journal is None or job_id is None:
        return await _run_calls(client, action, contact_ids, list_ids, concurrency, timeout, None)
    # The ids may be a stream: the job is its action and lists; each call's ids are checked.
    async with JobRun(journal, job_id, fingerprint(action, list(list_ids))) as run:
        return await _run_calls(
            client, action, contact_ids, list_ids, concurrency, timeout, _Journaled(run)
        )


async def _run_calls(
    client: Client,
    action: Action,
    contact_ids: Iterable[str] | AsyncIterable[str],
    list_ids: Sequence[str],
    concurrency: int,
    timeout: float | None,
    journaled: _Journaled | None,
) -> MembershipResult:
    if isinstance(list_ids, str) or not list_ids:
        raise ValidationError("list_ids", "give at least one list id (a sequence)")
    if not 1 <= concurrency <= 100:
        raise ValidationError("concurrency", "must be within 1..100 (the API queues 1,000)")
    groups = list_groups(list_ids)
    result = MembershipResult(action=action, lists=sum(len(g) for g in groups))
    with client.count_calls() as count:
        calls = _Calls(client, action, concurrency, timeout, journaled)
        try:
            async for batch in _batches(contact_ids):
                first = result.contacts + 1
                result.contacts += len(batch)
                for group in groups:
                    chunk = MembershipChunk(
                        index=len(result.chunks), first=first, count=len(batch), list_ids=group
                    )
                    result.chunks.append(chunk)
                    await calls.start(chunk, batch)
            await calls.finish()
        except BaseException:
            await calls.cancel()
            raise
        finally:
            result.calls = count.calls
    return result


async def add_to_lists(
    client: Client,
    contact_ids: Iterable[str] | AsyncIterable[str],
    list_ids: Sequence[str],
    *,
    concurrency: int = 4,
    timeout: float | None = DEFAULT_WAIT_TIMEOUT,
    journal: Journal | None = None,
    job_id: str | None = None,
) -> MembershipResult:
    """Add every contact in ``contact_ids`` to every list in ``list_ids``; one result per call.

    Calls: ``ceil(contacts/500) * ceil(lists/50)`` POSTs plus status polls; at most
    ``concurrency`` activities are awaited at once. ``timeout``: most seconds to wait for
    each activity (default 3,600; None = no limit). Previously unsubscribed contacts are not
    added (API rule), and a contact can be on at most 50 lists. Failures never raise: see
    :meth:`MembershipResult.raise_for_failures`. Raises ValidationError for empty ``list_ids``.

    With ``journal``/``job_id`` each call is journaled (its ids' digest before the POST, its
    activity id after, its outcome at the end): a rerun makes no call for calls that ended,
    waits on activities still running, and sends again only calls whose answer was lost (an
    upsert: safe). A call whose ids differ from the earlier run's is a ValidationError.
    """
    return await _run(client, "add", contact_ids, list_ids, concurrency, timeout, journal, job_id)


async def remove_from_lists(
    client: Client,
    contact_ids: Iterable[str] | AsyncIterable[str],
    list_ids: Sequence[str],
    *,
    concurrency: int = 4,
    timeout: float | None = DEFAULT_WAIT_TIMEOUT,
    journal: Journal | None = None,
    job_id: str | None = None,
) -> MembershipResult:
    """Remove every contact in ``contact_ids`` from every list in ``list_ids``; one result per call.

    Same chunking, limits, failure reporting and journal resume as :func:`add_to_lists`.
    """
    return await _run(
        client, "remove", contact_ids, list_ids, concurrency, timeout, journal, job_id
    )
