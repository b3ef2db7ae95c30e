"""The generated plain decode functions build exactly what attrs' __init__ and cattrs build.

For every record class of ``ccasync.models``, bodies are made from the class's own fields
(every field present, only the required ones, unknown keys, nulls in defaulted fields) and
decoded twice: by the plain function (``_serde._PLAIN``; for most classes it stores each
attribute on a bare instance) and by cattrs' detailed function through ``__init__``. The two
records must be equal (``extra`` included) and agree on which fields hold which values.
"""

from __future__ import annotations

import datetime as dt
import enum
import importlib
import pkgutil
import types
import typing
from typing import Any

import attrs
import pytest
from cattrs.gen import make_dict_structure_fn

import ccasync.models
from ccasync import _serde
from ccasync.errors import DecodeError


def _record_classes() -> list[type]:
    found: dict[str, type] = {}
    for info in pkgutil.iter_modules(ccasync.models.__path__):
        module = importlib.import_module(f"ccasync.models.{info.name}")
        for value in vars(module).values():
            if isinstance(value, type) and attrs.has(value) and value.__module__ == module.__name__:
                found[f"{value.__module__}.{value.__qualname__}"] = value
    return [found[name] for name in sorted(found)]


RECORDS = _record_classes()


def _sample(tp: Any, depth: int = 0) -> Any:
    """A JSON value of type ``tp`` (None when no value can be made)."""
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        options = [a for a in typing.get_args(tp) if a is not type(None)]
        return _sample(options[0], depth) if options else None
    if origin is typing.Literal:
        return typing.get_args(tp)[0]
    if origin in (list, tuple, typing.Sequence, set, frozenset):
        args = [a for a in typing.get_args(tp) if a is not Ellipsis]
        item = _sample(args[0], depth + 1) if args else "x"
        return [] if item is None else [item]
    if origin in (dict, typing.Mapping) or tp is dict:
        return {"k": 1}
    if isinstance(tp, type):
        if attrs.has(tp):
            return _body(tp, every=True, depth=depth + 1) if depth < 4 else None
        if issubclass(tp, enum.Enum):
            return next(iter(tp)).value
        if tp is bool:
            return True
        if tp is int:
            return 3
        if tp is float:
            return 1.5
        if tp is str:
            return "11111111-2222-4333-8444-555555555555"
        if tp is dt.datetime:
            return "2026-01-02T03:04:05Z"
        if tp is dt.date:
            return "2026-01-02"
    if tp is Any:
        return 3
    return None


def _body(cls: type, *, every: bool, depth: int = 0) -> dict[str, Any]:
    attrs.resolve_types(cls)
    body: dict[str, Any] = {}
    for a in attrs.fields(cls):
        if not a.init or a.name == _serde.EXTRA:
            continue
        if every or a.default is attrs.NOTHING:
            value = _sample(a.type, depth)
            if value is not None or a.default is attrs.NOTHING:
                body[a.name] = value
    return body


def _state(obj: Any) -> dict[str, Any]:
    return {a.name: getattr(obj, a.name, "<unset>") for a in attrs.fields(type(obj))}


def _both(cls: type, body: dict[str, Any]) -> tuple[Any, Any]:
    plain = _serde._PLAIN[_serde.converter.get_structure_hook(cls)]
    try:
        fast = plain(body)
    except Exception:  # the body did not fit: the detailed path must refuse it too
        with pytest.raises(DecodeError):
            _serde.structure(body, cls)
        return None, None
    defaulted = _serde._null_means_default(cls)  # a null there reads as absent (the hook)
    kept = {k: v for k, v in body.items() if v is not None or k not in defaulted}
    reference = make_dict_structure_fn(cls, _serde.converter)(kept, cls)
    if _serde._has_extra(cls):  # what the hook adds after cattrs: unknown keys kept
        known = _serde._known_keys(cls)
        getattr(reference, _serde.EXTRA).update({k: v for k, v in body.items() if k not in known})
    return fast, reference


@pytest.mark.parametrize("cls", RECORDS, ids=lambda c: c.__qualname__)
def test_plain_decode_equals_init_decode(cls: type) -> None:
    """Every field, only the required ones, nulls for defaults, an unknown key: same record."""
    decoded = 0
    for variant in ("every", "required", "nulls"):
        body = _body(cls, every=variant != "required")
        if variant == "nulls":  # null where a default exists: the default stays
            defaults = {a.name for a in attrs.fields(cls) if a.default is not attrs.NOTHING}
            body.update(dict.fromkeys(defaults.intersection(body)))
        body["surely_unknown_key"] = {"n": 1}
        fast, reference = _both(cls, body)
        if fast is None:
            continue
        decoded += 1
        assert type(fast) is cls
        assert _state(fast) == _state(reference)
        assert fast == reference
    assert decoded, f"no body of {cls.__qualname__} decoded: the sample maker needs a case"


def test_most_records_take_the_direct_path() -> None:
    """The direct path is the common one: a class the checks refuse still decodes (above)."""
    direct = [cls for cls in RECORDS if _serde._sets_slots_directly(cls)]
    assert len(direct) > len(RECORDS) // 2


def test_records_with_more_than_stored_values_keep_their_init() -> None:
    """A validator, a converter, a post-init hook or a hand-written __init__: no direct path."""

    @attrs.define
    class Plain:
        x: int = 1

    @attrs.define
    class Validated:
        x: int = attrs.field(default=1, validator=attrs.validators.instance_of(int))

    @attrs.define
    class Converted:
        x: int = attrs.field(default=1, converter=int)

    @attrs.define
    class PostInit:
        x: int = 1

        def __attrs_post_init__(self) -> None:
            self.x += 1

    @attrs.define(init=False)
    class HandWritten:
        x: int = 1

        def __init__(self, x: int = 1) -> None:
            self.x = x * 2

    @attrs.frozen
    class Frozen:
        x: int = 1

    assert _serde._sets_slots_directly(Plain)
    for cls in (Validated, Converted, PostInit, HandWritten, Frozen):
        assert not _serde._sets_slots_directly(cls), cls.__name__
