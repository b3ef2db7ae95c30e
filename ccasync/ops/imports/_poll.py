"""When to poll an import activity: a completion-time estimate that learns from answers.

The model: activities of one account run one after another (UNCONFIRMED for the real API, true
in the simulator; if the API runs them in parallel the estimates are only pessimistic), each
taking ``start_delay + max(min_duration, rows * seconds_per_row)``. The defaults are the
simulator's default speed, so there a poll at the predicted time finds the activity done.
A poll that finds it still running slows the estimate down (x1.3), and a finished activity's
server timestamps pull ``seconds_per_row`` toward the measured value.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import attrs

SIM_SECONDS_PER_ROW = 1.5 / 40_000
MIN_SECONDS_PER_ROW = 1e-6
"""The fastest pace an estimate may assume (a million rows per second)."""
MARGIN = 0.05
"""Seconds added after a predicted finish (the simulator advances in 50 ms ticks)."""
MAX_INTERVAL = 60.0
START_DELAY = 0.1
"""Seconds between accepting an activity and starting it (the simulator's default)."""


@attrs.define(eq=False)
class Tracked:
    """One submitted activity waiting for its terminal state."""

    activity_id: str
    rows: int
    due: float
    polls: int = 0
    failures: int = 0
    payload: Any = None
    """The caller's handle (the chunk outcome)."""


@attrs.define
class Estimator:
    """Predicts activity completion times; all times are the caller's clock seconds."""

    seconds_per_row: float = SIM_SECONDS_PER_ROW
    start_delay: float = START_DELAY
    min_duration: float = 0.1
    free_at: float = 0.0

    def duration(self, rows: int) -> float:
        """Predicted processing time of ``rows`` contacts, start delay included."""
        return self.start_delay + max(self.min_duration, rows * self.seconds_per_row)

    def plan(self, tracked: Tracked, now: float) -> None:
        """Set ``tracked.due`` for a newly accepted activity (after those queued before it)."""
        finish = max(now, self.free_at) + self.duration(tracked.rows)
        self.free_at = finish
        tracked.due = finish + MARGIN

    def missed(self, tracked: Tracked, now: float, percent_done: int | None) -> None:
        """A poll found ``tracked`` unfinished: slow down and set its next due time."""
        self.seconds_per_row = min(self.seconds_per_row * 1.3, 1.0)
        self.start_delay = min(self.start_delay * 1.3, 30.0)
        remaining = self.duration(tracked.rows)
        if percent_done:
            remaining *= max(0.05, (100 - percent_done) / 100)
        tracked.due = now + min(max(remaining, 0.1), MAX_INTERVAL) + MARGIN
        self.free_at = max(self.free_at, tracked.due)

    def replan(self, queue: list[Tracked], after: Tracked) -> None:
        """Push the activities queued after ``after`` behind its new due time."""
        free = after.due
        for item in queue[queue.index(after) + 1 :]:
            item.due = max(item.due, free + self.duration(item.rows))
            free = item.due
        self.free_at = max(self.free_at, free)

    def observed(self, seconds: float, rows: int) -> None:
        """A busy server finished ``rows`` rows in ``seconds`` of the caller's clock.

        That pace (start delays and the server's load included) pulls ``seconds_per_row``
        halfway toward it, and the start delay eases back as after a finished activity.
        """
        self.start_delay = max(START_DELAY, self.start_delay * 0.8)
        if rows > 0 and seconds > 0:
            self.seconds_per_row = min(0.5 * self.seconds_per_row + 0.5 * seconds / rows, 1.0)

    def early(self) -> None:
        """Everything planned was found done: the plan was slow; speed it up (x0.85)."""
        self.seconds_per_row = max(self.seconds_per_row * 0.85, MIN_SECONDS_PER_ROW)
        self.start_delay = max(START_DELAY, self.start_delay * 0.8)

    def learned(self, tracked: Tracked, started: Any, completed: Any) -> None:
        """Pull the per-row speed toward what the server's timestamps show.

        The start delay, which only misses make grow, eases back toward its initial value, so
        one slow spell does not make every later poll late.
        """
        self.start_delay = max(START_DELAY, self.start_delay * 0.8)
        if not (isinstance(started, dt.datetime) and isinstance(completed, dt.datetime)):
            return
        seconds = (completed - started).total_seconds()
        if tracked.rows > 0 and seconds > self.min_duration:
            measured = seconds / tracked.rows
            self.seconds_per_row = 0.5 * self.seconds_per_row + 0.5 * measured
