"""Bulk activities: a per-account FIFO queue that advances with the virtual clock.

An activity is ``initialized`` when accepted; it starts ``activity_start_delay`` simulated seconds
after the previous activity of the account completed (UNCONFIRMED: the real queue's concurrency is
undocumented; one at a time makes the 1,000-queued cap reachable), then stays ``processing`` for
``max(activity_min_duration, units * activity_unit_seconds)`` while its work is applied in
proportion to the elapsed time, and ends ``completed`` with ``percent_done`` 100.

A job that raises (a simulator bug or an input no rule caught) ends its activity ``failed``
with the error in ``activity_errors``; the queue goes on with the next activity, so one bad job
never reaches the request that happened to run the tick (UNCONFIRMED: the real API's failure
message is not documented; the state ``failed`` is in the spec).
"""

from __future__ import annotations

import collections
import datetime as dt
import math
from typing import Any, Protocol

from .._http import iso


class Job(Protocol):
    """The work of one activity kind."""

    errors: list[str]

    def start(self) -> int:
        """Resolve the work when processing starts; return the number of work units."""

    def run(self, begin: int, end: int) -> None:
        """Apply work units ``begin`` (inclusive) to ``end`` (exclusive)."""

    def finish(self) -> None:
        """Complete the activity (after the last unit)."""

    def status(self) -> dict[str, Any] | None:
        """The activity's ``status`` object (None when its schema has none)."""


class Activity:
    """One bulk activity and its progress."""

    def __init__(self, activity_id: str, kind: str, job: Job, created: float) -> None:
        """An ``initialized`` activity of ``kind`` created at simulated POSIX time ``created``."""
        self.activity_id = activity_id
        self.kind = kind
        self.job = job
        self.state = "initialized"
        self.created = created
        self.updated = created
        self.started: float | None = None
        self.completed: float | None = None
        self.duration = 0.0
        self.units = 0
        self.done = 0
        self.source_file_name: str | None = None
        self.results_href: str | None = None
        self.object_errors = False

    @property
    def percent_done(self) -> int:
        """0..100; 100 only once completed."""
        if self.state == "completed":
            return 100
        if self.state != "processing" or self.units == 0:
            return 0
        return min(99, math.floor(100 * self.done / self.units))

    def to_json(self) -> dict[str, Any]:
        """The activity as the API shows it."""
        body: dict[str, Any] = {
            "activity_id": self.activity_id,
            "state": self.state,
            "created_at": _iso(self.created),
            "updated_at": _iso(self.updated),
            "percent_done": self.percent_done,
        }
        if self.started is not None:
            body["started_at"] = _iso(self.started)
        if self.completed is not None:
            body["completed_at"] = _iso(self.completed)
        if self.source_file_name is not None:
            body["source_file_name"] = self.source_file_name
        errors = self.job.errors
        body["activity_errors"] = [{"message": e} for e in errors] if self.object_errors else errors
        status = self.job.status()
        if status is not None:
            body["status"] = status
        links: dict[str, Any] = {"self": {"href": f"/v3/activities/{self.activity_id}"}}
        if self.results_href is not None and self.state == "completed":
            links["results"] = {"href": self.results_href}
        body["_links"] = links
        return body


def _iso(stamp: float) -> str:
    return iso(dt.datetime.fromtimestamp(stamp, dt.UTC))


class ActivityQueue:
    """The activities of one account, processed one at a time in arrival order."""

    def __init__(self, start_delay: float, min_duration: float, unit_seconds: float) -> None:
        """Speed knobs in simulated seconds (see ``SimConfig``)."""
        self.start_delay = start_delay
        self.min_duration = min_duration
        self.unit_seconds = unit_seconds
        self.by_id: dict[str, Activity] = {}
        self.pending: collections.deque[Activity] = collections.deque()
        self._free_at = -math.inf
        self.failures: list[tuple[str, str]] = []
        """(activity id, exception repr) of every job that raised: tests assert it stays empty."""

    def __len__(self) -> int:
        """Queued (initialized or processing) activities."""
        return len(self.pending)

    def submit(self, activity: Activity) -> Activity:
        """Queue ``activity``."""
        self.by_id[activity.activity_id] = activity
        self.pending.append(activity)
        return activity

    def tick(self, now: float, max_units: int | None = None) -> bool:
        """Advance the queue to simulated ``now``; True when due work was left for a later call.

        ``max_units`` bounds the rows applied in this call, so that a big import never holds
        the event loop for long: requests keep being answered (and timestamped by the rate
        limiter) while it runs, as the real API's front end would.
        """
        while self.pending:
            head = self.pending[0]
            try:
                if head.state == "initialized" and not self._start(head, now):
                    return False
                if not self._progress(head, now, max_units):
                    return head.done < self._due(head, now)
            except Exception as exc:  # a job's failure stays inside its activity
                self._fail(head, now, exc)
            self.pending.popleft()
        return False

    def _fail(self, activity: Activity, now: float, exc: Exception) -> None:
        activity.state = "failed"
        activity.completed = activity.updated = now
        activity.job.errors.append(f"The activity failed: {type(exc).__name__}.")
        self.failures.append((activity.activity_id, repr(exc)[:500]))
        self._free_at = now

    def _start(self, activity: Activity, now: float) -> bool:
        ready = max(activity.created, self._free_at) + self.start_delay
        if now < ready:
            return False
        activity.state = "processing"
        activity.started = activity.updated = ready
        activity.units = activity.job.start()
        activity.duration = max(self.min_duration, activity.units * self.unit_seconds)
        return True

    def _due(self, activity: Activity, now: float) -> int:
        """Work units that should be done by simulated ``now``."""
        assert activity.started is not None
        fraction = (now - activity.started) / activity.duration
        return activity.units if fraction >= 1 else math.floor(activity.units * fraction)

    def _progress(self, activity: Activity, now: float, max_units: int | None) -> bool:
        target = self._due(activity, now)
        if max_units is not None:
            target = min(target, activity.done + max_units)
        if target > activity.done:
            activity.job.run(activity.done, target)
            activity.done = target
            activity.updated = now
        if activity.done < activity.units:
            return False
        assert activity.started is not None
        activity.job.finish()
        activity.state = "completed"
        activity.completed = activity.updated = activity.started + activity.duration
        self._free_at = activity.completed
        return True

    def visible(self, now: float, retention_days: int) -> list[Activity]:
        """Activities not yet expired (completed ones are kept ``retention_days``), oldest first."""
        horizon = now - retention_days * 86_400
        return [a for a in self.by_id.values() if a.completed is None or a.completed >= horizon]

    def get(self, activity_id: str, now: float, retention_days: int) -> Activity | None:
        """A visible activity by id, or None (unknown or expired)."""
        activity = self.by_id.get(activity_id)
        if activity is None:
            return None
        if activity.completed is not None and activity.completed < now - retention_days * 86_400:
            return None
        return activity
