"""Property: no JSON import row, however odd, makes the row applier raise (issue 12 item 12)."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

from ccasync.sim import SimConfig, SimState
from ccasync.sim.activities.import_rows import KNOWN_KEYS, RowApplier
from ccasync.sim.contacts.records import SimCustomField

_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
    st.text(alphabet="0123456789²³¹٣", max_size=6),
)
_JSON: st.SearchStrategy[Any] = st.recursive(
    _SCALARS,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=8,
)
_KEYS = st.sampled_from([*sorted(KNOWN_KEYS), "cf:Code", "cf:nope", "other"])
_ROWS = st.dictionaries(_KEYS, _JSON, max_size=6).map(lambda row: {"email": "r@example.org", **row})


_STATE = SimState(SimConfig(per_second=None, per_day=None, time_scale=0))
_NOW = _STATE.clock.now()
_STATE.default_account.custom_fields["f1"] = SimCustomField("f1", "Code", "string", _NOW, _NOW)


@seed(12)
@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=st.lists(_ROWS | st.dictionaries(_KEYS, _JSON, max_size=4), min_size=1, max_size=4))
def test_any_json_rows_are_applied_or_rejected_never_raised(rows: list[dict[str, Any]]) -> None:
    """Every row is either counted as a person or as a correctable error; nothing escapes."""
    applier = RowApplier(_STATE.default_account, [], _STATE.clock.now)
    applier.apply_many(rows, 1)
    assert applier.person_count + applier.correctable_count == len(rows)
