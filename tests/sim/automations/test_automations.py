"""Automations over HTTP: create, activate, and list-join runs delivered once per contact."""

from __future__ import annotations

from typing import Any

from ccasync.sim import Sim
from tests.sim.conftest import Api

WELCOME = (
    '<html><body>[[trackingImage]]<p>Hi [[FirstName OR "there"]]</p>'
    '<a href="[[Activation_Link]]">Activate</a></body></html>'
)


def _trigger(list_ids: list[str], unique_by: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": "Action",
        "action_name": "list_join",
        "parameters": [{"parameter_name": "list_ids", "type": "LIST", "parameter_value": list_ids}],
    }
    if unique_by:
        body["unique_by"] = unique_by
    return body


async def _list(api: Api, name: str) -> str:
    status, body = await api.post("/contact_lists", {"name": name})
    assert status == 201, body
    return str(body["list_id"])


async def _welcome_flow(api: Api, list_ids: list[str], unique_by: str | None = None) -> str:
    """An ACTIVE list-join automation whose email links each contact's activation URL."""
    status, flow = await api.post(
        "/automations/workflows", _trigger(list_ids, unique_by), params={"workflowName": "Welcome"}
    )
    assert status == 201, flow
    assert (flow["name"], flow["status"], flow["name_explicitly_set"]) == ("Welcome", "DRAFT", True)
    task = flow["draft_definition"]["workflow"]["workflow_def"]["tasks"][0]
    activity_id = task["correlation_metadata"]["campaign_activity_id"]
    email = {
        "from_name": "Shop",
        "from_email": "owner@example.com",
        "reply_to_email": "owner@example.com",
        "subject": 'Welcome [[FirstName OR "in"]]',
        "html_content": WELCOME,
    }
    status, body = await api.put(f"/emails/activities/{activity_id}", email)
    assert status == 200, body
    status, active = await api.put(
        f"/automations/workflows/{flow['id']}", {"automation_flow": {"status": "ACTIVE"}}
    )
    assert status == 200, active
    assert active["active_definition"]["state"] == "ACTIVE"
    assert active["draft_definition"]["state"] == "PROMOTED"
    return str(flow["id"])


async def _link_field(api: Api) -> str:
    status, field = await api.post(
        "/contact_custom_fields", {"label": "Activation Link", "type": "string"}
    )
    assert status == 201, field
    return str(field["custom_field_id"])


async def _sign_up(api: Api, email: str, list_ids: list[str], field_id: str) -> None:
    body = {
        "email_address": email,
        "first_name": email.split("@")[0].title(),
        "list_memberships": list_ids,
        "custom_fields": [
            {"custom_field_id": field_id, "value": f"https://app.example/activate?u={email}"}
        ],
    }
    status, answer = await api.post("/contacts/sign_up_form", body)
    assert status in (200, 201), answer


async def test_sign_up_gets_exactly_one_welcome_with_its_own_link(api: Api, fsim: Sim) -> None:
    """Each sign-up to the trigger list receives one automation mail with its own link."""
    field_id = await _link_field(api)
    list_id = await _list(api, "New users")
    await _welcome_flow(api, [list_id])
    for email in ("ann@example.org", "bob@example.org"):
        await _sign_up(api, email, [list_id], field_id)
    await _sign_up(api, "ann@example.org", [list_id], field_id)  # an update: no second join
    fsim.clock.advance(1)
    mails = fsim.outbox.find(kind="automation")
    assert sorted(m.to for m in mails) == ["ann@example.org", "bob@example.org"]
    ann = fsim.outbox.find(to="ann@example.org")[0]
    assert ann.subject == "Welcome Ann"
    assert 'href="https://app.example/activate?u=ann@example.org"' in ann.html
    assert fsim.state.internal_errors() == []


async def test_unique_by_contact_and_by_list(api: Api, fsim: Sim) -> None:
    """``unique_by: contact_id`` runs once per contact; ``list_ids`` once per contact and list."""
    field_id = await _link_field(api)
    a, b, c, d = [await _list(api, name) for name in "ABCD"]
    await _welcome_flow(api, [a, b])
    await _welcome_flow(api, [c, d], unique_by="list_ids")
    await _sign_up(api, "x@example.org", [a, b, c, d], field_id)
    fsim.clock.advance(1)
    account = fsim.state.default_account
    contact = account.find_email("x@example.org")
    assert contact is not None
    account.remove_membership(contact, a)
    account.add_membership(contact, a)  # leaving and re-joining does not re-enter the flow
    fsim.clock.advance(1)
    assert len(fsim.outbox.find(to="x@example.org", kind="automation")) == 1 + 2


async def test_only_joins_while_active_and_mailable_contacts(api: Api, fsim: Sim) -> None:
    """Members before activation, joins while paused and unsubscribed contacts get nothing."""
    field_id = await _link_field(api)
    list_id = await _list(api, "L")
    await _sign_up(api, "early@example.org", [list_id], field_id)
    flow_id = await _welcome_flow(api, [list_id])
    fsim.state.default_account.automations.delay_seconds = 3600
    await _sign_up(api, "late@example.org", [list_id], field_id)
    contact = fsim.state.default_account.find_email("late@example.org")
    assert contact is not None
    contact.permission_to_send = "unsubscribed"  # before the send time: nothing is sent
    status, _ = await api.put(
        f"/automations/workflows/{flow_id}", {"automation_flow": {"status": "PAUSED"}}
    )
    assert status == 200
    await _sign_up(api, "paused@example.org", [list_id], field_id)
    fsim.clock.advance(7200)
    assert fsim.outbox.find(kind="automation") == []


async def test_list_get_and_errors(api: Api) -> None:
    """The list filters by name; unknown ids are 404; bad triggers and lists are 400."""
    list_id = await _list(api, "Only")
    flow_id = await _welcome_flow(api, [list_id])
    status, body = await api.get("/automations/workflows", params={"name": "Welcome"})
    assert status == 200, body
    assert [f["id"] for f in body["flow_summaries"]] == [flow_id]
    assert body["flow_summaries"][0]["active_state"] == "ACTIVE"
    for query in ({"name": "x"}, {"goals": "post_purchase_followup"}, {"channel": "sms"}):
        assert (await api.get("/automations/workflows", params=query))[1] == {"flow_summaries": []}
    status, body = await api.get("/automations/workflows", params={"goals": "goal_undefined"})
    assert [f["id"] for f in body["flow_summaries"]] == [flow_id]
    assert (await api.get(f"/automations/workflows/{flow_id}"))[0] == 200
    assert (await api.get("/automations/workflows/" + "9" * 40))[0] == 404
    bad = [
        {},
        {"type": "Action"},
        _trigger([]),
        _trigger(["00000000-0000-4000-8000-000000000000"]),
        _trigger([list_id], unique_by="email"),
        {
            **_trigger([list_id]),
            "parameters": [{"parameter_name": "list_ids", "parameter_value": {"x": 1}}],
        },
    ]
    for body in bad:
        status, answer = await api.post("/automations/workflows", body)
        assert status == 400, (body, answer)
    status, _ = await api.put(
        f"/automations/workflows/{flow_id}", {"automation_flow": {"status": 5}}
    )
    assert status == 400
