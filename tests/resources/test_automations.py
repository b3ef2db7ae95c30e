"""cc.automations against a fake transport: list, create (list_join), get, update, set_status."""

from __future__ import annotations

from typing import Any

import pytest

from ccasync._serde import structure
from ccasync.errors import DecodeError, ValidationError
from ccasync.models.automations import AutomationCampaign, TriggerDef
from ccasync.testing import FakeTransport, query_of
from tests.resources.recorded import answers, body_of, client, line

FID = "83345850-144a-4dcf-b4dc-88aa1287cffe"
LID = "71600990-908b-11e6-907f-1200166bff25"
EMAIL = "98edac88-f4bc-408c-9e64-acd890384231"


def flow(status: str = "DRAFT", **more: Any) -> dict[str, Any]:
    """An AutomationCampaign answer with one send-email task."""
    definition = {
        "state": status,
        "trigger": {"trigger_def": {"type": "Action", "action_name": "list_join"}},
        "workflow": {
            "workflow_def": {
                "parameters": {"automation_flow_id": FID},
                "tasks": [
                    {
                        "kind": "SEND_EMAIL",
                        "correlation_metadata": {"campaign_activity_id": EMAIL},
                    }
                ],
            }
        },
    }
    return {"id": FID, "name": "Welcome", "status": status, "draft_definition": definition, **more}


async def test_create_list_join_sends_trigger_and_name() -> None:
    """create POSTs the TriggerDefDto with workflowName in the query; the email id is found."""
    ft = answers((201, flow()))
    async with client(ft) as cc:
        made = await cc.automations.create(TriggerDef.list_join([LID]), workflow_name="Welcome")
    assert line(ft.requests[0]) == "POST /automations/workflows"
    assert query_of(ft.requests[0]) == {"workflowName": "Welcome"}
    assert body_of(ft.requests[0]) == {
        "type": "Action",
        "action_name": "list_join",
        "unique_by": "contact_id",
        "parameters": [
            {
                "parameter_name": "list_ids",
                "type": "LIST",
                "operator": "EQUALS",
                "parameter_value": [LID],
            }
        ],
    }
    assert made.automation_flow_id == FID
    assert made.email_activity_ids() == [EMAIL]


async def test_list_flows_filters_and_find_by_name() -> None:
    """list_flows passes its filters; find_by_name matches the exact name (209 accepted)."""
    summary = {"id": FID, "name": "Welcome", "created_date": "2025-09-25T20:06:50.020+00:00"}
    ft = answers((209, {"flow_summaries": [summary]}), (209, {"flow_summaries": [summary]}))
    async with client(ft) as cc:
        flows = await cc.automations.list_flows(sort_direction="ASC", created_from="SCRATCH")
        found = await cc.automations.find_by_name("Welcome")
    assert query_of(ft.requests[0]) == {"sort_direction": "ASC", "created_from": "SCRATCH"}
    assert query_of(ft.requests[1]) == {"name": "Welcome"}
    assert flows[0].created_date is not None
    assert found is not None
    assert found.id == FID


async def test_set_status_gets_then_puts_the_whole_record() -> None:
    """set_status reads the workflow and PUTs it back as {automation_flow} with the status."""
    ft = answers((200, flow(future="kept")), (200, flow("ACTIVE")))
    async with client(ft) as cc:
        active = await cc.automations.set_status(FID, "ACTIVE")
    assert [line(r) for r in ft.requests] == [
        f"GET /automations/workflows/{FID}",
        f"PUT /automations/workflows/{FID}",
    ]
    sent = body_of(ft.requests[1])["automation_flow"]
    assert sent["status"] == "ACTIVE"
    assert sent["future"] == "kept"
    assert sent["draft_definition"]["workflow"]["workflow_def"]["tasks"][0]["kind"] == "SEND_EMAIL"
    assert active.status == "ACTIVE"


def test_flow_id_falls_back_to_the_workflow_parameters() -> None:
    """Without ``id`` the workflow parameters name the flow; with neither it is a DecodeError."""
    data = flow()
    del data["id"]
    assert structure(data, AutomationCampaign).automation_flow_id == FID
    with pytest.raises(DecodeError):
        _ = AutomationCampaign(name="x").automation_flow_id


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda cc: cc.automations.create(TriggerDef(action_name="list_join")), "type"),
        (lambda cc: cc.automations.create(TriggerDef(type="Action")), "action_name"),
        (
            lambda cc: cc.automations.create(TriggerDef(type="Action", action_name="list_join")),
            "list_ids",
        ),
        (lambda cc: cc.automations.create(TriggerDef.list_join([LID]), " "), "workflow_name"),
        (lambda cc: cc.automations.get("nope"), "automation_flow_id"),
        (lambda cc: cc.automations.set_status(FID, "RUNNING"), "status"),
        (lambda cc: cc.automations.list_flows(sort_direction="UP"), "sort_direction"),
    ],
)
async def test_rules_are_checked_before_sending(call: Any, field: str) -> None:
    """Trigger, name, id, status and filter rules fail locally, naming the field."""
    ft = FakeTransport(responses=[])
    async with client(ft) as cc:
        with pytest.raises(ValidationError) as caught:
            await call(cc)
    assert caught.value.field == field
    assert ft.requests == []


def test_list_join_refuses_bad_list_ids() -> None:
    """TriggerDef.list_join needs 1-50 list UUIDs."""
    with pytest.raises(ValidationError, match="list_ids"):
        TriggerDef.list_join([])
    with pytest.raises(ValidationError, match="list_ids"):
        TriggerDef.list_join(["not-a-uuid"])
