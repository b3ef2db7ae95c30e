"""One outcome scheme for import payloads, membership calls, fan-out items and pool accounts."""

from __future__ import annotations

from typing import Any, get_args

import pytest

from ccasync import AccountOutcome
from ccasync.errors import BulkError, ServerError
from ccasync.ops import (
    CampaignResult,
    ChunkOutcome,
    FanoutResult,
    ImportResult,
    ItemOutcome,
    MembershipChunk,
    MembershipResult,
    Outcome,
)
from ccasync.ops._common import activity_outcome

BOOM = ServerError(503)


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
