"""msgspec's shadow path builds exactly the record the usual path builds, or stands aside.

``decode_record(body, cls)`` must equal ``structure(loads(body), cls)`` for every record class
and every body: every field, only the required ones, nulls in defaulted fields, unknown keys,
values the usual path coerces (numbers as text), naive and over-precise timestamps. Where the
usual path raises DecodeError, so must it. Other tests prove the shadow path really answers
(it is not always standing aside) and that it stands aside where it must.
"""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any

import attrs
import orjson
import pytest

from ccasync import _record_decoder, _serde
from ccasync._record_decoder import decode_record
from ccasync.errors import DecodeError
from ccasync.models import Contact
from tests.record_samples import RECORDS, sample_body

NOW = "2026-01-02T03:04:05.123Z"
FULL_CONTACT: dict[str, Any] = {
    "contact_id": "11111111-2222-4333-8444-555555555555",
    "email_address": {
        "address": "a@example.com",
        "permission_to_send": "implicit",
        "created_at": NOW,
        "updated_at": NOW,
    },
    "first_name": "Ann",
    "birthday_month": 7,
    "created_at": NOW,
    "updated_at": "2026-01-02T04:00:00-05:00",
    "custom_fields": [{"custom_field_id": "f1", "value": "v"}],
    "list_memberships": ["l1", "l2"],
    "phone_numbers": [{"phone_number": "555", "kind": "work", "created_at": NOW}],
    "street_addresses": [{"kind": "home", "city": "Boston", "updated_at": NOW}],
    "notes": [{"note_id": "n1", "content": "hi", "created_at": NOW}],
    "taggings": [],
}


@attrs.define
class Tree:
    """A record holding records of its own class (the shadow path refuses the cycle)."""

    name: str
    children: list[Tree] = attrs.Factory(list)


def _usual(body: Any, cls: type) -> Any:
    return _serde.structure(_serde.loads(orjson.dumps(body)), cls)


def _assert_same(body: Any, cls: type) -> Any:
    """Decode ``body`` both ways; equal records (or a DecodeError from both)."""
    try:
        expected = _usual(body, cls)
    except DecodeError:
        with pytest.raises(DecodeError):
            decode_record(orjson.dumps(body), cls)
        return None
    got = decode_record(orjson.dumps(body), cls)
    assert type(got) is cls
    assert got == expected
    assert {a.name: getattr(got, a.name) for a in attrs.fields(cls)} == {
        a.name: getattr(expected, a.name) for a in attrs.fields(cls)
    }
    return got


def _fast_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the usual path fail loudly: what still decodes came from the shadow path."""

    def refuse(data: Any, cls: type) -> Any:
        raise AssertionError(f"the usual path ran for {cls.__name__}")

    monkeypatch.setattr(_record_decoder, "structure", refuse)


@pytest.mark.parametrize("cls", RECORDS, ids=lambda c: c.__qualname__)
def test_same_record_as_the_usual_path(cls: type) -> None:
    """Every field, only the required ones, nulls for defaults, an unknown key: same record."""
    for every in (True, False):
        body = sample_body(cls, every=every)
        _assert_same(body, cls)
        _assert_same({**body, "surely_unknown_key": {"n": 1}}, cls)
        defaults = {a.name for a in attrs.fields(cls) if a.default is not attrs.NOTHING}
        _assert_same({**body, **dict.fromkeys(defaults & set(body))}, cls)
        required = [a.name for a in attrs.fields(cls) if a.default is attrs.NOTHING]
        if required:  # a missing required key: both refuse, naming it
            _assert_same({k: v for k, v in body.items() if k != required[0]}, cls)


def test_most_record_classes_have_a_shadow() -> None:
    """The shadow path is the common one (the others still decode, above)."""
    shadowed = [cls for cls in RECORDS if _record_decoder._make_decoder(cls) is not None]
    assert len(shadowed) > len(RECORDS) * 3 // 4


def test_a_full_contact_takes_the_shadow_path(monkeypatch: pytest.MonkeyPatch) -> None:
    expected = _usual(FULL_CONTACT, Contact)
    _fast_only(monkeypatch)
    got = decode_record(orjson.dumps(FULL_CONTACT), Contact)
    assert got == expected
    assert got.updated_at == dt.datetime(2026, 1, 2, 9, 0, tzinfo=dt.UTC)
    assert got.phone_numbers is not None
    assert got.phone_numbers[0].created_at == got.created_at
    assert got.email_address is not None
    assert got.extra == got.email_address.extra == {}


@pytest.mark.parametrize(
    ("where", "change"),
    [
        ("top", {"brand_new_field": 1}),  # unknown key: kept in extra by the usual path
        ("email", {"brand_new_field": [1]}),  # the same, nested
        ("top", {"birthday_month": "7"}),  # text where a number is expected: coerced
        ("top", {"first_name": 12}),  # a number where text is expected: read as text
        ("top", {"list_memberships": ["l1", 2]}),  # a number in a list of ids
        ("top", {"created_at": "2026-01-02T03:04:05"}),  # naive: read as UTC
        ("top", {"created_at": "2026-01-02T03:04:05.1234567Z"}),  # 7 digits: truncated
        ("top", {"extra": {"x": 1}}),  # a key named like the extra field
        ("email", {"permission_to_send": None}),  # null in an optional field
    ],
)
def test_bodies_the_shadow_may_refuse_decode_as_usual(where: str, change: dict[str, Any]) -> None:
    body = copy.deepcopy(FULL_CONTACT)
    (body if where == "top" else body["email_address"]).update(change)
    assert _assert_same(body, Contact) is not None


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[1, 2]",
        b'{"first_name": "no id"}',
        orjson.dumps({**FULL_CONTACT, "created_at": "yesterday"}),
        orjson.dumps({**FULL_CONTACT, "phone_numbers": [None]}),
        orjson.dumps({**FULL_CONTACT, "email_address": "a@example.com"}),
    ],
)
def test_what_does_not_fit_raises_the_usual_error(body: bytes) -> None:
    with pytest.raises(DecodeError) as usual:
        _serde.structure(_serde.loads(body), Contact)
    with pytest.raises(DecodeError) as got:
        decode_record(body, Contact)
    assert str(got.value) == str(usual.value)


def test_unknown_keys_are_dropped_by_a_record_without_extra(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    @attrs.define
    class Plain:
        name: str
        count: int = 0

    assert not _serde._has_extra(Plain)
    body = {"name": "a", "count": 2, "unknown": [1]}
    expected = _usual(body, Plain)
    _fast_only(monkeypatch)
    assert decode_record(orjson.dumps(body), Plain) == expected == Plain("a", 2)


def test_classes_the_shadow_cannot_mirror_take_the_usual_path() -> None:
    @attrs.define
    class Validated:
        x: int = attrs.field(validator=attrs.validators.gt(0))

    @attrs.define
    class Either:
        x: str | int

    for cls, body in (
        (Validated, {"x": 1}),
        (Either, {"x": 1}),
        (Tree, {"name": "a", "children": [{"name": "b"}]}),
    ):
        assert _record_decoder._make_decoder(cls) is None, cls.__name__
        assert decode_record(orjson.dumps(body), cls) == _usual(body, cls)
    with pytest.raises(DecodeError):
        decode_record(b'{"x": 0}', Validated)


def test_the_timestamp_memo_stays_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_record_decoder, "_TIMES_KEPT", 8)
    _record_decoder._TIMES.clear()  # the builders hold this dict's lookup: clear, not replace
    for second in range(30):
        body = {**FULL_CONTACT, "created_at": f"2026-01-02T03:04:{second:02d}Z"}
        got = decode_record(orjson.dumps(body), Contact)
        assert got.created_at == dt.datetime(2026, 1, 2, 3, 4, second, tzinfo=dt.UTC)
        assert len(_record_decoder._TIMES) <= 8
