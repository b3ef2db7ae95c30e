"""Pure scheduling math: wall-clock rules to UTC, DST gaps and overlaps, past times."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from ccasync.errors import ScheduleTimeError, ValidationError
from ccasync.ops.campaigns.scheduling import (
    WallClock,
    next_weekly_time,
    parse_when,
    resolve_local,
    resolve_when,
    zone_info,
)

NY = ZoneInfo("America/New_York")
LDN = ZoneInfo("Europe/London")
UTC = dt.UTC


def test_parse_weekly_and_dated_rules() -> None:
    """'next Monday 09:00' and 'YYYY-MM-DD HH:MM' parse to WallClock rules."""
    assert parse_when("next Monday 09:00") == WallClock(dt.time(9, 0), weekday=0)
    assert parse_when("  sunday   7:05 ") == WallClock(dt.time(7, 5), weekday=6)
    assert parse_when("2026-12-01 18:30") == WallClock(dt.time(18, 30), date=dt.date(2026, 12, 1))


@pytest.mark.parametrize("spec", ["someday 09:00", "Monday 25:00", "2026-02-30 09:00", "soon"])
def test_parse_rejects_bad_rules(spec: str) -> None:
    """Malformed rules raise ValidationError on the when field."""
    with pytest.raises(ValidationError) as info:
        parse_when(spec)
    assert info.value.field == "when"


def test_unknown_zone_is_a_validation_error() -> None:
    """An unknown IANA name raises ValidationError on the timezone field."""
    with pytest.raises(ValidationError) as info:
        zone_info("Mars/Olympus_Mons")
    assert info.value.field == "timezone"


def test_next_monday_from_wednesday() -> None:
    """From a Wednesday, next Monday 09:00 New York is 14:00 UTC in winter."""
    now = dt.datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
    got = next_weekly_time(parse_when("Monday 09:00"), NY, now)
    assert got.utc == dt.datetime(2026, 11, 30, 14, 0, tzinfo=UTC)
    assert got.local.hour == 9
    assert got.note is None


def test_same_day_before_and_after_the_time() -> None:
    """On a Monday before 09:00 local it is today; after 09:00 it is a week later."""
    before = dt.datetime(2026, 11, 30, 13, 0, tzinfo=UTC)  # 08:00 New York
    after = dt.datetime(2026, 11, 30, 15, 0, tzinfo=UTC)  # 10:00 New York
    rule = parse_when("Monday 09:00")
    assert next_weekly_time(rule, NY, before).local.date() == dt.date(2026, 11, 30)
    assert next_weekly_time(rule, NY, after).local.date() == dt.date(2026, 12, 7)


def test_local_time_survives_dst_change_between_now_and_then() -> None:
    """Monday 09:00 after the US fall-back is still 09:00 local (13:00 UTC before, 14:00 after)."""
    now = dt.datetime(2026, 10, 29, 12, 0, tzinfo=UTC)  # Thursday, EDT
    got = next_weekly_time(parse_when("Monday 09:00"), NY, now)
    assert got.local.replace(tzinfo=None) == dt.datetime(2026, 11, 2, 9, 0)
    assert got.utc == dt.datetime(2026, 11, 2, 14, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("tz", "wall", "utc"),
    [
        (NY, dt.datetime(2026, 3, 8, 2, 30), dt.datetime(2026, 3, 8, 7, 30, tzinfo=UTC)),
        (LDN, dt.datetime(2026, 3, 29, 1, 30), dt.datetime(2026, 3, 29, 1, 30, tzinfo=UTC)),
    ],
)
def test_spring_forward_gap_moves_forward(
    tz: ZoneInfo, wall: dt.datetime, utc: dt.datetime
) -> None:
    """A nonexistent local time moves forward by the gap (02:30 -> 03:30) and says so."""
    got = resolve_local(wall, tz)
    assert got.utc == utc
    assert got.local.hour == wall.hour + 1
    assert got.local.minute == 30
    assert got.note is not None
    assert "nonexistent" in got.note


def test_spring_forward_gap_can_raise() -> None:
    """gap='raise' refuses a nonexistent local time."""
    with pytest.raises(ScheduleTimeError, match="does not exist"):
        resolve_local(dt.datetime(2026, 3, 8, 2, 30), NY, gap="raise")


@pytest.mark.parametrize(
    ("tz", "wall", "first_utc", "second_utc"),
    [
        (
            NY,
            dt.datetime(2026, 11, 1, 1, 30),
            dt.datetime(2026, 11, 1, 5, 30, tzinfo=UTC),
            dt.datetime(2026, 11, 1, 6, 30, tzinfo=UTC),
        ),
        (
            LDN,
            dt.datetime(2026, 10, 25, 1, 30),
            dt.datetime(2026, 10, 25, 0, 30, tzinfo=UTC),
            dt.datetime(2026, 10, 25, 1, 30, tzinfo=UTC),
        ),
    ],
)
def test_fall_back_overlap_policies(
    tz: ZoneInfo, wall: dt.datetime, first_utc: dt.datetime, second_utc: dt.datetime
) -> None:
    """An ambiguous local time takes the first occurrence by default, the second on request."""
    earlier = resolve_local(wall, tz)
    later = resolve_local(wall, tz, overlap="later")
    assert (earlier.utc, later.utc) == (first_utc, second_utc)
    assert earlier.note is not None
    assert "first" in earlier.note
    with pytest.raises(ScheduleTimeError, match="twice"):
        resolve_local(wall, tz, overlap="raise")


def test_weekly_rule_on_a_gap_day() -> None:
    """Sunday 02:30 on the US spring-forward day resolves to 03:30 EDT, noted."""
    now = dt.datetime(2026, 3, 5, 12, 0, tzinfo=UTC)
    got = next_weekly_time(parse_when("Sunday 02:30"), NY, now)
    assert got.utc == dt.datetime(2026, 3, 8, 7, 30, tzinfo=UTC)
    assert got.note is not None


def test_dated_rule_in_the_past_is_refused() -> None:
    """A dated time before now (+ lead) raises ScheduleTimeError naming local and UTC times."""
    now = dt.datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
    with pytest.raises(ScheduleTimeError, match="already past"):
        resolve_when("2026-11-25 06:00", NY, now)  # 11:00 UTC
    with pytest.raises(ScheduleTimeError):
        resolve_when("2026-11-25 07:10", NY, now, min_lead=dt.timedelta(minutes=20))


def test_weekly_rule_skips_occurrences_inside_the_lead() -> None:
    """A weekly rule due within min_lead moves to the next week instead of failing."""
    now = dt.datetime(2026, 11, 30, 13, 50, tzinfo=UTC)  # 08:50 New York, Monday
    got = resolve_when("Monday 09:00", NY, now, min_lead=dt.timedelta(minutes=20))
    assert got.local.date() == dt.date(2026, 12, 7)


def test_callable_rules_naive_and_aware() -> None:
    """A callable may return a naive local wall time or an aware instant."""
    now = dt.datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
    naive = resolve_when(lambda tz, n: dt.datetime(2026, 12, 24, 18, 0), LDN, now)
    assert naive.utc == dt.datetime(2026, 12, 24, 18, 0, tzinfo=UTC)
    instant = dt.datetime(2026, 12, 1, 0, 0, tzinfo=UTC)
    aware = resolve_when(lambda tz, n: instant, NY, now)
    assert aware.utc == instant
    assert aware.local.hour == 19


def test_resolve_local_rejects_aware_input() -> None:
    """resolve_local wants a naive wall time."""
    with pytest.raises(ValueError, match="naive"):
        resolve_local(dt.datetime(2026, 1, 1, tzinfo=UTC), NY)


def test_send_time_beyond_year_9999_is_a_schedule_time_error() -> None:
    """'9999-12-31 19:00' in New York is 10000-01-01 UTC: ScheduleTimeError, not OverflowError."""
    now = dt.datetime(2026, 3, 7, 12, 0, tzinfo=dt.UTC)
    with pytest.raises(ScheduleTimeError, match="years 1-9999"):
        resolve_when("9999-12-31 19:00", zone_info("America/New_York"), now)
