"""Bad inputs cannot take the simulator down: each gets a 4xx (or a per-row error), and a normal
request still succeeds afterwards (issue 12, items 12-15)."""

from __future__ import annotations

import json
from typing import Any

import aiohttp
import pytest

from ccasync.sim import Sim, _account
from ccasync.sim.activities.import_rows import RowApplier
from ccasync.sim.campaigns.book import CampaignBook
from tests.sim.campaigns.test_campaign_routes import campaign_json, new_list, put_json
from tests.sim.conftest import Api
from tests.sim.partner.partner_api import PROVISION, PartnerApi


async def _still_serving(api: Api) -> None:
    """A normal read and an OAuth call both still answer."""
    status, body = await api.get("/contacts")
    assert status == 200, body
    status, body = await api.get("/account/summary")
    assert status == 200, body
    form = {"grant_type": "refresh_token", "refresh_token": "nope"}
    status, body, _ = await api.call("POST", "/oauth2/default/v1/token", data=form, token="")
    assert status in (400, 401), body
    assert api.sim.state.internal_errors() == []


NESTED = "<nested 1000 deep>"


async def _import_rows(api: Api, rows: list[dict[str, Any]]) -> dict[str, Any]:
    status, created = await api.post("/contact_lists", {"name": f"Import {len(rows)}-{id(rows)}"})
    assert status == 201, created
    body = {"import_data": rows, "list_ids": [created["list_id"]]}
    # json.dumps cannot write 1,000 levels; the nesting is spliced into the text instead.
    text = json.dumps(body).replace(json.dumps(NESTED), "[" * 1000 + '"x"' + "]" * 1000)
    headers = {"Content-Type": "application/json"}
    status, activity, _ = await api.call(
        "POST", "/activities/contacts_json_import", data=text, headers=headers
    )
    assert status == 201, activity
    return await api.finish(activity)


@pytest.mark.parametrize(
    "row",
    [
        {"birthday_month": "²", "birthday_day": "1"},
        {"birthday_month": "1" * 4400, "birthday_day": "1"},
        {"birthday_month": 1, "birthday_day": 10**50},
        {"first_name": NESTED},
        {"first_name": {"a": {"b": 1}}},
        {"anniversary": "1" * 50_000},
        {"home_phone": ["555"]},
        {"street": {"x": 1}},
        {"last_name": NESTED, "first_name": "ok"},
    ],
    ids=[
        "superscript",
        "4400-digits",
        "huge-int",
        "nested",
        "object",
        "long-anniv",
        "list-phone",
        "object-street",
        "nested-last",
    ],
)
async def test_bad_json_import_row_is_a_row_error(api: Api, row: dict[str, Any]) -> None:
    """A bad row is rejected on its own; the good row lands and every endpoint keeps working."""
    rows = [{"email": "bad@example.org", **row}, {"email": "good@example.org"}]
    done = await _import_rows(api, rows)
    assert done["state"] == "completed", done
    assert done["status"]["correctable_count"] == 1, done
    assert any(error.startswith("Row 1:") for error in done["activity_errors"]), done
    status, found = await api.get("/contacts", params={"email": "good@example.org"})
    assert status == 200
    assert len(found["contacts"]) == 1
    await _still_serving(api)


async def test_bad_csv_import_row_is_a_row_error(api: Api) -> None:
    """A CSV row with a superscript or 4,400-digit birthday is rejected on its own."""
    list_id = await new_list(api, "CSV", [])
    csv_text = (
        "email,birthday_month,birthday_day\n"
        "a@example.org,²,1\n"
        f"b@example.org,{'9' * 4400},1\n"
        "c@example.org,3,4\n"
    )
    form = aiohttp.FormData()
    form.add_field("file", csv_text.encode(), filename="c.csv", content_type="text/csv")
    form.add_field("list_ids", list_id)
    status, activity, _ = await api.call("POST", "/activities/contacts_file_import", data=form)
    assert status == 201, activity
    done = await api.finish(activity)
    assert (done["state"], done["status"]["correctable_count"]) == ("completed", 2), done
    await _still_serving(api)


@pytest.mark.parametrize(
    "body",
    [
        b'--x\r\nContent-Disposition: form-data; name="file"; filename="a.csv"\r\n\r\nemail',
        b"garbage without any boundary",
        b"--x\r\nContent-Disposition: form-data\r\n\r\n\r\n--x--\r\n",
        b"--x\r\n\r\n--x--\r\n",
    ],
)
async def test_malformed_multipart_is_a_4xx(api: Api, body: bytes) -> None:
    """A broken multipart body on the file import is refused with a 4xx, not a 500."""
    headers = {"Content-Type": "multipart/form-data; boundary=x"}
    status, answer, _ = await api.call(
        "POST", "/activities/contacts_file_import", data=body, headers=headers
    )
    assert 400 <= status < 500, answer
    await _still_serving(api)


@pytest.mark.parametrize("value", [{}, [], [4], {"a": 5}, "5", 5.5, None, True])
async def test_wrong_json_type_for_format_type_is_400(api: Api, value: Any) -> None:
    """``format_type`` of any type but an integer 4/5 is a 400."""
    status, body = await api.post("/emails", campaign_json("Typed", format_type=value))
    assert status == 400, body
    await _still_serving(api)


@pytest.mark.parametrize("value", [[], {}, [6], "6", 6.0, True])
async def test_wrong_json_type_for_winner_wait_is_400(api: Api, value: Any) -> None:
    """``winner_wait_duration`` of any type but an integer 6/12/24/48 is a 400."""
    status, created = await api.post("/emails", campaign_json("AB"))
    assert status == 200, created
    activity_id = created["campaign_activities"][0]["campaign_activity_id"]
    ab = {"alternative_subject": "B", "test_size": 10, "winner_wait_duration": value}
    status, body = await api.post(f"/emails/activities/{activity_id}/abtest", ab)
    assert status == 400, body
    await _still_serving(api)


@pytest.mark.parametrize(
    "path",
    [
        "/segments/" + "9" * 5000,
        "/segments/" + "9" * 20,
        "/segments/-1",
        "/contacts/" + "a" * 5000,
        "/emails/" + "1" * 5000,
        "/emails/activities/" + "1" * 5000,
        "/contact_lists/" + "z" * 5000,
        "/activities/" + "é" * 1000,
    ],
    ids=[
        "segment-5000",
        "segment-20",
        "segment-neg",
        "contact",
        "email",
        "activity",
        "list",
        "bulk-activity",
    ],
)
async def test_absurd_path_ids_are_404(api: Api, path: str) -> None:
    """Ids that are far too long or not ids at all are a 404, never a 500."""
    status, body = await api.get(path)
    assert status == 404, body
    await _still_serving(api)


async def test_huge_test_send_address_is_400(api: Api) -> None:
    """A 40,003-character test address is refused (length checked before any pattern)."""
    status, created = await api.post("/emails", campaign_json("Tests"))
    activity_id = created["campaign_activities"][0]["campaign_activity_id"]
    address = "a" + "." * 20_000 + "@" + "." * 20_000 + "b"
    for candidate in (address, "a@" + "b." * 20_000, "x" * 40_003):
        status, body = await api.post(
            f"/emails/activities/{activity_id}/tests", {"email_addresses": [candidate]}
        )
        assert status == 400, body
    await _still_serving(api)


async def test_long_strings_everywhere_are_400_or_ok(api: Api) -> None:
    """Huge strings in fields checked by a pattern are refused by their length first."""
    long = "a@" + "b." * 20_000 + "c"
    cases = [
        ("/contacts", {"email_address": {"address": long}, "create_source": "Account"}),
        (
            "/contacts",
            {
                "email_address": {"address": "q@example.org"},
                "create_source": "Account",
                "anniversary": "1" * 40_000,
            },
        ),
        ("/contacts/sign_up_form", {"email_address": long, "list_memberships": []}),
        ("/account/emails", {"email_address": long}),
    ]
    for path, body in cases:
        status, answer = await api.post(path, body)
        assert status == 400, (path, answer)
    await _still_serving(api)


async def _contact_report_path(api: Api) -> str:
    status, created = await api.post(
        "/contacts", {"email_address": {"address": "r@example.org"}, "create_source": "Account"}
    )
    assert status == 201, created
    return f"/reports/contact_reports/{created['contact_id']}/activity_details"


async def test_array_query_params_accept_both_forms(api: Api) -> None:
    """Comma-separated and repeated-key array parameters mean the same thing."""
    path = await _contact_report_path(api)
    joined = await api.get(path, params={"tracking_activity_type": "em_sends,em_opens"})
    pairs = [("tracking_activity_type", "em_sends"), ("tracking_activity_type", "em_opens")]
    repeated = await api.get(path, params=pairs)
    assert joined[0] == repeated[0] == 200, (joined, repeated)
    assert joined[1] == repeated[1]
    bad = await api.get(path, params={"tracking_activity_type": "em_sends,em_nope"})
    assert bad[0] == 400, bad


@pytest.mark.parametrize("raw", ["-193", "null", "1", "yes", "", "TRUEx"])
async def test_boolean_query_flags_are_strict(api: Api, fsim: Sim, raw: str) -> None:
    """Boolean query flags accept only true/false; anything else is a 400."""
    status, created = await api.post("/emails", campaign_json("Flags"))
    activity_id = created["campaign_activities"][0]["campaign_activity_id"]
    report = await _contact_report_path(api)
    cases = [
        (f"/reports/email_reports/{activity_id}/links", "no_clicks", {}),
        ("/contact_lists", "include_sms_membership_count", {}),
        ("/contact_lists", "include_count", {}),
        ("/contacts", "include_count", {}),
        ("/contact_tags", "include_count", {}),
        (report, "include_campaign_activity_names", {"tracking_activity_type": "em_sends"}),
    ]
    for path, name, extra in cases:
        status, body = await api.get(path, params={name: raw, **extra})
        assert status == 400, (path, name, raw, body)
        status, body = await api.get(path, params={name: "true", **extra})
        assert status == 200, (path, name, body)
    await _still_serving(api)


async def test_xref_routes_are_not_contact_ids(api: Api) -> None:
    """``/contacts/contact_id_xrefs`` and ``/contact_lists/list_id_xrefs`` are their own routes."""
    status, body = await api.get("/contacts/contact_id_xrefs", params={"sequence_ids": "1,2"})
    assert status == 200, body
    assert "xrefs" in body
    status, body = await api.get("/contact_lists/list_id_xrefs", params={"sequence_ids": "7"})
    assert status == 200, body
    assert "xrefs" in body


async def test_wrong_types_in_many_bodies_are_4xx(api: Api) -> None:
    """A battery of wrongly typed JSON bodies on every writing route gets 4xx answers."""
    list_id = await new_list(api, "Typed", ["t@example.org"])
    status, created = await api.post("/emails", campaign_json("Typed battery"))
    activity_id = created["campaign_activities"][0]["campaign_activity_id"]
    act = f"/emails/activities/{activity_id}"
    weird: list[Any] = [None, 1, "x", [], {}, [[]], [{}], {"a": []}, True, 1.5, 10**40]
    posts = [
        "/contacts",
        "/contacts/sign_up_form",
        "/contact_lists",
        "/contact_tags",
        "/contact_custom_fields",
        "/segments",
        "/emails",
        f"{act}/schedules",
        f"{act}/tests",
        f"{act}/non_opener_resends",
        f"{act}/abtest",
        "/account/emails",
        "/account/summary/physical_address",
        "/activities/contacts_json_import",
        "/activities/add_list_memberships",
        "/activities/remove_list_memberships",
        "/activities/contact_delete",
        "/activities/list_delete",
        "/activities/contacts_taggings_add",
        "/activities/contacts_taggings_remove",
        "/activities/contacts_tags_delete",
        "/activities/custom_fields_delete",
        "/activities/contact_exports",
    ]
    puts = [f"/contact_lists/{list_id}", act, "/account/summary"]
    for path in posts + puts:
        method = "PUT" if path in puts else "POST"
        for value in weird:
            for body in (value, {"name": value, "list_ids": value, "email_address": value}):
                status, answer, _ = await api.call(method, path, json=body)
                assert status < 500, (method, path, body, answer)
    assert (await api.put(act, put_json([list_id])))[0] == 200
    await _still_serving(api)


async def test_unexpected_handler_error_is_a_500_and_serving_goes_on(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A handler bug answers 500 with the API's error body; the next request is served."""

    def broken(*_: Any) -> Any:
        raise RuntimeError("simulated bug")

    monkeypatch.setattr(_account, "_summary", broken)
    status, body = await api.get("/account/summary")
    assert status == 500
    assert body == [{"error_key": "server_error", "error_message": "An unexpected error occurred."}]
    assert "simulated bug" in api.sim.state.handler_errors[0]
    monkeypatch.undo()
    api.sim.state.handler_errors.clear()
    await _still_serving(api)


async def test_failing_job_fails_only_its_activity(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A job that raises ends its activity ``failed``; the next activity and requests run on."""

    def broken(*_: Any) -> None:
        raise RuntimeError("job bug")

    monkeypatch.setattr(RowApplier, "apply_many", broken)
    done = await _import_rows(api, [{"email": "x@example.org"}])
    assert done["state"] == "failed", done
    assert done["activity_errors"] == ["The activity failed: RuntimeError."]
    assert "job bug" in api.sim.state.internal_errors()[0]
    monkeypatch.undo()
    api.sim.state.default_account.activities.failures.clear()
    done = await _import_rows(api, [{"email": "y@example.org"}])
    assert done["state"] == "completed", done
    await _still_serving(api)


async def test_failing_campaign_job_stays_inside_the_book(
    api: Api, fsim: Sim, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A campaign send that raises is recorded; ticks and later requests are unaffected."""
    list_id = await new_list(api, "Send", ["s@example.org"])
    status, created = await api.post("/emails", campaign_json("Broken send"))
    activity_id = created["campaign_activities"][0]["campaign_activity_id"]
    assert (await api.put(f"/emails/activities/{activity_id}", put_json([list_id])))[0] == 200

    def broken(*_: Any) -> None:
        raise RuntimeError("send bug")

    monkeypatch.setattr(CampaignBook, "_start", broken)
    schedule = {"scheduled_date": "0"}
    status, body = await api.post(f"/emails/activities/{activity_id}/schedules", schedule)
    assert status == 201, body
    fsim.clock.advance(60)
    failures = fsim.state.default_account.campaigns.failures
    assert [(kind, ref) for kind, ref, _ in failures] == [("start", activity_id)]
    failures.clear()
    await _still_serving(api)


async def test_wrong_types_in_new_area_bodies_are_4xx(api: Api, fsim: Sim) -> None:
    """The same battery on automations, events, social and partner routes: never a 500."""
    list_id = await new_list(api, "Typed areas", [])
    trigger = {
        "type": "Action",
        "action_name": "list_join",
        "parameters": [{"parameter_name": "list_ids", "parameter_value": [list_id]}],
    }
    status, flow = await api.post("/automations/workflows", trigger)
    assert status == 201, flow
    status, event = await api.post("/events/default", None)
    assert status == 201, event
    ev = f"/events/{event['event_id']}"
    regs = f"{ev}/tracks/{event['default_track']['track_id']}/registrations"
    weird: list[Any] = [None, 1, "x", [], {}, [[]], [{}], {"a": []}, True, 1.5, 10**40]
    keys = (
        "type",
        "parameters",
        "automation_flow",
        "name",
        "status",
        "target_event_name",
        "order_ticket_keys",
        "registration_ids",
        "registration_status",
        "payment_status",
        "profile_posts",
        "event_start",
        "address",
        "unique_by",
    )
    routes = [
        ("POST", "/automations/workflows"),
        ("PUT", f"/automations/workflows/{flow['id']}"),
        ("PATCH", ev),
        ("POST", f"{ev}/copy"),
        ("POST", f"{ev}/check_in/tickets"),
        ("POST", f"{ev}/undo_check_in/tickets"),
        ("PUT", regs),
        ("PUT", f"{regs}/payment_status"),
        ("POST", "/social/posts"),
    ]
    for method, path in routes:
        for value in weird:
            for body in (value, dict.fromkeys(keys, value)):
                status, answer, _ = await api.call(method, path, json=body)
                assert status < 500, (method, path, body, answer)
    async with aiohttp.ClientSession() as session:
        partner = PartnerApi(session, fsim)
        _, created = await partner.call("POST", "/partner/accounts", json=PROVISION)
        base = f"/partner/accounts/{created['encoded_account_id']}"
        partner_keys = (
            "contact_email",
            "login_name",
            "plan_type",
            "billing_day_of_month",
            "effective_date",
            "email_addresses",
            "update_source",
            "hook_uri",
            "account_operation_method",
            "account_operation_url",
            "account_operation_payload",
            "account_operation_path_parameters",
        )
        partner_routes = [
            ("POST", "/partner/accounts"),
            ("PUT", f"{base}/plan"),
            ("PUT", f"{base}/status/cancel"),
            ("POST", f"{base}/users/sso"),
            ("POST", f"{base}/contacts/unsubscribe"),
            ("POST", f"{base}/account_operations/sync"),
            ("PUT", "/partner/webhooks/subscriptions/1"),
        ]
        for method, path in partner_routes:
            for value in weird:
                for body in (value, dict.fromkeys(partner_keys, value)):
                    status, answer = await partner.call(method, path, json=body)
                    assert status < 500, (method, path, body, answer)
    await _still_serving(api)
