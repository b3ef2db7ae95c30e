"""The CSV fast paths (column plan, column-wise batches, email caches) agree with the general path.

Every CSV record is checked twice: through ``read_batches`` (``CsvRecord``: column-wise batch,
row-by-row cells, cached emails) and as a plain dict by a fresh checker (the general path, one
cell at a time, email-validator's ``normalize_email``). Clean rows, issues (row, field, reason)
and key order must be identical.
"""

from __future__ import annotations

import csv
import random
from pathlib import Path
from typing import Any

import pytest
from email_validator import EmailNotValidError

from ccasync.ops._common import RowIssue
from ccasync.ops.imports._csv_rows import CsvRecord
from ccasync.ops.imports._email_cache import EmailCache, normalize_email
from ccasync.ops.imports._row_checks import RowChecker
from ccasync.ops.imports._source import read_batches

CUSTOM = {"plan": "Plan", "size": "size"}

EMAILS = [
    "plain@example.com",
    "Mixed.Case@Example.COM",
    "with+tag@sub.example.org",
    "chloé.garcía@example.com",
    "\u0301accent.first@example.com",
    "mid\u0301accent@example.com",
    "user@bücher.de",
    '"quoted local"@example.com',
    "a@b",
    "no-at-sign.example.com",
    "two@@example.com",
    "dot.@example.com",
    ".dot@example.com",
    "spa ce@example.com",
    "user@example..com",
    "user@localhost",
    "user@[127.0.0.1]",
    "@example.com",
    "user@",
    "  padded@example.com  ",
    "Postmaster@example.com",
    "zero\u200bwidth@example.com",
    "a" * 62 + "@example-domain.com",
    "a" * 70 + "@x.org",
    "",
    "   ",
]


def _cell(rng: random.Random, column: str) -> str:
    pick = rng.random()
    if column == "email":
        return rng.choice(EMAILS) if pick < 0.5 else f"p{rng.randrange(10**6)}@example.com"
    if pick < 0.12:
        return ""
    if pick < 0.15:
        return "   "  # blank, not empty: absent for text, "not a whole number" for numbers
    if pick < 0.2:
        return "  spaced  "
    if column in ("birthday_month", "birthday_day"):
        return rng.choice(["1", "12", "13", "0", "31", "32", "May", " 7 ", "+3", "1_0"])
    if pick < 0.25:
        return "x" * rng.choice([16, 17, 50, 51, 255, 256])
    return rng.choice(["Ann", "Müller", "555-0100", "Main St", "ü" * 3])


def _write(path: Path, header: list[str], rows: int, seed: int, ragged: bool) -> None:
    rng = random.Random(seed)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        for _ in range(rows):
            cells = [_cell(rng, column.lower()) for column in header]
            if ragged and rng.random() < 0.2:
                cells = cells[: rng.randrange(len(cells))] or [""]
            elif ragged and rng.random() < 0.2:
                cells.append("surplus")
            writer.writerow(cells)


HEADERS = [
    ["email", "first_name", "last_name", "phone", "street", "city", "cf:plan"],
    ["Email", "sms_number", "birthday_month", "birthday_day", "CF:Plan", "cf:size"],
    ["sms_number", "first_name"],
    ["email", "phone", "home_phone", "work_phone", "mobile_phone", "city", "home_city"],
    ["email", "city", "home_city", "work_city", "other_city", "first_name"],
    ["email", "cf:unknown", "first_name"],
]


def _plain(record: Any) -> dict[str, Any]:
    return record.as_dict() if isinstance(record, CsvRecord) else dict(record)


def _general(row: int, record: Any) -> Any:
    """The general path's verdict; surplus cells reject the row whatever the cells hold."""
    if isinstance(record, CsvRecord) and len(record.cells) > len(record.header):
        width = len(record.header)
        return RowIssue(
            row, None, f"more cells than the header's {width} columns (an unquoted comma?)"
        )
    return RowChecker(CUSTOM).check(row, _plain(record))


@pytest.mark.parametrize("ragged", [False, True])
@pytest.mark.parametrize("header", HEADERS, ids=lambda h: ",".join(h))
async def test_csv_fast_paths_agree_with_the_general_path(
    tmp_path: Path, header: list[str], ragged: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Column-wise and row-wise CSV checks give exactly the general path's rows and issues."""
    path = tmp_path / "c.csv"
    _write(path, header, 2_500, seed=len(header) * 7 + ragged, ragged=ragged)
    fast = RowChecker(CUSTOM)
    general = fast._check_mapping
    fallbacks: list[int] = []

    def counted(row: int, record: Any) -> Any:
        fallbacks.append(row)
        return general(row, record)

    monkeypatch.setattr(fast, "_check_mapping", counted)
    outcomes = set()
    proven = 0  # rows the fast paths answered alone
    async for batch in read_batches(path, {}):
        for row, record in batch:
            before = len(fallbacks)
            got = fast.check(row, record)
            proven += len(fallbacks) == before and isinstance(got, dict)
            want = _general(row, record)
            assert got == want, (row, _plain(record))
            if isinstance(got, dict):
                assert list(got) == list(want)  # type: ignore[arg-type]
            outcomes.add(type(got).__name__)
            assert fast.check(row, record) == got  # a second look (general path) agrees
    plan_possible = "cf:unknown" not in header
    assert outcomes == {"dict", "RowIssue"} or not plan_possible
    assert (proven > 100) == plan_possible  # the fast paths did the work, not the fallback


def _reference(address: str) -> str | None:
    try:
        return normalize_email(address)
    except EmailNotValidError:
        return None


@pytest.mark.parametrize("address", [e.strip() for e in EMAILS])
def test_email_cache_never_contradicts_normalize_email(address: str) -> None:
    """Whatever the cache answers (warm or cold, alone or column-wise) equals normalize_email."""
    cache = EmailCache()
    for _ in range(2):  # cold, then with whatever the first pass cached
        got = cache.normalize(address)
        assert got is None or got == _reference(address)
        column = cache.normalize_column([address, "plain@example.com"])
        expected = _reference(address) if address else ""
        if expected is not None and len(expected) > 80 and expected != address:
            expected = None
        assert column[0] in (expected, None if address else "")
        assert column[1] == "plain@example.com"
