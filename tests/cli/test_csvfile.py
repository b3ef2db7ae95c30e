"""The import command's CSV reader: header mapping, encodings, rows wider than the header."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest

from ccasync.cli._csvfile import CsvInput, check_rows, parse_maps, plan_columns
from ccasync.errors import ConfigError, ValidationError


def test_constant_contact_export_labels_map_to_import_keys() -> None:
    """Export labels in any case map to keys; export-only columns are dropped."""
    plan = plan_columns(
        ["Email Address", "FIRST NAME", "Phone - Mobile", "Zip/Postal Code", "Email status"], {}
    )
    assert plan.keys == ("email", "first_name", "mobile_phone", "zip", None)
    assert plan.dropped == ("Email status",)


def test_header_problems_are_listed_together() -> None:
    """Unknown and repeated targets and a missing email column are one ValidationError."""
    with pytest.raises(ValidationError) as info:
        plan_columns(["Name", "first_name", "First Name"], {})
    text = str(info.value)
    assert "'Name'" in text
    assert "several columns give first_name" in text
    assert "no email column" in text


def test_maps_are_checked() -> None:
    """--map needs "Column=key" with an import key (or empty to drop)."""
    assert parse_maps(["Store=cf:store", "Notes="]) == {"Store": "cf:store", "Notes": ""}
    with pytest.raises(ConfigError):
        parse_maps(["Store"])
    with pytest.raises(ConfigError):
        parse_maps(["Store=shop"])


def test_utf16_with_bom_is_detected(tmp_path: Path) -> None:
    """A UTF-16 file with a BOM reads without --encoding."""
    path = tmp_path / "u16.csv"
    path.write_bytes(
        codecs.BOM_UTF16_LE + "email,first_name\na@b.example,Zoé\n".encode("utf-16-le")
    )
    source = CsvInput(path, encoding="auto", delimiter=",", maps={})
    try:
        assert source.encoding == "utf-16"
        assert list(source.rows()) == [{"email": "a@b.example", "first_name": "Zoé"}]
    finally:
        source.close()


def test_row_wider_than_the_header_is_handed_on_empty(tmp_path: Path) -> None:
    """An unquoted comma gives an extra cell: the row is emptied (rejected) and the reason kept."""
    path = tmp_path / "c.csv"
    path.write_text("email,last_name\na@b.example,Smith, Jr.\nc@d.example,Doe\n", encoding="utf-8")
    source = CsvInput(path, encoding="auto", delimiter=",", maps={})
    try:
        rows = list(source.rows())
    finally:
        source.close()
    assert rows[0] == {}
    assert "3 cells for 2 columns" in source.issues[1]
    assert check_rows(rows, source.issues) == [(1, source.issues[1])]
