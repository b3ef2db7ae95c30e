"""Email campaign endpoints over HTTP against the running simulator (frozen virtual clock)."""

from __future__ import annotations

import datetime as dt
from typing import Any

HTML = '<html><body>[[trackingImage]]<a href="https://example.com/x">x</a></body></html>'
SENDER = "owner@example.com"


def campaign_json(name: str = "Launch", **activity: Any) -> dict[str, Any]:
    """A valid POST /emails body."""
    fields = {
        "format_type": 5,
        "from_name": "Sim",
        "from_email": SENDER,
        "reply_to_email": SENDER,
        "subject": "Hi",
        "html_content": HTML,
        **activity,
    }
    return {"name": name, "email_campaign_activities": [fields]}


def put_json(list_ids: list[str], **extra: Any) -> dict[str, Any]:
    """A PUT activity body with recipients."""
    return {
        "from_name": "Sim",
        "from_email": SENDER,
        "reply_to_email": SENDER,
        "subject": "Hi",
        "contact_list_ids": list_ids,
        **extra,
    }


async def new_list(api: Any, name: str, emails: list[str]) -> str:
    """A list with one new contact per address (through the API)."""
    status, body = await api.post("/contact_lists", {"name": name})
    assert status == 201, body
    for email in emails:
        status, created = await api.post(
            "/contacts",
            {"email_address": {"address": email}, "create_source": "Account",
             "list_memberships": [body["list_id"]]},
        )  # fmt: skip
        assert status == 201, created
    return str(body["list_id"])


def bulk_members(fsim: Any, list_id: str, count: int, prefix: str = "m") -> list[str]:
    """Add ``count`` contacts to ``list_id`` straight in the state (fast for large lists)."""
    account = fsim.state.default_account
    now = fsim.clock.now()
    ids = []
    for n in range(count):
        contact = account.create_contact(f"{prefix}{n}@example.net", now)
        account.add_membership(contact, list_id)
        ids.append(contact.contact_id)
    return ids


async def new_campaign(
    api: Any, name: str = "Launch", list_id: str | None = None
) -> tuple[str, str]:
    """Create a campaign (and set its list); its campaign id and primary activity id."""
    status, body = await api.post("/emails", campaign_json(name))
    assert status == 200, body
    primary = next(a for a in body["campaign_activities"] if a["role"] == "primary_email")
    activity_id = primary["campaign_activity_id"]
    if list_id is not None:
        status, updated = await api.put(f"/emails/activities/{activity_id}", put_json([list_id]))
        assert status == 200, updated
    return body["campaign_id"], activity_id


async def test_full_workflow_create_put_test_schedule_send(api: Any, fsim: Any) -> None:
    """The reference workflow: POST 200, PUT lists, tests 204, schedule "0" 201 [], Done."""
    list_id = await new_list(api, "Buyers", ["a@example.org", "b@example.org"])
    campaign_id, activity_id = await new_campaign(api, list_id=list_id)
    path = f"/emails/activities/{activity_id}"
    status, _ = await api.post(f"{path}/tests", {"email_addresses": ["qa@example.org"]})
    assert status == 204
    assert await api.post(f"{path}/schedules", {"scheduled_date": "0"}) == (201, [])
    fsim.clock.advance(1)
    assert (await api.get(f"/emails/{campaign_id}"))[1]["current_status"] == "Executing"
    fsim.clock.advance(5)
    status, activity = await api.get(path)
    assert (status, activity["current_status"]) == (200, "DONE")
    assert (await api.get(f"/emails/{campaign_id}"))[1]["current_status"] == "Done"
    status, history = await api.get(f"{path}/send_history")
    assert [(h["send_id"], h["count"], h["send_status"], h["reason_code"]) for h in history] == [
        (1, 2, "COMPLETED", 0)
    ]
    sent = fsim.state.default_account.campaigns.test_sends
    assert [t.email_addresses for t in sent] == [("qa@example.org",)]


async def test_create_errors_have_api_shapes(api: Any) -> None:
    """Duplicate name 409, missing name 400 and text/plain 415 all answer error arrays."""
    await new_campaign(api, "Dup")
    status, body = await api.post("/emails", campaign_json("Dup"))
    assert status == 409
    assert isinstance(body, list)
    assert set(body[0]) == {"error_key", "error_message"}
    status, body = await api.post("/emails", {"email_campaign_activities": []})
    assert (status, "name" in body[0]["error_message"]) == (400, True)
    status, body, _ = await api.call(
        "POST", "/emails", data="{}", headers={"Content-Type": "text/plain"}
    )
    assert status == 415


async def test_unconfirmed_sender_is_400(api: Any) -> None:
    """A from_email that is not a CONFIRMED account email answers 400 naming the field."""
    status, body = await api.post("/emails", campaign_json(from_email="pending@example.org"))
    assert status == 400
    assert "from_email" in body[0]["error_message"]


async def test_list_paginates_filters_and_includes_removed(api: Any, fsim: Any) -> None:
    """GET /emails pages with a cursor, filters on updated_at and lists Removed campaigns."""
    ids = [(await new_campaign(api, f"C{n}"))[0] for n in range(3)]
    fsim.clock.advance(3600)
    assert (await api.delete(f"/emails/{ids[0]}"))[0] == 204
    status, first = await api.get("/emails", params={"limit": 2})
    assert status == 200
    assert len(first["campaigns"]) == 2
    assert "campaign_activities" not in first["campaigns"][0]
    status, second = await api.get(first["_links"]["next"]["href"])
    seen = [c["campaign_id"] for c in first["campaigns"] + second["campaigns"]]
    assert sorted(seen) == sorted(ids)
    assert "_links" not in second
    after = fsim.clock.now().isoformat()
    status, recent = await api.get("/emails", params={"after_date": after})
    assert [(c["campaign_id"], c["current_status"]) for c in recent["campaigns"]] == [
        (ids[0], "Removed")
    ]
    assert (await api.get("/emails", params={"limit": 501}))[0] == 400


async def test_activity_include_and_ids(api: Any) -> None:
    """GET activity: include adds sub-resources; bad include 400; malformed/unknown ids 404."""
    _, activity_id = await new_campaign(api)
    path = f"/emails/activities/{activity_id}"
    plain = (await api.get(path))[1]
    assert "html_content" not in plain
    assert plain["role"] == "primary_email"
    status, full = await api.get(
        path, params={"include": "html_content,physical_address_in_footer"}
    )
    assert status == 200
    assert full["html_content"] == HTML
    assert full["physical_address_in_footer"]["country_code"] == "US"
    assert (await api.get(path, params={"include": "bogus"}))[0] == 400
    assert (await api.get("/emails/activities/nope"))[0] == 404
    assert (await api.get("/emails/00000000-0000-4000-8000-000000000000"))[0] == 404


async def test_put_keeps_html_and_validates(api: Any) -> None:
    """PUT without html_content keeps it; missing subject answers 400; permalink PUT 400."""
    list_id = await new_list(api, "L", [])
    campaign_id, activity_id = await new_campaign(api, list_id=list_id)
    status, body = await api.get(
        f"/emails/activities/{activity_id}", params={"include": "html_content"}
    )
    assert (body["html_content"], body["contact_list_ids"]) == (HTML, [list_id])
    bad = put_json([list_id])
    del bad["subject"]
    assert (await api.put(f"/emails/activities/{activity_id}", bad))[0] == 400
    campaign = (await api.get(f"/emails/{campaign_id}"))[1]
    permalink = next(a for a in campaign["campaign_activities"] if a["role"] == "permalink")
    status, _ = await api.put(
        f"/emails/activities/{permalink['campaign_activity_id']}", put_json([list_id])
    )
    assert status == 400


async def test_rename_patch(api: Any) -> None:
    """PATCH renames (200 EmailCampaign); a taken name is 409."""
    campaign_id, _ = await new_campaign(api, "Old")
    await new_campaign(api, "Taken")
    status, body, _ = await api.call("PATCH", f"/emails/{campaign_id}", json={"name": "New"})
    assert (status, body["name"]) == (200, "New")
    status, _, _ = await api.call("PATCH", f"/emails/{campaign_id}", json={"name": "Taken"})
    assert status == 409


async def test_schedule_lifecycle_over_http(api: Any, fsim: Any) -> None:
    """Schedules: [] in draft, 201 echoing the date, GET in ISO UTC, delete refused, past 400."""
    list_id = await new_list(api, "S", ["s@example.org"])
    campaign_id, activity_id = await new_campaign(api, list_id=list_id)
    path = f"/emails/activities/{activity_id}/schedules"
    assert await api.get(path) == (200, [])
    when = (fsim.clock.now().replace(microsecond=0) + dt.timedelta(days=2)).strftime(
        "%Y-%m-%dT%H:%M:%S.000Z"
    )
    assert await api.post(path, {"scheduled_date": when}) == (201, [{"scheduled_date": when}])
    assert await api.get(path) == (200, [{"scheduled_date": when}])
    assert (await api.delete(f"/emails/{campaign_id}"))[0] == 400
    assert (await api.delete(path))[0] == 204
    assert (await api.delete(path))[0] == 400
    assert (await api.post(path, {"scheduled_date": "2001-01-01"}))[0] == 400
    day = (fsim.clock.now() + dt.timedelta(days=3)).date().isoformat()
    assert await api.post(path, {"scheduled_date": day}) == (201, [{"scheduled_date": day}])
    assert await api.get(path) == (200, [{"scheduled_date": f"{day}T00:00:00.000Z"}])


async def test_recipients_resolved_at_send_time_over_http(api: Any, fsim: Any) -> None:
    """A contact added after scheduling receives the send; a second send reaches only newcomers."""
    list_id = await new_list(api, "R", ["r1@example.org"])
    _, activity_id = await new_campaign(api, list_id=list_id)
    path = f"/emails/activities/{activity_id}"
    await api.post(f"{path}/schedules", {"scheduled_date": "0"})
    bulk_members(fsim, list_id, 2, "late")
    fsim.clock.advance(10)
    bulk_members(fsim, list_id, 1, "later")
    await api.post(f"{path}/schedules", {"scheduled_date": "0"})
    fsim.clock.advance(10)
    history = (await api.get(f"{path}/send_history"))[1]
    assert [(h["send_id"], h["count"]) for h in history] == [(1, 3), (2, 1)]
    await api.post(f"{path}/schedules", {"scheduled_date": "0"})
    fsim.clock.advance(10)
    third = (await api.get(f"{path}/send_history"))[1][2]
    assert (third["count"], third["reason_code"]) == (0, 12)


async def test_test_send_limits(api: Any) -> None:
    """Tests: 6 addresses 400; 50 recipients a day, then 429 (developer guide)."""
    _, activity_id = await new_campaign(api)
    path = f"/emails/activities/{activity_id}/tests"
    six = [f"t{i}@example.org" for i in range(6)]
    assert (await api.post(path, {"email_addresses": six}))[0] == 400
    for _ in range(10):
        assert (await api.post(path, {"email_addresses": six[:5]}))[0] == 204
    status, body = await api.post(path, {"email_addresses": six[:1]})
    assert status == 429
    assert "50" in body[0]["error_message"]


async def test_previews_and_resend_endpoints(api: Any) -> None:
    """Preview drops the tracking image; resend POST 201 DRAFT, second 409, GET, DELETE 204."""
    _, activity_id = await new_campaign(api)
    path = f"/emails/activities/{activity_id}"
    status, preview = await api.get(f"{path}/previews")
    assert status == 200
    assert "[[trackingImage]]" not in preview["preview_html_content"]
    assert preview["preview_text_content"] == "x"
    status, created = await api.post(
        f"{path}/non_opener_resends", {"resend_subject": "Again", "delay_days": 2}
    )
    assert (status, created["resend_request_id"], created["delay_days"]) == (201, "DRAFT", 2)
    assert (await api.post(f"{path}/non_opener_resends", {"resend_subject": "B", "delay_days": 1}))[
        0
    ] == 409
    status, listed = await api.get(f"{path}/non_opener_resends")
    assert [(r["resend_subject"], r["resend_status"]) for r in listed] == [("Again", "DRAFT")]
    assert (await api.delete(f"{path}/non_opener_resends/DRAFT"))[0] == 204
    assert await api.get(f"{path}/non_opener_resends") == (200, [])


async def test_engagement_opt_outs_unsubscribe_real_contacts(api: Any, fsim: Any) -> None:
    """Generated opt-outs really unsubscribe the contact (visible through GET /contacts/{id})."""
    status, body = await api.post("/contact_lists", {"name": "Big"})
    list_id = body["list_id"]
    bulk_members(fsim, list_id, 800)
    _, activity_id = await new_campaign(api, list_id=list_id)
    await api.post(f"/emails/activities/{activity_id}/schedules", {"scheduled_date": "0"})
    fsim.clock.advance(3 * 86_400)
    status, report = await api.get(f"/reports/email_reports/{activity_id}/tracking/optouts")
    assert status == 200
    assert report["tracking_activities"]
    contact_id = report["tracking_activities"][0]["contact_id"]
    status, contact = await api.get(f"/contacts/{contact_id}")
    assert contact["email_address"]["permission_to_send"] == "unsubscribed"


async def test_campaign_id_xrefs(api: Any) -> None:
    """V2 id cross-references: no V2 campaigns exist; more than 50 ids or none answer 400."""
    path = "/emails/campaign_id_xrefs"
    assert await api.get(path, params={"v2_email_campaign_ids": "1100567546598"}) == (
        200,
        {"xrefs": []},
    )
    too_many = ",".join(str(n) for n in range(51))
    assert (await api.get(path, params={"v2_email_campaign_ids": too_many}))[0] == 400
    assert (await api.get(path))[0] == 400
