"""Bulk activity fidelity: segment sources, export filter combinations and default columns."""

from __future__ import annotations

import csv
import io
from typing import Any

import orjson

from ccasync.sim.contacts.records import SimList
from tests.sim.campaigns.test_campaign_routes import campaign_json


async def _list(api: Any, name: str) -> str:
    return str((await api.post("/contact_lists", {"name": name}))[1]["list_id"])


async def _import(api: Any, rows: list[dict[str, Any]], list_id: str) -> None:
    status, body = await api.post(
        "/activities/contacts_json_import", {"import_data": rows, "list_ids": [list_id]}
    )
    assert status == 201, body
    await api.finish(body)


async def _segment_on(api: Any, list_id: str) -> int:
    """A segment whose members are the members of ``list_id``."""
    criteria = {
        "version": "1.0.0",
        "criteria": {
            "type": "and",
            "group": [
                {
                    "source": "list_membership",
                    "field": "list_id",
                    "op": "contains-any",
                    "const_value": list_id,
                }
            ],
        },
    }
    status, body = await api.post(
        "/segments", {"name": f"seg {list_id}", "segment_criteria": orjson.dumps(criteria).decode()}
    )
    assert status == 201, body
    return int(body["segment_id"])


async def _download(api: Any, created: tuple[int, Any]) -> list[dict[str, str]]:
    status, body = created
    assert status == 201, body
    done = await api.finish(body)
    _, text = await api.get(done["_links"]["results"]["href"])
    return list(csv.DictReader(io.StringIO(text)))


async def _members(api: Any, list_id: str) -> int:
    _, body = await api.get(f"/contact_lists/{list_id}", params={"include_membership_count": "all"})
    return int(body["membership_count"])


async def test_add_list_memberships_accepts_a_segment_source(api: Any) -> None:
    """source {"segment_id": N} (documented for add_list_memberships) adds the segment's members."""
    src, dst = await _list(api, "src"), await _list(api, "dst")
    await _import(api, [{"email": "a@example.org"}, {"email": "b@example.org"}], src)
    segment_id = await _segment_on(api, src)
    status, body = await api.post(
        "/activities/add_list_memberships",
        {"source": {"segment_id": segment_id}, "list_ids": [dst]},
    )
    assert status == 201, body
    await api.finish(body)
    assert await _members(api, dst) == 2


async def test_segment_sources_are_checked(api: Any) -> None:
    """An unknown segment or a non-integer segment_id is a 400 naming segment_id."""
    dst = await _list(api, "dst")
    for bad in (99, "1", True):
        status, body = await api.post(
            "/activities/add_list_memberships", {"source": {"segment_id": bad}, "list_ids": [dst]}
        )
        assert status == 400, (bad, body)
        assert "segment_id" in body[0]["error_message"]


async def test_remove_list_memberships_has_no_segment_source(api: Any) -> None:
    """remove_list_memberships documents no segment_id source: still a 400."""
    src = await _list(api, "src")
    segment_id = await _segment_on(api, src)
    status, _ = await api.post(
        "/activities/remove_list_memberships",
        {"source": {"segment_id": segment_id}, "list_ids": [src]},
    )
    assert status == 400


async def test_export_by_segment(api: Any) -> None:
    """contact_exports with segment_id exports the segment's members."""
    src, other = await _list(api, "src"), await _list(api, "other")
    await _import(api, [{"email": "in@example.org"}], src)
    await _import(api, [{"email": "out@example.org"}], other)
    segment_id = await _segment_on(api, src)
    rows = await _download(
        api, await api.post("/activities/contact_exports", {"segment_id": segment_id})
    )
    assert [r["email_address"] for r in rows] == ["in@example.org"]


async def test_export_new_subscriber_combines_with_list_ids(api: Any) -> None:
    """new_subscriber is documented as combinable with list_ids: the export is their overlap."""
    src, other = await _list(api, "src"), await _list(api, "other")
    await _import(api, [{"email": "in@example.org"}], src)
    await _import(api, [{"email": "out@example.org"}], other)
    rows = await _download(
        api,
        await api.post("/activities/contact_exports", {"list_ids": [src], "new_subscriber": True}),
    )
    assert [r["email_address"] for r in rows] == ["in@example.org"]


async def test_export_without_fields_returns_every_field(api: Any) -> None:
    """Without ``fields`` the export has every column ("by default, all fields are returned")."""
    src = await _list(api, "src")
    await _import(api, [{"email": "a@example.org", "job_title": "Chef"}], src)
    rows = await _download(api, await api.post("/activities/contact_exports", {}))
    assert rows[0]["email_address"] == "a@example.org"
    assert rows[0]["job_title"] == "Chef"
    assert rows[0]["list_memberships"] == "src"


async def test_activity_state_filter_takes_only_documented_states(api: Any) -> None:
    """GET /activities?state= takes processing/completed/cancelled/failed/timed_out only."""
    assert (await api.get("/activities", params={"state": "initialized"}))[0] == 400
    for state in ("processing", "completed", "cancelled", "failed", "timed_out"):
        assert (await api.get("/activities", params={"state": state}))[0] == 200


async def test_the_1001st_list_is_refused_until_one_is_deleted(api: Any, fsim: Any) -> None:
    """1,000 live lists per account: the next POST is a 400; deleting one frees a slot."""
    account = fsim.state.default_account
    now = fsim.clock.now()
    for i in range(999):
        found = SimList(f"00000000-0000-4000-8000-{i:012d}", f"bulk {i}", now, now)
        account.lists[found.list_id] = found
    last = await _list(api, "the thousandth")
    status, body = await api.post("/contact_lists", {"name": "one too many"})
    assert status == 400
    assert "1000" in body[0]["error_message"]
    status, deleted = await api.delete(f"/contact_lists/{last}")
    assert status == 202
    await api.finish(deleted)
    assert (await api.post("/contact_lists", {"name": "one too many"}))[0] == 201


async def test_export_status_all_exports_everyone_and_unknown_status_is_400(api: Any) -> None:
    """status "all" filters nothing out (it exported nobody); an unknown status is a 400."""
    src = await _list(api, "src")
    await _import(api, [{"email": "a@example.org"}, {"email": "b@example.org"}], src)
    rows = await _download(api, await api.post("/activities/contact_exports", {"status": "all"}))
    assert sorted(r["email_address"] for r in rows) == ["a@example.org", "b@example.org"]
    status, body = await api.post("/activities/contact_exports", {"status": "bogus"})
    assert status == 400
    assert "status" in body[0]["error_message"]


async def test_unsupported_method_names_the_method(api: Any) -> None:
    """A 405 body names the method that is not allowed (it said "Method Method Not Allowed")."""
    status, body, _ = await api.call("PATCH", "/contacts/00000000-0000-4000-8000-000000000000")
    assert status == 405
    assert body[0]["error_message"] == "Method PATCH is not allowed here."


async def test_export_status_and_exclude_combine_only_as_documented(api: Any) -> None:
    """status goes with contact_ids or list_ids only; exclude with list_ids or new_subscriber."""
    tag = (await api.post("/contact_tags", {"name": "t"}))[1]["tag_id"]
    src = await _list(api, "src")
    someone = "00000000-0000-4000-8000-000000000001"
    refused = [
        {"tag_ids": [tag], "status": "unsubscribed"},
        {"new_subscriber": True, "status": "unsubscribed"},
        {"contact_ids": [someone], "exclude": {"contact_ids": [someone]}},
        {"tag_ids": [tag], "exclude": {"contact_ids": [someone]}},
    ]
    for body in refused:
        status, answer = await api.post("/activities/contact_exports", body)
        assert status == 400, body
        assert "status" in answer[0]["error_message"] or "exclude" in answer[0]["error_message"]
    allowed = [
        {"list_ids": [src], "status": "unsubscribed", "exclude": {"contact_ids": [someone]}},
        {"contact_ids": [someone], "status": "unsubscribed"},
        {"new_subscriber": True, "exclude": {"contact_ids": [someone]}},
        {"status": "unsubscribed"},
    ]
    for body in allowed:
        assert (await api.post("/activities/contact_exports", body))[0] == 201, body


async def test_post_emails_accepts_format_type_4_and_5_only(api: Any) -> None:
    """The spec: the V3 API creates emails with format_type 4 (email editor) or 5 (custom code)."""
    for number, fmt in enumerate((4, 5)):
        status, body = await api.post("/emails", campaign_json(f"F{number}", format_type=fmt))
        assert status == 200, (fmt, body)
    status, body = await api.post("/emails", campaign_json("F3", format_type=3))
    assert status == 400
    assert "format_type" in body[0]["error_message"]
