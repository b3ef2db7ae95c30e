"""The automations API area (``/automations/workflows``, spec 3.0.178): ``cc.automations``."""

from __future__ import annotations

from typing import Any

from ccasync import _checks
from ccasync._serde import structure, unstructure
from ccasync.models.automations import (
    CREATED_FROM,
    SORT_DIRECTIONS,
    STATUSES,
    AutomationCampaign,
    AutomationFlowSummary,
    TriggerDef,
    check_trigger,
    check_workflow_name,
)
from ccasync.resources._base import Resource

_PATH = "/automations/workflows"


class AutomationsResource(Resource):
    """The automation endpoints; reach it as ``cc.automations``.

    UNCONFIRMED: the spec documents the listing's success status as 209 (any 2xx is accepted)
    and states no error cases beyond the generic ones.
    """

    async def list_flows(
        self,
        *,
        name: str | None = None,
        channel: str | None = None,
        goals: str | None = None,
        created_from: str | None = None,
        sort_direction: str | None = None,
    ) -> list[AutomationFlowSummary]:
        """The account's workflows (``GET /automations/workflows``; not paged).

        ``name`` matches exactly; ``created_from`` SCRATCH or TEMPLATE; ``sort_direction`` ASC or
        DESC (default DESC); ``goals`` a goal tag. One API call. Raises ValidationError,
        APIError subclasses.
        """
        _checks.check_enum("created_from", created_from, CREATED_FROM)
        _checks.check_enum("sort_direction", sort_direction, SORT_DIRECTIONS)
        params = {
            "name": name,
            "channel": channel,
            "goals": goals,
            "created_from": created_from,
            "sort_direction": sort_direction,
        }
        response = await self._requestor.request("GET", _PATH, params=params)
        return structure(
            (response.data or {}).get("flow_summaries") or [], list[AutomationFlowSummary]
        )

    async def find_by_name(self, name: str) -> AutomationFlowSummary | None:
        """The workflow named exactly ``name``, or None (one API call)."""
        _checks.check_required("name", name)
        found = await self.list_flows(name=name)
        return next((flow for flow in found if flow.name == name), None)

    async def create(
        self, trigger: TriggerDef, workflow_name: str | None = None
    ) -> AutomationCampaign:
        """Create a DRAFT workflow from scratch with ``trigger`` (``POST /automations/workflows``).

        ``workflow_name`` (1-255 chars) overrides the generated name. Build a list-join trigger
        with :meth:`TriggerDef.list_join`. The workflow's email is its own campaign activity
        (:meth:`AutomationCampaign.email_activity_ids`); activate with :meth:`set_status`. One
        API call (not repeated if it may have landed: :meth:`find_by_name`). Raises
        ValidationError, BadRequestError (e.g. an unknown list), other APIError subclasses.
        """
        check_trigger(trigger)
        check_workflow_name(workflow_name)
        response = await self._requestor.request(
            "POST",
            _PATH,
            params={"workflowName": workflow_name},
            json=trigger,
            expected=(200, 201),
        )
        return structure(response.data, AutomationCampaign)

    async def get(self, automation_flow_id: str) -> AutomationCampaign:
        """One workflow with its definitions (``GET /automations/workflows/{id}``).

        One API call. Raises ValidationError (malformed id), NotFoundError, other APIErrors.
        """
        _checks.check_uuid("automation_flow_id", automation_flow_id)
        return await self._requestor.get_model(f"{_PATH}/{automation_flow_id}", AutomationCampaign)

    async def update(self, automation: AutomationCampaign) -> AutomationCampaign:
        """Replace a workflow (``PUT /automations/workflows/{id}``, body ``{automation_flow}``).

        Send back a record read from the API with ``name``, ``description``, ``status`` or the
        draft trigger changed (unknown fields are kept). One API call, retried safely. Raises
        ValidationError, NotFoundError, BadRequestError, other APIError subclasses.
        """
        flow_id = automation.automation_flow_id
        _checks.check_uuid("automation_flow_id", flow_id)
        _checks.check_enum("status", automation.status, STATUSES)
        check_workflow_name(automation.name)
        body: dict[str, Any] = {"automation_flow": unstructure(automation)}
        return await self._requestor.send_model(
            "PUT", f"{_PATH}/{flow_id}", AutomationCampaign, json=body
        )

    async def set_status(self, automation_flow_id: str, status: str) -> AutomationCampaign:
        """Activate (``ACTIVE``), pause (``PAUSED``) or return a workflow to ``DRAFT``.

        GETs the workflow and PUTs it back with the new status: two API calls. Only contacts
        joining after activation enter a list-join flow (UNCONFIRMED, as the simulator does).
        Raises ValidationError, NotFoundError, other APIError subclasses.
        """
        _checks.check_enum("status", status, STATUSES)
        automation = await self.get(automation_flow_id)
        automation.status = status
        return await self.update(automation)
