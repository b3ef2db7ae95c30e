"""Property tests: any when= string, zone name or template gives a result or a ccasync error.

Seeded (derandomize), bounded examples; together with the other property modules under 30 s.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from hypothesis import Phase, given, settings
from hypothesis import strategies as st

from ccasync.errors import CCAsyncError, ValidationError
from ccasync.ops.campaigns.fanout import CampaignTemplate
from ccasync.ops.campaigns.scheduling import WallClock, parse_when, resolve_when, zone_info

# No "explain" phase: it imports a deprecated module, an error under filterwarnings=error.
PHASES = [Phase.explicit, Phase.reuse, Phase.generate, Phase.shrink]


def attempt(call: Callable[..., Any], *args: Any, **kwargs: Any) -> tuple[Any, Any]:
    """``(result, None)``, or ``(None, error)`` for a ccasync error (anything else propagates)."""
    try:
        return call(*args, **kwargs), None
    except CCAsyncError as exc:
        return None, exc


SETTINGS = settings(max_examples=150, derandomize=True, deadline=None, phases=PHASES)
NOW = dt.datetime(2026, 3, 7, 12, 0, tzinfo=dt.UTC)
ZONES = ["UTC", "America/New_York", "Europe/London", "Australia/Lord_Howe", "Asia/Kathmandu"]
WHEN_WORDS = st.sampled_from(["next", "monday", "Sunday", "2026-03-08", "02:30", "24:00", "9:5"])
WHEN = st.one_of(
    st.text(max_size=40),
    st.lists(WHEN_WORDS, max_size=4).map(" ".join),
    st.builds(
        "{} {:02d}:{:02d}".format,
        st.sampled_from(["monday", "next friday", "2026-11-01", "2026-02-30", "9999-12-31"]),
        st.integers(0, 30),
        st.integers(0, 70),
    ),
)


@SETTINGS
@given(spec=WHEN, zone=st.sampled_from(ZONES), lead=st.integers(0, 10**6))
def test_when_strings_resolve_or_raise_validation_error(spec: str, zone: str, lead: int) -> None:
    """parse_when/resolve_when on any text: a WallClock/LocalTime, or ValidationError('when')."""
    rule, error = attempt(parse_when, spec)
    if error is None:
        assert isinstance(rule, WallClock)
        lead_time = dt.timedelta(seconds=lead)
        resolved, error = attempt(resolve_when, spec, zone_info(zone), NOW, min_lead=lead_time)
    if error is None:
        assert resolved.utc > NOW
    else:
        assert isinstance(error, ValidationError)
        assert error.field == "when"


@SETTINGS
@given(name=st.one_of(st.text(max_size=80), st.sampled_from(ZONES), st.just("A" * 10_000)))
def test_zone_names_give_a_zone_or_validation_error(name: str) -> None:
    """zone_info on any text (long, NUL, path-like): a ZoneInfo or ValidationError('timezone')."""
    _, error = attempt(zone_info, name)
    if error is not None:
        assert isinstance(error, ValidationError)
        assert error.field == "timezone"
        assert len(str(error)) < 300


TEMPLATE_TEXT = st.text(st.sampled_from("$${}ab_ 1\u00e9"), max_size=20)
VALUES = st.dictionaries(
    st.sampled_from(["a", "b", "a_1", "_", "b1"]),
    st.one_of(st.none(), st.text(max_size=5), st.integers(), st.floats()),
    max_size=4,
)


@SETTINGS
@given(name=TEMPLATE_TEXT, html=TEMPLATE_TEXT, values=VALUES)
def test_templates_render_or_raise_validation_error(
    name: str, html: str, values: dict[str, Any]
) -> None:
    """Any $-template and values: rendered text (None never read), or ValidationError (field)."""
    template = CampaignTemplate(
        name=name, subject="s", from_name="f", from_email="a@example.com", html_content=html
    )
    fields, error = attempt(template.render, values)
    if error is not None:
        assert isinstance(error, ValidationError)
        assert error.field in ("name", "html_content")
        return
    # A None value is never rendered: the same template without the None values renders the
    # same text (so no placeholder read one), and it never fails where this one succeeded.
    present = {k: v for k, v in values.items() if v is not None}
    assert template.render(present) == fields
