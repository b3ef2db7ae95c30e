"""The shared local validators of ccasync._checks: each names the field and the rule."""

from __future__ import annotations

import datetime as dt

import pytest

from ccasync import _checks
from ccasync.errors import ValidationError
from ccasync.models.contacts import Contact, check_contact_update

UUID = "1618ae62-4752-11e9-9c8a-fa163e6b01c1"
NOW = dt.datetime(2026, 1, 1, 12, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    "value", ["", "1618ae62", "04fe9a-a579-43c5-bb1a-58ed29bf0a6a", UUID + "0", 42, None]
)
def test_check_uuid_refuses_malformed_ids(value: object) -> None:
    """Anything but an 8-4-4-4-12 hex string is refused, naming the field."""
    with pytest.raises(ValidationError) as caught:
        _checks.check_uuid("contact_id", value)
    assert caught.value.field == "contact_id"
    assert "UUID" in caught.value.reason


def test_check_uuids_counts_and_refuses_a_bare_string() -> None:
    """A list is checked for size and each item; a single string is not a list of ids."""
    _checks.check_uuids("ids", [UUID, UUID.upper()], max_items=2)
    with pytest.raises(ValidationError, match="not a string"):
        _checks.check_uuids("ids", UUID, max_items=5)
    with pytest.raises(ValidationError, match="at most 1 items"):
        _checks.check_uuids("ids", [UUID, UUID], max_items=1)
    with pytest.raises(ValidationError, match="is required"):
        _checks.check_uuids("ids", None, max_items=1, min_items=1)


def test_check_length_bounds_and_row() -> None:
    """Lengths outside the bounds fail with the row number when given."""
    _checks.check_length("name", None, max_len=3)
    _checks.check_length("name", "abc", max_len=3, min_len=1)
    with pytest.raises(ValidationError) as caught:
        _checks.check_length("name", "abcd", max_len=3, row=7)
    assert (caught.value.row, str(caught.value)) == (7, "row 7, name: at most 3 characters, got 4")
    with pytest.raises(ValidationError, match="at least 1"):
        _checks.check_length("name", "", max_len=3, min_len=1)


def test_check_range_refuses_bools_and_out_of_range() -> None:
    """Integers only (True is not 1 here), within the inclusive bounds."""
    _checks.check_range("limit", 500, low=1, high=500)
    for bad in (0, 501, True, "5"):
        with pytest.raises(ValidationError):
            _checks.check_range("limit", bad, low=1, high=500)  # type: ignore[arg-type]


def test_check_aware_and_future() -> None:
    """Naive datetimes and times not after now are refused."""
    _checks.check_aware_future("at", NOW + dt.timedelta(minutes=1), now=NOW)
    with pytest.raises(ValidationError, match="timezone-aware"):
        _checks.check_aware_future("at", dt.datetime(2027, 1, 1), now=NOW)
    with pytest.raises(ValidationError, match="future"):
        _checks.check_aware_future("at", NOW, now=NOW)


def test_check_enum_and_exactly_one() -> None:
    """Enum messages list the allowed values; exactly_one says what was given."""
    with pytest.raises(ValidationError, match="Account, Contact"):
        _checks.check_enum("create_source", "Robot", {"Contact", "Account"})
    with pytest.raises(ValidationError, match=r"got a, b"):
        _checks.check_exactly_one(("a", "b", "c"), (True, True, False))
    with pytest.raises(ValidationError, match="got none"):
        _checks.check_exactly_one(("a", "b"), (False, False))


def test_reviving_a_deleted_contact_needs_update_source_account() -> None:
    """A record with deleted_at set can only be PUT with update_source Account (spec rule)."""
    contact = Contact(
        contact_id="1618ae62-4752-11e9-9c8a-fa163e6b01c1",
        update_source="Contact",
        deleted_at=dt.date(2026, 1, 2),
    )
    with pytest.raises(ValidationError, match="update_source"):
        check_contact_update(contact)
    contact.update_source = "Account"
    check_contact_update(contact)
