"""One outcome scheme for import payloads, membership calls, fan-out items and pool accounts."""

from __future__ import annotations

from array import array
from typing import Any, get_args

import pytest

from ccasync import AccountOutcome, Client, RateLimiter
from ccasync._serde import structure
from ccasync.errors import BulkError, ServerError
from ccasync.models.activities import TERMINAL_STATES, Activity
from ccasync.ops import (
    CampaignResult,
    ChunkOutcome,
    FanoutResult,
    ImportResult,
    ItemOutcome,
    MembershipChunk,
    MembershipResult,
    Outcome,
    add_to_lists,
)
from ccasync.ops._common import activity_outcome
from ccasync.ops.imports._encoder import Chunk
from ccasync.ops.imports._submit import record_activity
from ccasync.testing import FakeTransport, HTTPRequest, HTTPResponse, json_response

BOOM = ServerError(503)
AID = "04fa57a7-cf55-4185-cc1a-58ed29bf0a6a"
LID = "06526938-56dd-11e9-932a-fa163ea075fa"


def _chunk(**fields: Any) -> ChunkOutcome:
    return ChunkOutcome(index=0, first_row=1, last_row=10, rows=10, payload_bytes=100, **fields)


def _call(**fields: Any) -> MembershipChunk:
    return MembershipChunk(index=0, first=1, count=10, list_ids=("l1",), **fields)


OK_ITEMS = [
    _chunk(outcome="completed", imported=10),
    _call(outcome="completed"),
    CampaignResult(key="nyc", outcome="scheduled"),
    AccountOutcome("boston", value=3),
]
FAILED_ITEMS = [
    _chunk(outcome="not_sent", failed=10, reason=str(BOOM), error=BOOM),
    _call(outcome="not_sent", reason=str(BOOM), error=BOOM),
    CampaignResult(key="nyc", outcome="failed", step="create", error=BOOM),
    AccountOutcome("boston", error=BOOM),
]


@pytest.mark.parametrize("item", OK_ITEMS, ids=lambda item: type(item).__name__)
def test_an_ok_item_of_every_kind_reads_the_same(item: Any) -> None:
    """Every record has outcome (from the one vocabulary), ok, error and reason; ok ones say so."""
    assert isinstance(item, ItemOutcome)
    assert item.outcome in get_args(Outcome)
    assert (item.ok, item.error, item.reason) == (True, None, None)


@pytest.mark.parametrize("item", FAILED_ITEMS, ids=lambda item: type(item).__name__)
def test_a_failed_item_of_every_kind_reads_the_same(item: Any) -> None:
    """A failed record of any kind is not ok, carries the exception and says why in words."""
    assert isinstance(item, ItemOutcome)
    assert item.outcome in get_args(Outcome)
    assert item.outcome in ("failed", "not_sent")
    assert not item.ok
    assert item.error is BOOM
    assert item.reason is not None
    assert str(BOOM) in item.reason


def test_failed_is_spelt_one_way_for_every_record() -> None:
    """A pool account that raised and a fan-out item that failed both say "failed"."""
    assert AccountOutcome("a", error=BOOM).outcome == "failed"
    assert CampaignResult(key="k", error=BOOM).outcome == "failed"
    assert AccountOutcome("a", value=1).outcome == "completed"


def test_a_completed_payload_with_failed_rows_is_not_ok() -> None:
    """A payload whose activity completed but whose rows partly failed is not ok."""
    assert not _chunk(outcome="completed", imported=9, failed=1).ok
    assert not _chunk(outcome="submitted").ok


def test_a_completed_call_with_activity_errors_is_not_ok() -> None:
    """A membership call whose activity completed with errors is not ok (the reason lists them)."""
    assert not _call(outcome="completed", reason="contact x is unsubscribed").ok


@pytest.mark.parametrize(
    ("state", "expected"),
    [
        ("completed", "completed"),
        ("failed", "failed"),
        ("cancelled", "cancelled"),
        ("timed_out", "timed_out"),
        ("processing", "unknown"),
        (None, "unknown"),
    ],
)
def test_activity_state_maps_to_the_outcome_of_the_same_name(
    state: str | None, expected: str
) -> None:
    """A finished activity's state is its outcome; any other state is "unknown"."""
    assert activity_outcome(state) == expected


@pytest.mark.parametrize("state", sorted(TERMINAL_STATES))
def test_every_terminal_activity_state_is_an_outcome(state: str) -> None:
    """Each state after which an activity never changes maps to the outcome of its name."""
    assert activity_outcome(state) == state


def test_results_share_ok_failed_items_calls_and_raise() -> None:
    """Import, membership and fan-out results list their failed records the same way."""
    bad_chunk, bad_call, bad_item = FAILED_ITEMS[:3]
    results = [
        (ImportResult(chunks=[OK_ITEMS[0], bad_chunk], failed=10, calls=4), bad_chunk),
        (MembershipResult(action="add", chunks=[OK_ITEMS[1], bad_call], calls=4), bad_call),
        (FanoutResult((OK_ITEMS[2], bad_item), {"": 4}), bad_item),
    ]
    for result, bad in results:
        assert result.failed_items == [bad]
        assert not result.ok
        assert result.calls == 4
        with pytest.raises(BulkError):
            result.raise_for_failures()


def test_a_result_without_failures_is_ok() -> None:
    """A fan-out result whose items all succeeded is ok and lists no failed items."""
    result = FanoutResult((OK_ITEMS[2],))
    assert result.ok
    assert result.failed_items == []
    result.raise_for_failures()


# --- one rule: a finished item has a reason exactly when it is not ok -------------------------


def _imported(state: str, errors: list[str], error_count: int = 0) -> ChunkOutcome:
    """A 10-row payload whose import activity ended in ``state`` with ``errors``."""
    chunk = Chunk(index=0, payload=None, rows=array("I", range(1, 11)), merged={}, size=100)
    outcome = _chunk()
    activity = structure(
        {
            "activity_id": AID,
            "state": state,
            "activity_errors": errors,
            "status": {"error_count": error_count},
        },
        Activity,
    )
    record_activity(ImportResult(), chunk, outcome, activity)
    return outcome


def test_payload_whose_activity_reported_errors_naming_no_row_is_not_ok() -> None:
    """A completed payload with activity errors that name no row has a reason, so it is not ok."""
    outcome = _imported("completed", ["list is locked"])
    assert (outcome.outcome, outcome.failed) == ("completed", 0)
    assert outcome.reason == "list is locked"
    assert not outcome.ok
    result = ImportResult(rows_read=10, submitted=10, imported=10, chunks=[outcome])
    assert result.failed_items == [outcome]
    assert not result.ok
    with pytest.raises(BulkError):
        result.raise_for_failures()


def test_payload_with_a_row_named_as_failed_says_so() -> None:
    """A completed payload with a row the API named as failed has a reason and is not ok."""
    outcome = _imported("completed", ["Row 3: bad email"], error_count=1)
    assert (outcome.failed, outcome.imported) == (1, 9)
    assert outcome.reason is not None
    assert "1 row" in outcome.reason
    assert not outcome.ok


async def _membership_call(final: dict[str, Any]) -> MembershipChunk:
    """One add_to_lists call whose activity is answered as ``final`` on the first poll."""

    def answer(request: HTTPRequest) -> HTTPResponse:
        if request.method == "POST":
            return json_response({"activity_id": AID, "state": "initialized"}, 201)
        return json_response({"activity_id": AID, **final})

    ft = FakeTransport(answer)
    async with Client(access_token="t", transport=ft, rate_limiter=RateLimiter.unlimited()) as cc:
        result = await add_to_lists(cc, [AID], [LID])
    (call,) = result.chunks
    return call


async def test_membership_call_whose_activity_failed_without_errors_says_so() -> None:
    """A call whose activity ended failed with an empty error list still has a reason."""
    call = await _membership_call({"state": "failed", "activity_errors": []})
    assert call.outcome == "failed"
    assert call.reason == "activity failed"
    assert not call.ok


async def test_membership_call_that_completed_cleanly_has_no_reason() -> None:
    """A call whose activity completed without errors is ok and has no reason (control case)."""
    call = await _membership_call({"state": "completed", "activity_errors": []})
    assert (call.outcome, call.ok, call.reason) == ("completed", True, None)


FINISHED = [
    *OK_ITEMS,
    *FAILED_ITEMS,
    _chunk(outcome="completed", imported=10, reason="list is locked"),
    _call(outcome="completed", reason="contact x is unsubscribed"),
    CampaignResult(key="nyc", outcome="already_sent"),
    CampaignResult(key="nyc", outcome="failed", step="time", error=BOOM),
    AccountOutcome("boston", value=None),
]


@pytest.mark.parametrize("item", FINISHED, ids=lambda item: type(item).__name__)
def test_a_finished_item_has_a_reason_exactly_when_it_is_not_ok(item: Any) -> None:
    """For every record type, reason is None when the finished item is ok, and set otherwise."""
    assert (item.reason is None) == item.ok
