"""Submit payloads as import activities, keep a bounded number in flight, poll them adaptively.

One background task polls, with one ``GET /activities`` listing per round for every in-flight
activity, timed to when a batch of them should be done; the caller's task submits. A 429 for
the 1,000-queued-activities cap lowers the in-flight bound and waits for one of this import's
activities to finish (or, with none in flight, backs off for up to ``QUEUE_WAIT_LIMIT``
seconds) instead of sending again at once.
Errors that no retry can cure (401, 403, daily quota) stop the whole import.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import math
import re
from array import array
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from ccasync.errors import (
    CCAsyncError,
    ConnectError,
    NotFoundError,
    RateLimitError,
    RateLimitKind,
    RequestTimeoutError,
    TransportError,
)
from ccasync.models.activities import Activity, ActivityStatus
from ccasync.ops._common import Outcome, RowIssue, activity_outcome, is_fatal
from ccasync.ops.imports._encoder import Chunk
from ccasync.ops.imports._listing import find_accepted
from ccasync.ops.imports._poll import MARGIN, Estimator, Tracked
from ccasync.ops.imports._result import TERMINAL_OK, ChunkOutcome, ImportResult

if TYPE_CHECKING:
    from ccasync.client import Client
    from ccasync.ops.imports._resume import ImportSteps

QUEUE_WAIT_LIMIT = 900.0
NAP = 0.25
"""Longest idle sleep of the poller, so that newly submitted activities are noticed."""
MAX_POLL_FAILURES = 5
LISTING_PAGE = 50
"""Activities read per listing round (one ``GET /activities`` page, newest first)."""
# UNCONFIRMED for the real API: the simulator names rows as "Row <n>: <reason>", n 1-based in
# import_data. Errors that do not match are reported per payload.
_ROW_ERROR = re.compile(r"^\s*row\s+(\d+)\s*[:\-]\s*(.*)$", re.IGNORECASE | re.DOTALL)


class ImportStopped(Exception):
    """A fatal error ended the import; ``__cause__`` is the API error."""


def _all_rows(chunk: Chunk) -> array[int]:
    rows: array[int] = array("I")
    for position in range(chunk.count):
        rows.extend(chunk.input_rows(position))
    return rows


def fail_whole(
    result: ImportResult,
    chunk: Chunk,
    outcome: ChunkOutcome,
    state: Outcome,
    reason: str,
    error: Exception | None = None,
) -> None:
    """Record every row of ``chunk`` as failed remotely (outcome, reason and error on record)."""
    outcome.outcome = state
    outcome.reason = reason
    outcome.error = error
    outcome.failed = outcome.rows
    outcome.whole_chunk_rows = _all_rows(chunk)
    result.failed += outcome.rows


def record_activity(
    result: ImportResult, chunk: Chunk, outcome: ChunkOutcome, activity: Activity
) -> None:
    """Map a terminal import activity's state, counts and errors back to input rows."""
    errors = activity.activity_errors
    if activity.state != TERMINAL_OK:
        fail_whole(
            result,
            chunk,
            outcome,
            activity_outcome(activity.state),
            f"activity {activity.state}: " + "; ".join(errors[:5]),
        )
        return
    outcome.outcome = TERMINAL_OK
    named: dict[int, str] = {}
    others: list[str] = []
    for text in errors:
        found = _ROW_ERROR.match(text)
        if found and 1 <= int(found[1]) <= chunk.count:
            named.setdefault(int(found[1]) - 1, found[2].strip() or text)
        else:
            others.append(text)
    named_rows = 0
    for position, reason in sorted(named.items()):
        for row in chunk.input_rows(position):
            result.failed_rows.append(RowIssue(row, None, reason))
            named_rows += 1
    status = activity.status or ActivityStatus()
    counted = (status.error_count or 0) + (status.correctable_count or 0)
    unmapped = max(0, counted - len(named))
    outcome.unmapped_failures = unmapped
    outcome.failed = min(outcome.rows, named_rows + unmapped)
    outcome.imported = outcome.rows - outcome.failed
    outcome.not_added_to_lists = status.cannot_add_to_list_count or 0
    notes = []
    if named_rows:
        plural = "s" if named_rows != 1 else ""
        notes.append(f"{named_rows} row{plural} failed, each listed in the result's failed_rows")
    if unmapped:
        notes.append(
            f"the API counted {unmapped} failed contacts without naming them "
            f"(somewhere in rows {outcome.first_row}..{outcome.last_row})"
        )
    notes += others[:5]
    outcome.reason = "; ".join(notes) or None
    result.failed += outcome.failed
    result.imported += outcome.imported
    result.not_added_to_lists += outcome.not_added_to_lists


class Runner:
    """Submits chunks and polls their activities; owns the in-flight bound."""

    def __init__(
        self,
        client: Client,
        result: ImportResult,
        *,
        concurrency: int,
        clock: Callable[[], float],
        sleep: Callable[[float], Awaitable[None]],
        on_change: Callable[[], None],
        steps: ImportSteps | None = None,
    ) -> None:
        self._client = client
        self._steps = steps
        self._posted = self.now()
        self._activities = client.activities
        self._result = result
        self._limit = concurrency
        self._clock = clock
        self._sleep = sleep
        self._on_change = on_change
        self.estimator = Estimator()
        self.queue: list[Tracked] = []
        self.done = 0
        self.fatal: BaseException | None = None
        self._closing = False
        self._changed = asyncio.Event()
        self._busy_since: float | None = None
        """Since when the server has had this import's work without a pause (caller's clock)."""

    async def submit(self, chunk: Chunk, outcome: ChunkOutcome) -> None:
        """Wait for a free slot, then create the activity for ``chunk`` and track it."""
        waited = 0.0
        backoff = 5.0
        if self._steps is not None:
            await self._steps.before_post(chunk, outcome, self.now())
        while True:
            await self._wait_for_slot()
            self._posted = self.now()
            try:
                assert chunk.payload is not None
                activity = await self._activities.import_contacts_payload(chunk.payload)
            except RateLimitError as exc:
                if exc.kind is not RateLimitKind.QUEUED_ACTIVITIES:
                    self._not_sent(chunk, outcome, exc)
                    return
                if self.queue:
                    self._limit = max(1, len(self.queue))
                    self._changed.set()  # the slots are full now: a round may be due
                    continue
                if waited >= QUEUE_WAIT_LIMIT:
                    self._not_sent(chunk, outcome, exc)
                    return
                await self._sleep(backoff)
                waited += backoff
                backoff = min(backoff * 2, 60.0)
                continue
            except TransportError as exc:
                if isinstance(exc, ConnectError):  # never reached the server
                    self._not_sent(chunk, outcome, exc)
                    return
                found = await self._look_up(chunk, outcome, exc)
                if found is None:
                    return
                activity = found
            except CCAsyncError as exc:
                self._not_sent(chunk, outcome, exc)
                return
            break
        # A lowered bound stays lowered: the account's queue is shared with other jobs, and
        # raising it again would just meet the same 429 once per payload.
        if self._steps is not None:
            await self._steps.accepted(chunk, activity.activity_id)
        self.track(chunk, outcome, activity.activity_id)

    def now(self) -> dt.datetime:
        """The client's "now" (aware, ``client.campaigns.clock``), compared with activities'
        ``created_at``; the wall clock for a client stand-in without it."""
        campaigns = getattr(self._client, "campaigns", None)
        clock = getattr(campaigns, "clock", None)
        return clock() if callable(clock) else dt.datetime.now(dt.UTC)

    async def _look_up(
        self, chunk: Chunk, outcome: ChunkOutcome, exc: TransportError
    ) -> Activity | None:
        """A POST may have landed (timeout, cut answer, retries spent): look for its activity in
        ``GET /activities`` before reporting the payload's outcome as unknown."""
        known = {c.activity_id for c in self._result.chunks if c.activity_id}
        anchor = next((c.activity_id for c in reversed(self._result.chunks) if c.activity_id), None)
        try:
            found = await find_accepted(self._client, chunk.count, known, anchor, self._posted)
        except CCAsyncError as lookup:
            if is_fatal(lookup):
                raise ImportStopped(str(lookup)) from lookup
            found = None
        if found is None:
            self._not_sent(chunk, outcome, exc)
            return None
        outcome.resume = "found"
        return found

    def track(self, chunk: Chunk, outcome: ChunkOutcome, activity_id: str) -> None:
        """Poll ``activity_id`` (the payload's activity) until it ends."""
        chunk.payload = None
        outcome.activity_id = activity_id
        outcome.outcome = "submitted"
        tracked = Tracked(activity_id, chunk.count, 0.0, payload=(chunk, outcome))
        if self._busy_since is None:
            self._busy_since = self._clock()
        self.estimator.plan(tracked, self._clock())
        self.queue.append(tracked)
        self._changed.set()

    def _not_sent(self, chunk: Chunk, outcome: ChunkOutcome, exc: CCAsyncError) -> None:
        if is_fatal(exc):
            raise ImportStopped(str(exc)) from exc
        chunk.payload = None
        if isinstance(exc, RequestTimeoutError):
            fail_whole(self._result, chunk, outcome, "unknown", f"POST may have landed: {exc}", exc)
        else:
            fail_whole(self._result, chunk, outcome, "not_sent", str(exc), exc)
        self.done += 1
        self._on_change()

    async def _wait_for_slot(self) -> None:
        while len(self.queue) >= self._limit:
            self._raise_if_fatal()
            self._changed.clear()
            await self._changed.wait()
        self._raise_if_fatal()

    def _raise_if_fatal(self) -> None:
        if isinstance(self.fatal, CCAsyncError):
            raise ImportStopped(str(self.fatal)) from self.fatal
        if self.fatal is not None:
            # A bug in the poller, not an API failure: surface it as it is.
            raise self.fatal

    async def finish(self) -> None:
        """Wait until every submitted activity reached a terminal state (or was given up)."""
        self._closing = True
        self._changed.set()
        while self.queue:
            self._raise_if_fatal()
            self._changed.clear()
            await self._changed.wait()
        self._raise_if_fatal()

    async def poll_forever(self) -> None:
        """The poller task: one listing round when a batch is due, sleep otherwise; stops on a
        fatal error."""
        try:
            while not (self._closing and not self.queue):
                if not self.queue:
                    self._changed.clear()
                    await self._changed.wait()
                    continue
                due = self._round_due()
                if due == math.inf:
                    # No round pays off until the submitter fills every slot or closes: both
                    # set the event. Napping here instead would spin a virtual clock (tests'
                    # sleep) or wake for nothing (real time).
                    self._changed.clear()
                    await self._changed.wait()
                    continue
                delay = due - self._clock()
                if delay > 0:
                    await self._sleep(min(delay, NAP))
                    continue
                await self._poll_round()
        except Exception as exc:  # handed to the submitting task: never lost, never a hang
            self.fatal = exc
        finally:
            self._changed.set()

    def _round_due(self) -> float:
        """When the next listing round pays off: calls, not seconds, are the budget.

        While the submitter can still add activities nobody waits for a result: no round.
        Once it waits for a free slot, a round when all but one in-flight activity should be
        done (the last keeps the server busy while the freed slots refill); once nothing more
        will be submitted, a round when all should be done. A miss re-plans, and adds a round.
        """
        dues = sorted(item.due for item in self.queue)
        if self._closing:
            return dues[-1]
        if len(self.queue) < self._limit:
            return float("inf")
        return dues[min(len(dues), max(1, self._limit - 1)) - 1]

    async def _poll_round(self) -> None:
        """Learn every in-flight activity's state from one ``GET /activities`` listing.

        An activity the listing does not show (older than the pages read), or shows finished
        without its counts, is read with its own GET, as is every due one if the listing fails.
        The pace is learned on this process's clock: rows finished since the last round while
        the server had work queued, over the time between the rounds; then every in-flight
        activity is re-planned from it (the running one from its ``percent_done``).
        """
        now = self._clock()
        try:
            listed = await self._listing()
        except CCAsyncError as exc:
            if is_fatal(exc):
                raise
            for item in [t for t in self.queue if t.due <= now]:
                await self._poll(item)
            return
        finished = 0
        missed: tuple[Tracked, Activity] | None = None
        for item in list(self.queue):
            activity = listed.get(item.activity_id)
            if activity is None or (activity.done and activity.status is None):
                if item.due <= now:
                    await self._poll(item)
                continue
            item.polls += 1
            item.payload[1].polls += 1
            if activity.done:
                finished += item.rows
                await self._record_done(item, activity)
            elif missed is None and item.due <= now:
                missed = (item, activity)
        if finished and self.queue and self._busy_since is not None:
            # Work is still left, so the server was busy all along: a true pace.
            self.estimator.observed(now - self._busy_since, finished)
        elif finished and not self.queue:
            # All done: the server may have idled since, so the pace is only known to be
            # faster than planned; learning from the elapsed time would slow every plan.
            self.estimator.early()
        elif missed is not None:
            self.estimator.missed(missed[0], now, missed[1].percent_done)
        self._replan(now, listed)
        self._busy_since = now if self.queue else None

    def _replan(self, now: float, listed: dict[str, Activity]) -> None:
        """Due times of every in-flight activity, one after another from ``now``."""
        free = now
        for item in self.queue:
            activity = listed.get(item.activity_id)
            duration = self.estimator.duration(item.rows)
            if activity is not None and activity.state == "processing" and activity.percent_done:
                duration *= max(0.05, (100 - activity.percent_done) / 100)
            free += duration
            item.due = free + MARGIN
        self.estimator.free_at = free

    async def _listing(self) -> dict[str, Activity]:
        """The in-flight activities found in the newest ``LISTING_PAGE`` ones, by id.

        UNCONFIRMED: that the API lists the newest first (the simulator does); if it does not,
        the ones missing here are read one by one, never lost.
        """
        wanted = {item.activity_id for item in self.queue}
        found: dict[str, Activity] = {}
        seen = 0
        async for activity in self._activities.iter_all(limit=LISTING_PAGE):
            seen += 1
            if activity.activity_id in wanted:
                found[activity.activity_id] = activity
            if len(found) == len(wanted) or seen >= LISTING_PAGE:
                break
        return found

    async def _poll(self, item: Tracked) -> None:
        chunk, outcome = item.payload
        item.polls += 1
        outcome.polls += 1
        try:
            activity = await self._activities.get(item.activity_id)
        except NotFoundError as exc:
            fail_whole(
                self._result, chunk, outcome, "unknown", f"activity no longer visible: {exc}", exc
            )
            self._finish(item)
            return
        except CCAsyncError as exc:
            if is_fatal(exc):
                raise
            item.failures += 1
            if item.failures >= MAX_POLL_FAILURES:
                fail_whole(self._result, chunk, outcome, "unknown", f"status unknown: {exc}", exc)
                self._finish(item)
                return
            item.due = self._clock() + min(2.0**item.failures, 30.0)
            return
        if not activity.done:
            self.estimator.missed(item, self._clock(), activity.percent_done)
            self.estimator.replan(self.queue, item)
            return
        await self._completed(item, activity)

    async def _completed(self, item: Tracked, activity: Activity) -> None:
        self.estimator.learned(item, activity.started_at, activity.completed_at)
        await self._record_done(item, activity)

    async def _record_done(self, item: Tracked, activity: Activity) -> None:
        """Account for a finished activity's rows, journal its outcome, free its slot."""
        chunk, outcome = item.payload
        named = len(self._result.failed_rows)
        record_activity(self._result, chunk, outcome, activity)
        if self._steps is not None:
            await self._steps.finished(outcome, self._result.failed_rows[named:])
        self._finish(item)

    def _finish(self, item: Tracked) -> None:
        self.queue.remove(item)
        self.done += 1
        self._changed.set()
        self._on_change()
