"""Recurring sends for cron: copy a template campaign under a dated name, schedule the next one.

Example (run it from cron as often as you like; it schedules each occurrence once)::

    result = await schedule_next_occurrence(
        cc, "Newsletter template", when="Monday 09:00", timezone="America/New_York",
        list_names=["Newsletter"],
    )
    print(result.name, result.outcome, result.scheduled_local)

The copy is named ``name_format.format(name=<template name>, date=<local date>)`` (default
``"<template name> 2026-11-30"``). Campaign names are unique per account, so a second run
before the occurrence finds the copy (``already_scheduled``) instead of making another.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from ccasync.errors import ValidationError
from ccasync.journal import Journal
from ccasync.ops.campaigns._results import CampaignResult
from ccasync.ops.campaigns.fanout import DEFAULT_MIN_LEAD, CampaignTemplate, Location
from ccasync.ops.campaigns.fanout import create_campaigns_for_locations as _fan_out
from ccasync.ops.campaigns.scheduling import (
    GapPolicy,
    OverlapPolicy,
    WallClock,
    parse_when,
    resolve_when,
)
from ccasync.ops.campaigns.scheduling import zone_info as _zone_info

if TYPE_CHECKING:
    from ccasync.client import Client
    from ccasync.models.campaigns import CampaignActivity, EmailCampaign

__all__ = ["schedule_next_occurrence"]


async def schedule_next_occurrence(
    cc: Client,
    template: str,
    *,
    when: str | WallClock = "Monday 09:00",
    timezone: str = "UTC",
    list_ids: Sequence[str] = (),
    list_names: Sequence[str] = (),
    name_format: str = "{name} {date:%Y-%m-%d}",
    send_test_to: Sequence[str] | None = None,
    min_lead: dt.timedelta = DEFAULT_MIN_LEAD,
    gap: GapPolicy = "forward",
    overlap: OverlapPolicy = "earlier",
    clock: Callable[[], dt.datetime] | None = None,
    journal: Journal | None = None,
    job_id: str | None = None,
) -> CampaignResult:
    """Copy campaign ``template`` (its id or exact name) for the next weekly occurrence.

    The next occurrence of the weekly ``when`` rule in ``timezone`` at least ``min_lead`` from
    now is computed first; the copy gets the template's sender, subject, preheader and HTML
    and the given lists (default: the template's own lists), then is scheduled. Running it
    again before that occurrence changes nothing.
    Costs: 2-3 calls to read the template, 1 page of ``GET /emails`` per 500 campaigns, then
    4 calls for a new copy (+1 with a test) or 2-3 for an existing one. Failures are in the
    result (``outcome == "failed"``, ``step``, ``error``). With ``journal``/``job_id`` (one job
    id per occurrence, e.g. ``"newsletter-2026-12-07"``: the job's input is the dated name) the
    copy's steps are journaled as in :func:`create_campaigns_for_locations`: its test is never
    sent twice, and a rerun after it is scheduled costs the template reads only.
    Raises :class:`ValidationError` before any call for a bad rule, zone or ``name_format``,
    and ValidationError, NotFoundError or other APIErrors when the template cannot be read.
    """
    rule = parse_when(when) if isinstance(when, str) else when
    if rule.weekday is None:
        raise ValidationError("when", "needs a weekly rule such as 'Monday 09:00'", value=when)
    tz = _zone_info(timezone)
    now = (clock or cc.campaigns.clock)()
    occurrence = resolve_when(rule, tz, now, min_lead=min_lead, gap=gap, overlap=overlap)
    source = await _find_template(cc, template)
    activity = await cc.campaigns.get_activity(
        source.primary_activity_id, include=("html_content",)
    )
    name = _dated_name(name_format, str(source.name), occurrence.local.date())
    lists = tuple(list_ids) or (() if list_names else tuple(activity.contact_list_ids))
    location = Location(
        key=name,
        timezone=timezone,
        list_ids=lists,
        list_names=tuple(list_names),
        when=WallClock(rule.time, date=occurrence.local.date()),
    )
    result = await _fan_out(
        cc,
        _copy_of(activity, name),
        [location],
        send_test_to=send_test_to,
        min_lead=min_lead,
        gap=gap,
        overlap=overlap,
        clock=lambda: now,
        journal=journal,
        job_id=job_id,
    )
    return result.items[0]


async def _find_template(cc: Client, template: str) -> EmailCampaign:
    try:
        return await cc.campaigns.get(template)
    except ValidationError:
        pass  # not an id: look it up by name
    found = await cc.campaigns.find_by_name(template)
    if found is None:
        raise ValidationError("template", "no campaign with this id or name", value=template)
    return found


def _dated_name(name_format: str, name: str, day: dt.date) -> str:
    try:
        return name_format.format(name=name, date=day)
    except (KeyError, IndexError, ValueError) as exc:
        raise ValidationError("name_format", f"cannot format: {exc}", value=name_format) from exc


def _literal(text: str | None) -> str | None:
    return None if text is None else text.replace("$", "$$")


def _copy_of(activity: CampaignActivity, name: str) -> CampaignTemplate:
    """The template activity's content as a CampaignTemplate with no placeholders."""
    return CampaignTemplate(
        name=str(_literal(name)),
        subject=str(_literal(activity.subject)),
        from_name=str(_literal(activity.from_name)),
        from_email=str(_literal(activity.from_email)),
        reply_to_email=_literal(activity.reply_to_email),
        html_content=str(_literal(activity.html_content or "")),
        preheader=_literal(activity.preheader),
    )
