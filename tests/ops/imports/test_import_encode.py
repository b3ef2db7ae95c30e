"""Unit tests of the payload builder: size and row limits, row mapping, in-payload merging."""

from __future__ import annotations

import itertools
import random

import orjson

from ccasync.ops.imports._encoder import Chunk, PayloadBuilder


def _rows(count: int, seed: int = 1) -> list[dict[str, str]]:
    rng = random.Random(seed)
    return [
        {
            "email": f"user{i}@example.com",
            "first_name": "x" * rng.randint(1, 50),
            "city": "c" * rng.randint(0, 50),
        }
        for i in range(1, count + 1)
    ]


def _build(rows: list[dict[str, str]], **options: object) -> list[Chunk]:
    builder = PayloadBuilder(
        ["L1", "L2"],
        **{"max_bytes": 2_000, "max_rows": 40_000, "merge_duplicates": True, **options},
    )  # type: ignore[arg-type]
    chunks: list[Chunk] = []
    for row, clean in enumerate(rows, start=1):
        closed, issue = builder.add(row, clean, clean["email"].casefold())
        assert issue is None
        chunks += closed
    last = builder.close()
    if last is not None:
        chunks.append(last)
    return chunks


def test_no_payload_reaches_the_byte_limit_and_every_row_lands_once() -> None:
    """Payloads stay under max_bytes, decode as JSON, and carry each row exactly once, in order."""
    rows = _rows(600)
    chunks = _build(rows)
    assert len(chunks) > 10
    sent: list[dict[str, str]] = []
    numbers: list[int] = []
    for chunk in chunks:
        assert chunk.payload is not None
        assert len(chunk.payload) < 2_000
        assert chunk.size == len(chunk.payload)
        body = orjson.loads(chunk.payload)
        assert body["list_ids"] == ["L1", "L2"]
        assert len(body["import_data"]) == chunk.count
        sent += body["import_data"]
        numbers += list(chunk.rows)
    assert sent == rows
    assert numbers == list(range(1, 601))


def test_row_limit_cuts_payloads() -> None:
    """max_rows bounds the contacts per payload even when bytes would allow more."""
    chunks = _build(_rows(50), max_bytes=1_000_000, max_rows=7)
    assert [c.count for c in chunks] == [7] * 7 + [1]


def test_payloads_fill_up_to_the_limit() -> None:
    """A payload is closed only when the next row would not fit (no needless small payloads)."""
    rows = _rows(300)
    chunks = _build(rows)
    for chunk, following in itertools.pairwise(chunks):
        assert chunk.payload is not None
        next_row = orjson.dumps(rows[following.rows[0] - 1])
        assert len(chunk.payload) + 1 + len(next_row) >= 2_000


def test_duplicate_in_one_payload_is_merged_later_values_win() -> None:
    """A repeated email inside a payload is folded into one entry carrying both input rows."""
    rows = [
        {"email": "a@example.com", "first_name": "Ann", "city": "Paris"},
        {"email": "b@example.com", "first_name": "Bob"},
        {"email": "A@example.com", "city": "Rome", "last_name": "Lee"},
    ]
    [chunk] = _build(rows, max_bytes=10_000)
    assert chunk.payload is not None
    data = orjson.loads(chunk.payload)["import_data"]
    assert data == [
        {"email": "b@example.com", "first_name": "Bob"},
        {"email": "A@example.com", "first_name": "Ann", "city": "Rome", "last_name": "Lee"},
    ]
    assert chunk.count == 2
    assert chunk.input_rows(0) == (2,)
    assert chunk.input_rows(1) == (1, 3)


def test_duplicate_without_merging_is_sent_twice() -> None:
    """With merging off (the reject policy works upstream) rows are appended as they come."""
    rows = [{"email": "a@example.com"}, {"email": "a@example.com", "first_name": "A"}]
    [chunk] = _build(rows, max_bytes=10_000, merge_duplicates=False)
    assert chunk.payload is not None
    assert len(orjson.loads(chunk.payload)["import_data"]) == 2


def test_merge_that_does_not_fit_goes_to_the_next_payload() -> None:
    """When the merged entry would cross the limit the later row opens the next payload."""
    big = "y" * 200
    rows = [{"email": f"u{i}@example.com", "first_name": "n"} for i in range(8)]
    rows.append({"email": "u0@example.com", "company_name": big, "city": big, "job_title": big})
    builder = PayloadBuilder(["L"], max_bytes=900, max_rows=100, merge_duplicates=True)
    chunks: list[Chunk] = []
    for row, clean in enumerate(rows, start=1):
        closed, _ = builder.add(row, clean, clean["email"])
        chunks += closed
    rest = builder.close()
    assert rest is not None
    chunks.append(rest)
    assert list(chunks[-1].rows) == [9]
    assert all(c.payload is not None and len(c.payload) < 900 for c in chunks)
    assert sorted(r for c in chunks for p in range(c.count) for r in c.input_rows(p)) == list(
        range(1, 10)
    )


def test_row_larger_than_any_payload_is_refused() -> None:
    """A single row that cannot fit even alone is returned as an issue, not sent."""
    builder = PayloadBuilder(["L"], max_bytes=1_000, max_rows=10, merge_duplicates=True)
    closed, issue = builder.add(
        4, {"email": "a@example.com", "street": "s" * 1_000}, "a@example.com"
    )
    assert closed == []
    assert issue is not None
    assert issue.row == 4
    assert "payload limit" in issue.reason
    assert builder.close() is None


def test_sms_permission_goes_in_the_envelope() -> None:
    """sms_permission_to_send is written next to list_ids."""
    builder = PayloadBuilder(
        ["L"],
        max_bytes=1_000,
        max_rows=10,
        merge_duplicates=True,
        sms_permission_to_send="explicit",
    )
    builder.add(1, {"sms_number": "1231231234"}, "sms:1231231234")
    chunk = builder.close()
    assert chunk is not None
    assert chunk.payload is not None
    assert orjson.loads(chunk.payload)["sms_permission_to_send"] == "explicit"


def test_many_merges_keep_every_payload_under_the_limit_and_the_size_exact() -> None:
    """With frequent duplicates, payloads stay under max_bytes, sizes match, no email repeats."""
    rng = random.Random(5)
    rows = [
        {"email": f"user{rng.randrange(150)}@example.com", "city": "c" * rng.randint(0, 120)}
        for _ in range(3_000)
    ]
    chunks = _build(rows, max_rows=25)
    for chunk in chunks:
        assert chunk.payload is not None
        assert chunk.size == len(chunk.payload) < 2_000
        data = orjson.loads(chunk.payload)["import_data"]
        assert 0 < len(data) == chunk.count <= 25
        assert len({entry["email"] for entry in data}) == len(data)
    carried = sorted(
        row for chunk in chunks for i in range(chunk.count) for row in chunk.input_rows(i)
    )
    assert carried == list(range(1, 3_001))
