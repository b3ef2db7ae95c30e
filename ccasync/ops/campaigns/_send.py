"""The last steps shared by every fan-out: recipients, test, schedule (or send), never twice."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import attrs

from ccasync.errors import CampaignActivityStateError
from ccasync.ops.campaigns.scheduling import LocalTime

if TYPE_CHECKING:
    from ccasync.client import Client
    from ccasync.models.campaigns import CampaignActivity
    from ccasync.ops.campaigns._resume import ItemSteps

_SENT_STATES = frozenset({"EXECUTING", "DONE"})
_SENDABLE_STATES = frozenset({"DRAFT", "ERROR"})


class StepFailed(Exception):
    """An item failed at ``step`` because of ``error`` (carried to the result, never raised out)."""

    def __init__(self, step: str, error: Exception) -> None:
        super().__init__(f"{step}: {error}")
        self.step = step
        self.error = error


@attrs.frozen(kw_only=True)
class SendPlan:
    """What to do with one DRAFT activity: its lists, an optional test, then when to send.

    ``at`` is the resolved time, or the exception explaining why there is none (e.g. the time
    is past), or None with ``send_now``. ``tz`` shows a found schedule on the local clock.
    """

    list_ids: Sequence[str] | None
    at: LocalTime | Exception | None
    tz: ZoneInfo | None
    send_now: bool = False
    test_to: Sequence[str] | None = None
    personal_message: str | None = None
    reschedule: bool = False
    steps: ItemSteps | None = None
    """The item's journal steps (test sent at most once, schedule intent), when journaled."""


async def finish(cc: Client, activity: CampaignActivity, plan: SendPlan) -> dict[str, Any]:
    """Bring ``activity`` to scheduled/sent per ``plan`` unless an earlier run already did.

    Returns result fields (outcome, times, test_sent, note); raises :class:`StepFailed`.
    """
    activity_id = activity.campaign_activity_id
    status = (activity.current_status or "").upper()
    if status == "SCHEDULED":
        return await _found_scheduled(cc, activity_id, plan)
    if status in _SENT_STATES:
        return {"outcome": "already_sent"}
    if status not in _SENDABLE_STATES:
        refused = CampaignActivityStateError(f"activity {activity_id} is {status or 'unknown'}")
        raise StepFailed("status", refused)
    if isinstance(plan.at, Exception):
        raise StepFailed("time", plan.at)
    await _step("recipients", _set_lists(cc, activity, plan.list_ids))
    fields: dict[str, Any] = {}
    if plan.test_to:
        fields = await _test(cc, activity_id, plan)
    steps = plan.steps
    if plan.send_now or plan.at is None:
        if steps is not None:
            await steps.before_schedule(None, plan.list_ids)
        await _step("send", cc.campaigns.send_now(activity_id))
        if steps is not None:
            await steps.scheduled()
        return {**fields, "outcome": "sent"}
    if steps is not None:
        await steps.before_schedule(plan.at.utc, plan.list_ids)
    entries = await _step("schedule", cc.campaigns.schedule(activity_id, plan.at.utc))
    if steps is not None:
        await steps.scheduled()
    utc = _first_date(entries) or plan.at.utc
    note = "; ".join(n for n in (fields.pop("note", None), plan.at.note) if n) or None
    return {**fields, "outcome": "scheduled", **_times(utc, plan.tz), "note": note}


async def _test(cc: Client, activity_id: str, plan: SendPlan) -> dict[str, Any]:
    """Send the test unless the job's journal shows an earlier run sent (or may have sent) it."""
    assert plan.test_to
    state = plan.steps.test_state() if plan.steps is not None else None
    if state == "done":
        return {"test_sent": True, "note": "test sent by an earlier run of this job"}
    if state == "intent":
        return {"note": "an earlier run of this job may have sent the test; not sent again"}
    if plan.steps is not None:
        await plan.steps.before_test()
    await _step("test", cc.campaigns.send_test(activity_id, plan.test_to, plan.personal_message))
    if plan.steps is not None:
        await plan.steps.tested()
    return {"test_sent": True}


async def _step(name: str, awaitable: Any) -> Any:
    try:
        return await awaitable
    except Exception as exc:
        raise StepFailed(name, exc) from exc


async def _set_lists(
    cc: Client, activity: CampaignActivity, list_ids: Sequence[str] | None
) -> None:
    if list_ids is None:
        if not activity.contact_list_ids and not activity.segment_ids:
            raise CampaignActivityStateError(
                "the activity has no recipients (no lists and no segment)"
            )
        return
    if set(activity.contact_list_ids) == set(list_ids) and not activity.segment_ids:
        return  # already right (a rerun after a crash): no PUT
    changed = attrs.evolve(activity, contact_list_ids=list(list_ids), segment_ids=[])
    await cc.campaigns.update_activity(changed)


async def _found_scheduled(cc: Client, activity_id: str, plan: SendPlan) -> dict[str, Any]:
    entries = await _step("schedule", cc.campaigns.get_schedule(activity_id))
    utc = _first_date(entries)
    wanted = plan.at if isinstance(plan.at, LocalTime) else None
    if wanted is not None and utc is not None and utc != wanted.utc:
        if plan.reschedule:
            await _step("unschedule", cc.campaigns.unschedule(activity_id))
            await _step("schedule", cc.campaigns.schedule(activity_id, wanted.utc))
            return {"outcome": "scheduled", **_times(wanted.utc, plan.tz), "note": wanted.note}
        note = f"already scheduled at {utc.isoformat()}, not at {wanted.utc.isoformat()}"
        return {"outcome": "already_scheduled", **_times(utc, plan.tz), "note": note}
    return {"outcome": "already_scheduled", **_times(utc, plan.tz)}


def _first_date(entries: Sequence[Any]) -> dt.datetime | None:
    for entry in entries:
        if entry.scheduled_date is not None:
            return entry.scheduled_date.astimezone(dt.UTC)  # type: ignore[no-any-return]
    return None


def _times(utc: dt.datetime | None, tz: ZoneInfo | None) -> dict[str, Any]:
    if utc is None:
        return {}
    return {"scheduled_utc": utc, "scheduled_local": utc.astimezone(tz) if tz else None}
