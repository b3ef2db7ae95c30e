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
from collections.abc import AsyncIterable, AsyncIterator, Iterable, Sequence
from typing import TYPE_CHECKING, Literal

import attrs

from ccasync.config import DEFAULT_WAIT_TIMEOUT
from ccasync.errors import CCAsyncError, ValidationError
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


class _Calls:
    """Runs membership calls with at most ``limit`` activities waited on at once."""

    def __init__(self, client: Client, action: Action, limit: int, timeout: float | None) -> None:
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
        if self.stopped is not None:
            chunk.outcome = "not_sent"
            chunk.reason = f"not sent after a fatal error: {self.stopped}"
            return
        try:
            activity = await self._post(list(chunk.list_ids), contact_ids=contact_ids)
        except CCAsyncError as exc:
            # 401/403/daily quota would fail every later call the same way: stop sending.
            if is_fatal(exc):
                self.stopped = str(exc)
            chunk.outcome, chunk.reason, chunk.error = "not_sent", str(exc), exc
            return
        chunk.activity_id = activity.activity_id
        try:
            done = await self._wait(activity, timeout=self._timeout)
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
) -> MembershipResult:
    if isinstance(list_ids, str) or not list_ids:
        raise ValidationError("list_ids", "give at least one list id (a sequence)")
    if not 1 <= concurrency <= 100:
        raise ValidationError("concurrency", "must be within 1..100 (the API queues 1,000)")
    groups = list_groups(list_ids)
    result = MembershipResult(action=action, lists=sum(len(g) for g in groups))
    with client.count_calls() as count:
        calls = _Calls(client, action, concurrency, timeout)
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
) -> MembershipResult:
    """Add every contact in ``contact_ids`` to every list in ``list_ids``; one result per call.

    Calls: ``ceil(contacts/500) * ceil(lists/50)`` POSTs plus status polls; at most
    ``concurrency`` activities are awaited at once. ``timeout``: most seconds to wait for
    each activity (default 3,600; None = no limit). Previously unsubscribed contacts are not
    added (API rule), and a contact can be on at most 50 lists. Failures never raise: see
    :meth:`MembershipResult.raise_for_failures`. Raises ValidationError for empty ``list_ids``.
    """
    return await _run(client, "add", contact_ids, list_ids, concurrency, timeout)


async def remove_from_lists(
    client: Client,
    contact_ids: Iterable[str] | AsyncIterable[str],
    list_ids: Sequence[str],
    *,
    concurrency: int = 4,
    timeout: float | None = DEFAULT_WAIT_TIMEOUT,
) -> MembershipResult:
    """Remove every contact in ``contact_ids`` from every list in ``list_ids``; one result per call.

    Same chunking, limits and failure reporting as :func:`add_to_lists`.
    """
    return await _run(client, "remove", contact_ids, list_ids, concurrency, timeout)
