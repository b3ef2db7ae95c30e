"""Conformance: every /emails and email/contact /reports operation the simulator serves answers
bodies that validate against the official spec's response schema, and error statuses the spec
documents for that operation."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from tests.sim.campaigns.test_campaign_routes import bulk_members, campaign_json, put_json
from tests.sim.spec_schema import assert_matches_spec, response_schema

pytestmark = pytest.mark.spec

ACTIVITY = "/emails/activities/{campaign_activity_id}"
EMAIL_REPORT = "/reports/email_reports/{campaign_activity_id}"
CONTACT_REPORT = "/reports/contact_reports/{contact_id}"
TRACKING = (
    "sends",
    "opens",
    "unique_opens",
    "didnotopens",
    "clicks",
    "forwards",
    "optouts",
    "bounces",
)


class Checker:
    """Calls the simulator and validates each answer against the spec."""

    def __init__(self, api: Any) -> None:
        self.api = api
        self.checked: set[tuple[str, str, int]] = set()

    async def ok(self, method: str, template: str, path: str, status: int, **kwargs: Any) -> Any:
        """Call, expect ``status``, validate the body against the spec's schema."""
        got, body, _ = await self.api.call(method, path, **kwargs)
        assert got == status, (method, path, got, body)
        assert_matches_spec(method, template, got, body)
        self.checked.add((method, template, got))
        return body

    async def error(
        self, method: str, template: str, path: str, status: int, **kwargs: Any
    ) -> None:
        """Call, expect the error ``status``: documented for the operation, array error body."""
        got, body, _ = await self.api.call(method, path, **kwargs)
        assert got == status, (method, path, got, body)
        response_schema(method, template, got)
        assert isinstance(body, list)
        assert body
        assert set(body[0]) == {"error_key", "error_message"}
        self.checked.add((method, template, got))


async def _setup(api: Any, fsim: Any) -> tuple[str, str, str]:
    status, body = await api.post("/contact_lists", {"name": "Conformance"})
    assert status == 201
    list_id = body["list_id"]
    bulk_members(fsim, list_id, 900)
    return list_id, *(await _campaign(api, "Conformance A", list_id))


async def _campaign(api: Any, name: str, list_id: str) -> tuple[str, str]:
    status, body = await api.post("/emails", campaign_json(name))
    assert status == 200
    activity_id = body["campaign_activities"][0]["campaign_activity_id"]
    assert (await api.put(f"/emails/activities/{activity_id}", put_json([list_id])))[0] == 200
    return body["campaign_id"], activity_id


async def test_email_operations_match_the_spec(api: Any, fsim: Any) -> None:
    """Campaign, activity, schedule, test, preview, history and resend answers fit the spec."""
    c = Checker(api)
    list_id = (await _setup(api, fsim))[0]
    created = await c.ok("POST", "/emails", "/emails", 200, json=campaign_json("Spec"))
    campaign_id = created["campaign_id"]
    activity_id = created["campaign_activities"][0]["campaign_activity_id"]
    act = f"/emails/activities/{activity_id}"
    listed = await c.ok("GET", "/emails", "/emails", 200, params={"limit": "1"})
    assert "_links" in listed
    await c.ok("GET", "/emails/{campaign_id}", f"/emails/{campaign_id}", 200)
    xrefs = {"v2_email_campaign_ids": "1100567546598"}
    await c.ok("GET", "/emails/campaign_id_xrefs", "/emails/campaign_id_xrefs", 200, params=xrefs)
    await c.ok(
        "PATCH", "/emails/{campaign_id}", f"/emails/{campaign_id}", 200, json={"name": "Spec 2"}
    )
    include = "physical_address_in_footer,permalink_url,html_content,document_properties"
    await c.ok("GET", ACTIVITY, act, 200)
    await c.ok("GET", ACTIVITY, act, 200, params={"include": include})
    await c.ok("PUT", ACTIVITY, act, 200, json=put_json([list_id], preheader="Pre"))
    await c.ok("GET", ACTIVITY + "/schedules", f"{act}/schedules", 200)
    future = (fsim.clock.now() + dt.timedelta(days=1)).isoformat()
    await c.ok(
        "POST", ACTIVITY + "/schedules", f"{act}/schedules", 201, json={"scheduled_date": future}
    )
    await c.ok("GET", ACTIVITY + "/schedules", f"{act}/schedules", 200)
    await c.ok("DELETE", ACTIVITY + "/schedules", f"{act}/schedules", 204)
    await c.ok(
        "POST",
        ACTIVITY + "/tests",
        f"{act}/tests",
        204,
        json={"email_addresses": ["q@example.org"]},
    )
    await c.ok("GET", ACTIVITY + "/previews", f"{act}/previews", 200)
    resend = {"resend_subject": "Again", "delay_minutes": 1440}
    await c.ok(
        "POST", ACTIVITY + "/non_opener_resends", f"{act}/non_opener_resends", 201, json=resend
    )
    await c.ok("GET", ACTIVITY + "/non_opener_resends", f"{act}/non_opener_resends", 200)
    await c.ok(
        "POST", ACTIVITY + "/schedules", f"{act}/schedules", 201, json={"scheduled_date": "0"}
    )
    fsim.clock.advance(3 * 86_400)
    await c.ok("GET", ACTIVITY, act, 200, params={"include": include})
    history = await c.ok("GET", ACTIVITY + "/send_history", f"{act}/send_history", 200)
    assert history
    sent = await c.ok("GET", ACTIVITY + "/non_opener_resends", f"{act}/non_opener_resends", 200)
    assert "resend_date" in sent[0]
    other_id, other_act = await _campaign(api, "Spec other", list_id)
    path = f"/emails/activities/{other_act}/non_opener_resends"
    await c.ok("POST", ACTIVITY + "/non_opener_resends", path, 201, json=resend)
    await c.ok("DELETE", ACTIVITY + "/non_opener_resends/{resend_request_id}", f"{path}/DRAFT", 204)
    ab = f"/emails/activities/{other_act}/abtest"
    test = {"alternative_subject": "B", "test_size": 20, "winner_wait_duration": 12}
    await c.ok("POST", ACTIVITY + "/abtest", ab, 201, json=test)
    await c.ok("GET", ACTIVITY + "/abtest", ab, 200)
    await c.ok("DELETE", ACTIVITY + "/abtest", ab, 204)
    await c.ok("DELETE", "/emails/{campaign_id}", f"/emails/{other_id}", 204)
    assert len(c.checked) == 20


async def test_email_error_statuses_are_documented(api: Any, fsim: Any) -> None:
    """The simulator's campaign error statuses are ones the spec lists for each operation."""
    c = Checker(api)
    list_id, campaign_id, activity_id = await _setup(api, fsim)
    act = f"/emails/activities/{activity_id}"
    await c.error("POST", "/emails", "/emails", 409, json=campaign_json("Conformance A"))
    await c.error("POST", "/emails", "/emails", 400, json={"name": "x"})
    await c.error(
        "POST", "/emails", "/emails", 415, data="{}", headers={"Content-Type": "text/plain"}
    )
    await c.error("GET", "/emails", "/emails", 400, params={"limit": "0"})
    await c.error("GET", "/emails/{campaign_id}", "/emails/zzz", 404)
    await c.error(
        "PATCH", "/emails/{campaign_id}", f"/emails/{campaign_id}", 400, json={"name": ""}
    )
    await c.error("GET", ACTIVITY, "/emails/activities/zzz", 404)
    await c.error("PUT", ACTIVITY, act, 400, json={"subject": "only"})
    await c.error(
        "POST",
        ACTIVITY + "/schedules",
        f"{act}/schedules",
        400,
        json={"scheduled_date": "2000-01-01"},
    )
    await c.error("DELETE", ACTIVITY + "/schedules", f"{act}/schedules", 400)
    await c.error("POST", ACTIVITY + "/tests", f"{act}/tests", 400, json={"email_addresses": []})
    five = {"email_addresses": [f"t{n}@example.org" for n in range(5)]}
    for _ in range(10):
        assert (await api.post(f"{act}/tests", five))[0] == 204
    await c.error("POST", ACTIVITY + "/tests", f"{act}/tests", 429, json=five)
    await c.error("GET", ACTIVITY + "/send_history", "/emails/activities/zzz/send_history", 404)
    resend = {"resend_subject": "R", "delay_days": 1}
    await c.ok(
        "POST", ACTIVITY + "/non_opener_resends", f"{act}/non_opener_resends", 201, json=resend
    )
    await c.error(
        "POST", ACTIVITY + "/non_opener_resends", f"{act}/non_opener_resends", 409, json=resend
    )
    template = ACTIVITY + "/non_opener_resends/{resend_request_id}"
    await c.error("DELETE", template, f"{act}/non_opener_resends/77", 404)
    ab = f"{act}/abtest"
    await c.error("GET", ACTIVITY + "/abtest", ab, 404)
    bad_test = {"alternative_subject": "B", "test_size": 2, "winner_wait_duration": 12}
    await c.error("POST", ACTIVITY + "/abtest", ab, 400, json=bad_test)
    await c.ok(
        "POST", ACTIVITY + "/schedules", f"{act}/schedules", 201, json={"scheduled_date": "0"}
    )
    await c.error("DELETE", "/emails/{campaign_id}", f"/emails/{campaign_id}", 400)
    good_test = {**bad_test, "test_size": 10}
    await c.error("POST", ACTIVITY + "/abtest", ab, 409, json=good_test)
    fsim.clock.advance(3 * 86_400)
    sent = (await api.get(f"{act}/non_opener_resends"))[1][0]["resend_request_id"]
    await c.error("DELETE", template, f"{act}/non_opener_resends/{sent}", 409)
    assert list_id


async def test_report_operations_match_the_spec(api: Any, fsim: Any) -> None:
    """Summaries, stats, links, every tracking list and the contact reports fit the spec."""
    c = Checker(api)
    _, campaign_id, activity_id = await _setup(api, fsim)
    await api.post(f"/emails/activities/{activity_id}/schedules", {"scheduled_date": "0"})
    fsim.clock.advance(3 * 86_400)
    summaries = "/reports/summary_reports/email_campaign_summaries"
    await c.ok("GET", summaries, summaries, 200)
    stats = "/reports/stats/email_campaigns/{campaign_ids}"
    await c.ok("GET", stats, f"/reports/stats/email_campaigns/{campaign_id}", 200)
    activity_stats = "/reports/stats/email_campaign_activities/{campaign_activity_ids}"
    missing = "00000000-0000-4000-8000-000000000000"
    both = f"/reports/stats/email_campaign_activities/{activity_id},{missing}"
    body = await c.ok("GET", activity_stats, both, 200)
    assert body["errors"]
    await c.ok("GET", EMAIL_REPORT + "/links", f"/reports/email_reports/{activity_id}/links", 200)
    for kind in TRACKING:
        template = f"{EMAIL_REPORT}/tracking/{kind}"
        path = f"/reports/email_reports/{activity_id}/tracking/{kind}"
        page = await c.ok("GET", template, path, 200, params={"limit": "2"})
        assert len(page["tracking_activities"]) == 2, kind
        await c.ok("GET", template, page["_links"]["next"]["href"], 200)
    opener = page["tracking_activities"][0]["contact_id"]
    base = f"/reports/contact_reports/{opener}"
    types = {
        "tracking_activities_list": "em_sends,em_opens,em_clicks,em_bounces,em_optouts,em_forwards"
    }
    await c.ok(
        "GET", CONTACT_REPORT + "/activity_details", f"{base}/activity_details", 200, params=types
    )
    window = {"start": "2026-01-01T00:00:00-0500", "end": "2030-01-01T00:00:00-0500"}
    await c.ok(
        "GET", CONTACT_REPORT + "/activity_summary", f"{base}/activity_summary", 200, params=window
    )
    await c.ok(
        "GET",
        CONTACT_REPORT + "/open_and_click_rates",
        f"{base}/open_and_click_rates",
        200,
        params=window,
    )
    assert len(c.checked) == 7 + len(TRACKING)


async def test_report_error_statuses_are_documented(api: Any, fsim: Any) -> None:
    """Report error statuses (bad ids, bad filters, missing parameters) are documented ones."""
    c = Checker(api)
    _, campaign_id, activity_id = await _setup(api, fsim)
    await c.error(
        "GET",
        "/reports/stats/email_campaigns/{campaign_ids}",
        f"/reports/stats/email_campaigns/{campaign_id},x",
        404,
    )
    template = "/reports/stats/email_campaign_activities/{campaign_activity_ids}"
    await c.error("GET", template, "/reports/stats/email_campaign_activities/x", 404)
    await c.error(
        "GET",
        template,
        "/reports/stats/email_campaign_activities/" + ",".join([activity_id] * 11),
        400,
    )
    bounces = f"/reports/email_reports/{activity_id}/tracking/bounces"
    await c.error(
        "GET", EMAIL_REPORT + "/tracking/bounces", bounces, 400, params={"bounce_code": "Q"}
    )
    await c.error(
        "GET", EMAIL_REPORT + "/tracking/sends", "/reports/email_reports/x/tracking/sends", 404
    )
    contact = fsim.state.default_account.contacts
    base = f"/reports/contact_reports/{next(iter(contact))}"
    await c.error("GET", CONTACT_REPORT + "/activity_details", f"{base}/activity_details", 400)
    await c.error("GET", CONTACT_REPORT + "/activity_summary", f"{base}/activity_summary", 400)
    await c.error(
        "GET",
        CONTACT_REPORT + "/open_and_click_rates",
        "/reports/contact_reports/x/open_and_click_rates",
        404,
        params={"start": "2026-01-01", "end": "2026-02-01"},
    )
