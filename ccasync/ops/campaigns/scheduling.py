"""Local wall-clock times to UTC, DST-correct: "next Monday 09:00" in a location's IANA zone.

Pure functions (no I/O); the fan-out operations call them before sending anything.

Daylight-saving edges are handled deliberately, never by accident:

- **Nonexistent local time** (spring forward, e.g. 02:30 on 2026-03-08 in America/New_York):
  with ``gap="forward"`` (default) the time moves forward by the length of the gap, so 02:30
  becomes 03:30 EDT (the instant an un-adjusted clock would show 02:30); ``gap="raise"``
  raises :class:`ScheduleTimeError`.
- **Ambiguous local time** (fall back, e.g. 01:30 on 2026-11-01 in America/New_York happens
  twice): ``overlap="earlier"`` (default) takes the first occurrence (EDT, UTC-4),
  ``overlap="later"`` the second (EST, UTC-5), ``overlap="raise"`` raises.

Every resolution reports what it did in :attr:`LocalTime.note` (``None`` when the wall time
exists exactly once).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import attrs

from ccasync.errors import ScheduleTimeError, ValidationError

__all__ = [
    "GapPolicy",
    "LocalTime",
    "OverlapPolicy",
    "WallClock",
    "When",
    "next_weekly_time",
    "parse_when",
    "resolve_local",
    "resolve_when",
    "zone_info",
]

GapPolicy = Literal["forward", "raise"]
OverlapPolicy = Literal["earlier", "later", "raise"]

_MAX_ZONE_NAME = 64
_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_WEEKLY = re.compile(r"^(?:next\s+)?(?P<day>[a-z]+)\s+(?P<h>\d{1,2}):(?P<m>\d{2})$")
_DATED = re.compile(r"^(?P<date>\d{4}-\d{2}-\d{2})[ t](?P<h>\d{1,2}):(?P<m>\d{2})$")


@attrs.frozen
class LocalTime:
    """One resolved send time: the instant in UTC, the same instant on the local wall clock.

    ``note`` says how a DST edge was resolved (``None`` for an ordinary time).
    """

    utc: dt.datetime
    local: dt.datetime
    note: str | None = None


@attrs.frozen
class WallClock:
    """A wall-clock rule: ``weekday`` (0 = Monday) at ``time``, or one ``date`` at ``time``.

    Exactly one of ``weekday`` and ``date`` is set; build it with :func:`parse_when`.
    """

    time: dt.time
    weekday: int | None = None
    date: dt.date | None = None


When = str | WallClock | Callable[[ZoneInfo, dt.datetime], dt.datetime]
"""A send-time rule: "next Monday 09:00", "2026-11-30 09:00", a :class:`WallClock`, or a callable
``(zone, now_utc) -> datetime`` returning a naive local wall time or an aware instant."""


def zone_info(name: str) -> ZoneInfo:
    """The ``ZoneInfo`` of IANA zone ``name``; ValidationError (field ``timezone``) if unknown."""
    # IANA names are short (the longest is 32 characters); a long one would reach the file
    # system (OSError: file name too long) before ZoneInfo says it is unknown.
    if isinstance(name, str) and 0 < len(name) <= _MAX_ZONE_NAME:
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError, OSError):
            pass
    shown = name if isinstance(name, str) else type(name).__name__
    shown = shown if len(shown) <= _MAX_ZONE_NAME else shown[:_MAX_ZONE_NAME] + "…"
    raise ValidationError("timezone", "not an IANA time zone name", value=shown)


def parse_when(spec: str) -> WallClock:
    """Parse ``"[next] <weekday> HH:MM"`` or ``"YYYY-MM-DD HH:MM"`` (local wall clock).

    Raises :class:`ValidationError` (field ``when``) for anything else.
    """
    text = " ".join(spec.strip().lower().split())
    weekly = _WEEKLY.match(text)
    if weekly and weekly["day"] in _WEEKDAYS:
        return WallClock(
            _clock_time(weekly["h"], weekly["m"], spec), _WEEKDAYS.index(weekly["day"])
        )
    dated = _DATED.match(text)
    if dated:
        try:
            day = dt.date.fromisoformat(dated["date"])
        except ValueError as exc:
            raise ValidationError("when", "not a valid date", value=spec) from exc
        return WallClock(_clock_time(dated["h"], dated["m"], spec), date=day)
    raise ValidationError(
        "when", 'expected "[next] <weekday> HH:MM" or "YYYY-MM-DD HH:MM"', value=spec
    )


def _clock_time(hours: str, minutes: str, spec: str) -> dt.time:
    try:
        return dt.time(int(hours), int(minutes))
    except ValueError as exc:
        raise ValidationError("when", "hour must be 0-23 and minute 0-59", value=spec) from exc


def resolve_local(
    wall: dt.datetime,
    tz: ZoneInfo,
    *,
    gap: GapPolicy = "forward",
    overlap: OverlapPolicy = "earlier",
) -> LocalTime:
    """Resolve the naive local ``wall`` time in ``tz`` to one instant (see the module docstring).

    Raises :class:`ScheduleTimeError` when the time falls in a gap or overlap whose policy is
    ``"raise"``, and ``ValueError`` for an aware ``wall``.
    """
    if wall.tzinfo is not None:
        raise ValueError("resolve_local expects a naive local wall time")
    first = wall.replace(tzinfo=tz, fold=0)
    second = wall.replace(tzinfo=tz, fold=1)
    if first.utcoffset() == second.utcoffset():
        return _local_time(first, None)
    if _round_trips(first):
        return _overlap(first, second, overlap)
    return _gap(first, gap)


def _round_trips(aware: dt.datetime) -> bool:
    back = aware.astimezone(dt.UTC).astimezone(aware.tzinfo)
    return back.replace(tzinfo=None) == aware.replace(tzinfo=None)


def _overlap(first: dt.datetime, second: dt.datetime, policy: OverlapPolicy) -> LocalTime:
    shown = first.strftime("%Y-%m-%d %H:%M")
    if policy == "raise":
        raise ScheduleTimeError("when", f"local time {shown} occurs twice (DST fall-back)")
    chosen, which = (first, "first") if policy == "earlier" else (second, "second")
    return _local_time(chosen, f"ambiguous local time {shown}: took the {which} occurrence")


def _gap(first: dt.datetime, policy: GapPolicy) -> LocalTime:
    shown = first.strftime("%Y-%m-%d %H:%M")
    if policy == "raise":
        raise ScheduleTimeError("when", f"local time {shown} does not exist (DST spring-forward)")
    # fold=0 in a gap uses the offset before the transition: that instant is the wall time
    # moved forward by the gap's length (02:30 EST = 03:30 EDT).
    moved = first.astimezone(dt.UTC).astimezone(first.tzinfo)
    note = f"nonexistent local time {shown}: moved forward to {moved.strftime('%H:%M')}"
    return _local_time(moved, note)


def _local_time(aware: dt.datetime, note: str | None) -> LocalTime:
    utc = aware.astimezone(dt.UTC)
    return LocalTime(utc=utc, local=utc.astimezone(aware.tzinfo), note=note)


def next_weekly_time(
    rule: WallClock,
    tz: ZoneInfo,
    now: dt.datetime,
    *,
    gap: GapPolicy = "forward",
    overlap: OverlapPolicy = "earlier",
) -> LocalTime:
    """The first occurrence of the weekly ``rule`` in ``tz`` strictly after ``now`` (aware).

    Computed on local calendar days, so a DST change between now and then keeps 09:00 at 09:00.
    """
    if rule.weekday is None:
        raise ValueError("next_weekly_time needs a weekly WallClock")
    today = now.astimezone(tz).date()
    for offset in range(8):
        day = today + dt.timedelta(days=offset)
        if day.weekday() != rule.weekday:
            continue
        resolved = resolve_local(dt.datetime.combine(day, rule.time), tz, gap=gap, overlap=overlap)
        if resolved.utc > now:
            return resolved
    # Unreachable for a real weekday: the same weekday a week later is always in the future.
    raise AssertionError("no weekly occurrence within 8 days")


def resolve_when(
    when: When,
    tz: ZoneInfo,
    now: dt.datetime,
    *,
    min_lead: dt.timedelta = dt.timedelta(0),
    gap: GapPolicy = "forward",
    overlap: OverlapPolicy = "earlier",
) -> LocalTime:
    """Resolve a send-time rule for one zone; the result is at least ``min_lead`` after ``now``.

    A weekly rule picks the next occurrence after ``now + min_lead``. A dated rule or a callable
    whose time is not after ``now + min_lead`` raises :class:`ScheduleTimeError` (field
    ``when``) naming the local and UTC times, as do DST edges whose policy is ``"raise"``,
    and a time whose local or UTC form falls outside years 1-9999.
    """
    try:
        return _resolve_when(when, tz, now, min_lead=min_lead, gap=gap, overlap=overlap)
    except OverflowError:
        pass  # raised below, outside the handler: the datetime arithmetic is no useful context
    raise ScheduleTimeError("when", "the send time is outside the years 1-9999 in UTC or locally")


def _resolve_when(
    when: When,
    tz: ZoneInfo,
    now: dt.datetime,
    *,
    min_lead: dt.timedelta,
    gap: GapPolicy,
    overlap: OverlapPolicy,
) -> LocalTime:
    earliest = now + min_lead
    rule = parse_when(when) if isinstance(when, str) else when
    if isinstance(rule, WallClock):
        if rule.weekday is not None:
            return next_weekly_time(rule, tz, earliest, gap=gap, overlap=overlap)
        assert rule.date is not None
        wall = dt.datetime.combine(rule.date, rule.time)
        resolved = resolve_local(wall, tz, gap=gap, overlap=overlap)
    else:
        produced = rule(tz, now)
        if produced.tzinfo is None:
            resolved = resolve_local(produced, tz, gap=gap, overlap=overlap)
        else:
            resolved = _local_time(produced.astimezone(tz), None)
    if resolved.utc <= earliest:
        raise ScheduleTimeError(
            "when",
            f"send time {resolved.local.isoformat()} ({resolved.utc.isoformat()}) is already "
            f"past (now {now.astimezone(dt.UTC).isoformat()}, minimum lead {min_lead})",
        )
    return resolved
