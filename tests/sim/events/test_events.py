"""Events over HTTP: create, patch, copy, list, registrations, payments and check-in."""

from __future__ import annotations

from typing import Any

from ccasync.sim import Sim
from tests.sim.conftest import Api


async def _event(api: Api, name: str = "Reunion") -> dict[str, Any]:
    params = {
        "name": name,
        "start_time": "2027-01-15T10:00:00Z",
        "end_time": "2027-01-15T18:00:00Z",
    }
    status, body = await api.post("/events/default", None, params=params)
    assert status == 201, body
    return body  # type: ignore[no-any-return]


async def test_create_patch_get_copy_and_list(api: Api) -> None:
    """A default event is DRAFT; PATCH changes only given fields; copies are new DRAFT events."""
    event = await _event(api)
    assert (event["status"], event["name"], event["event_start"]) == (
        "DRAFT",
        "Reunion",
        "2027-01-15T10:00:00.000Z",
    )
    path = f"/events/{event['event_id']}"
    patch = {"title": "Class of 2015", "status": "ACTIVE"}
    status = (await api.call("PATCH", path, json=patch))[0]
    assert status == 204
    status, got = await api.get(path, params={"include": "true"})
    assert status == 200, got
    assert (got["title"], got["name"], got["status"]) == ("Class of 2015", "Reunion", "ACTIVE")
    assert "event_settings" in got
    status, copied = await api.post(f"{path}/copy", {"target_event_name": "Reunion 2"})
    assert status == 200, copied
    assert (copied["status"], copied["title"]) == ("DRAFT", "Reunion 2")
    assert copied["event_id"] != event["event_id"]
    status, listed = await api.get("/events", params={"sort_by": "name", "limit": "1"})
    assert status == 200, listed
    assert [r["name"] for r in listed["records"]] == ["Reunion"]
    assert listed["total_records"] == 2
    status, second = await api.get("/events", params={"next": listed["next_cursor"], "limit": "1"})
    assert [r["name"] for r in second["records"]] == ["Reunion 2"]
    status, drafts = await api.get("/events", params={"event_status": "DRAFT"})
    assert [r["name"] for r in drafts["records"]] == ["Reunion 2"]


async def test_patch_rules_and_errors(api: Api) -> None:
    """PATCH refuses cancelled events and bad types; unknown events are 404."""
    event = await _event(api)
    path = f"/events/{event['event_id']}"
    for bad in (
        {"name": ""},
        {"name": 5},
        {"event_start": "soon"},
        {"address": []},
        {"status": "DELETED"},
        {"event_end": "2020-01-01T00:00:00Z"},
    ):
        status, body, _ = await api.call("PATCH", path, json=bad)
        assert status == 400, (bad, body)
    assert (await api.call("PATCH", path, json={"status": "CANCELLED"}))[0] == 204
    assert (await api.call("PATCH", path, json={"title": "x"}))[0] == 400
    assert (await api.get("/events/" + "0" * 36))[0] == 404
    assert (await api.get("/events", params={"event_status": "{}"}))[0] == 400


async def test_registrations_payments_and_check_in(api: Api, fsim: Sim) -> None:
    """Registrations list and filter; status and payment updates; check-in and undo."""
    event = await _event(api)
    event_id, track_id = event["event_id"], event["default_track"]["track_id"]
    book = fsim.state.default_account.events
    ann = book.register(event_id, "ann@example.org", "Ann", "Lee", tickets=2, price=25.0)
    bob = book.register(event_id, "bob@example.org", "Bob", "Ray")
    assert fsim.state.default_account.find_email("ann@example.org") is not None
    regs = f"/events/{event_id}/tracks/{track_id}/registrations"
    status, listed = await api.get(regs, params={"sort_by": "email_address"})
    assert status == 200, listed
    assert [r["email_address"] for r in listed["records"]] == ["ann@example.org", "bob@example.org"]
    assert listed["records"][0]["tickets"] == 2
    status, pending = await api.get(regs, params={"payment_status": "PENDING"})
    assert [r["registration_id"] for r in pending["records"]] == [ann.registration_id]
    status, body = await api.put(
        f"{regs}/payment_status",
        {"payment_status": "Paid", "registration_ids": [ann.registration_id, bob.registration_id]},
    )
    assert status == 200, body
    assert (ann.payment_status, bob.payment_status) == ("PAID", "PAID")
    status, body = await api.put(
        regs, {"registration_status": "CANCELED", "registration_ids": [bob.registration_id, "nope"]}
    )
    assert (status, body) == (207, {"failed_registration_ids": ["nope"]})
    keys = {"order_ticket_keys": [t.order_ticket_key for t in ann.tickets]}
    check_in = f"/events/{event_id}/check_in/tickets"
    assert (await api.post(check_in, keys))[0] == 400  # the event is still DRAFT
    assert (await api.call("PATCH", f"/events/{event_id}", json={"status": "ACTIVE"}))[0] == 204
    assert (await api.post(check_in, keys))[0] == 204
    status, detail = await api.get(f"{regs}/{ann.registration_id}")
    assert status == 200, detail
    assert (detail["checkin_status"], detail["checkedIn_tickets"]) == ("CHECKED_IN", 2)
    bob_keys = {"order_ticket_keys": [bob.tickets[0].order_ticket_key]}
    assert (await api.post(check_in, bob_keys))[0] == 400  # a cancelled registration
    assert (await api.post(check_in, {"order_ticket_keys": ["zzz"]}))[0] == 400
    assert (await api.post(f"/events/{event_id}/undo_check_in/tickets", keys))[0] == 204
    assert ann.checked_in == 0
    assert (await api.get(f"/events/{event_id}/tracks/other/registrations"))[0] == 404
