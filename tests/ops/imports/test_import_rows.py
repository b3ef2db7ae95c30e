"""Unit tests of per-row validation and email normalization for imports."""

from __future__ import annotations

import pytest
from email_validator import EmailNotValidError, validate_email

from ccasync.ops._common import RowIssue
from ccasync.ops.imports._row_checks import RowChecker, SeenKeys, normalize_email, row_key

CUSTOM = {"shoe_size": "Shoe_Size", **{f"f{i}": f"f{i}" for i in range(30)}}

ADDRESSES = [
    "plain@example.com",
    "Mixed.Case@Example.COM",
    "with+tag@sub.example.org",
    "ünïcode@example.com",
    "user@bücher.de",
    '"quoted local"@example.com',
    "a@b",
    "no-at-sign.example.com",
    "two@@example.com",
    "dot.@example.com",
    ".dot@example.com",
    "spa ce@example.com",
    "user@example..com",
    "user@-example.com",
    "user@localhost",
    "user@example.invalid",
    "user@[127.0.0.1]",
    "",
    "@example.com",
    "user@",
]


def _full(address: str) -> str | None:
    try:
        return validate_email(address, check_deliverability=False).normalized
    except EmailNotValidError:
        return None


def _fast(address: str) -> str | None:
    try:
        return normalize_email(address)
    except EmailNotValidError:
        return None


@pytest.mark.parametrize("address", ADDRESSES)
def test_fast_path_agrees_with_email_validator(address: str) -> None:
    """The cached fast path accepts, rejects and normalizes exactly like validate_email."""
    assert _fast(address) == _full(address)


def _check(record: dict[str, object], row: int = 7) -> dict[str, object] | RowIssue:
    return RowChecker(CUSTOM).check(row, record)


def test_clean_row_is_normalized() -> None:
    """Keys are trimmed, case-folded, empty values dropped, numbers parsed, cf names canonical."""
    clean = _check(
        {
            " Email ": " Ann@Example.COM ",
            "first_name": "Ann",
            "last_name": "",
            "birthday_month": "3",
            "CF:shoe_size": 41,
        }
    )
    assert clean == {
        "email": "Ann@example.com",
        "first_name": "Ann",
        "birthday_month": 3,
        "cf:Shoe_Size": "41",
    }


@pytest.mark.parametrize(
    ("record", "field", "words"),
    [
        ({"first_name": "Ann"}, "email", "missing"),
        ({"email": "not-an-email"}, "email", "invalid email"),
        ({"email": "a@example.com", "first_name": "x" * 51}, "first_name", "longer than 50"),
        ({"email": "a@example.com", "street": "x" * 256}, "street", "longer than 255"),
        ({"email": "a" * 62 + "@example-domain.com"}, "email", "longer than 80"),
        ({"email": "a@example.com", "cf:nope": "v"}, "cf:nope", "unknown custom field"),
        ({"email": "a@example.com", "cf:shoe_size": "v" * 256}, "cf:shoe_size", "longer than 255"),
        ({"email": "a@example.com", "favourite": "v"}, "favourite", "unknown import key"),
        ({"email": "a@example.com", "birthday_day": "32"}, "birthday_day", "1..31"),
        ({"email": "a@example.com", "birthday_month": "May"}, "birthday_month", "whole number"),
        (
            {"email": "a@example.com", **{f"cf:f{i}": "v" for i in range(26)}},
            "custom_fields",
            "more than 25",
        ),
        (
            {
                "email": "a@example.com",
                "phone": "1",
                "home_phone": "2",
                "work_phone": "3",
                "mobile_phone": "4",
            },
            "phone",
            "more than 3",
        ),
        (
            {
                "email": "a@example.com",
                "city": "a",
                "home_city": "b",
                "work_city": "c",
                "other_zip": "d",
            },
            "street",
            "more than 3",
        ),
    ],
)
def test_bad_rows_name_row_field_and_reason(
    record: dict[str, object], field: str, words: str
) -> None:
    """Each broken rule yields a RowIssue with the row number, the field and a readable reason."""
    issue = _check(record)
    assert isinstance(issue, RowIssue)
    assert (issue.row, issue.field) == (7, field)
    assert words in issue.reason


def test_twenty_five_custom_fields_are_fine() -> None:
    """Exactly 25 custom fields is within the limit."""
    clean = _check({"email": "a@example.com", **{f"cf:f{i}": "v" for i in range(25)}})
    assert isinstance(clean, dict)
    assert len(clean) == 26


def test_sms_only_row_is_accepted_and_keyed_by_number() -> None:
    """A row with an SMS number and no email is valid; its upsert key is the number."""
    clean = _check({"sms_number": "123-123-1234"})
    assert isinstance(clean, dict)
    assert row_key(clean) == "sms:123-123-1234"
    assert row_key({"email": "A@x.com"}) == "a@x.com"


def test_seen_keys_detects_repeats_across_growth() -> None:
    """SeenKeys reports each key new once, also after the table has grown several times."""
    seen = SeenKeys()
    keys = [f"user{i}@example.com" for i in range(5_000)]
    assert all(seen.add(k) for k in keys)
    assert not any(seen.add(k) for k in keys)
    assert len(seen) == 5_000
