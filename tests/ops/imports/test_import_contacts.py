"""Unit tests of import_contacts with a fake client and a fake clock (no network, no sleeping)."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import io
import itertools
from collections.abc import AsyncIterator, Callable, Iterator
from types import SimpleNamespace
from typing import Any

import orjson
import pytest

from ccasync.errors import (
    AuthenticationError,
    BulkError,
    RateLimitError,
    RateLimitKind,
    ServerError,
)
from ccasync.models.activities import Activity, ActivityStatus
from ccasync.ops.imports._pipeline import ImportProgress, import_contacts
from ccasync.ops.imports._poll import SIM_SECONDS_PER_ROW

LIST = "list-1"


class FakeClock:
    """Seconds that only move when someone sleeps."""

    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds
        await asyncio.sleep(0)


class FakeActivities:
    """Import activities processed one at a time at the simulator's default speed."""

    def __init__(self, clock: FakeClock, *, speed: float = SIM_SECONDS_PER_ROW) -> None:
        self.clock = clock
        self.speed = speed
        self.jobs: dict[str, dict[str, Any]] = {}
        self.payloads: list[dict[str, Any]] = []
        self.free_at = 0.0
        self.polls = 0
        self.gets = 0
        self.listings = 0
        self.unlisted: set[str] = set()
        self.posts = 0
        self.post_errors: list[Exception] = []
        self.row_errors: Callable[[list[dict[str, Any]]], list[str]] = lambda data: []
        self.uncounted_errors = 0
        self.final_state = "completed"
        self.max_queued = 0

    def queued(self) -> int:
        return sum(1 for j in self.jobs.values() if j["finish"] > self.clock())

    async def import_contacts_payload(self, payload: bytes) -> Activity:
        self.posts += 1
        if self.post_errors:
            raise self.post_errors.pop(0)
        assert len(payload) < 4_000_000
        body = orjson.loads(payload)
        self.payloads.append(body)
        rows = len(body["import_data"])
        start = max(self.clock(), self.free_at) + 0.1
        finish = start + max(0.1, rows * self.speed)
        self.free_at = finish
        activity_id = f"act-{len(self.jobs)}"
        errors = self.row_errors(body["import_data"])
        self.jobs[activity_id] = {"start": start, "finish": finish, "errors": errors, "rows": rows}
        self.max_queued = max(self.max_queued, self.queued())
        return Activity(activity_id=activity_id, state="initialized")

    async def get(self, activity_id: str) -> Activity:
        self.polls += 1
        self.gets += 1
        return self._view(activity_id)

    async def iter_all(self, limit: int = 50) -> AsyncIterator[Activity]:
        """One listing call: every page is one poll, newest activities first."""
        ids = [i for i in reversed(self.jobs) if i not in self.unlisted]
        for start in range(0, len(ids), limit):
            self.polls += 1
            self.listings += 1
            for activity_id in ids[start : start + limit]:
                yield self._view(activity_id)

    def _view(self, activity_id: str) -> Activity:
        job = self.jobs[activity_id]
        now = self.clock()
        if now < job["finish"]:
            done = max(0, int(100 * (now - job["start"]) / (job["finish"] - job["start"])))
            return Activity(activity_id=activity_id, state="processing", percent_done=min(done, 99))
        stamp = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
        status = ActivityStatus(
            error_count=len(job["errors"]) + self.uncounted_errors,
            correctable_count=0,
            cannot_add_to_list_count=1,
        )
        return Activity(
            activity_id=activity_id,
            state=self.final_state,
            percent_done=100,
            activity_errors=job["errors"],
            status=status,
            started_at=stamp,
            completed_at=stamp + dt.timedelta(seconds=job["finish"] - job["start"] - 0.1),
        )


class FakeClient:
    """Just the parts of ccasync.Client the import uses."""

    def __init__(self, activities: FakeActivities) -> None:
        self.activities = activities
        self.custom_fields = SimpleNamespace(iter_all=self._fields)
        self.field_calls = 0

    async def _fields(self) -> AsyncIterator[Any]:
        self.field_calls += 1
        yield SimpleNamespace(custom_field_id="cf-1", name="Shoe_Size", label="Shoe Size")

    @property
    def calls(self) -> int:
        return self.activities.posts + self.activities.polls + self.field_calls

    @contextlib.contextmanager
    def count_calls(self) -> Iterator[Any]:
        yield _Delta(self)


class _Delta:
    """A ``count_calls()`` count for the fake: the calls made since it was opened."""

    def __init__(self, client: FakeClient) -> None:
        self._client = client
        self._before = client.calls

    @property
    def calls(self) -> int:
        return self._client.calls - self._before


@pytest.fixture
def clock() -> FakeClock:
    """A fake clock shared by the fake API and the import."""
    return FakeClock()


@pytest.fixture
def api(clock: FakeClock) -> FakeActivities:
    """The fake activities endpoints."""
    return FakeActivities(clock)


async def _run(api: FakeActivities, clock: FakeClock, source: Any, **options: Any) -> Any:
    client = FakeClient(api)
    options = {"max_payload_bytes": 5_000, **options}
    return await import_contacts(
        client, source, list_ids=[LIST], clock=clock, sleep=clock.sleep, **options
    )  # type: ignore[arg-type]


def _rows(count: int) -> list[dict[str, Any]]:
    return [
        {"email": f"user{i}@example.com", "first_name": f"N{i}", "cf:shoe_size": str(i % 50)}
        for i in range(count)
    ]


async def test_every_row_is_accounted_for(api: FakeActivities, clock: FakeClock) -> None:
    """read = submitted + rejected, submitted = imported + failed, each valid row sent once."""
    rows = _rows(500)
    rows[10]["email"] = "broken"
    rows[20] = {"first_name": "no email"}
    result = await _run(api, clock, rows)
    assert result.rows_read == 500
    assert result.submitted + result.rejected == 500
    assert result.imported + result.failed == result.submitted
    assert (result.rejected, result.failed, result.imported) == (2, 0, 498)
    sent = [c["email"] for body in api.payloads for c in body["import_data"]]
    assert len(sent) == len(set(sent)) == 498
    assert [i.row for i in result.rejected_rows] == [11, 21]
    assert result.payloads == len(api.payloads) > 5
    assert result.activity_ids == [f"act-{i}" for i in range(result.payloads)]
    assert all(body["import_data"][0]["cf:Shoe_Size"] is not None for body in api.payloads)
    assert result.not_added_to_lists == result.payloads


async def test_polls_stay_within_two_per_payload(api: FakeActivities, clock: FakeClock) -> None:
    """At the simulator's default speed the adaptive poller needs at most 2 polls per payload."""
    result = await _run(api, clock, _rows(3_000), max_payload_bytes=30_000)
    assert result.payloads >= 5
    assert api.polls <= 2 * result.payloads
    assert result.calls == 1 + api.posts + api.polls


async def test_one_listing_per_round_polls_every_in_flight_activity(
    api: FakeActivities, clock: FakeClock
) -> None:
    """Polls are GET /activities listings, about one per concurrency-1 payloads; no single GET."""
    result = await _run(api, clock, _rows(8_000), max_payload_bytes=20_000, concurrency=8)
    assert (result.payloads, api.gets, api.listings) == (30, 0, 4)
    assert result.calls == 1 + 30 + 4
    assert result.imported == 8_000


async def test_an_activity_missing_from_the_listing_is_read_alone(
    api: FakeActivities, clock: FakeClock
) -> None:
    """An in-flight activity the listing does not show gets its own GET; every row is exact."""
    api.unlisted = {"act-0", "act-3"}
    result = await _run(api, clock, _rows(2_000), max_payload_bytes=20_000, concurrency=8)
    assert api.gets >= 2
    assert (result.imported, result.failed) == (2_000, 0)
    assert sorted(result.activity_ids) == sorted(api.jobs)


async def test_polling_adapts_to_a_slow_api(api: FakeActivities, clock: FakeClock) -> None:
    """Even 20x slower than predicted, polls per payload stay small (the estimate learns)."""
    api.speed = SIM_SECONDS_PER_ROW * 20
    result = await _run(api, clock, _rows(3_000), max_payload_bytes=30_000)
    assert result.imported == 3_000
    assert api.polls <= 4 * result.payloads


async def test_in_flight_activities_are_bounded(api: FakeActivities, clock: FakeClock) -> None:
    """No more than `concurrency` activities are queued at once."""
    api.speed = SIM_SECONDS_PER_ROW * 1_000
    await _run(api, clock, _rows(2_000), concurrency=3)
    assert 1 < api.max_queued <= 3


async def test_named_row_errors_map_to_input_rows(api: FakeActivities, clock: FakeClock) -> None:
    """'Row n: reason' errors are mapped through the payload position to the caller's row number."""
    api.row_errors = lambda data: [
        f"Row {i + 1}: rejected by server"
        for i, c in enumerate(data)
        if c["email"] == "user42@example.com"
    ]
    rows = _rows(100)
    rows.insert(0, {"email": "bad"})
    result = await _run(api, clock, rows)
    assert [(i.row, i.reason) for i in result.failed_rows] == [(44, "rejected by server")]
    assert (result.failed, result.imported, result.rejected) == (1, 99, 1)


async def test_counted_but_unnamed_failures_are_reported_per_payload(
    api: FakeActivities, clock: FakeClock
) -> None:
    """Failures the API only counts are noted on each payload with its row range."""
    api.uncounted_errors = 1
    result = await _run(api, clock, _rows(200))
    assert result.failed == result.payloads
    assert all(
        c.unmapped_failures == 1 and "without naming" in (c.reason or "") for c in result.chunks
    )
    assert result.imported + result.failed == 200


async def test_failed_activity_fails_every_row_of_its_payload(
    api: FakeActivities, clock: FakeClock
) -> None:
    """A payload whose activity failed lists each of its rows among the failures."""
    api.final_state = "failed"
    result = await _run(api, clock, _rows(50))
    assert result.failed == 50
    assert sorted(i.row for i in result.iter_failures()) == list(range(1, 51))
    with pytest.raises(BulkError) as caught:
        result.raise_for_failures()
    assert caught.value.result is result


async def test_duplicates_merge_by_default_and_reject_on_request(
    api: FakeActivities, clock: FakeClock
) -> None:
    """Default merge folds a repeated email into one contact; 'reject' refuses the later row."""
    rows = [
        {"email": "a@example.com", "first_name": "A"},
        {"email": "A@EXAMPLE.com", "last_name": "B"},
    ]
    merged = await _run(api, clock, rows)
    assert merged.merged == 1
    assert merged.submitted == 2
    assert api.payloads[-1]["import_data"] == [
        {"email": "A@example.com", "first_name": "A", "last_name": "B"}
    ]
    rejected = await _run(api, clock, rows, on_duplicate="reject")
    assert [(i.row, i.field) for i in rejected.rejected_rows] == [(2, "email")]
    assert rejected.submitted == 1


async def test_queued_activity_cap_waits_instead_of_hammering(
    api: FakeActivities, clock: FakeClock
) -> None:
    """A 429 for the queued-activities cap is retried after a wait, a handful of times at most."""
    cap = RateLimitError(429, kind=RateLimitKind.QUEUED_ACTIVITIES)
    api.post_errors = [cap, cap, cap]
    start = clock()
    result = await _run(api, clock, _rows(100))
    assert result.imported == 100
    assert api.posts == result.payloads + 3
    assert clock() - start >= 5 + 10 + 20


async def test_post_failure_fails_that_payload_only(api: FakeActivities, clock: FakeClock) -> None:
    """A POST that fails after retries marks its payload not_sent; later payloads still go."""
    api.post_errors = [ServerError(503)]
    result = await _run(api, clock, _rows(200))
    assert result.chunks[0].outcome == "not_sent"
    assert result.failed == result.chunks[0].rows
    assert result.imported == 200 - result.failed
    assert result.imported > 0


async def test_fatal_error_stops_with_a_complete_partial_result(
    api: FakeActivities, clock: FakeClock
) -> None:
    """A 401 stops the import with BulkError; every row read is still in the result."""
    api.post_errors = [ServerError(500), AuthenticationError(401)]
    with pytest.raises(BulkError) as caught:
        await _run(api, clock, _rows(300))
    result = caught.value.result
    assert result.stopped
    assert result.submitted + result.rejected == result.rows_read
    assert result.imported + result.failed == result.submitted


async def test_progress_events_grow_to_the_totals(api: FakeActivities, clock: FakeClock) -> None:
    """The progress callback sees monotonic counts ending at the final numbers."""
    events: list[ImportProgress] = []
    result = await _run(api, clock, _rows(300), progress=events.append)
    assert events
    assert all(
        a.rows_read <= b.rows_read and a.chunks_done <= b.chunks_done
        for a, b in itertools.pairwise(events)
    )
    last = events[-1]
    assert last.activities_completed == result.payloads
    assert (last.rows_read, last.rows_sent, last.chunks_done, last.rows_imported) == (
        300,
        300,
        result.payloads,
        300,
    )


async def test_csv_file_object_and_async_source(api: FakeActivities, clock: FakeClock) -> None:
    """A CSV text stream and an async iterable are read, numbered from the first data record."""
    text = "email,first_name,cf:Shoe_Size\na@example.com,Ann,40\nbad,Bob,41\n"
    result = await _run(api, clock, io.StringIO(text))
    assert [(i.row, i.field) for i in result.rejected_rows] == [(2, "email")]

    async def contacts() -> AsyncIterator[dict[str, str]]:
        for row in _rows(3):
            yield row

    assert (await _run(api, clock, contacts())).imported == 3


async def test_options_are_checked_before_any_call(api: FakeActivities, clock: FakeClock) -> None:
    """Bad options raise ValidationError and send nothing."""
    from ccasync.errors import ValidationError

    for options in (
        {"max_payload_bytes": 4_000_001},
        {"max_rows": 40_001},
        {"on_duplicate": "keep"},
    ):
        with pytest.raises(ValidationError):
            await _run(api, clock, _rows(1), **options)
    with pytest.raises(ValidationError):
        await import_contacts(FakeClient(api), [], list_ids=[])  # type: ignore[arg-type]
    assert api.posts == 0


async def test_a_poller_bug_surfaces_instead_of_hanging(
    api: FakeActivities, clock: FakeClock
) -> None:
    """An unexpected exception while polling is raised to the caller (no silent hang)."""

    async def broken(limit: int = 50) -> AsyncIterator[Activity]:
        raise RuntimeError("bug in status handling")
        yield  # an async generator, like the real listing

    api.iter_all = broken  # type: ignore[method-assign]
    with pytest.raises(RuntimeError, match="bug in status"):
        await _run(api, clock, _rows(50))


async def test_empty_source_sends_nothing(api: FakeActivities, clock: FakeClock) -> None:
    """An empty input makes no payload and an all-zero, ok result."""
    result = await _run(api, clock, [])
    assert (result.rows_read, result.payloads, api.posts) == (0, 0, 0)
    assert result.ok
