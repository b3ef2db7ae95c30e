"""Automation records and their JSON (``AutomationCampaign``, ``AutomationFlowSummaryDto``)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import attrs

from .._http import iso

GOAL_TAG = {"key": "GOAL", "value": "goal_undefined", "display_value": "All from-scratch paths"}
SIM_USER_ID = "100000001"  # UNCONFIRMED: the user id format; the sim has one user per account


@attrs.define(eq=False)
class Automation:
    """One automation workflow: its trigger, its one email and who already entered it."""

    automation_id: str
    name: str
    name_explicitly_set: bool
    trigger: dict[str, Any]
    campaign_id: str
    activity_id: str
    task_id: str
    created_at: dt.datetime
    updated_at: dt.datetime
    description: str = ""
    status: str = "DRAFT"
    promoted_at: dt.datetime | None = None
    active_trigger: dict[str, Any] | None = None
    entered: set[tuple[str, ...]] = attrs.Factory(set)


def definition(flow: Automation, state: str, trigger: dict[str, Any]) -> dict[str, Any]:
    """An ``AutomationWorkflowDefinition``: the trigger and the one send-email task."""
    ids = {"automation_flow_id": flow.automation_id, "campaign_id": flow.campaign_id}
    task = {
        "id": flow.task_id,
        "kind": "SEND_EMAIL",
        "name": "Send email",
        "correlation_metadata": {"campaign_activity_id": flow.activity_id},
        "metadata": {"kind": "email", "action": "send", "create_from_scratch": True},
    }
    return {
        "state": state,
        "trigger": {"trigger_def": trigger, "trigger_version": "1.0.0"},
        "workflow": {
            "workflow_def": {
                "correlation_metadata": ids,
                "parameters": {**ids, "automation_flow_name": flow.name},
                "status": "SCHEDULED" if state == "ACTIVE" else state,
                "tasks": [task],
                "upgradable": True,
            }
        },
    }


def draft_state(flow: Automation) -> str:
    """``PROMOTED`` once the draft became the active definition, else ``DRAFT``."""
    return "PROMOTED" if flow.active_trigger is not None and flow.status != "DRAFT" else "DRAFT"


def automation_json(flow: Automation) -> dict[str, Any]:
    """The ``AutomationCampaign`` body."""
    body: dict[str, Any] = {
        "id": flow.automation_id,
        "name": flow.name,
        "name_explicitly_set": flow.name_explicitly_set,
        "description": flow.description,
        "status": flow.status,
        "structured_tags": [dict(GOAL_TAG)],
        "draft_definition": definition(flow, draft_state(flow), flow.trigger),
    }
    if flow.active_trigger is not None:
        body["active_definition"] = definition(flow, flow.status, flow.active_trigger)
    return body


def summary_json(flow: Automation) -> dict[str, Any]:
    """An ``AutomationFlowSummaryDto`` (list item)."""
    body: dict[str, Any] = {
        "id": flow.automation_id,
        "name": flow.name,
        "description": flow.description,
        "status": flow.status,
        "draft_state": draft_state(flow),
        "created_by_id": SIM_USER_ID,
        "created_date": iso(flow.created_at),
        "update_date": iso(flow.updated_at),
        "structured_tags": [dict(GOAL_TAG)],
    }
    if flow.active_trigger is not None:
        body |= {
            "active_state": flow.status,
            "promoted_by_id": SIM_USER_ID,
            "promoted_date": iso(flow.promoted_at or flow.updated_at),
        }
    return body
