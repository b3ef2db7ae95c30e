"""The one cattrs converter, on orjson, and the rules it follows.

Rules:

- **Unknown fields are tolerated and preserved.** A model that declares an ``extra`` field
  (``dict[str, Any]``) receives every key the server sent that the model does not know; on
  unstructure they are written back, so a record read, edited and PUT back loses nothing.
  Models without ``extra`` silently drop unknown keys (APIs grow).
- **None is omitted when sending**: unstructured dicts never carry ``None`` values.
- **A field without a default must be sent**: a missing key, or a ``null`` where the type has
  no None (the id of a record the API returns), raises :class:`DecodeError` naming the model
  and the field, never a record holding ``None`` or the text ``"None"``.
- **A null in a field with a default reads as absent**: a field typed without None keeps its
  default (``SignUpFormResult.created`` stays False, a stats error's ``error_message`` ``""``);
  a field typed ``X | None`` keeps the null.
- ``unstructure(obj, as_type)`` writes only the fields of ``as_type`` (a base class of
  ``obj``): how a request leaves server-set ids out.
- **Datetimes are timezone-aware.** Parsed from ISO-8601 (``Z`` or an offset; a naive string
  is read as UTC, the API's convention); sent as ISO-8601 UTC with ``Z``. Sending a naive
  datetime raises :class:`ValidationError` (naming the model field) rather than guessing a zone.
- ``date`` fields travel as ``YYYY-MM-DD``.
- A ``list[str]`` field takes a JSON array of strings (numbers read as text); a null item or a
  bare string raises :class:`DecodeError`.
- Structuring failures raise :class:`DecodeError` carrying cattrs' ``transform_error`` text.
"""

from __future__ import annotations

import datetime as dt
import types
import typing
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import attrs
import cattrs
import orjson
from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn
from cattrs.preconf.orjson import make_converter

from ccasync.errors import DecodeError, ValidationError

T = TypeVar("T")

EXTRA = "extra"

_NAIVE_FIELD = "datetime"
"""The field a naive-datetime ValidationError names until a model names the real one."""

converter = make_converter(forbid_extra_keys=False, omit_if_default=False)


def parse_datetime(value: str) -> dt.datetime:
    """Parse an ISO-8601 timestamp from the API into an aware datetime (naive means UTC)."""
    parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=dt.UTC)


def format_datetime(value: dt.datetime) -> str:
    """Format an aware datetime as ISO-8601 UTC with ``Z``; naive raises ValidationError."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValidationError(_NAIVE_FIELD, "must be timezone-aware (got a naive datetime)")
    text = value.astimezone(dt.UTC).isoformat(timespec="milliseconds")
    return text.replace("+00:00", "Z")


def _structure_datetime(value: Any, _: type) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    return parse_datetime(str(value))


def _structure_date(value: Any, _: type) -> dt.date:
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def _fast_primitive(kind: type[Any], *, optional: bool) -> Callable[[Any, type], Any]:
    # Same result as cattrs' default (``kind(value)``), without its per-field dispatch through
    # the Optional union: about half the structuring time of a typical API record. Unlike the
    # default, a null is refused where the type has no None (``str(None)`` is "None"); a null in
    # a field with a default never gets here (see ``_null_means_default``).
    def hook(value: Any, _: type) -> Any:
        if type(value) is kind or (optional and value is None):
            return value
        if value is None:
            raise TypeError(f"null where {kind.__name__} is required")
        return kind(value)

    return hook


for _kind in (str, int, float, bool):
    converter.register_structure_hook(_kind, _fast_primitive(_kind, optional=False))
    converter.register_structure_hook(_kind | None, _fast_primitive(_kind, optional=True))


def _optional_model(union: Any) -> bool:
    args = typing.get_args(union)
    if typing.get_origin(union) not in (typing.Union, types.UnionType) or len(args) != 2:
        return False
    return type(None) in args and any(attrs.has(a) for a in args)


def _make_optional_model(union: Any) -> Callable[[Any, type], Any]:
    # ``Model | None``: call the model's own hook directly instead of the union dispatch.
    model = next(a for a in typing.get_args(union) if a is not type(None))
    inner = converter.get_structure_hook(model)

    def hook(value: Any, _: type) -> Any:
        return None if value is None else inner(value, model)

    return hook


def _structure_str_list(value: Any, _: type) -> list[str]:
    # Numbers read as text; a null item or a bare string (which would iterate into characters)
    # does not fit, rather than become "None" or single letters.
    if type(value) is not list:
        raise TypeError(f"expected a list of strings, got {type(value).__name__}")
    if None in value:
        raise TypeError("a list of strings holds null")
    return [v if type(v) is str else str(v) for v in value]


converter.register_structure_hook_func(lambda t: t == list[str], _structure_str_list)
converter.register_structure_hook(dt.datetime, _structure_datetime)
converter.register_unstructure_hook(dt.datetime, format_datetime)
converter.register_structure_hook(dt.date, _structure_date)
converter.register_unstructure_hook(dt.date, lambda d: d.isoformat())


def _has_extra(cls: type) -> bool:
    return attrs.has(cls) and any(a.name == EXTRA for a in attrs.fields(cls))


def _known_keys(cls: type) -> frozenset[str]:
    return frozenset(a.alias or a.name for a in attrs.fields(cls) if a.name != EXTRA)


def _admits_none(kind: Any) -> bool:
    return kind is Any or kind is None or type(None) in typing.get_args(kind)


def _null_means_default(cls: type) -> frozenset[str]:
    """Keys of the fields of ``cls`` that have a default and a type without None."""
    attrs.resolve_types(cls)
    return frozenset(
        a.name
        for a in attrs.fields(cls)
        if a.default is not attrs.NOTHING and not _admits_none(a.type)
    )


def _make_structure(cls: type) -> Callable[[Any, type], Any]:
    inner: Callable[[Any, Any], Any] = make_dict_structure_fn(cls, converter)
    known = _known_keys(cls) if _has_extra(cls) else None
    defaulted = _null_means_default(cls)

    def structure(data: Any, _: type) -> Any:
        # Hot path (every record of every answer): exact-type and C-level membership tests
        # first; answers rarely hold a null, so the filtering copy is rare.
        if type(data) is not dict and not isinstance(data, Mapping):
            raise TypeError(f"expected a JSON object, got {type(data).__name__}")
        if defaulted and None in data.values():
            # A null in a defaulted field reads as absent: the field keeps its default.
            data = {k: v for k, v in data.items() if v is not None or k not in defaulted}
        obj = inner(data, cls)
        if known is not None:
            unknown = {k: v for k, v in data.items() if k not in known}
            if unknown:
                getattr(obj, EXTRA).update(unknown)
        return obj

    return structure


def _make_unstructure(cls: type) -> Callable[[Any], dict[str, Any]]:
    inner: Callable[[Any], dict[str, Any]] = make_dict_unstructure_fn(cls, converter)

    def unstructure(obj: Any) -> dict[str, Any]:
        raw = _naming_fields(inner, obj)
        extra = raw.pop(EXTRA, None) or {}
        out = {k: v for k, v in raw.items() if v is not None}
        for key, value in extra.items():
            out.setdefault(key, value)
        return out

    return unstructure


def _naming_fields(inner: Callable[[Any], dict[str, Any]], obj: Any) -> dict[str, Any]:
    """``inner(obj)``; a naive-datetime ValidationError is re-raised naming the field."""
    try:
        return inner(obj)
    except ValidationError as exc:
        if exc.field != _NAIVE_FIELD:
            raise
        for a in attrs.fields(type(obj)):
            value = getattr(obj, a.name)
            if isinstance(value, dt.datetime) and value.tzinfo is None:
                raise ValidationError(a.name, exc.reason) from None
        raise


def _make_plain_unstructure(cls: type) -> Callable[[Any], dict[str, Any]]:
    inner: Callable[[Any], dict[str, Any]] = make_dict_unstructure_fn(cls, converter)

    def unstructure(obj: Any) -> dict[str, Any]:
        return {k: v for k, v in _naming_fields(inner, obj).items() if v is not None}

    return unstructure


converter.register_structure_hook_factory(attrs.has, _make_structure)
converter.register_structure_hook_factory(_optional_model, _make_optional_model)
converter.register_unstructure_hook_factory(_has_extra, _make_unstructure)
converter.register_unstructure_hook_factory(
    lambda cls: attrs.has(cls) and not _has_extra(cls), _make_plain_unstructure
)


def structure(data: Any, cls: type[T]) -> T:
    """Build ``cls`` from decoded JSON; raise :class:`DecodeError` when it does not fit."""
    try:
        return converter.structure(data, cls)
    except (cattrs.BaseValidationError, ValueError, TypeError, KeyError) as exc:
        raise DecodeError(_describe(exc, cls)) from exc


def unstructure(obj: Any, as_type: type | None = None) -> Any:
    """Turn a model (or a list/dict of models) into JSON-ready data, ``None`` values omitted.

    ``as_type`` (a base class of ``obj``'s class) limits the output to that class's fields.
    """
    return converter.unstructure(obj, unstructure_as=as_type)


def dumps(obj: Any) -> bytes:
    """Encode ``obj`` (models allowed) as compact JSON bytes."""
    return orjson.dumps(unstructure(obj))


def loads(body: bytes) -> Any:
    """Decode JSON bytes; raise :class:`DecodeError` with a short excerpt when invalid."""
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise DecodeError(f"response is not valid JSON: {body[:200]!r}") from exc


def _describe(exc: BaseException, cls: type) -> str:
    name = getattr(cls, "__name__", str(cls))
    if isinstance(exc, cattrs.BaseValidationError):
        return f"response does not fit {name}: " + "; ".join(cattrs.transform_error(exc))
    return f"response does not fit {name}: {exc}"
