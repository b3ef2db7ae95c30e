"""Fan-out resume: the journal steps of one location (or one scheduled activity) of a job.

Steps, for an item ``<key>`` (a location key, or a :class:`ScheduleItem` key):

- ``loc/<key>/create``: ``intent`` (the name) before ``POST /emails``, ``done`` with the
  campaign and activity ids;
- ``loc/<key>/test``: ``intent`` before the test send, ``done`` after: a test is never sent
  twice for one item of one job, even when the first try's answer was lost;
- ``loc/<key>/lists``: ``done`` with the list ids set (written with the schedule's intent);
- ``loc/<key>/schedule``: ``intent`` (the UTC time, or ``now``) before the schedule or send,
  ``done`` after;
- ``loc/<key>``: ``done`` once the item ended ok, with its whole result: a rerun reports it
  without a call.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any
from zoneinfo import ZoneInfo

from ccasync.journal import JobRun, Phase
from ccasync.ops.campaigns._results import CampaignResult

_KEPT = ("account", "campaign_id", "activity_id", "name", "outcome", "created", "test_sent", "note")


class FanoutSteps:
    """A fan-out job's journal: what each item reached, and the hooks that record it."""

    def __init__(self, run: JobRun) -> None:
        self.run = run

    def item(self, key: str) -> ItemSteps:
        """The steps of one item."""
        return ItemSteps(self.run, f"loc/{key}")

    def finished(self, key: str) -> CampaignResult | None:
        """The recorded result of an item that ended ok (with ``calls`` 0), or None."""
        if not self.run.is_done(f"loc/{key}"):
            return None
        data = self.run.data(f"loc/{key}")
        fields: dict[str, Any] = {name: data.get(name) for name in _KEPT if name in data}
        utc = data.get("scheduled_utc")
        if utc:
            at = dt.datetime.fromisoformat(utc)
            zone = data.get("tz")
            fields["scheduled_utc"] = at
            fields["scheduled_local"] = at.astimezone(ZoneInfo(zone)) if zone else None
        return CampaignResult(key=key, calls=0, **fields)


class ItemSteps:
    """One item's steps (see the module doc); every ``before_*`` is durable before the effect."""

    def __init__(self, run: JobRun, prefix: str) -> None:
        self.run = run
        self.prefix = prefix

    def campaign(self) -> tuple[str, str | None] | None:
        """``(campaign_id, activity_id)`` an earlier run created, or None."""
        data = self.run.data(f"{self.prefix}/create")
        if not self.run.is_done(f"{self.prefix}/create"):
            return None
        return str(data["campaign_id"]), data.get("activity_id")

    async def before_create(self, name: str) -> None:
        """Record that ``POST /emails`` for ``name`` is about to go out."""
        await self.run.intend(f"{self.prefix}/create", name=name)

    async def created(self, campaign_id: str, activity_id: str | None) -> None:
        """Record the campaign (found or created) and its primary activity."""
        await self.run.record(
            f"{self.prefix}/create", campaign_id=campaign_id, activity_id=activity_id
        )

    def test_state(self) -> str | None:
        """``done`` (sent), ``intent`` (may have been sent) or None (never tried)."""
        step = self.run.get(f"{self.prefix}/test")
        return step.phase if step is not None else None

    async def before_test(self) -> None:
        """Record that the test send is about to go out."""
        await self.run.intend(f"{self.prefix}/test")

    async def tested(self) -> None:
        """Record that the test was sent."""
        await self.run.record(f"{self.prefix}/test")

    async def before_schedule(self, utc: dt.datetime | None, lists: Sequence[str] | None) -> None:
        """Record the lists set (if this run set them) and the schedule (``None``: send now)
        about to be asked for, in one transaction."""
        entries: list[tuple[str, Phase, Mapping[str, Any]]] = [
            (f"{self.prefix}/schedule", "intent", {"at": utc.isoformat() if utc else "now"})
        ]
        if lists is not None:
            entries.append((f"{self.prefix}/lists", "done", {"list_ids": list(lists)}))
        await self.run.write(entries)

    async def scheduled(self) -> None:
        """Record that the schedule (or send) was accepted."""
        await self.run.record(f"{self.prefix}/schedule")

    async def finished(self, result: CampaignResult, tz: str | None) -> None:
        """Record an item that ended ok, with what its result reports."""
        if not result.ok:
            return
        data: dict[str, Any] = {
            name: getattr(result, name) for name in _KEPT if getattr(result, name) is not None
        }
        if result.scheduled_utc is not None:
            data["scheduled_utc"] = result.scheduled_utc.isoformat()
            data["tz"] = tz
        await self.run.record(self.prefix, **data)
