"""Bad import input gives ccasync errors with row and field, and a partial result (issue 12).

Row-level problems reject the row; file-level problems are a ValidationError before any call
when the header or the first bytes show them, else a BulkError carrying the partial result.
"""

from __future__ import annotations

import codecs
import csv
import io
from pathlib import Path
from typing import Any

import pytest

from ccasync.errors import BulkError, ValidationError
from ccasync.ops.imports._pipeline import import_contacts
from ccasync.ops.imports._poll import SIM_SECONDS_PER_ROW
from tests.ops.imports.test_import_contacts import FakeActivities, FakeClient, FakeClock, _run

HEADER = "email,first_name,last_name\r\n"


@pytest.fixture
def clock() -> FakeClock:
    """A fake clock shared by the fake API and the import."""
    return FakeClock()


@pytest.fixture
def api(clock: FakeClock) -> FakeActivities:
    """The fake activities endpoints."""
    return FakeActivities(clock)


def _csv_rows(count: int, start: int = 0) -> str:
    return "".join(f"u{i}@example.com,N{i},L{i}\r\n" for i in range(start, start + count))


def _nothing_sent(api: FakeActivities) -> bool:
    return api.posts == 0 and api.polls == 0


async def _refused(api: FakeActivities, clock: FakeClock, source: Any, **kw: Any) -> Any:
    client = FakeClient(api)
    with pytest.raises(ValidationError) as info:
        await import_contacts(
            client,  # type: ignore[arg-type]
            source,
            list_ids=["list-1"],
            clock=clock,
            sleep=clock.sleep,
            **kw,
        )
    assert client.field_calls == 0
    assert _nothing_sent(api)
    return info.value


# --- row-level problems: the row is rejected, the rest imports --------------------------------


async def test_lone_surrogate_rejects_its_row(api: FakeActivities, clock: FakeClock) -> None:
    """A lone surrogate in first_name (orjson refused it with TypeError) rejects that row only."""
    rows: list[dict[str, Any]] = [{"email": f"s{i}@example.com"} for i in range(5)]
    rows[3]["first_name"] = "bad\udc80name"
    result = await _run(api, clock, rows)
    assert [(i.row, i.field) for i in result.rejected_rows] == [(4, "first_name")]
    assert "not valid text" in result.rejected_rows[0].reason
    assert result.imported == 4


async def test_extra_cells_reject_the_row(api: FakeActivities, clock: FakeClock) -> None:
    """An unquoted 'Smith, Jr.' makes 4 cells under 3 columns: rejected, never cut to 'Smith'."""
    text = HEADER + "a@example.com,John,Smith, Jr.\r\nb@example.com,Ann,Lee\r\n"
    result = await _run(api, clock, io.StringIO(text))
    assert [(i.row, i.field) for i in result.rejected_rows] == [(1, None)]
    assert "more cells than the header's 3 columns" in result.rejected_rows[0].reason
    assert [c["email"] for c in api.payloads[0]["import_data"]] == ["b@example.com"]


async def test_dictreader_rows_with_extras_and_odd_keys_are_rejected(
    api: FakeActivities, clock: FakeClock
) -> None:
    """DictReader's None key (surplus cells) and integer keys reject rows (was AttributeError)."""
    reader = csv.DictReader(io.StringIO("email,first_name\na@x.com,A,extra\nb@x.com,B\n"))
    rows: list[Any] = [*reader, {"email": "c@x.com", 7: "seven"}]
    rows += [42, {"email": "d@x.com", "first_name": ["a", "list"]}, {"email": "e@x.com"}]
    result = await _run(api, clock, rows)
    issues = [(i.row, i.field) for i in result.rejected_rows]
    assert issues == [(1, None), (3, "7"), (4, None), (5, "first_name")]
    assert "list" in result.rejected_rows[3].reason
    assert result.imported == 2


async def test_undecodable_byte_late_in_the_file_rejects_its_row(
    api: FakeActivities, clock: FakeClock, tmp_path: Path
) -> None:
    """A cp1252 byte past the sniffed start becomes a rejected row naming its field."""
    body = _csv_rows(3_000)
    data = (HEADER + body).encode() + b"late@example.com,Ren\xe9e,X\r\n" + b"z@example.com,Z,Z\r\n"
    path = tmp_path / "late.csv"
    path.write_bytes(data)
    result = await _run(api, clock, path, max_payload_bytes=200_000)
    assert [(i.row, i.field) for i in result.rejected_rows] == [(3_001, "first_name")]
    assert result.imported == 3_001


# --- file-level problems known up front: ValidationError, nothing sent -------------------------


@pytest.mark.parametrize(
    ("header", "field"),
    [
        ("email,first_name,email", "csv column 'email'"),
        ("Email,EMAIL", "csv column 'EMAIL'"),
        ("email,cf:Plan,CF: plan", "csv column 'CF: plan'"),
        ("first_name,last_name", "email"),
        ("email,favourite_colour", "csv column 'favourite_colour'"),
    ],
)
async def test_bad_headers_are_refused_before_any_call(
    api: FakeActivities, clock: FakeClock, header: str, field: str
) -> None:
    """Repeated columns, no email/sms_number column, or unknown columns: refused up front."""
    error = await _refused(api, clock, io.StringIO(header + "\r\na@x.com,b,c\r\n"))
    assert error.field == field


async def test_cp1252_file_is_refused_up_front_and_imports_with_encoding(
    api: FakeActivities, clock: FakeClock, tmp_path: Path
) -> None:
    """An Excel cp1252 byte in the first 64 KiB: ValidationError('encoding'); encoding= fixes it."""
    path = tmp_path / "excel.csv"
    path.write_bytes((HEADER + "r@example.com,Renée,X\r\n").encode("cp1252"))
    error = await _refused(api, clock, path)
    assert error.field == "encoding"
    assert "0xe9" in error.reason
    assert "cp1252" in error.reason
    result = await _run(api, clock, path, encoding="cp1252")
    assert api.payloads[0]["import_data"][0]["first_name"] == "Renée"
    assert result.imported == 1


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-le", "utf-16-be", "utf-8-sig", "utf-32"])
async def test_utf16_and_boms_are_detected(
    api: FakeActivities, clock: FakeClock, tmp_path: Path, codec: str
) -> None:
    """UTF-16 (with or without BOM), UTF-32 and UTF-8 with BOM decode with no encoding=."""
    path = tmp_path / "wide.csv"
    path.write_bytes((HEADER + "w@example.com,Zoë,Ünal\r\n").encode(codec))
    result = await _run(api, clock, path)
    assert result.imported == 1
    assert api.payloads[0]["import_data"] == [
        {"email": "w@example.com", "first_name": "Zoë", "last_name": "Ünal"}
    ]


async def test_binary_streams_are_decoded_like_files(api: FakeActivities, clock: FakeClock) -> None:
    """A BytesIO is a CSV source too (UTF-16 BOM detected); the caller's stream stays open."""
    stream = io.BytesIO(codecs.BOM_UTF16_LE + (HEADER + _csv_rows(3)).encode("utf-16-le"))
    result = await _run(api, clock, stream)
    assert result.imported == 3
    assert not stream.closed


@pytest.mark.parametrize(
    ("source", "reason"),
    [
        (HEADER + _csv_rows(2), "a str is a file path; pass CSV text as io.StringIO"),
        ((HEADER + _csv_rows(2)).encode(), "a bytes is no row source"),
        ({"email": "a@x.com"}, "a dict is no row source"),
        (3.5, "unsupported import source: float"),
        ("/no/such/dir/file.csv", "cannot open the CSV file"),
    ],
)
async def test_source_types_are_explicit(
    api: FakeActivities, clock: FakeClock, source: Any, reason: str
) -> None:
    """CSV text in a str, bytes, a lone mapping, other types, a missing file: ValidationError."""
    error = await _refused(api, clock, source)
    assert error.field == "source"
    assert reason in error.reason


async def test_unknown_encoding_is_refused(api: FakeActivities, clock: FakeClock) -> None:
    """encoding= must name a codec Python knows."""
    error = await _refused(api, clock, io.BytesIO(b"email\n"), encoding="no-such-codec")
    assert error.field == "encoding"


# --- file-level problems found midway: BulkError with the partial result ----------------------


async def test_cell_over_the_csv_limit_stops_with_a_partial_result(
    api: FakeActivities, clock: FakeClock
) -> None:
    """A 131,073-character cell at row 41 (bare _csv.Error before): rows 1-40 import, BulkError."""
    text = HEADER + _csv_rows(40) + 'x@example.com,"' + "y" * 131_073 + '",Z\r\n' + _csv_rows(5)
    with pytest.raises(BulkError, match="row 41") as info:
        await _run(api, clock, io.StringIO(text))
    result = info.value.result
    assert result.rows_read == 40
    assert result.imported == 40
    assert "row 41" in (result.stopped or "")


async def test_endless_line_is_bounded(api: FakeActivities, clock: FakeClock) -> None:
    """A 3 MB line of commas stops the reading at 1 MiB (575 MiB peak before), rows before kept."""
    text = HEADER + _csv_rows(3) + "," * 3_000_000 + "\r\n"
    with pytest.raises(BulkError, match="longer than 1,048,576 characters") as info:
        await _run(api, clock, io.StringIO(text))
    assert info.value.result.imported == 3
    assert info.value.result.stopped is not None


async def test_stuck_activity_stops_at_the_timeout(api: FakeActivities, clock: FakeClock) -> None:
    """An activity that never finishes: BulkError at timeout=, its rows marked unknown."""
    api.speed = SIM_SECONDS_PER_ROW * 1e9
    start = clock()
    with pytest.raises(BulkError, match="outlasted timeout=600 s") as info:
        await _run(api, clock, [{"email": "slow@example.com"}], timeout=600)
    result = info.value.result
    assert [c.outcome for c in result.chunks] == ["unknown"]
    assert clock() - start <= 600 + 1
    assert api.polls < 100


# --- columns=: Constant Contact's own export headers -----------------------------------------


async def test_columns_map_export_headers_and_skip_others(
    api: FakeActivities, clock: FakeClock
) -> None:
    """columns= renames 'Email Address'/'First Name' and drops a column mapped to None."""
    text = "Email Address,First Name,Source\r\nm@example.com,Mia,web\r\n"
    columns = {"Email Address": "email", "First Name": "first_name", "Source": None}
    result = await _run(api, clock, io.StringIO(text), columns=columns)
    assert result.imported == 1
    assert api.payloads[0]["import_data"] == [{"email": "m@example.com", "first_name": "Mia"}]


async def test_columns_map_still_refuses_a_repeated_key(
    api: FakeActivities, clock: FakeClock
) -> None:
    """Two columns renamed to the same key are refused up front, like a repeated header."""
    text = "Email Address,E-mail\r\na@x.com,b@x.com\r\n"
    columns = {"Email Address": "email", "E-mail": "email"}
    error = await _refused(api, clock, io.StringIO(text), columns=columns)
    assert "appears twice" in error.reason
