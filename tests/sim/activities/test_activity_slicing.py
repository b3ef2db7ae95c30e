"""Bulk activities are applied in bounded slices outside clock advances, losing nothing."""

from __future__ import annotations

from typing import Any

from ccasync.sim.activities.queue import Activity, ActivityQueue


class CountingJob:
    """A job of ``units`` rows that records which ranges were applied."""

    def __init__(self, units: int) -> None:
        self.units = units
        self.errors: list[str] = []
        self.ranges: list[tuple[int, int]] = []
        self.finished = False

    def start(self) -> int:
        return self.units

    def run(self, begin: int, end: int) -> None:
        self.ranges.append((begin, end))

    def finish(self) -> None:
        self.finished = True

    def status(self) -> dict[str, Any] | None:
        return None


def _queue_with(units: int) -> tuple[ActivityQueue, Activity, CountingJob]:
    queue = ActivityQueue(start_delay=0.0, min_duration=1.0, unit_seconds=0.0)
    job = CountingJob(units)
    activity = queue.submit(Activity("a1", "contacts_json_import", job, created=0.0))
    return queue, activity, job


def test_sliced_ticks_apply_every_row_once_then_complete() -> None:
    """With max_units, due rows come in slices; completion waits for the last row."""
    queue, activity, job = _queue_with(1000)
    backlogs = []
    while activity.state != "completed":
        backlogs.append(queue.tick(now=5.0, max_units=100))
    assert backlogs == [True] * 9 + [False]
    assert job.ranges == [(i, i + 100) for i in range(0, 1000, 100)]
    assert job.finished
    assert activity.completed == 1.0  # the simulated schedule, not the slicing, dates it


def test_unbounded_tick_applies_everything_due_at_once() -> None:
    """A clock advance (no max_units) runs all due rows in one call, as before."""
    queue, activity, job = _queue_with(1000)
    assert queue.tick(now=5.0) is False
    assert activity.state == "completed"
    assert job.ranges == [(0, 1000)]


def test_slices_never_run_ahead_of_simulated_time() -> None:
    """Half-way through the duration only the rows due by then are applied."""
    queue, activity, _ = _queue_with(1000)
    while queue.tick(now=0.5, max_units=100):
        pass
    assert activity.done == 500
    assert activity.state == "processing"
