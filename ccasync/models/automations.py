"""Automation records (``/automations/workflows``, new in spec 3.0.178).

The spec gives schemas but few rules for automations; what ccasync checks locally is what the
schema and its descriptions state (``action_name`` for Action/Date triggers, ``list_ids`` for a
``list_join`` trigger). The deep workflow structure (tasks, conditions) is kept as plain JSON in
``AutomationWorkflowDefinition.workflow``: read it, send it back unchanged.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from typing import Any

import attrs

from ccasync import _checks
from ccasync.errors import DecodeError, ValidationError

LIST_JOIN = "list_join"
"""``action_name`` of the trigger that starts a flow when a contact joins a list."""
SORT_DIRECTIONS = frozenset({"ASC", "DESC"})
"""Values of ``sort_direction`` of ``GET /automations/workflows``."""
CREATED_FROM = frozenset({"SCRATCH", "TEMPLATE"})
"""Values of ``created_from`` of ``GET /automations/workflows``."""
STATUSES = frozenset({"DRAFT", "ACTIVE", "PAUSED"})
"""Workflow statuses a client may set (UNCONFIRMED: the spec lists none; DRAFT/ACTIVE appear)."""
NAME_MAX = 255
"""Max characters of a workflow name (UNCONFIRMED: the spec gives none)."""


@attrs.define(kw_only=True)
class TriggerParameter:
    """One parameter of a trigger (the spec's ``ParameterDto``), e.g. the lists of a list_join.

    ``parameter_value`` is a string or a list of strings depending on ``type`` (STRING, LIST,
    WEB_TRACKING); ``parameter_list_value``/``parameter_string_value`` are its deprecated forms.
    """

    parameter_name: str | None = None
    type: str | None = None
    operator: str | None = None
    parameter_value: Any = None
    parameter_list_value: list[str] | None = None
    parameter_string_value: str | None = None
    rule: Any = None
    extra: dict[str, Any] = attrs.field(factory=dict, repr=False)

    def values(self) -> list[str]:
        """The parameter's values as a list, whichever form the API used."""
        for value in (self.parameter_value, self.parameter_list_value, self.parameter_string_value):
            if isinstance(value, str):
                return [value]
            if isinstance(value, list):
                return [str(v) for v in value]
        return []


@attrs.define(kw_only=True)
class TriggerDef:
    """When a workflow starts (the spec's ``TriggerDefDto``).

    ``type`` Action, Date or segment_join; ``action_name`` (required for Action and Date) such as
    ``list_join`` or ``calendar_date``; ``unique_by`` the deduplication key: the flow runs at most
    once per contact per value (``contact_id``, ``list_ids``). Build a list-join trigger with
    :meth:`list_join`.
    """

    type: str | None = None
    action_name: str | None = None
    parameters: list[TriggerParameter] | None = None
    unique_by: str | None = None
    engagement_level: str | None = None
    segment_id: str | None = None
    bounds: dict[str, Any] | None = None
    trigger_date: dict[str, Any] | None = None
    extra: dict[str, Any] = attrs.field(factory=dict, repr=False)

    @classmethod
    def list_join(cls, list_ids: Sequence[str], *, unique_by: str = "contact_id") -> TriggerDef:
        """A trigger firing when a contact joins one of ``list_ids`` (1-50 list ids).

        ``unique_by="contact_id"``: each contact runs the flow once; ``"list_ids"``: once per
        contact and list. Raises ValidationError for malformed ids.
        """
        _checks.check_uuids("list_ids", list_ids, max_items=50, min_items=1)
        parameter = TriggerParameter(
            parameter_name="list_ids",
            type="LIST",
            operator="EQUALS",
            parameter_value=list(list_ids),
        )
        return cls(
            type="Action", action_name=LIST_JOIN, parameters=[parameter], unique_by=unique_by
        )

    def list_ids(self) -> list[str]:
        """The list ids of a list_join trigger (empty for other triggers)."""
        for parameter in self.parameters or ():
            if parameter.parameter_name == "list_ids":
                return parameter.values()
        return []


@attrs.define(kw_only=True)
class AutomationTrigger:
    """A workflow's trigger and its filter (the spec's ``TriggerDto``)."""

    trigger_def: TriggerDef | None = None
    trigger_filter: dict[str, Any] | None = None
    trigger_version: str | None = None
    workflow_filter: str | None = None
    extra: dict[str, Any] = attrs.field(factory=dict, repr=False)


@attrs.define(kw_only=True)
class AutomationWorkflowDefinition:
    """A workflow definition: ``state`` (DRAFT, ACTIVE…), trigger and the workflow's JSON."""

    state: str | None = None
    trigger: AutomationTrigger | None = None
    workflow: dict[str, Any] | None = None
    extra: dict[str, Any] = attrs.field(factory=dict, repr=False)

    def email_activity_ids(self) -> list[str]:
        """The ``campaign_activity_id`` of every task of the workflow, in task order.

        A send-email task names the email it sends in its ``correlation_metadata``; edit that
        activity with ``cc.campaigns.update_activity``.
        """
        tasks = ((self.workflow or {}).get("workflow_def") or {}).get("tasks") or []
        return [i for task in _walk(tasks) if (i := _activity_of(task))]


def _walk(tasks: Any) -> Iterator[dict[str, Any]]:
    for task in tasks if isinstance(tasks, list) else ():
        if isinstance(task, dict):
            yield task
            for branch in ("child_tasks", "then", "else"):
                yield from _walk(task.get(branch))


def _activity_of(task: dict[str, Any]) -> str | None:
    found = (task.get("correlation_metadata") or {}).get("campaign_activity_id")
    return found if isinstance(found, str) and found else None


@attrs.define(kw_only=True)
class AutomationStructuredTag:
    """A tag of a workflow, e.g. its goal (``key`` GOAL)."""

    key: str | None = None
    value: str | None = None
    display_value: str | None = None
    extra: dict[str, Any] = attrs.field(factory=dict, repr=False)


@attrs.define(kw_only=True)
class AutomationCampaign:
    """An automation workflow (the spec's ``AutomationCampaign``).

    ``id`` is the ``automation_flow_id`` (the spec's own example leaves it out and names the id
    only inside the workflow's parameters: :attr:`automation_flow_id` reads either);
    ``status`` is the computed display status.
    ``draft_definition`` is what a PUT changes; ``active_definition`` what runs. Read it, change
    ``name``/``description``/``status``, and PUT it back with ``cc.automations.update``.
    """

    id: str | None = None
    name: str | None = None
    description: str | None = None
    structured_tags: list[AutomationStructuredTag] | None = None
    status: str | None = None
    active_definition: AutomationWorkflowDefinition | None = None
    draft_definition: AutomationWorkflowDefinition | None = None
    name_explicitly_set: bool | None = None
    extra: dict[str, Any] = attrs.field(factory=dict, repr=False)

    @property
    def automation_flow_id(self) -> str:
        """The workflow's id: ``id``, else the ``automation_flow_id`` of its definitions.

        Raises :class:`DecodeError` when the answer carried neither.
        """
        if self.id:
            return self.id
        for definition in (self.draft_definition, self.active_definition):
            workflow_def = ((definition.workflow if definition else None) or {}).get("workflow_def")
            found = ((workflow_def or {}).get("parameters") or {}).get("automation_flow_id")
            if isinstance(found, str) and found:
                return found
        raise DecodeError("AutomationCampaign: the answer names no automation_flow_id")

    def email_activity_ids(self) -> list[str]:
        """The email activities of the workflow (draft definition first, then the active one)."""
        found: list[str] = []
        for definition in (self.draft_definition, self.active_definition):
            for activity_id in definition.email_activity_ids() if definition else ():
                if activity_id not in found:
                    found.append(activity_id)
        return found


@attrs.define(kw_only=True)
class AutomationFlowSummary:
    """One workflow of the listing (the spec's ``AutomationFlowSummaryDto``)."""

    id: str
    name: str | None = None
    description: str | None = None
    status: str | None = None
    active_state: str | None = None
    draft_state: str | None = None
    template_id: str | None = None
    created_by_id: str | None = None
    created_date: dt.datetime | None = None
    promoted_by_id: str | None = None
    promoted_date: dt.datetime | None = None
    update_date: dt.datetime | None = None
    structured_tags: list[AutomationStructuredTag] | None = None
    extra: dict[str, Any] = attrs.field(factory=dict, repr=False)


def check_trigger(trigger: TriggerDef) -> None:
    """A trigger with a ``type``; ``action_name`` for Action/Date; list ids for list_join."""
    _checks.check_required("type", trigger.type)
    if (trigger.type or "").lower() in ("action", "date"):
        _checks.check_required("action_name", trigger.action_name)
    if trigger.action_name == LIST_JOIN:
        _checks.check_uuids("list_ids", trigger.list_ids(), max_items=50, min_items=1)


def check_workflow_name(name: str | None) -> None:
    """A workflow name of 1-255 characters (None keeps the API's generated name)."""
    if name is not None and not name.strip():
        raise ValidationError("workflow_name", "must not be blank")
    _checks.check_length("workflow_name", name, max_len=NAME_MAX)
