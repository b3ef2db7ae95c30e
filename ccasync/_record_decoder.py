"""JSON bytes straight into a record, with msgspec, for the answers that fit exactly.

:func:`decode_record` is what a typed call (``cc.contacts.get``) spends its decode on. The usual
path, ``orjson.loads`` then :func:`ccasync._serde.structure`, builds a dict of every object in
the body and then reads it again key by key; msgspec parses the bytes straight into typed
structs in C, so only the last step (storing each attribute on the record) runs in Python. For
the simulator's full contact (2.2 kB, 10 nested records, 13 timestamps) that is 10-11 µs
instead of 22-23 µs in a hot loop (issue 15).

Exactness comes first: this path only answers when its record is the one the usual path would
build. For each record class a **shadow** ``msgspec.Struct`` is generated once, with strict
types that accept only the values the usual path takes as they are:

- ``str``/``int``/``float``/``bool`` fields accept only JSON of that type (an int for a float,
  read as ``float(value)`` in both paths); a number where text is expected, a null where the
  type has no None, a missing required key: msgspec refuses, the usual path runs and applies
  its own rules (coercion, a null read as the default, a :class:`DecodeError` naming the field);
- timestamps and dates travel as text and are parsed by the same code as the usual path
  (``datetime.fromisoformat``, naive read as UTC): msgspec's own parser rounds a 7th fractional
  digit where Python truncates it;
- a record with an ``extra`` field forbids unknown keys (so the usual path keeps them in
  ``extra``); a record without one ignores them, as the usual path drops them.

Only classes whose attrs ``__init__`` merely stores values (see
``_serde.sets_slots_directly``), and whose every field has one of the types above, a nested
record or a list of either, get a shadow; any other class, and any body the shadow refuses,
takes the usual path (a refused body pays for the refused parse too: 4-7 µs for the contact).
``tests/test_record_decoder.py`` decodes bodies made from every record class both ways and
requires equal records.
"""

from __future__ import annotations

import datetime as dt
import types
import typing
from collections.abc import Callable
from typing import Any, TypeVar

import attrs
import msgspec

from ccasync._serde import (
    EXTRA,
    loads,
    parse_datetime,
    sets_slots_directly,
    structure,
    structure_date,
)

T = TypeVar("T")

_PRIMITIVES = (str, int, float, bool)


class _Unsupported(Exception):
    """A class (or one of its fields) the shadow cannot mirror exactly."""


@attrs.frozen
class _Decoder:
    """A record class's shadow decoder and the function turning its struct into the record."""

    decode: Callable[[bytes], Any]
    build: Callable[[Any], Any]


_DECODERS: dict[type, _Decoder | None] = {}
"""Record class -> its decoder, or None when it takes the usual path."""
_SHADOWS: dict[type, tuple[type, Callable[[Any], Any]]] = {}
"""Record class -> (shadow struct, builder): nested records reuse them."""


def decode_record(body: bytes, cls: type[T]) -> T:
    """Decode JSON ``body`` into ``cls``: the exact fast path when it fits, else the usual one.

    Raises :class:`DecodeError` (invalid JSON, or a body that does not fit ``cls``) exactly as
    ``structure(loads(body), cls)`` does.
    """
    decoder = _DECODERS.get(cls, _MISSING)
    if decoder is _MISSING:
        decoder = _DECODERS[cls] = _make_decoder(cls)
    if decoder is not None:
        try:
            return decoder.build(decoder.decode(body))  # type: ignore[no-any-return]
        except (msgspec.MsgspecError, ValueError, TypeError):
            pass  # the usual path decides: it coerces, defaults or names what does not fit
    return structure(loads(body), cls)


_MISSING: Any = object()


def _make_decoder(cls: type) -> _Decoder | None:
    try:
        shadow, build = _shadow(cls)
    except _Unsupported:
        return None
    return _Decoder(decode=msgspec.json.Decoder(shadow).decode, build=build)


def _shadow(cls: type) -> tuple[type, Callable[[Any], Any]]:
    """The shadow struct of record class ``cls`` and its builder (raises _Unsupported)."""
    found = _SHADOWS.get(cls)
    if found is not None:
        return found
    if not attrs.has(cls) or not sets_slots_directly(cls) or cls in _BUILDING:
        raise _Unsupported(cls)  # a record holding itself keeps the usual path
    _BUILDING.add(cls)
    try:
        found = _SHADOWS[cls] = _make_shadow(cls)
    finally:
        _BUILDING.discard(cls)
    return found


_BUILDING: set[type] = set()
"""Classes whose shadow is being made (a nested field naming one of them is a cycle)."""


def _make_shadow(cls: type) -> tuple[type, Callable[[Any], Any]]:
    attrs.resolve_types(cls)
    fields: list[tuple[str, Any] | tuple[str, Any, Any]] = []
    names: dict[str, Any] = {"cls": cls, "new": object.__new__, "known_time": _TIMES.get}
    names["read_time"], names["to_date"] = _read_time, structure_date
    lines = ["def build(s):", "    obj = new(cls)"]
    has_extra = False
    for n, a in enumerate(attrs.fields(cls)):
        if not a.init or a.name.startswith("_"):
            raise _Unsupported(cls)
        if a.name == EXTRA:
            has_extra = True
            if a.default != attrs.Factory(dict):
                raise _Unsupported(cls)
            lines.append(f"    obj.{EXTRA} = {{}}")
            continue
        kind, expression = _field(a.type, f"s.{a.name}", n, names)
        if a.default is attrs.NOTHING:
            fields.append((a.name, kind))
        elif isinstance(a.default, attrs.Factory):  # type: ignore[arg-type]
            fields.append((a.name, kind, msgspec.field(default_factory=a.default.factory)))
        elif a.default is None or type(a.default) in _PRIMITIVES:
            fields.append((a.name, kind, a.default))
        else:
            raise _Unsupported(cls)
        lines.append(f"    obj.{a.name} = {expression}")
    lines.append("    return obj")
    struct = msgspec.defstruct(
        f"{cls.__name__}Shadow", fields, kw_only=True, forbid_unknown_fields=has_extra, gc=False
    )
    exec(compile("\n".join(lines), f"<ccasync shadow {cls.__qualname__}>", "exec"), names)
    return struct, names["build"]


def _field(tp: Any, value: str, n: int, names: dict[str, Any]) -> tuple[Any, str]:
    """The shadow type for field type ``tp`` and the expression turning ``value`` into the
    record's value (raises _Unsupported)."""
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin in (typing.Union, types.UnionType):
        inner = [a for a in args if a is not type(None)]
        if len(args) != 2 or len(inner) != 1:
            raise _Unsupported(tp)
        kind, expression = _field(inner[0], "v", n, names)
        if expression == "v":
            return kind | None, value
        return kind | None, f"(None if (v := {value}) is None else {expression})"
    if tp in _PRIMITIVES or tp is Any:
        return tp, value
    if tp is dt.datetime:
        return str, f"(known_time({value}) or read_time({value}))"
    if tp is dt.date:
        return str, f"to_date({value}, None)"
    if origin is list and len(args) == 1:
        item = args[0]
        if item in _PRIMITIVES or item is Any or _is_json_object(item):
            return tp, value
        if attrs.has(item):
            shadow, build = _shadow(item)
            names[f"b{n}"] = build
            return list[shadow], f"list(map(b{n}, {value}))"  # type: ignore[valid-type]
        raise _Unsupported(tp)
    if _is_json_object(tp) or (origin is dict and args == (str, str)):
        return tp, value
    if isinstance(tp, type) and attrs.has(tp):
        shadow, build = _shadow(tp)
        names[f"b{n}"] = build
        return shadow, f"b{n}({value})"
    raise _Unsupported(tp)


_TIMES: dict[str, dt.datetime] = {}
"""Timestamps read lately, by their text: a record repeats a few (``created_at`` and
``updated_at`` of each sub-record), and a lookup costs a fifth of a parse."""
_TIMES_KEPT = 4096


def _read_time(text: str) -> dt.datetime:
    # The usual path's own parse (a naive time is UTC); a ValueError falls back to that path.
    parsed = parse_datetime(text)
    if len(_TIMES) >= _TIMES_KEPT:
        _TIMES.clear()
    _TIMES[text] = parsed
    return parsed


def _is_json_object(tp: Any) -> bool:
    return typing.get_origin(tp) is dict and typing.get_args(tp) == (str, Any)
