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
from cattrs.cols import list_structure_factory
from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn
from cattrs.gen._shared import find_structure_handler
from cattrs.preconf.orjson import make_converter

from ccasync.errors import DecodeError, ValidationError

T = TypeVar("T")

EXTRA = "extra"

_NAIVE_FIELD = "datetime"
"""The field a naive-datetime ValidationError names until a model names the real one."""

converter = make_converter(forbid_extra_keys=False, omit_if_default=False)


def parse_datetime(value: str) -> dt.datetime:
    """Parse an ISO-8601 timestamp from the API into an aware datetime (naive means UTC)."""
    # Python 3.11's fromisoformat reads a trailing "Z" itself.
    parsed = dt.datetime.fromisoformat(value)
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=dt.UTC)


def format_datetime(value: dt.datetime) -> str:
    """Format an aware datetime as ISO-8601 UTC with ``Z``; naive raises ValidationError."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValidationError(_NAIVE_FIELD, "must be timezone-aware (got a naive datetime)")
    text = value.astimezone(dt.UTC).isoformat(timespec="milliseconds")
    return text.replace("+00:00", "Z")


def _structure_datetime(value: Any, _: type) -> dt.datetime:
    if type(value) is str:  # parse_datetime inlined: a record holds a dozen of them
        parsed = dt.datetime.fromisoformat(value)
        return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=dt.UTC)
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    return parse_datetime(str(value))


def structure_date(value: Any, _: type | None) -> dt.date:
    """A ``date`` field's value: a date as is, else the first 10 characters read as ISO."""
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


_PRIMITIVE_HOOKS: dict[Callable[[Any, type], Any], tuple[type, bool]] = {}
"""The hooks above, with (kind, optional): a record's generated code inlines their fast path."""

for _kind in (str, int, float, bool):
    for _optional_kind in (False, True):
        _hook = _fast_primitive(_kind, optional=_optional_kind)
        _PRIMITIVE_HOOKS[_hook] = (_kind, _optional_kind)
        converter.register_structure_hook(_kind | None if _optional_kind else _kind, _hook)


def _optional(union: Any) -> bool:
    """``X | None`` for any X but the primitives above (they have their own hooks)."""
    args = typing.get_args(union)
    if typing.get_origin(union) not in (typing.Union, types.UnionType) or len(args) != 2:
        return False
    return type(None) in args and not any(a in (str, int, float, bool) for a in args)


def _make_optional(union: Any) -> Callable[[Any, type], Any]:
    # ``X | None`` (a model, a list, a datetime): X's own hook, looked up once here and called
    # directly, instead of cattrs' union handler dispatching on every value.
    kind = next(a for a in typing.get_args(union) if a is not type(None))
    inner = converter.get_structure_hook(kind)

    def hook(value: Any, _: type) -> Any:
        return None if value is None else inner(value, kind)

    _OPTIONAL_HOOKS[hook] = (inner, kind)
    return hook


_OPTIONAL_HOOKS: dict[Callable[[Any, type], Any], tuple[Callable[[Any, Any], Any], Any]] = {}
"""Hooks made by ``_make_optional``, with (inner hook, X): generated code calls X's directly."""


def _model_list(kind: Any) -> bool:
    """``list[Model]``: a list of attrs records (``list[str]`` has its own hook)."""
    args = typing.get_args(kind)
    return typing.get_origin(kind) is list and len(args) == 1 and attrs.has(args[0])


def _make_model_list(kind: Any) -> Callable[[Any, type], Any]:
    # The item hook is looked up once; cattrs' own list hook (which names the index of a
    # failing item) runs only when the fast path fails, to raise its detailed error.
    item = typing.get_args(kind)[0]
    item_hook = converter.get_structure_hook(item)
    plain = _PLAIN.get(item_hook)
    detailed = list_structure_factory(kind, converter)

    def hook(value: Any, _: type) -> Any:
        if type(value) is list:
            try:
                if plain is not None:
                    return list(map(plain, value))  # plain functions take (o, _=None)
                return [item_hook(v, item) for v in value]
            except Exception:
                pass
        return detailed(value, kind)

    if plain is not None:
        _MODEL_LISTS[hook] = plain
    return hook


_MODEL_LISTS: dict[Callable[[Any, type], Any], Callable[..., Any]] = {}
"""``list[Model]`` hooks -> the item's plain function (generated code maps it directly)."""
_MODEL_LIST = "(list(map({plain}, v)) if type(v) is list else {hook})"
"""A list of records built inline; anything else (or a failure: the record's detailed path
runs then) goes through the hook."""


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
converter.register_structure_hook(dt.date, structure_date)
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


def _field_expression(n: int, a: Any, hook: Any, names: dict[str, Any]) -> str:
    """Python source turning ``v`` (the JSON value) into field ``a``'s value; fills ``names``."""
    if hook is None:  # cattrs passes the value as is (an attrs converter takes it)
        return "v"
    names[f"h{n}"], names[f"t{n}"] = hook, a.type
    if hook in _PRIMITIVE_HOOKS:
        # The hook's own first test, inlined: a value of the exact type (or a null where
        # the type admits one) is the field's value; anything else goes through the hook.
        kind, optional = _PRIMITIVE_HOOKS[hook]
        names[f"k{n}"] = kind
        admit = " or v is None" if optional else ""
        return f"v if type(v) is k{n}{admit} else h{n}(v, t{n})"
    if hook in _PLAIN:
        names[f"p{n}"] = _PLAIN[hook]
        return f"p{n}(v)"
    if hook in _MODEL_LISTS:
        names[f"m{n}"] = _MODEL_LISTS[hook]
        return _MODEL_LIST.format(plain=f"m{n}", hook=f"h{n}(v, t{n})")
    if hook in _OPTIONAL_HOOKS:
        inner, kind = _OPTIONAL_HOOKS[hook]
        names[f"i{n}"], names[f"x{n}"] = _PLAIN.get(inner, inner), kind
        if inner is _structure_datetime:
            return f"None if v is None else {_DATETIME.format(hook=f'i{n}(v, x{n})')}"
        if inner in _MODEL_LISTS:
            names[f"m{n}"] = _MODEL_LISTS[inner]
            return (
                f"None if v is None else {_MODEL_LIST.format(plain=f'm{n}', hook=f'i{n}(v, x{n})')}"
            )
        return f"None if v is None else i{n}(v, x{n})"
    if hook is _structure_datetime:
        return _DATETIME.format(hook=f"h{n}(v, t{n})")
    return f"h{n}(v, t{n})"


_DATETIME = "(d if type(v) is str and (d := fromiso(v)).tzinfo is not None else {hook})"
"""A timestamp with its zone parsed inline (a record holds a dozen); anything else: the hook."""


def _plain_structure_fn(cls: type) -> Callable[..., Any]:
    """A function building ``cls`` from a JSON object by this module's rules, fast.

    Straight-line code generated once per class, with the field hooks cattrs would use: no
    per-field error bookkeeping, the fast path of the primitive and ``X | None`` hooks inlined,
    nested records built by their own plain function. Any failure raises whatever it raises:
    :func:`_make_structure` then runs cattrs' detailed function for the error text.
    """
    attrs.resolve_types(cls)
    known = _known_keys(cls) if _has_extra(cls) else None
    defaulted = _null_means_default(cls)
    names: dict[str, Any] = {"cls": cls, "Mapping": Mapping, "known": known, "dflt": defaulted}
    names["fromiso"] = dt.datetime.fromisoformat
    lines = [
        "def structure(o, _=None):",
        "    if type(o) is not dict and not isinstance(o, Mapping):",
        "        raise TypeError(f'expected a JSON object, got {type(o).__name__}')",
    ]
    direct = sets_slots_directly(cls)
    if defaulted and not direct:
        # A null in a defaulted field reads as absent: the field keeps its default. Answers
        # rarely hold a null, so the filtering copy is rare. (The direct path tests each
        # defaulted field's value instead: no scan of every value.)
        lines += [
            "    if None in o.values():",
            "        o = {k: v for k, v in o.items() if v is not None or k not in dflt}",
        ]
    if direct:
        lines += _direct_lines(cls, names, defaulted)
    else:
        lines.append("    res = {}")
        for n, a in enumerate(attrs.fields(cls)):
            if not a.init:
                continue
            hook = find_structure_handler(a, a.type, converter)
            expression = _field_expression(n, a, hook, names)
            key, arg = repr(a.name), repr(a.alias or a.name)
            if a.default is attrs.NOTHING:
                lines += [f"    v = o[{key}]", f"    res[{arg}] = {expression}"]
            else:
                lines += [f"    if {key} in o:", f"        v = o[{key}]"]
                lines += [f"        res[{arg}] = {expression}"]
        lines.append("    obj = cls(**res)")
    if known is not None and direct:
        # _direct_lines counted the keys it read (c): any other key may be unknown. Cheaper
        # than a set check per record; the filter below decides exactly.
        lines += [
            "    if len(o) != c:",
            f"        obj.{EXTRA}.update({{k: v for k, v in o.items() if k not in known}})",
        ]
    elif known is not None:
        lines += [
            "    if not known.issuperset(o):",
            f"        obj.{EXTRA}.update({{k: v for k, v in o.items() if k not in known}})",
        ]
    lines.append("    return obj")
    exec(compile("\n".join(lines), f"<ccasync structure {cls.__qualname__}>", "exec"), names)
    plain: Callable[..., Any] = names["structure"]
    return plain


def sets_slots_directly(cls: type) -> bool:
    """Whether attrs' ``__init__`` for ``cls`` only stores values: no validator, converter,
    pre/post-init hook, setattr hook or ``takes_self`` factory. Such a record can be built by
    storing each attribute on a bare instance, ~2.5x cheaper than ``cls(**kwargs)``."""
    if getattr(cls, "__setattr__", None) is not object.__setattr__:
        return False  # frozen, or on_setattr hooks
    if hasattr(cls, "__attrs_pre_init__") or hasattr(cls, "__attrs_post_init__"):
        return False
    code = getattr(getattr(cls, "__init__", None), "__code__", None)
    if code is None or not code.co_filename.startswith("<attrs generated"):
        return False  # a hand-written __init__ may do more than store values
    for a in attrs.fields(cls):
        if a.validator is not None or a.converter is not None:
            return False
        if isinstance(a.default, attrs.Factory) and a.default.takes_self:  # type: ignore[arg-type]
            return False
    return True


def _direct_lines(cls: type, names: dict[str, Any], defaulted: frozenset[str]) -> list[str]:
    """Lines building ``obj`` as attrs' ``__init__`` would: every attribute stored, an absent
    field getting its default (a factory called), exactly the fields ``__init__`` sets; a null
    in a ``defaulted`` field reads as absent."""
    names["new"] = object.__new__
    lines = ["    obj = new(cls)"]
    required = 0  # keys read unconditionally: present, or the function raised
    for n, a in enumerate(attrs.fields(cls)):
        target = f"obj.{a.name}"
        if a.default is attrs.NOTHING:
            if a.init:
                hook = find_structure_handler(a, a.type, converter)
                expression = _field_expression(n, a, hook, names)
                lines += [f"    v = o[{a.name!r}]", f"    {target} = {expression}"]
                required += 1
            continue  # init=False without a default: __init__ leaves it unset too
        if isinstance(a.default, attrs.Factory):  # type: ignore[arg-type]
            names[f"f{n}"] = a.default.factory
            fallback = f"f{n}()"
        else:
            names[f"d{n}"] = a.default
            fallback = f"d{n}"
        if not a.init:
            lines.append(f"    {target} = {fallback}")
            continue
        hook = find_structure_handler(a, a.type, converter)
        expression = _field_expression(n, a, hook, names)
        if a.name in defaulted:
            lines.append(f"    if (v := o.get({a.name!r})) is not None:")
        else:
            lines += [f"    if {a.name!r} in o:", f"        v = o[{a.name!r}]"]
        lines += [f"        {target} = {expression}", "        c += 1"]
        lines += ["    else:", f"        {target} = {fallback}"]
    lines.insert(1, f"    c = {required}")
    return lines


_PLAIN: dict[Callable[[Any, type], Any], Callable[..., Any]] = {}
"""The hook of each record class -> its plain function (nested records call it directly)."""


def _make_structure(cls: type) -> Callable[[Any, type], Any]:
    # Generated once per class: the plain function for the hot path, and cattrs' detailed one,
    # run only when the plain one fails, to raise its error text (or, should it succeed, to
    # give the same record the rules below describe).
    plain = _plain_structure_fn(cls)
    detailed: Callable[[Any, Any], Any] = make_dict_structure_fn(cls, converter)
    known = _known_keys(cls) if _has_extra(cls) else None
    defaulted = _null_means_default(cls)

    def checked(data: Any) -> Any:
        if type(data) is not dict and not isinstance(data, Mapping):
            raise TypeError(f"expected a JSON object, got {type(data).__name__}")
        if defaulted and None in data.values():
            data = {k: v for k, v in data.items() if v is not None or k not in defaulted}
        obj = detailed(data, cls)
        if known is not None and not known.issuperset(data):
            getattr(obj, EXTRA).update({k: v for k, v in data.items() if k not in known})
        return obj

    def structure(data: Any, _: type) -> Any:
        try:
            return plain(data)
        except Exception:
            return checked(data)

    _PLAIN[structure] = plain
    _PLAIN_BY_CLASS[cls] = plain
    return structure


_PLAIN_BY_CLASS: dict[type, Callable[..., Any]] = {}
"""Record class -> its plain function, for :func:`structure` to skip cattrs' dispatch."""


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
converter.register_structure_hook_factory(_optional, _make_optional)
converter.register_structure_hook_factory(_model_list, _make_model_list)
converter.register_unstructure_hook_factory(_has_extra, _make_unstructure)
converter.register_unstructure_hook_factory(
    lambda cls: attrs.has(cls) and not _has_extra(cls), _make_plain_unstructure
)


def structure(data: Any, cls: type[T]) -> T:
    """Build ``cls`` from decoded JSON; raise :class:`DecodeError` when it does not fit."""
    plain = _PLAIN_BY_CLASS.get(cls)
    if plain is not None:
        try:
            return plain(data)  # type: ignore[no-any-return]
        except Exception:  # the converter's path below names what does not fit
            pass
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
