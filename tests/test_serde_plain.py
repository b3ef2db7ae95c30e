"""The generated plain decode functions build exactly what attrs' __init__ and cattrs build.

For every record class of ``ccasync.models``, bodies are made from the class's own fields
(every field present, only the required ones, unknown keys, nulls in defaulted fields) and
decoded twice: by the plain function (``_serde._PLAIN``; for most classes it stores each
attribute on a bare instance) and by cattrs' detailed function through ``__init__``. The two
records must be equal (``extra`` included) and agree on which fields hold which values.
"""

from __future__ import annotations

from typing import Any

import attrs
import pytest
from cattrs.gen import make_dict_structure_fn

from ccasync import _serde
from ccasync.errors import DecodeError
from tests.record_samples import RECORDS, sample_body


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
        body = sample_body(cls, every=variant != "required")
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
    direct = [cls for cls in RECORDS if _serde.sets_slots_directly(cls)]
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

    assert _serde.sets_slots_directly(Plain)
    for cls in (Validated, Converted, PostInit, HandWritten, Frozen):
        assert not _serde.sets_slots_directly(cls), cls.__name__
