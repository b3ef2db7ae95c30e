"""Contacts, lists, tags, custom fields and account endpoints over HTTP."""

from __future__ import annotations

from typing import Any


async def _list(api: Any, name: str) -> str:
    status, body = await api.post("/contact_lists", {"name": name})
    assert status == 201, body
    return str(body["list_id"])


async def _contact(api: Any, email: str, **extra: Any) -> dict[str, Any]:
    status, body = await api.post(
        "/contacts", {"email_address": {"address": email}, "create_source": "Account", **extra}
    )
    assert status == 201, body
    return body  # type: ignore[no-any-return]


async def test_create_conflict_names_the_existing_contact_even_when_deleted(api: Any) -> None:
    """POST /contacts on an existing (even deleted) email is 409 naming the contact id."""
    created = await _contact(api, "Ann@Example.org")
    assert (await api.delete(f"/contacts/{created['contact_id']}"))[0] == 204
    status, body = await api.post(
        "/contacts", {"email_address": {"address": "ann@example.org"}, "create_source": "Account"}
    )
    assert status == 409
    assert body == [
        {
            "error_key": "contacts.api.conflict",
            "error_message": f"Email already exists for contact {created['contact_id']}",
        }
    ]


async def test_create_requires_create_source_and_json(api: Any) -> None:
    """Missing create_source is a 400 array naming it; a text/plain body is a 415."""
    status, body = await api.post("/contacts", {"email_address": {"address": "a@b.co"}})
    assert status == 400
    assert "create_source" in body[0]["error_message"]
    status, body, _ = await api.call(
        "POST", "/contacts", data="{}", headers={"Content-Type": "text/plain"}
    )
    assert status == 415
    assert isinstance(body, list)


async def test_malformed_json_is_400_and_malformed_id_is_404(api: Any) -> None:
    """A trailing comma is a 400; a non-UUID contact id is a 404 'invalid format'."""
    status, _, _ = await api.call(
        "POST", "/contacts", data='{"a": 1,}', headers={"Content-Type": "application/json"}
    )
    assert status == 400
    status, body = await api.get("/contacts/not-a-uuid")
    assert (status, body[0]["error_message"]) == (404, "contact_id is in an invalid format.")


async def test_put_requires_update_source_and_revives_deleted(api: Any) -> None:
    """PUT needs update_source; it replaces scalars, keeps omitted sub-resources, revives."""
    list_id = await _list(api, "News")
    created = await _contact(
        api, "bo@example.org", first_name="Bo", last_name="B", list_memberships=[list_id]
    )
    path = f"/contacts/{created['contact_id']}"
    assert (await api.put(path, {"first_name": "X"}))[0] == 400
    await api.delete(path)
    assert (await api.get(path))[1]["deleted_at"]
    status, body = await api.put(
        path,
        {
            "update_source": "Account",
            "first_name": "Bob",
            "email_address": {"address": "bo@example.org"},
        },
    )
    assert status == 200
    assert body["first_name"] == "Bob"
    assert "last_name" not in body
    assert "deleted_at" not in body
    assert (await api.get("/contacts", params={"email": "bo@example.org"}))[1]["contacts"][0][
        "contact_id"
    ] == created["contact_id"]


async def test_delete_is_soft_and_hidden_from_default_search(api: Any) -> None:
    """Deleted contacts leave the default search but show with status=deleted and status=all."""
    kept = await _contact(api, "keep@example.org")
    gone = await _contact(api, "gone@example.org")
    await api.delete(f"/contacts/{gone['contact_id']}")
    ids = lambda body: [c["contact_id"] for c in body["contacts"]]  # noqa: E731
    assert ids((await api.get("/contacts"))[1]) == [kept["contact_id"]]
    assert ids((await api.get("/contacts", params={"status": "deleted"}))[1]) == [
        gone["contact_id"]
    ]
    assert len(ids((await api.get("/contacts", params={"status": "all"}))[1])) == 2
    assert (await api.delete(f"/contacts/{gone['contact_id']}"))[0] == 404


async def test_sign_up_form_creates_then_updates_and_appends_lists(api: Any) -> None:
    """sign_up_form: 201 created, then 200 updated with lists appended and permission explicit."""
    first, second = await _list(api, "A"), await _list(api, "B")
    status, body = await api.post(
        "/contacts/sign_up_form", {"email_address": "su@example.org", "list_memberships": [first]}
    )
    assert (status, body["action"]) == (201, "created")
    status, again = await api.post(
        "/contacts/sign_up_form",
        {"email_address": "su@example.org", "list_memberships": [second], "first_name": "Sue"},
    )
    assert (status, again) == (200, {"contact_id": body["contact_id"], "action": "updated"})
    _, contact = await api.get(
        f"/contacts/{body['contact_id']}", params={"include": "list_memberships"}
    )
    assert contact["list_memberships"] == [first, second]
    assert contact["email_address"]["permission_to_send"] == "explicit"
    assert (await api.post("/contacts/sign_up_form", {"email_address": "x@example.org"}))[0] == 400


async def test_search_filters_include_count_and_cursor_pagination(api: Any) -> None:
    """GET /contacts pages with an opaque cursor keeping the filters; include_count counts all."""
    list_id = await _list(api, "Members")
    for index in range(5):
        extra = {"list_memberships": [list_id]} if index % 2 == 0 else {}
        await _contact(api, f"p{index}@example.org", **extra)
    status, body = await api.get(
        "/contacts", params={"lists": list_id, "limit": "2", "include_count": "true"}
    )
    assert status == 200
    assert body["contacts_count"] == 3
    seen = [c["email_address"]["address"] for c in body["contacts"]]
    status, body = await api.get(body["_links"]["next"]["href"])
    seen += [c["email_address"]["address"] for c in body["contacts"]]
    assert seen == ["p0@example.org", "p2@example.org", "p4@example.org"]
    assert "_links" not in body
    assert (await api.get("/contacts", params={"limit": "501"}))[0] == 400
    assert (await api.get("/contacts", params={"include": "bogus"}))[0] == 400


async def test_search_by_update_time(api: Any, fsim: Any) -> None:
    """updated_after keeps only contacts changed after the given instant."""
    await _contact(api, "old@example.org")
    fsim.clock.advance(60)
    mark = fsim.clock.now().isoformat()
    fsim.clock.advance(60)
    await _contact(api, "new@example.org")
    _, body = await api.get("/contacts", params={"updated_after": mark})
    assert [c["email_address"]["address"] for c in body["contacts"]] == ["new@example.org"]
    assert (await api.get("/contacts", params={"updated_after": "yesterday"}))[0] == 400


async def test_counts_and_resubscribe_once(api: Any, fsim: Any) -> None:
    """Counts by permission; resubscribe works once for an unsubscribed contact, then 409."""
    list_id = await _list(api, "L")
    created = await _contact(api, "u@example.org")
    await _contact(
        api,
        "e@example.org",
        email_address={"address": "e@example.org", "permission_to_send": "explicit"},
    )
    fsim.state.default_account.unsubscribe(created["contact_id"], "too many", fsim.clock.now())
    _, counts = await api.get("/contacts/counts")
    assert (counts["total"], counts["explicit"], counts["unsubscribed"]) == (2, 1, 1)
    path = f"/contacts/resubscribe/{created['contact_id']}"
    assert (await api.put(path, {"list_ids": [list_id]}))[0] == 200
    assert (await api.put(path, {"list_ids": [list_id]}))[0] == 409


async def test_lists_crud_conflict_counts_and_async_delete(api: Any) -> None:
    """Lists: 409 duplicate name, membership counts, DELETE answers 202 + Location + activity."""
    list_id = await _list(api, "Weekly")
    assert (await api.post("/contact_lists", {"name": "weekly"}))[0] == 409
    await _contact(api, "m@example.org", list_memberships=[list_id])
    _, got = await api.get(f"/contact_lists/{list_id}", params={"include_membership_count": "all"})
    assert got["membership_count"] == 1
    status, body, headers = await api.call("DELETE", f"/contact_lists/{list_id}")
    assert status == 202
    assert headers["Location"] == f"/v3/activities/{body['activity_id']}"
    await api.finish(body)
    assert (await api.get(f"/contact_lists/{list_id}"))[0] == 404
    _, deleted = await api.get("/contact_lists", params={"status": "deleted"})
    assert [lst["list_id"] for lst in deleted["lists"]] == [list_id]


async def test_tags_crud_and_internal_cursor_href(api: Any, fsim: Any) -> None:
    """Tags: 409 duplicates, the next href is the internal contacts-service path, DELETE is 202."""
    ids = []
    for name in ("a", "b", "c"):
        status, body = await api.post("/contact_tags", {"name": name})
        ids.append(body["tag_id"])
    assert (await api.post("/contact_tags", {"name": "A"}))[0] == 409
    _, page1 = await api.get("/contact_tags", params={"limit": "2"})
    href = page1["_links"]["next"]["href"]
    assert href.startswith(f"/contacts-service/v3/accounts/{fsim.account_id}/contact_tags?cursor=")
    _, page2 = await api.get("/contact_tags", params={"cursor": href.split("cursor=")[1]})
    assert [t["name"] for t in page1["tags"] + page2["tags"]] == ["a", "b", "c"]
    status, body = await api.delete(f"/contact_tags/{ids[0]}")
    assert status == 202
    await api.finish(body)
    assert (await api.get(f"/contact_tags/{ids[0]}"))[0] == 404


async def test_custom_fields_crud_and_duplicates(api: Any) -> None:
    """Custom fields: 201 with derived name, 409 on duplicate label, PUT, DELETE 204."""
    status, field = await api.post(
        "/contact_custom_fields", {"label": "Shoe Size", "type": "string"}
    )
    assert (status, field["name"]) == (201, "Shoe_Size")
    assert (await api.post("/contact_custom_fields", {"label": "shoe size", "type": "string"}))[
        0
    ] == 409
    assert (await api.post("/contact_custom_fields", {"label": "x", "type": "blob"}))[0] == 400
    path = f"/contact_custom_fields/{field['custom_field_id']}"
    assert (await api.put(path, {"label": "Boot Size"}))[1]["label"] == "Boot Size"
    assert (await api.delete(path))[0] == 204
    assert (await api.get(path))[0] == 404


async def test_account_endpoints(api: Any) -> None:
    """Account: confirmed-email filter, one filter only, address POST 409, partial summary PUT."""
    _, emails = await api.get("/account/emails", params={"confirm_status": "CONFIRMED"})
    assert "owner@example.com" in [e["email_address"] for e in emails]
    assert (await api.get("/account/emails", params={"confirm_status": "C", "role_code": "C"}))[
        0
    ] == 400
    address = {
        "address_line1": "1 A St",
        "city": "Boston",
        "state_code": "MA",
        "postal_code": "02101",
        "country_code": "US",
    }
    assert (await api.post("/account/summary/physical_address", address))[0] == 409
    status, summary = await api.put("/account/summary", {"website": "https://x.example"})
    assert (status, summary["website"], summary["first_name"]) == (200, "https://x.example", "Sam")
    status, created = await api.post("/account/emails", {"email_address": "new@example.com"})
    assert (status, created["confirm_status"]) == (201, "UNCONFIRMED")
    assert (await api.post("/account/emails", {"email_address": "new@example.com"}))[0] == 409


async def test_account_caps_for_lists_fields_and_memberships(api: Any, fsim: Any) -> None:
    """1,000 lists and 100 custom fields per account are refused beyond; 50 lists per contact."""
    from ccasync.sim.contacts.records import SimCustomField, SimList

    account = fsim.state.default_account
    now = fsim.clock.now()
    for i in range(1000):
        account.lists[f"00000000-0000-4000-8000-{i:012d}"] = SimList(
            f"00000000-0000-4000-8000-{i:012d}", f"seed {i}", now, now
        )
    assert (await api.post("/contact_lists", {"name": "one more"}))[0] == 400
    for i in range(100):
        fid = f"10000000-0000-4000-8000-{i:012d}"
        account.custom_fields[fid] = SimCustomField(fid, f"f{i}", "string", now, now)
    assert (await api.post("/contact_custom_fields", {"label": "extra", "type": "string"}))[
        0
    ] == 400
    too_many = [f"00000000-0000-4000-8000-{i:012d}" for i in range(51)]
    status, body = await api.post(
        "/contacts",
        {
            "email_address": {"address": "z@example.org"},
            "create_source": "Account",
            "list_memberships": too_many,
        },
    )
    assert status == 400
    assert "list_memberships" in body[0]["error_message"]


async def test_reviving_a_deleted_contact_needs_update_source_account(api: Any) -> None:
    """The spec: to restore a deleted contact update_source must be Account (else 400)."""
    created = await _contact(api, "rev@example.org", first_name="Rev")
    path = f"/contacts/{created['contact_id']}"
    await api.delete(path)
    status, body = await api.put(path, {"update_source": "Contact", "first_name": "Rev"})
    assert status == 400
    assert "update_source" in body[0]["error_message"]
    assert (await api.get(path))[1]["deleted_at"]
    status, _ = await api.put(path, {"update_source": "Account", "first_name": "Rev"})
    assert status == 200


async def test_sign_up_form_past_50_lists_is_refused_not_dropped(api: Any) -> None:
    """A sign-up that would put a contact on a 51st list answers 400; it is never a silent 200."""
    lists = [await _list(api, f"L{i}") for i in range(51)]
    status, _ = await api.post(
        "/contacts/sign_up_form",
        {"email_address": "full@example.org", "list_memberships": lists[:50]},
    )
    assert status == 201
    status, body = await api.post(
        "/contacts/sign_up_form",
        {"email_address": "full@example.org", "list_memberships": [lists[50]]},
    )
    assert status == 400
    assert "list_memberships" in body[0]["error_message"]
    found = (
        await api.get(
            "/contacts", params={"email": "full@example.org", "include": "list_memberships"}
        )
    )[1]
    assert len(found["contacts"][0]["list_memberships"]) == 50


async def test_put_unsubscribe_keeps_the_opt_out_reason(api: Any) -> None:
    """PUT with permission_to_send unsubscribed and an opt_out_reason stores the reason."""
    created = await _contact(api, "leaver@example.org", first_name="L")
    path = f"/contacts/{created['contact_id']}"
    email = {
        "address": "leaver@example.org",
        "permission_to_send": "unsubscribed",
        "opt_out_reason": "Moved away",
    }
    status, body = await api.put(path, {"update_source": "Account", "email_address": email})
    assert status == 200, body
    got = (await api.get(path))[1]["email_address"]
    assert (got["permission_to_send"], got["opt_out_reason"]) == ("unsubscribed", "Moved away")
    long_reason = {**email, "opt_out_reason": "x" * 256}
    status, body = await api.put(path, {"update_source": "Account", "email_address": long_reason})
    assert status == 400
    assert "opt_out_reason" in body[0]["error_message"]


async def test_custom_field_choice_ids_are_kept(api: Any) -> None:
    """A contact's custom_fields[].choice_ids (select fields) come back as sent."""
    _, field = await api.post(
        "/contact_custom_fields",
        {"label": "Colour", "type": "single_select", "choices": [{"choice_label": "Red"}]},
    )
    field_id = field["custom_field_id"]
    values = [{"custom_field_id": field_id, "value": "Red", "choice_ids": ["1"]}]
    created = await _contact(api, "pick@example.org", custom_fields=values)
    status, got = await api.get(
        f"/contacts/{created['contact_id']}", params={"include": "custom_fields"}
    )
    assert status == 200
    assert got["custom_fields"] == values
    status, body = await _put_custom(api, created["contact_id"], field_id, "nope")
    assert status == 400
    assert "choice_ids" in body[0]["error_message"]


async def _put_custom(api: Any, contact_id: str, field_id: str, choice: Any) -> tuple[int, Any]:
    values = [{"custom_field_id": field_id, "value": "x", "choice_ids": choice}]
    return await api.put(  # type: ignore[no-any-return]
        f"/contacts/{contact_id}", {"update_source": "Account", "custom_fields": values}
    )
