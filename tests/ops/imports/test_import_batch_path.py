"""The CSV batch path (check_csv, EncodedRun, offer_run) makes the row-by-row path's payloads.

The same rows go through ``_pipeline`` twice: as a CSV file (column-wise check, one orjson call
per stretch of clean rows, stretches taken by slices) and as a list of dicts (one check, one
``orjson.dumps`` and one ``offer`` per row). Payload bytes, each payload's row mapping and
merges, rejected rows in order and the counts must be identical, whatever the limits.
"""

from __future__ import annotations

import csv
import random
from pathlib import Path
from typing import Any

import orjson
import pytest

from ccasync.ops._common import RowIssue
from ccasync.ops.imports._csv_rows import CsvBatch
from ccasync.ops.imports._encoder import Chunk, EncodedRun, PayloadBuilder
from ccasync.ops.imports._pipeline import _pipeline
from ccasync.ops.imports._result import ImportResult
from ccasync.ops.imports._row_checks import RowChecker, row_key, row_keys
from ccasync.ops.imports._source import open_source

HEADER = ["email", "first_name", "last_name", "birthday_month", "cf:plan", "job_title"]
# Values that could fool a byte-level split of orjson's output, and ones JSON must escape.
AWKWARD = ['x},{"', "x},{", '"},{"a', "q\\z", 'a"b', "tab\there", "Zoë", "\u2028", "é" * 49]


class Recorder:
    """The sink of ``_pipeline``: keeps every payload and verdict instead of sending."""

    def __init__(self) -> None:
        self.result = ImportResult()
        self.problem = None
        self.chunks: list[tuple[bytes, list[int], dict[int, tuple[int, ...]], int]] = []
        self.rejected: list[RowIssue] = []

    def reject(self, issue: RowIssue) -> None:
        self.rejected.append(issue)

    def unsent(self, row: int, key: str) -> None:
        raise AssertionError(f"row {row} unsent: nothing can stop a local run")

    def report(self) -> None:
        """No progress."""

    async def flush(self) -> None:
        """Nothing in flight."""

    async def send(self, chunk: Chunk) -> None:
        assert chunk.payload is not None
        self.chunks.append((chunk.payload, list(chunk.rows), dict(chunk.merged), chunk.size))


def _rows(count: int, seed: int, duplicates: float) -> list[list[str]]:
    rng = random.Random(seed)
    rows = []
    for i in range(count):
        if rng.random() < duplicates:
            email = f"Dup{rng.randrange(40)}@Example.org"
        else:
            email = rng.choice([f"u{i}@example.com", "bad@@x", "", f"  U{i}@EX.com "])
        rows.append(
            [
                email,
                rng.choice(["Ann", "", "  ", *AWKWARD]),
                rng.choice(["L", "", "Müller", "x" * 51]),
                rng.choice(["", "3", "13", " 4", "x"]),
                rng.choice(["free", "", *AWKWARD]),
                rng.choice(["", "Eng"]),
            ]
        )
    return rows


async def _run(source: Any, max_bytes: int, max_rows: int) -> Recorder:
    recorder = Recorder()
    builder = PayloadBuilder(["L1"], max_bytes=max_bytes, max_rows=max_rows, merge_duplicates=True)
    opened = open_source(source, encoding=None, columns=None)
    try:
        await _pipeline(recorder, opened, {}, RowChecker({"plan": "Plan"}), None, builder)  # type: ignore[arg-type]
    finally:
        opened.close()
    return recorder


@pytest.mark.parametrize(
    ("max_bytes", "max_rows", "duplicates"),
    [(4_000_000, 40_000, 0.0), (4_000_000, 40_000, 0.3), (2_000, 37, 0.1), (700, 3, 0.5)],
)
async def test_csv_batches_make_the_row_by_row_payloads(
    tmp_path: Path, max_bytes: int, max_rows: int, duplicates: float
) -> None:
    """CSV (batch path) and the same rows as dicts (row path): identical payloads and verdicts."""
    rows = _rows(3_000, seed=max_rows, duplicates=duplicates)
    path = tmp_path / "c.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        writer.writerows(rows)
    by_batch = await _run(str(path), max_bytes, max_rows)
    by_row = await _run(
        [dict(zip(HEADER, cells, strict=True)) for cells in rows], max_bytes, max_rows
    )
    assert by_batch.chunks == by_row.chunks
    assert by_batch.rejected == by_row.rejected
    for name in ("rows_read", "submitted"):
        assert (
            getattr(by_batch.result, name)
            == getattr(by_row.result, name)
            == (3_000 if name == "rows_read" else 3_000 - len(by_row.rejected))
        )
    assert by_row.rejected
    assert (len(by_row.chunks) > 10) == (max_bytes < 10_000)  # the cuts were exercised
    merged = [m for _, _, m, _ in by_row.chunks if m]
    assert bool(merged) == (duplicates > 0)


@pytest.mark.parametrize("value", AWKWARD)
def test_encoded_run_slices_are_each_rows_own_encoding(value: str) -> None:
    """Entry k of an EncodedRun is orjson.dumps(row k), comma-separated; when a value puts the
    row separator itself in the bytes, there is no run (rows are encoded one by one)."""
    cleans: list[dict[str, Any]] = [
        {"email": f"a{i}@x.org", "first_name": value, "city": "C"} for i in range(3)
    ]
    run = EncodedRun.encode(cleans)
    if value.endswith("},{"):
        assert run is None
        return
    assert run is not None
    for k, clean in enumerate(cleans):
        assert run.json[run.ends[k] - run.sizes[k] : run.ends[k]] == orjson.dumps(clean)
        if k:
            assert run.json[run.ends[k - 1]] == ord(",")


def test_encoded_run_refuses_lone_surrogates() -> None:
    """orjson refuses a lone surrogate: no run, so the row path names the row."""
    assert EncodedRun.encode([{"email": "a@x.org", "city": "\udc80"}]) is None


def test_offer_run_stops_at_a_duplicate_then_the_row_path_merges() -> None:
    """offer_run takes rows up to the first key already in the payload, never past it."""
    builder = PayloadBuilder(["L"], max_bytes=10_000, max_rows=100, merge_duplicates=True)
    cleans: list[dict[str, Any]] = [
        {"email": "a@x.org"},
        {"email": "b@x.org"},
        {"email": "A@x.org", "city": "C"},
        {"email": "c@x.org"},
    ]
    keys = row_keys(cleans)
    assert keys == [row_key(clean) for clean in cleans]
    run = EncodedRun.encode(cleans)
    assert run is not None
    assert builder.offer_run(1, run, 0, keys) == 2
    assert builder.offer(3, cleans[2], keys[2]) is None  # merged into row 1's entry
    assert builder.offer_run(1, run, 3, keys) == 1
    chunk = builder.close()
    assert chunk is not None
    assert chunk.payload is not None
    assert orjson.loads(chunk.payload)["import_data"] == [
        {"email": "b@x.org"},
        {"email": "A@x.org", "city": "C"},
        {"email": "c@x.org"},
    ]
    assert [chunk.input_rows(k) for k in range(3)] == [(2,), (1, 3), (4,)]


def test_check_csv_agrees_with_check_record_by_record() -> None:
    """check_csv's verdicts and issue positions equal check() called on each record."""
    cells = _rows(500, seed=5, duplicates=0.1)
    cells[7] = [*cells[7], "surplus"]
    batch = CsvBatch(tuple(HEADER), cells, first=11)
    cleans, issues = RowChecker({"plan": "Plan"}).check_csv(batch)
    one_by_one = RowChecker({"plan": "Plan"})
    assert cleans == [one_by_one.check(row, record) for row, record in batch]
    assert issues == [at for at, clean in enumerate(cleans) if isinstance(clean, RowIssue)]
    assert 7 in issues
    assert cleans[7].row == 18  # type: ignore[union-attr]


def _cut_by_rows(cleans: list[dict[str, Any]], max_bytes: int) -> list[list[int]]:
    builder = PayloadBuilder(["L"], max_bytes=max_bytes, max_rows=50, merge_duplicates=True)
    cuts = []
    for row, clean in enumerate(cleans):
        closed, _ = builder.add(row, clean, row_key(clean))
        cuts += [list(chunk.rows) for chunk in closed]
    return cuts


def _cut_by_run(cleans: list[dict[str, Any]], max_bytes: int) -> list[list[int]]:
    builder = PayloadBuilder(["L"], max_bytes=max_bytes, max_rows=50, merge_duplicates=True)
    run, keys = EncodedRun.encode(cleans), row_keys(cleans)
    assert run is not None
    cuts, at = [], 0
    while at < len(cleans):
        at += builder.offer_run(0, run, at, keys)
        if at < len(cleans):
            closed, _ = builder.add(at, cleans[at], keys[at])
            cuts += [list(chunk.rows) for chunk in closed]
            at += 1
    return cuts


def test_offer_run_cuts_where_offer_cuts_at_every_byte_limit() -> None:
    """Every max_bytes over a range (so some rows land exactly on the limit): same cuts."""
    rng = random.Random(2)
    cleans: list[dict[str, Any]] = [
        {"email": f"u{i}@x.org", "city": "c" * rng.randrange(1, 9)} for i in range(60)
    ]
    for max_bytes in range(120, 260):
        assert _cut_by_run(cleans, max_bytes) == _cut_by_rows(cleans, max_bytes), max_bytes


def test_offer_run_respects_the_buffer_room_left_by_merges() -> None:
    """Merged-away entries fill the buffer until the payload closes: offer_run cuts where the
    room ends, like offer (counts up to the 1,330 merges that fill 64 KiB of slack)."""
    fresh: list[dict[str, Any]] = [{"email": f"u{i}@x.org", "city": "c" * 20} for i in range(40)]
    for merges in range(1_300, 1_331):
        dups: list[dict[str, Any]] = [
            {"email": "d@x.org", "city": f"{i:020d}"} for i in range(merges)
        ]
        cleans = dups + fresh
        assert _cut_by_run(cleans, 1_000) == _cut_by_rows(cleans, 1_000), merges
