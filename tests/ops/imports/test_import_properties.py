"""Property tests: any import row or CSV file gives rows, rejected rows or a ccasync error.

Rows: the checker and the encoder never raise; every problem is a RowIssue with the row's
number. CSV files (any bytes under a valid or odd header, any encoding): a ValidationError up
front, or batches whose rows each end clean or rejected, or a ValidationError naming the row
where reading stopped. The whole pipeline on a fake API keeps its invariants whatever the input.
Seeded (derandomize), bounded examples; together with the other property modules under 30 s.
"""

from __future__ import annotations

import io
from typing import Any

import orjson
from hypothesis import Phase, given, settings
from hypothesis import strategies as st

from ccasync.errors import BulkError, CCAsyncError, ValidationError
from ccasync.ops._common import RowIssue
from ccasync.ops.imports._encoder import FULL, PayloadBuilder
from ccasync.ops.imports._pipeline import import_contacts
from ccasync.ops.imports._row_checks import RowChecker, row_key
from ccasync.ops.imports._source import read_batches
from tests.ops.imports.test_import_contacts import FakeActivities, FakeClient, FakeClock

# No "explain" phase: it imports a deprecated module, an error under filterwarnings=error.
PHASES = [Phase.explicit, Phase.reuse, Phase.generate, Phase.shrink]
SETTINGS = settings(max_examples=120, derandomize=True, deadline=None, phases=PHASES)
KEYS = st.one_of(
    st.sampled_from(
        ["email", "EMAIL ", "first_name", "birthday_month", "birthday_day", "phone", "city"]
    ),
    st.sampled_from(["sms_number", "cf:Plan", "cf:nope", "street", "home_zip", "bogus"]),
    st.text(max_size=8),
    st.none(),
    st.integers(),
)
VALUES = st.one_of(
    st.text(max_size=20),
    st.sampled_from(["a@example.com", "²", "1" * 5000, "  ", "12", "\udc80x", "x@\udc80.com"]),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(),
    st.booleans(),
    st.none(),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=2), st.integers(), max_size=2),
    st.binary(max_size=4),
)
ROWS = st.lists(
    st.one_of(st.dictionaries(KEYS, VALUES, max_size=6), st.integers(), st.text(max_size=3)),
    max_size=12,
)


def _encode_all(rows: list[Any]) -> list[dict[str, Any] | RowIssue]:
    checker = RowChecker({"plan": "Plan"})
    builder = PayloadBuilder(["l"], max_bytes=4_000, max_rows=50, merge_duplicates=True)
    out: list[dict[str, Any] | RowIssue] = []
    for row, record in enumerate(rows, 1):
        clean = checker.check(row, record)
        if isinstance(clean, RowIssue):
            assert clean.row == row
            out.append(clean)
            continue
        outcome = builder.offer(row, clean, row_key(clean))
        if outcome is FULL:
            builder.close_full()
            outcome = builder.offer(row, clean, row_key(clean))
        if isinstance(outcome, RowIssue):
            assert outcome.row == row
        out.append(outcome if isinstance(outcome, RowIssue) else clean)
    last = builder.close()
    if last is not None:
        assert last.payload is not None
        assert orjson.loads(last.payload)["list_ids"] == ["l"]
    return out


@SETTINGS
@given(rows=ROWS)
def test_any_rows_are_clean_or_rejected_with_their_row(rows: list[Any]) -> None:
    """Checker + encoder on any mappings/items: a clean row or a RowIssue, never an exception."""
    for outcome in _encode_all(rows):
        if isinstance(outcome, dict):
            orjson.dumps(outcome)  # a clean row always encodes


HEADERS = st.lists(
    st.sampled_from(["email", "first_name", "last_name", "cf:Plan", "sms_number", "Email", "x"]),
    min_size=1,
    max_size=5,
).map(",".join)
BODY = st.one_of(
    st.text(max_size=200),
    st.lists(
        st.lists(st.text(st.characters(exclude_categories=["Cs"]), max_size=8), max_size=6),
        max_size=8,
    ).map(lambda rows: "\n".join(",".join(cells) for cells in rows)),
)
ENCODINGS = st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "cp1252", "latin-1"])


async def _read_csv(data: bytes, encoding: str | None) -> list[Any]:
    checker = RowChecker({"plan": "Plan"})
    seen: list[Any] = []
    stopped: ValidationError | None = None
    try:
        async for batch in read_batches(io.BytesIO(data), {}, encoding=encoding):
            for row, record in batch:
                assert row == len(seen) + 1
                seen.append(checker.check(row, record))
    except ValidationError as exc:
        stopped = exc
    if stopped is not None:
        assert stopped.row is None or stopped.row == len(seen) + 1
    return seen


@SETTINGS
@given(header=HEADERS, body=BODY, write=ENCODINGS, read=st.none() | ENCODINGS)
async def test_any_csv_file_reads_or_is_refused(
    header: str, body: str, write: str, read: str | None
) -> None:
    """Any CSV text in any encoding, read with any encoding=: rows or a ValidationError."""
    data = (header + "\n" + body).encode(write, "replace")
    for outcome in await _read_csv(data, read):
        assert isinstance(outcome, dict | RowIssue)


@SETTINGS
@given(data=st.binary(max_size=300))
async def test_any_bytes_read_or_are_refused(data: bytes) -> None:
    """Arbitrary bytes after a valid header: rows or a ValidationError (never UnicodeError)."""
    await _read_csv(b"email,first_name\n" + data, None)


@settings(max_examples=40, derandomize=True, deadline=None, phases=PHASES)
@given(rows=ROWS, csv_body=BODY, as_csv=st.booleans())
async def test_pipeline_keeps_its_invariants(rows: list[Any], csv_body: str, as_csv: bool) -> None:
    """The whole import on any input: a result whose counts add up, or a ccasync error."""
    clock = FakeClock()
    api = FakeActivities(clock)
    source: Any = io.StringIO("email,first_name\n" + csv_body) if as_csv else rows
    refused: CCAsyncError | None = None
    try:
        result = await import_contacts(
            FakeClient(api),  # type: ignore[arg-type]
            source,
            list_ids=["list-1"],
            max_payload_bytes=2_000,
            clock=clock,
            sleep=clock.sleep,
        )
    except BulkError as exc:
        result = exc.result
    except CCAsyncError as exc:
        refused = exc
    if refused is not None:
        assert isinstance(refused, ValidationError)
        return
    assert result.submitted + result.rejected == result.rows_read
    assert result.imported + result.failed == result.submitted
