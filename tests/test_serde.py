"""The one converter: unknown fields kept, None omitted, aware datetimes, clear decode errors."""

from __future__ import annotations

import datetime as dt
from typing import Any

import attrs
import pytest

from ccasync._serde import dumps, format_datetime, loads, parse_datetime, structure, unstructure
from ccasync.errors import DecodeError, ValidationError


@attrs.define(kw_only=True)
class Inner:
    """A nested record that keeps unknown keys."""

    address: str
    extra: dict[str, Any] = attrs.field(factory=dict, repr=False)


@attrs.define(kw_only=True)
class Record:
    """A record with optional, nested, list and datetime fields."""

    record_id: str
    inner: Inner | None = None
    when: dt.datetime | None = None
    day: dt.date | None = None
    tags: list[str] = attrs.field(factory=list)
    note: str | None = None
    extra: dict[str, Any] = attrs.field(factory=dict, repr=False)


@attrs.define(kw_only=True)
class Defaulted:
    """A record whose fields other than the id have defaults and are typed without None."""

    record_id: str
    count: int = 0
    flag: bool = False
    label: str = ""
    tags: list[str] = attrs.field(factory=list)
    note: str | None = "kept"
    extra: dict[str, Any] = attrs.field(factory=dict, repr=False)


@attrs.define(kw_only=True)
class Plain:
    """A record without an extra dict: unknown keys are dropped."""

    a: int
    b: str | None = None


def test_unknown_fields_round_trip() -> None:
    """Unknown keys at every level survive structure → unstructure."""
    data = {
        "record_id": "r1",
        "inner": {"address": "a@b.c", "new_inner": [1, 2]},
        "tags": ["x"],
        "future_field": {"nested": True},
    }
    rec = structure(data, Record)
    assert rec.extra == {"future_field": {"nested": True}}
    assert rec.inner is not None
    assert rec.inner.extra == {"new_inner": [1, 2]}
    assert unstructure(rec) == data


def test_known_field_wins_over_extra() -> None:
    """An edited known field is sent even if a stale copy sits in extra."""
    rec = structure({"record_id": "r1", "note": "old"}, Record)
    rec.note = "new"
    rec.extra["note"] = "stale"
    assert unstructure(rec)["note"] == "new"


def test_none_is_omitted_when_sending() -> None:
    """None values never reach the wire."""
    assert unstructure(Record(record_id="r")) == {"record_id": "r", "tags": []}
    assert unstructure(Plain(a=1)) == {"a": 1}


def test_plain_model_drops_unknown_keys() -> None:
    """Models without extra tolerate unknown keys by ignoring them."""
    assert structure({"a": 1, "zzz": 2}, Plain) == Plain(a=1)


def test_datetimes_are_aware_both_ways() -> None:
    """ISO Z and offsets parse to aware datetimes; output is UTC with Z."""
    rec = structure(
        {"record_id": "r", "when": "2026-03-01T10:00:00-05:00", "day": "2026-03-01"}, Record
    )
    assert rec.when == dt.datetime(2026, 3, 1, 15, tzinfo=dt.UTC)
    assert rec.day == dt.date(2026, 3, 1)
    out = unstructure(rec)
    assert out["when"] == "2026-03-01T15:00:00.000Z"
    assert out["day"] == "2026-03-01"
    assert parse_datetime("2016-01-23T13:48:44.108Z").tzinfo is not None
    assert parse_datetime("2016-01-23T13:48:44").tzinfo == dt.UTC


def test_naive_datetime_refused_when_sending() -> None:
    """A naive datetime is a ValidationError, not a silent guess of the zone."""
    with pytest.raises(ValidationError, match="timezone-aware"):
        format_datetime(dt.datetime(2026, 1, 1, 9))
    with pytest.raises(ValidationError):
        dumps(Record(record_id="r", when=dt.datetime(2026, 1, 1)))


def test_decode_error_names_the_path() -> None:
    """A body that does not fit says where, using cattrs' transform_error."""
    with pytest.raises(DecodeError, match=r"\$\.inner\.address"):
        structure({"record_id": "r", "inner": {}}, Record)


@attrs.define(kw_only=True)
class Holder:
    """A record holding a list of records and a required timestamp."""

    made: dt.datetime
    items: list[Inner] | None = None


def test_list_item_error_names_its_index_and_field() -> None:
    """A bad record inside a list is refused naming its index and field (the detailed path)."""
    body = {"made": "2026-01-01T00:00:00Z", "items": [{"address": "a"}, {"nope": 1}]}
    with pytest.raises(DecodeError, match=r"\$\.items\[1\]\.address"):
        structure(body, Holder)
    with pytest.raises(DecodeError, match=r"\$\.made"):
        structure({"made": "yesterday"}, Holder)


def test_timestamps_read_with_z_offset_or_naive_as_utc() -> None:
    """Required and optional timestamps: Z and offsets keep their instant, naive ones are UTC."""
    got = structure({"made": "2026-01-01T10:00:00", "items": [{"address": "a", "x": 1}]}, Holder)
    assert got.made == dt.datetime(2026, 1, 1, 10, tzinfo=dt.UTC)
    assert got.items is not None
    assert got.items[0].extra == {"x": 1}
    rec = structure({"record_id": "r", "when": "2026-03-01T10:00:00"}, Record)
    assert rec.when == dt.datetime(2026, 3, 1, 10, tzinfo=dt.UTC)
    rec = structure({"record_id": "r", "when": "2026-03-01T10:00:00.5+02:00"}, Record)
    assert rec.when == dt.datetime(2026, 3, 1, 8, 0, 0, 500000, tzinfo=dt.UTC)


def test_invalid_json_is_decode_error() -> None:
    """A broken body raises DecodeError with an excerpt."""
    with pytest.raises(DecodeError, match="not valid JSON"):
        loads(b"{oops")


@attrs.define(kw_only=True)
class Loose:
    """A record whose fields are all optional and that keeps unknown keys."""

    name: str | None = None
    extra: dict[str, Any] = attrs.field(factory=dict, repr=False)


@pytest.mark.parametrize("body", [[{"name": "x"}], "name", 5, None])
def test_wrong_shape_is_decode_error(body: object) -> None:
    """A body that is not an object (a list, a string…) is a DecodeError, never AttributeError."""
    with pytest.raises(DecodeError, match="Loose"):
        structure(body, Loose)


def test_null_in_a_defaulted_field_keeps_the_default() -> None:
    """A null where the field has a default reads as absent: the default, never "None"."""
    data = {"record_id": "r", "count": None, "flag": None, "label": None, "tags": None}
    rec = structure(data, Defaulted)
    assert (rec.count, rec.flag, rec.label, rec.tags) == (0, False, "", [])
    assert rec.extra == {}


def test_null_in_an_optional_field_stays_null() -> None:
    """A field typed with None keeps the null the server sent, whatever its default."""
    assert structure({"record_id": "r", "note": None}, Defaulted).note is None


def test_null_or_missing_field_without_default_is_refused() -> None:
    """A field with no default and no None in its type must be sent, and not as null."""
    with pytest.raises(DecodeError, match=r"Defaulted: .* @ \$\.record_id$"):
        structure({"record_id": None, "count": 1}, Defaulted)
    with pytest.raises(DecodeError, match=r"Plain: required field missing @ \$\.a$"):
        structure({"b": "x"}, Plain)


def test_naive_datetime_error_names_the_field() -> None:
    """The ValidationError for a naive datetime in a model names the model field."""
    with pytest.raises(ValidationError) as info:
        unstructure(Record(record_id="r", when=dt.datetime(2026, 1, 1)))
    assert info.value.field == "when"
    with pytest.raises(ValidationError) as nested:
        unstructure({"outer": [Record(record_id="r", when=dt.datetime(2026, 1, 1))]})
    assert nested.value.field == "when"


def test_str_list_refuses_nulls_and_non_lists() -> None:
    """A list of strings never holds "None": a null item or a bare string is a DecodeError."""
    assert structure(["a", 1], list[str]) == ["a", "1"]
    with pytest.raises(DecodeError):
        structure(["a", None], list[str])
    with pytest.raises(DecodeError):
        structure("abc", list[str])
