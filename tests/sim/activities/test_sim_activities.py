"""Bulk activities: imports, memberships, deletes, tags, exports, progress and truncation."""

from __future__ import annotations

import io
from typing import Any

import aiohttp
import orjson


async def _list(api: Any, name: str) -> str:
    return str((await api.post("/contact_lists", {"name": name}))[1]["list_id"])


async def _import(api: Any, rows: list[dict[str, Any]], list_id: str) -> dict[str, Any]:
    status, body = await api.post(
        "/activities/contacts_json_import", {"import_data": rows, "list_ids": [list_id]}
    )
    assert status == 201, body
    return body  # type: ignore[no-any-return]


async def test_json_import_progresses_and_reports_row_errors(api: Any, fsim: Any) -> None:
    """An import goes initialized -> processing -> completed with counts and 'Row N:' errors."""
    list_id = await _list(api, "Imported")
    rows = [{"email": f"r{i}@example.org", "first_name": "R"} for i in range(10)]
    rows[3] = {"email": "not-an-email"}
    created = await _import(api, rows, list_id)
    assert (created["state"], created["percent_done"]) == ("initialized", 0)
    fsim.clock.advance(0.15)
    _, mid = await api.get(f"/activities/{created['activity_id']}")
    assert mid["state"] == "processing"
    assert 0 <= mid["percent_done"] < 100
    done = await api.finish(created)
    assert done["percent_done"] == 100
    assert done["status"] == {
        "items_total_count": 10,
        "person_count": 9,
        "error_count": 0,
        "correctable_count": 1,
        "cannot_add_to_list_count": 0,
    }
    assert done["activity_errors"] == ["Row 4: invalid email address 'not-an-email'"]
    _, members = await api.get("/contacts", params={"lists": list_id, "include_count": "true"})
    assert members["contacts_count"] == 9


async def test_import_upserts_and_skips_unsubscribed_from_lists(api: Any, fsim: Any) -> None:
    """Existing contacts get only the given fields; unsubscribed ones are not added to lists."""
    list_id = await _list(api, "L")
    _, ann = await api.post(
        "/contacts",
        {
            "email_address": {"address": "ann@example.org"},
            "create_source": "Account",
            "last_name": "Keep",
        },
    )
    _, zed = await api.post(
        "/contacts", {"email_address": {"address": "zed@example.org"}, "create_source": "Account"}
    )
    fsim.state.default_account.unsubscribe(zed["contact_id"], "no", fsim.clock.now())
    done = await api.finish(
        await _import(
            api,
            [{"email": "ann@example.org", "first_name": "Ann"}, {"email": "zed@example.org"}],
            list_id,
        )
    )
    assert done["status"]["cannot_add_to_list_count"] == 1
    _, got = await api.get(f"/contacts/{ann['contact_id']}", params={"include": "list_memberships"})
    assert (got["first_name"], got["last_name"], got["list_memberships"]) == (
        "Ann",
        "Keep",
        [list_id],
    )
    _, got = await api.get(f"/contacts/{zed['contact_id']}", params={"include": "list_memberships"})
    assert got["list_memberships"] == []


async def test_json_import_over_40000_rows_is_silently_truncated(api: Any, fsim: Any) -> None:
    """40,001 rows: 201 without error, only 40,000 imported, and the truncation is recorded."""
    list_id = await _list(api, "Big")
    rows = [{"email": f"b{i}@example.org"} for i in range(40_001)]
    payload = io.BytesIO(orjson.dumps({"import_data": rows, "list_ids": [list_id]}))
    status, created, _ = await api.call(
        "POST",
        "/activities/contacts_json_import",
        data=payload,
        headers={"Content-Type": "application/json"},
    )
    assert status == 201
    assert created["status"]["items_total_count"] == 40_000
    assert fsim.state.truncations[0].rows_received == 40_001
    assert fsim.state.truncations[0].rows_kept == 40_000
    done = await api.finish(created)
    assert (done["status"]["person_count"], done["activity_errors"]) == (40_000, [])


async def test_csv_file_import_and_content_type_rules(api: Any, fsim: Any) -> None:
    """Multipart CSV import works; a hand-set non-multipart Content-Type is 415."""
    list_id = await _list(api, "CSV")
    form = aiohttp.FormData()
    form.add_field(
        "file",
        b"email,first_name,cf:missing\nc1@example.org,C\nbad,\n",
        filename="c.csv",
        content_type="text/csv",
    )
    form.add_field("list_ids", list_id)
    status, created, _ = await api.call("POST", "/activities/contacts_file_import", data=form)
    assert status == 201, created
    assert created["source_file_name"] == "c.csv"
    done = await api.finish(created)
    assert done["status"]["items_total_count"] == 3
    assert done["status"]["person_count"] == 1
    assert "Row 3: invalid email address 'bad'" in done["activity_errors"]
    status, _, _ = await api.call(
        "POST",
        "/activities/contacts_file_import",
        data=b"x",
        headers={"Content-Type": "application/json"},
    )
    assert status == 415


async def test_membership_delete_and_tagging_activities(api: Any, fsim: Any) -> None:
    """add/remove list memberships, taggings and contact_delete change the data when completed."""
    src, dst = await _list(api, "Src"), await _list(api, "Dst")
    await api.finish(await _import(api, [{"email": f"m{i}@example.org"} for i in range(3)], src))
    added = await api.post(
        "/activities/add_list_memberships", {"source": {"list_ids": [src]}, "list_ids": [dst]}
    )
    assert added[0] == 201
    done = await api.finish(added[1])
    assert done["status"] == {"items_total_count": 3, "items_completed_count": 3, "list_count": 1}
    _, tag = await api.post("/contact_tags", {"name": "vip"})
    tagged = await api.post(
        "/activities/contacts_taggings_add",
        {"source": {"list_ids": [dst]}, "tag_ids": [tag["tag_id"]]},
    )
    await api.finish(tagged[1])
    _, with_tag = await api.get(
        "/contacts", params={"tags": tag["tag_id"], "include_count": "true"}
    )
    assert with_tag["contacts_count"] == 3
    removed = await api.post(
        "/activities/remove_list_memberships", {"source": {"list_ids": [src]}, "list_ids": [dst]}
    )
    await api.finish(removed[1])
    _, left = await api.get(f"/contact_lists/{dst}", params={"include_membership_count": "all"})
    assert left["membership_count"] == 0
    deleted = await api.post("/activities/contact_delete", {"list_ids": [src]})
    await api.finish(deleted[1])
    _, counts = await api.get("/contacts/counts")
    assert counts["total"] == 0
    assert (await api.post("/activities/contact_delete", {}))[0] == 400


async def test_export_produces_csv_download(api: Any) -> None:
    """contact_exports completes with a results link that downloads text/csv."""
    list_id = await _list(api, "E")
    await api.finish(await _import(api, [{"email": "x1@example.org", "first_name": "X"}], list_id))
    _, created = await api.post(
        "/activities/contact_exports",
        {"list_ids": [list_id], "fields": ["email_address", "first_name"]},
    )
    done = await api.finish(created)
    status, body, headers = await api.call("GET", done["_links"]["results"]["href"])
    assert status == 200
    assert headers["Content-Type"].startswith("text/csv")
    assert body == "email_address,first_name\nx1@example.org,X\n"


async def test_activity_list_filters_by_state_and_ids_are_checked(api: Any) -> None:
    """GET /activities filters by state; malformed activity ids are 404; bad states are 400."""
    list_id = await _list(api, "S")
    first = await _import(api, [{"email": "s@example.org"}], list_id)
    await api.finish(first)
    await _import(api, [{"email": "t@example.org"}], list_id)
    _, completed = await api.get("/activities", params={"state": "completed"})
    assert [a["activity_id"] for a in completed["activities"]] == [first["activity_id"]]
    assert (await api.get("/activities", params={"state": "weird"}))[0] == 400
    assert (await api.get("/activities/123"))[0] == 404


async def test_activities_expire_after_ten_days(api: Any, fsim: Any) -> None:
    """A completed activity is gone from GET /activities/{id} ten simulated days later."""
    list_id = await _list(api, "X")
    done = await api.finish(await _import(api, [{"email": "x@example.org"}], list_id))
    fsim.clock.advance(10 * 86_400 + 5)
    assert (await api.get(f"/activities/{done['activity_id']}"))[0] == 404


async def test_csv_over_4_mb_is_cut_at_a_line_boundary(api: Any, fsim: Any) -> None:
    """A CSV file over 4,000,000 bytes loses its tail silently; the cut is recorded."""
    list_id = await _list(api, "Huge")
    line = "x" * 90
    rows = "".join(f"h{i}@example.org,{line}\n" for i in range(42_000))
    data = ("email,first_name\n" + rows).encode()
    assert len(data) > 4_000_000
    form = aiohttp.FormData()
    form.add_field("file", io.BytesIO(data), filename="h.csv", content_type="text/csv")
    form.add_field("list_ids", list_id)
    status, created, _ = await api.call("POST", "/activities/contacts_file_import", data=form)
    assert status == 201
    complete_lines = data[:4_000_000].count(b"\n")
    assert created["status"]["items_total_count"] == complete_lines
    assert fsim.state.truncations[-1].kind == "contacts_file_import"


async def test_json_over_4_mb_is_truncated_by_size(api: Any, fsim: Any) -> None:
    """A JSON import body over 4,000,000 bytes keeps only the rows that fit."""
    list_id = await _list(api, "Wide")
    rows = [{"email": f"w{i}@example.org", "cf:note": "y" * 200} for i in range(20_000)]
    payload = io.BytesIO(orjson.dumps({"import_data": rows, "list_ids": [list_id]}))
    status, created, _ = await api.call(
        "POST",
        "/activities/contacts_json_import",
        data=payload,
        headers={"Content-Type": "application/json"},
    )
    assert status == 201
    assert 0 < created["status"]["items_total_count"] < 20_000
    assert fsim.state.truncations[-1].bytes_received > 4_000_000


async def test_hand_set_multipart_content_type_without_boundary_is_415(api: Any) -> None:
    """Forcing Content-Type: multipart/form-data by hand (no boundary) gives 415, as documented."""
    list_id = await _list(api, "M")
    form = aiohttp.FormData()
    form.add_field("file", b"email\na@example.org\n", filename="a.csv", content_type="text/csv")
    form.add_field("list_ids", list_id)
    status, body, _ = await api.call(
        "POST",
        "/activities/contacts_file_import",
        data=form,
        headers={"Content-Type": "multipart/form-data"},
    )
    assert status == 415
    assert body[0]["error_key"] == "unsupported_media_type"
