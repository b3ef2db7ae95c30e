"""Unit tests of import sources: CSV numbering and header checks, iterables, Contact records."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from ccasync.errors import ValidationError
from ccasync.ops.imports._source import contact_to_keys, read_batches


async def _all(source: Any, cf_names: dict[str, str] | None = None) -> list[tuple[int, Any]]:
    return [item async for batch in read_batches(source, cf_names or {}) for item in batch]


async def test_csv_path_rows_are_numbered_from_the_first_record(tmp_path: Path) -> None:
    """Row 1 is the first record after the header; a BOM and surplus cells are ignored."""
    path = tmp_path / "c.csv"
    path.write_text(
        "\ufeffemail,First_Name\na@example.com,Ann\nb@example.com,Bob,extra\n", encoding="utf-8"
    )
    rows = await _all(path)
    assert rows == [
        (1, {"email": "a@example.com", "First_Name": "Ann"}),
        (2, {"email": "b@example.com", "First_Name": "Bob"}),
    ]


async def test_csv_with_unknown_column_is_refused_up_front(tmp_path: Path) -> None:
    """A header column that is no import key raises ValidationError before any row is read."""
    path = tmp_path / "c.csv"
    path.write_text("email,favourite_colour\na@example.com,red\n", encoding="utf-8")
    with pytest.raises(ValidationError, match="favourite_colour"):
        await _all(str(path))


async def test_iterables_are_batched_in_order() -> None:
    """A plain iterable is read in batches of 1,000 with consecutive row numbers."""
    rows = await _all({"email": f"u{i}@example.com"} for i in range(2_500))
    assert [n for n, _ in rows] == list(range(1, 2_501))


async def test_unsupported_source_type_is_refused() -> None:
    """A source that is neither CSV, iterable nor async iterable is a ValidationError (source)."""
    with pytest.raises(ValidationError, match="source: unsupported import source: int"):
        await _all(42)


def test_contact_records_become_import_keys() -> None:
    """A Contact record maps to email, names, phones and addresses by kind, and cf:<name>."""
    contact = SimpleNamespace(
        email_address=SimpleNamespace(address="ann@example.com"),
        first_name="Ann",
        last_name=None,
        job_title="CTO",
        company_name=None,
        anniversary=None,
        birthday_month=4,
        birthday_day=None,
        phone_numbers=[
            SimpleNamespace(kind="mobile", phone_number="555"),
            SimpleNamespace(kind="fax", phone_number="7"),
        ],
        street_addresses=[
            SimpleNamespace(
                kind="work",
                street="1 Main",
                city="Boston",
                state="MA",
                postal_code="02110",
                country="US",
            )
        ],
        custom_fields=[
            SimpleNamespace(custom_field_id="id-1", value="42"),
            SimpleNamespace(custom_field_id="id-9", value="x"),
        ],
    )
    keys = contact_to_keys(contact, {"id-1": "Shoe_Size"})
    present = {k: v for k, v in keys.items() if v is not None}
    assert present == {
        "email": "ann@example.com",
        "first_name": "Ann",
        "job_title": "CTO",
        "birthday_month": 4,
        "mobile_phone": "555",
        "other_phone": "7",
        "work_street": "1 Main",
        "work_city": "Boston",
        "work_state": "MA",
        "work_zip": "02110",
        "work_country": "US",
        "cf:Shoe_Size": "42",
        "cf:?id-9": "x",
    }


async def test_json_import_contacts_and_real_contact_records() -> None:
    """JsonImportContact rows give their wire keys; ccasync NewContact records are converted."""
    from ccasync.models.activities import JsonImportContact
    from ccasync.models.contacts import EmailAddress, NewContact

    rows = await _all(
        [
            JsonImportContact(email="a@example.com", custom_fields={"Shoe_Size": "40"}),
            NewContact(email_address=EmailAddress(address="b@example.com"), first_name="B"),
        ]
    )
    assert rows[0] == (1, {"email": "a@example.com", "cf:Shoe_Size": "40"})
    assert rows[1][0] == 2
    assert {k: v for k, v in rows[1][1].items() if v is not None} == {
        "email": "b@example.com",
        "first_name": "B",
    }


async def test_long_line_after_many_batches_names_its_row(tmp_path: Path) -> None:
    """A line over the bound deep in a file stops at its row, every row before it read."""
    path = tmp_path / "long.csv"
    rows = "".join(f"r{i}@example.com,N\r\n" for i in range(30_000))
    path.write_text("email,first_name\r\n" + rows + "x" * 1_100_000 + "\r\n", encoding="utf-8")
    seen: list[int] = []

    async def read() -> None:
        async for batch in read_batches(str(path), {}):
            seen.extend(row for row, _ in batch)

    with pytest.raises(ValidationError, match="longer than") as info:
        await read()
    assert seen == list(range(1, 30_001))
    assert info.value.row == 30_001
