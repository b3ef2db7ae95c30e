"""Unit tests of the completion-time estimator behind adaptive polling."""

from __future__ import annotations

import datetime as dt

import pytest

from ccasync.ops.imports._poll import MARGIN, SIM_SECONDS_PER_ROW, START_DELAY, Estimator, Tracked


def test_activities_are_planned_one_after_another() -> None:
    """Each activity is due after the one before it, at the simulator's default speed."""
    estimator = Estimator()
    first, second = Tracked("a", 40_000, 0.0), Tracked("b", 100, 0.0)
    estimator.plan(first, now=10.0)
    estimator.plan(second, now=10.5)
    assert first.due == pytest.approx(10.0 + START_DELAY + 1.5 + MARGIN)
    assert second.due == pytest.approx(first.due - MARGIN + START_DELAY + 0.1 + MARGIN)


def test_a_miss_slows_the_estimate_and_pushes_later_activities() -> None:
    """A poll that finds the job running moves its due time and those queued after it."""
    estimator = Estimator()
    queue = [Tracked("a", 1_000, 0.0), Tracked("b", 1_000, 0.0)]
    for item in queue:
        estimator.plan(item, now=0.0)
    first_due = queue[0].due
    estimator.missed(queue[0], now=first_due, percent_done=50)
    estimator.replan(queue, queue[0])
    assert estimator.seconds_per_row > SIM_SECONDS_PER_ROW
    assert queue[0].due > first_due
    assert queue[1].due >= queue[0].due + estimator.duration(1_000)


def test_server_timestamps_teach_the_speed_and_the_delay_eases_back() -> None:
    """A finished activity's duration pulls seconds_per_row toward it; the start delay shrinks."""
    estimator = Estimator(start_delay=5.0)
    started = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    estimator.learned(Tracked("a", 1_000, 0.0), started, started + dt.timedelta(seconds=10))
    assert estimator.seconds_per_row == pytest.approx(0.5 * SIM_SECONDS_PER_ROW + 0.5 * 0.01)
    assert estimator.start_delay == pytest.approx(4.0)
    estimator.learned(Tracked("b", 1_000, 0.0), None, None)
    assert estimator.start_delay == pytest.approx(3.2)


def test_a_pace_seen_on_a_busy_server_is_learned_halfway() -> None:
    """Rows finished between two listing rounds (work left) pull seconds_per_row halfway."""
    estimator = Estimator(start_delay=5.0)
    estimator.observed(seconds=20.0, rows=1_000)
    assert estimator.seconds_per_row == pytest.approx(0.5 * SIM_SECONDS_PER_ROW + 0.5 * 0.02)
    assert estimator.start_delay == pytest.approx(4.0)


def test_a_round_that_finds_everything_done_speeds_the_plan_up() -> None:
    """All done at a round: the pace was faster than planned, so the estimate shrinks (x0.85)."""
    estimator = Estimator()
    estimator.early()
    assert estimator.seconds_per_row == pytest.approx(SIM_SECONDS_PER_ROW * 0.85)
