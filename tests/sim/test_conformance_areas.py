"""Conformance of the areas added for issue 14: xrefs, automations, events (and the rest as they
land): every answer validates against the official spec's response schema."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest

from ccasync.sim import Sim
from tests.sim.conftest import Api
from tests.sim.partner.partner_api import PROVISION, PartnerApi
from tests.sim.spec_schema import assert_matches_spec, response_schema

pytestmark = pytest.mark.spec


async def check(
    api: Api,
    method: str,
    template: str,
    path: str,
    status: int,
    *,
    documented: int | None = None,
    allow_extra: bool = False,
    **kwargs: Any,
) -> Any:
    """Call; expect ``status``; validate the body against the schema of ``documented`` (or it)."""
    got, body, _ = await api.call(method, path, **kwargs)
    assert got == status, (method, path, got, body)
    assert_matches_spec(method, template, documented or got, body, allow_extra=allow_extra)
    return body


async def check_error(
    api: Api, method: str, template: str, path: str, status: int, **kwargs: Any
) -> None:
    """Call; expect a documented error status with the API's error body."""
    got, body, _ = await api.call(method, path, **kwargs)
    assert got == status, (method, path, got, body)
    response_schema(method, template, got)
    assert_matches_spec(method, template, got, body)


async def test_xref_operations_match_the_spec(api: Api) -> None:
    """contact_id_xrefs and list_id_xrefs answer ContactXrefs / ListXrefs."""
    status, created = await api.post("/contact_lists", {"name": "X"})
    assert status == 201, created
    await check(
        api,
        "GET",
        "/contact_lists/list_id_xrefs",
        "/contact_lists/list_id_xrefs",
        200,
        params={"sequence_ids": "1,2"},
    )
    await api.post(
        "/contacts", {"email_address": {"address": "x@example.org"}, "create_source": "Account"}
    )
    body = await check(
        api,
        "GET",
        "/contacts/contact_id_xrefs",
        "/contacts/contact_id_xrefs",
        200,
        params={"sequence_ids": "0000000001"},
    )
    assert body["xrefs"][0]["sequence_id"] == "0000000001"
    await check_error(api, "GET", "/contacts/contact_id_xrefs", "/contacts/contact_id_xrefs", 400)


def _spec_parameter_values(body: Any) -> Any:
    """``body`` with each trigger parameter's ``parameter_value`` moved out of the way.

    The spec is wrong here: ParameterDto types ``parameter_value`` as an object while its own
    description says "a string or array of strings"; the simulator sends the array (checked
    separately), so the schema check skips that one key.
    """
    if isinstance(body, dict):
        return {
            k: _spec_parameter_values(v)
            for k, v in body.items()
            if not (k == "parameter_value" and isinstance(v, list))
        }
    if isinstance(body, list):
        return [_spec_parameter_values(v) for v in body]
    return body


async def check_flow(
    api: Api, method: str, template: str, path: str, status: int, **kwargs: Any
) -> Any:
    """Like :func:`check` for automation bodies (see :func:`_spec_parameter_values`)."""
    documented = kwargs.pop("documented", None)
    got, body, _ = await api.call(method, path, **kwargs)
    assert got == status, (method, path, got, body)
    assert_matches_spec(method, template, documented or got, _spec_parameter_values(body))
    return body


async def test_automation_operations_match_the_spec(api: Api) -> None:
    """Automation list, create, get and update answers fit the spec (the list's 209 is a typo)."""
    status, created = await api.post("/contact_lists", {"name": "Joiners"})
    assert status == 201, created
    trigger = {
        "type": "Action",
        "action_name": "list_join",
        "unique_by": "contact_id",
        "parameters": [
            {"parameter_name": "list_ids", "type": "LIST", "parameter_value": [created["list_id"]]}
        ],
    }
    base = "/automations/workflows"
    one = base + "/{automation_flow_id}"
    flow = await check_flow(api, "POST", base, base, 201, json=trigger)
    parameters = flow["draft_definition"]["trigger"]["trigger_def"]["parameters"]
    assert parameters[0]["parameter_value"] == [created["list_id"]]
    path = f"{base}/{flow['id']}"
    await check_flow(api, "GET", one, path, 200)
    active = {"automation_flow": {"status": "ACTIVE", "description": "Welcome"}}
    await check_flow(api, "PUT", one, path, 200, json=active)
    await check_flow(api, "GET", base, base, 200, documented=209)
    await check_error(api, "POST", base, base, 400, json={"type": 5})
    await check_error(api, "PUT", one, path, 400, json={"automation_flow": []})


async def test_event_operations_match_the_spec(api: Api, fsim: Sim) -> None:
    """Event, copy, registration, payment and check-in answers fit the spec."""
    base = "/events/{event_id}"
    event = await check(
        api,
        "POST",
        "/events/default",
        "/events/default",
        201,
        params={"name": "Gala"},
    )
    path = f"/events/{event['event_id']}"
    await check(api, "PATCH", base, path, 204, json={"status": "ACTIVE", "title": "Gala night"})
    await check(api, "GET", base, path, 200, params={"include": "true"})
    await check(
        api,
        "POST",
        base + "/copy",
        f"{path}/copy",
        200,
        json={"target_event_name": "Gala 2"},
    )
    await check(api, "GET", "/events", "/events", 200, params={"limit": "1"})
    track = event["default_track"]["track_id"]
    reg = fsim.state.default_account.events.register(
        event["event_id"], "g@example.org", "G", "H", price=10.0
    )
    regs_t = base + "/tracks/{track_id}/registrations"
    regs = f"{path}/tracks/{track}/registrations"
    await check(api, "GET", regs_t, regs, 200)
    await check(api, "GET", regs_t + "/{registration_id}", f"{regs}/{reg.registration_id}", 200)
    ids = [reg.registration_id]
    await check(
        api,
        "PUT",
        regs_t + "/payment_status",
        f"{regs}/payment_status",
        200,
        json={"payment_status": "PAID", "registration_ids": ids},
    )
    await check(
        api,
        "PUT",
        regs_t,
        regs,
        207,
        json={"registration_status": "REGISTERED", "registration_ids": [*ids, "x"]},
    )
    keys = {"order_ticket_keys": [reg.tickets[0].order_ticket_key]}
    await check(api, "POST", base + "/check_in/tickets", f"{path}/check_in/tickets", 204, json=keys)
    await check(
        api,
        "POST",
        base + "/undo_check_in/tickets",
        f"{path}/undo_check_in/tickets",
        204,
        json=keys,
    )
    await check_error(api, "GET", base, "/events/" + "1" * 36, 404)
    await check_error(api, "POST", base + "/copy", f"{path}/copy", 400, json={})


LANDING = "/reports/landing_pages/campaign_details/{campaign_activity_id}/"


async def test_landing_page_and_sms_reports_match_the_spec(api: Api) -> None:
    """Landing-page and SMS reports answer their (empty) schemas and check their parameters."""
    activity = "/reports/landing_pages/campaign_details/" + "0" * 8 + "-0000-4000-8000-" + "0" * 12
    for kind in (
        "p_contact_opens",
        "p_unique_contact_adds",
        "p_unique_contact_clicks",
        "p_unique_contact_opens",
        "p_unique_contact_sms_optins",
        "p_unique_contact_updates",
    ):
        body = await check(
            api,
            "GET",
            LANDING + kind,
            f"{activity}/{kind}",
            200,
            params={"limit": "10", "contacts_filter": "Jo"},
        )
        assert body["tracking_activities"] == []
        await check_error(
            api, "GET", LANDING + kind, f"{activity}/{kind}", 400, params={"limit": "501"}
        )
    summaries = "/reports/summary_reports/sms_campaign_summaries"
    await check(api, "GET", summaries, summaries, 200, params={"start_at": "2026-01-01"})
    await check_error(api, "GET", summaries, summaries, 400)
    status, contact = await api.post(
        "/contacts", {"email_address": {"address": "sms@example.org"}, "create_source": "Account"}
    )
    assert status == 201, contact
    history = "/contacts/sms_engagement_history/{contact_id}"
    await check(api, "GET", history, history.format(contact_id=contact["contact_id"]), 200)
    await check_error(api, "GET", history, history.format(contact_id="nope"), 404)


async def test_social_operations_match_the_spec(api: Api, fsim: Sim) -> None:
    """Profiles, connections, hashtag groups and post creation answer their schemas."""
    profiles = await check(
        api, "GET", "/social/profiles", "/social/profiles", 200, params={"include": "accessible"}
    )
    assert profiles[0]["accessible"] is True
    await check(api, "GET", "/social/connections", "/social/connections", 200)
    fsim.state.default_account.social.hashtag_groups.extend(
        {"hashtag_group_id": str(n), "hashtag_group_name": f"G{n}", "hashtag_names": ["sale"]}
        for n in range(7)
    )
    groups = "/social/hashtags/groups"
    first = await check(api, "GET", groups, groups, 200)
    assert (len(first["hashtag_groups"]), first["page"]["total_pages"]) == (5, 2)
    second = await check(api, "GET", groups, groups, 200, params={"page": "1"})
    assert len(second["hashtag_groups"]) == 2
    assert "next" not in second["_links"]
    await check_error(api, "GET", groups, groups, 400, params={"limit": "6"})
    target = {"profiles": [{"profile_id": profiles[0]["profile_id"]}], "text": "Hello"}
    post = await check(
        api,
        "POST",
        "/social/posts",
        "/social/posts",
        201,
        json={"status": "DRAFT", "profile_posts": [target]},
    )
    assert post["profile_posts"][0]["profiles"][0]["network"] == "FACEBOOK"
    bad = {"status": "SCHEDULED", "profile_posts": [target]}
    await check_error(api, "POST", "/social/posts", "/social/posts", 400, json=bad)
    unknown = {"status": "DRAFT", "profile_posts": [{"profiles": [{"profile_id": "x"}]}]}
    await check_error(api, "POST", "/social/posts", "/social/posts", 400, json=unknown)


async def test_partner_operations_match_the_spec(fsim: Sim) -> None:
    """Every partner operation answers its documented status and schema."""
    async with aiohttp.ClientSession() as session:
        partner = PartnerApi(session, fsim)

        async def ok(method: str, template: str, path: str, status: int, **kwargs: Any) -> Any:
            got, body = await partner.call(method, path, **kwargs)
            assert got == status, (method, path, got, body)
            assert_matches_spec(method, template, got, body)
            return body

        async def error(method: str, template: str, path: str, status: int, **kwargs: Any) -> None:
            got, body = await partner.call(method, path, **kwargs)
            assert got == status, (method, path, got, body)
            response_schema(method, template, got)
            assert_matches_spec(method, template, got, body)

        accounts = "/partner/accounts"
        one = accounts + "/{encoded_account_id}"
        created = await ok("POST", accounts, accounts, 201, json=PROVISION)
        base = f"{accounts}/{created['encoded_account_id']}"
        await ok("GET", accounts, accounts, 200)
        await ok("GET", one + "/plan", f"{base}/plan", 200)
        await ok("PUT", one + "/plan", f"{base}/plan", 200, json={"plan_type": "GOLD"})
        await ok(
            "POST",
            one + "/users/sso",
            f"{base}/users/sso",
            201,
            json={
                "contact_email": "s@example.com",
                "external_id": "9",
                "external_provider": "X",
                "first_name": "S",
                "last_name": "O",
                "login_name": "s_o_user",
                "role_name": "campaign_creator",
            },
        )
        await ok(
            "POST",
            one + "/contacts/unsubscribe",
            f"{base}/contacts/unsubscribe",
            200,
            json={"email_addresses": ["client@example.com"], "update_source": "Account"},
        )
        sync = {"account_operation_method": "GET", "account_operation_url": "/account/emails"}
        got, _ = await partner.call("POST", f"{base}/account_operations/sync", json=sync)
        assert got == 200
        response_schema("POST", one + "/account_operations/sync", 200)
        await ok("PUT", one + "/status/cancel", f"{base}/status/cancel", 200, json={})
        hooks = "/partner/webhooks/subscriptions"
        topic = hooks + "/{topic_id}"
        await ok("PUT", topic, f"{hooks}/1", 200, json={"hook_uri": "https://h.example/x"})
        await ok("GET", hooks, hooks, 200)
        await ok("GET", topic, f"{hooks}/1", 200)
        await ok("POST", topic + "/tests", f"{hooks}/1/tests", 201)
        await ok("DELETE", topic, f"{hooks}/1", 204)
        await error("POST", accounts, accounts, 400, json={"login_name": "x"})
        await error("GET", one + "/plan", f"{accounts}/a07e00000000/plan", 404)
        await error("PUT", topic, f"{hooks}/2", 400, json={"hook_uri": "ftp://x"})
