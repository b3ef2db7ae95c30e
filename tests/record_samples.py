"""Record classes of ``ccasync.models`` and JSON bodies made from their own fields.

Shared by the decode tests (``test_serde_plain.py``, ``test_record_decoder.py``): each decode
path must build the same record from the same body.
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

import ccasync.models
from ccasync import _serde


def record_classes() -> list[type]:
    """Every attrs record class defined in ``ccasync.models``, sorted by qualified name."""
    found: dict[str, type] = {}
    for info in pkgutil.iter_modules(ccasync.models.__path__):
        module = importlib.import_module(f"ccasync.models.{info.name}")
        for value in vars(module).values():
            if isinstance(value, type) and attrs.has(value) and value.__module__ == module.__name__:
                found[f"{value.__module__}.{value.__qualname__}"] = value
    return [found[name] for name in sorted(found)]


RECORDS = record_classes()


def sample_value(tp: Any, depth: int = 0) -> Any:
    """A JSON value of type ``tp`` (None when no value can be made)."""
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        options = [a for a in typing.get_args(tp) if a is not type(None)]
        return sample_value(options[0], depth) if options else None
    if origin is typing.Literal:
        return typing.get_args(tp)[0]
    if origin in (list, tuple, typing.Sequence, set, frozenset):
        args = [a for a in typing.get_args(tp) if a is not Ellipsis]
        item = sample_value(args[0], depth + 1) if args else "x"
        return [] if item is None else [item]
    if origin in (dict, typing.Mapping) or tp is dict:
        return {"k": 1}
    if isinstance(tp, type):
        if attrs.has(tp):
            return sample_body(tp, every=True, depth=depth + 1) if depth < 4 else None
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


def sample_body(cls: type, *, every: bool, depth: int = 0) -> dict[str, Any]:
    """A JSON object for ``cls``: every field (``every``) or only the required ones."""
    attrs.resolve_types(cls)
    body: dict[str, Any] = {}
    for a in attrs.fields(cls):
        if not a.init or a.name == _serde.EXTRA:
            continue
        if every or a.default is attrs.NOTHING:
            value = sample_value(a.type, depth)
            if value is not None or a.default is attrs.NOTHING:
                body[a.name] = value
    return body
