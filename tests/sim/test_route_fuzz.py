"""Seeded fuzz over every route the simulator serves: odd JSON bodies, ids and query values
never give a 500 and leave nothing in ``internal_errors()`` (issue 12 item 13, for every route)."""

from __future__ import annotations

import random
import re
from typing import Any

import aiohttp

from ccasync.sim import Sim
from tests.sim.campaigns.test_campaign_routes import campaign_json
from tests.sim.conftest import Api
from tests.sim.partner.partner_api import PROVISION, PartnerApi
from tests.spec.sim_routes import sim_operations

FIELDS = (
    "name",
    "list_ids",
    "contact_ids",
    "email_address",
    "format_type",
    "status",
    "source",
    "import_data",
    "segment_criteria",
    "scheduled_date",
    "email_addresses",
    "test_size",
    "winner_wait_duration",
    "type",
    "parameters",
    "automation_flow",
    "label",
    "choices",
    "custom_fields",
    "list_memberships",
    "first_name",
    "registration_ids",
    "order_ticket_keys",
    "profile_posts",
    "plan_type",
    "hook_uri",
    "account_operation_url",
    "account_operation_method",
    "update_source",
    "tag_ids",
    "delay_days",
    "resend_subject",
    "email_campaign_activities",
    "contact_list_ids",
)
QUERY = (
    "limit",
    "include",
    "include_count",
    "status",
    "sort_by",
    "email",
    "segment_id",
    "tracking_activity_type",
    "start",
    "end",
    "next",
    "cursor",
    "sequence_ids",
    "name",
)
ROUNDS = 4  # requests per route


def _value(rng: random.Random, depth: int = 0) -> Any:
    kind = rng.randrange(10 if depth < 2 else 6)
    if kind == 0:
        return None
    if kind == 1:
        return rng.choice([True, False])
    if kind == 2:
        return rng.choice([0, -1, 5, 10**18, 10**40, 2**31])
    if kind == 3:
        return rng.choice([1.5, -0.0, 1e308])
    if kind in (4, 5):
        return rng.choice(
            [
                "",
                "x",
                "²",
                "0",
                "true",
                "a@b.c",
                "9" * 5000,
                "[[FirstName]]",
                "2026-01-01T00:00:00Z",
                "{}",
                "a@" + "b." * 500,
            ]
        )
    if kind in (6, 7):
        return [_value(rng, depth + 1) for _ in range(rng.randrange(3))]
    return {rng.choice(FIELDS): _value(rng, depth + 1) for _ in range(rng.randrange(4))}


def _body(rng: random.Random) -> Any:
    if rng.random() < 0.3:
        return _value(rng)
    return {rng.choice(FIELDS): _value(rng) for _ in range(rng.randrange(1, 6))}


async def _ids(api: Api) -> dict[str, list[str]]:
    """Real ids for path parameters, so fuzzing reaches past the 404s."""
    _, listed = await api.post("/contact_lists", {"name": "Fuzz"})
    _, contact = await api.post(
        "/contacts", {"email_address": {"address": "f@example.org"}, "create_source": "Account"}
    )
    _, campaign = await api.post("/emails", campaign_json("Fuzz"))
    _, tag = await api.post("/contact_tags", {"name": "fuzz"})
    _, field = await api.post("/contact_custom_fields", {"label": "Fuzz", "type": "string"})
    _, event = await api.post("/events/default", None)
    trigger = {
        "type": "Action",
        "action_name": "list_join",
        "parameters": [{"parameter_name": "list_ids", "parameter_value": [listed["list_id"]]}],
    }
    _, flow = await api.post("/automations/workflows", trigger)
    activity = campaign["campaign_activities"][0]["campaign_activity_id"]
    return {
        "list_id": [listed["list_id"]],
        "contact_id": [contact["contact_id"]],
        "campaign_id": [campaign["campaign_id"]],
        "campaign_activity_id": [activity],
        "activity_id": [activity],
        "tag_id": [tag["tag_id"]],
        "custom_field_id": [field["custom_field_id"]],
        "event_id": [event["event_id"]],
        "track_id": [event["default_track"]["track_id"]],
        "automation_flow_id": [flow["id"]],
        "topic_id": ["1", "4"],
        "segment_id": ["1"],
    }


def _path(template: str, rng: random.Random, ids: dict[str, list[str]]) -> str:
    def fill(match: re.Match[str]) -> str:
        known = ids.get(match.group(1))
        if known and rng.random() < 0.7:
            return rng.choice(known)
        return rng.choice(
            ["x", "0", "9" * 40, "%C3%A9", "-1", "00000000-0000-4000-8000-000000000000"]
        )

    return re.sub(r"\{([^}]+)\}", fill, template)


async def test_every_route_survives_odd_input(api: Api, fsim: Sim) -> None:
    """Every route, fuzzed with seeded odd bodies, ids and queries: no 500, no contained bug."""
    rng = random.Random(1214)
    ids = await _ids(api)
    async with aiohttp.ClientSession() as session:
        partner = PartnerApi(session, fsim)
        _, created = await partner.call("POST", "/partner/accounts", json=PROVISION)
        ids["encoded_account_id"] = [created["encoded_account_id"], fsim.account_id]
        for method, template in sorted(sim_operations()):
            for _ in range(ROUNDS):
                path = _path(template, rng, ids)
                query = {rng.choice(QUERY): str(_value(rng))[:300] for _ in range(rng.randrange(3))}
                kwargs: dict[str, Any] = {"params": query}
                if method in ("POST", "PUT", "PATCH"):
                    kwargs["json"] = _body(rng)
                if template.startswith("/partner/"):
                    status, body = await partner.call(method, path, **kwargs)
                else:
                    status, body, _ = await api.call(method, path, **kwargs)
                assert status < 500, (method, path, kwargs, body)
    assert fsim.state.internal_errors() == []
    assert (await api.get("/contacts"))[0] == 200
