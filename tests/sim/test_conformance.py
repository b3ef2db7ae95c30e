"""Every contacts-side operation the simulator serves answers with bodies that fit the spec."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest

from tests.sim.spec_schema import assert_matches_oauth, assert_matches_spec

pytestmark = pytest.mark.spec


async def check(api: Any, method: str, template: str, path: str, expect: int, **kwargs: Any) -> Any:
    """Call the simulator and validate the answer against the spec's schema for ``template``."""
    status, body, _ = await api.call(method, path, **kwargs)
    assert status == expect, (method, path, status, body)
    assert_matches_spec(method, template, status, body)
    return body


async def test_account_operations_conform(api: Any) -> None:
    """Account summary, physical address, emails and privileges match their schemas."""
    await check(
        api,
        "GET",
        "/account/summary",
        "/account/summary",
        200,
        params={"extra_fields": "physical_address,company_logo"},
    )
    await check(
        api,
        "PUT",
        "/account/summary",
        "/account/summary",
        200,
        json={"website": "https://a.example"},
    )
    addr = await check(
        api, "GET", "/account/summary/physical_address", "/account/summary/physical_address", 200
    )
    await check(
        api,
        "POST",
        "/account/summary/physical_address",
        "/account/summary/physical_address",
        409,
        json=addr,
    )
    await check(
        api,
        "PUT",
        "/account/summary/physical_address",
        "/account/summary/physical_address",
        200,
        json=addr,
    )
    await check(
        api,
        "GET",
        "/account/emails",
        "/account/emails",
        200,
        params={"confirm_status": "CONFIRMED"},
    )
    await check(
        api,
        "POST",
        "/account/emails",
        "/account/emails",
        201,
        json={"email_address": "n@example.com"},
    )
    await check(
        api, "POST", "/account/emails", "/account/emails", 400, json={"email_address": "nope"}
    )
    await check(api, "GET", "/account/user/privileges", "/account/user/privileges", 200)
    await check(api, "GET", "/account/summary", "/account/summary", 401, token="bad")


async def test_contact_operations_conform(api: Any) -> None:
    """Contacts: create, conflict, get, update, search, counts, sign-up, resubscribe, delete."""
    lst = await check(api, "POST", "/contact_lists", "/contact_lists", 201, json={"name": "C"})
    field = await check(
        api,
        "POST",
        "/contact_custom_fields",
        "/contact_custom_fields",
        201,
        json={"label": "Size", "type": "string"},
    )
    body = {
        "email_address": {"address": "c@example.org", "permission_to_send": "explicit"},
        "create_source": "Account",
        "first_name": "C",
        "birthday_month": 1,
        "birthday_day": 2,
        "anniversary": "2020-01-01",
        "list_memberships": [lst["list_id"]],
        "custom_fields": [{"custom_field_id": field["custom_field_id"], "value": "9"}],
        "phone_numbers": [{"phone_number": "555-1234", "kind": "home"}],
        "street_addresses": [{"kind": "home", "street": "1 Main", "city": "X"}],
        "notes": [{"content": "hello"}],
    }
    created = await check(api, "POST", "/contacts", "/contacts", 201, json=body)
    await check(api, "POST", "/contacts", "/contacts", 409, json=body)
    await check(
        api, "POST", "/contacts", "/contacts", 415, data="x", headers={"Content-Type": "text/plain"}
    )
    one = f"/contacts/{created['contact_id']}"
    everything = "custom_fields,list_memberships,phone_numbers,street_addresses,taggings,notes"
    await check(api, "GET", "/contacts/{contact_id}", one, 200, params={"include": everything})
    await check(api, "GET", "/contacts/{contact_id}", "/contacts/nope", 404)
    await check(
        api,
        "PUT",
        "/contacts/{contact_id}",
        one,
        200,
        json={
            "update_source": "Account",
            "email_address": {"address": "c@example.org"},
            "last_name": "D",
        },
    )
    await check(
        api,
        "GET",
        "/contacts",
        "/contacts",
        200,
        params={"include": everything, "include_count": "true", "status": "all"},
    )
    await check(api, "GET", "/contacts", "/contacts", 400, params={"limit": "0"})
    await check(
        api,
        "GET",
        "/contacts/counts",
        "/contacts/counts",
        200,
        params={"include": "new_subscriber"},
    )
    signup = {"email_address": "s@example.org", "list_memberships": [lst["list_id"]]}
    await check(api, "POST", "/contacts/sign_up_form", "/contacts/sign_up_form", 201, json=signup)
    await check(api, "POST", "/contacts/sign_up_form", "/contacts/sign_up_form", 200, json=signup)
    api.sim.state.default_account.unsubscribe(created["contact_id"], "x", api.sim.clock.now())
    await check(
        api,
        "PUT",
        "/contacts/resubscribe/{contact_id}",
        f"/contacts/resubscribe/{created['contact_id']}",
        200,
        json={"list_ids": [lst["list_id"]]},
    )
    await check(api, "DELETE", "/contacts/{contact_id}", one, 204)


async def test_list_tag_and_field_operations_conform(api: Any) -> None:
    """Lists, tags and custom fields: CRUD answers match their schemas (async deletes included)."""
    lst = await check(
        api, "POST", "/contact_lists", "/contact_lists", 201, json={"name": "L", "description": "d"}
    )
    await check(api, "POST", "/contact_lists", "/contact_lists", 409, json={"name": "L"})
    one = f"/contact_lists/{lst['list_id']}"
    await check(
        api, "GET", "/contact_lists/{list_id}", one, 200, params={"include_membership_count": "all"}
    )
    await check(
        api, "PUT", "/contact_lists/{list_id}", one, 200, json={"name": "L2", "favorite": True}
    )
    await check(
        api,
        "GET",
        "/contact_lists",
        "/contact_lists",
        200,
        params={"include_count": "true", "include_membership_count": "active"},
    )
    await check(api, "DELETE", "/contact_lists/{list_id}", one, 202)
    tag = await check(
        api, "POST", "/contact_tags", "/contact_tags", 201, json={"name": "t", "tag_source": "api"}
    )
    await check(api, "POST", "/contact_tags", "/contact_tags", 201, json={"name": "u"})
    tone = f"/contact_tags/{tag['tag_id']}"
    await check(api, "GET", "/contact_tags/{tag_id}", tone, 200, params={"include_count": "true"})
    await check(api, "PUT", "/contact_tags/{tag_id}", tone, 200, json={"name": "t2"})
    await check(
        api,
        "GET",
        "/contact_tags",
        "/contact_tags",
        200,
        params={"include_count": "true", "limit": "1"},
    )
    await check(api, "DELETE", "/contact_tags/{tag_id}", tone, 202)
    field = await check(
        api,
        "POST",
        "/contact_custom_fields",
        "/contact_custom_fields",
        201,
        json={
            "label": "Color",
            "type": "single_select",
            "choices": [{"choice_label": "red", "display_order": 1}],
        },
    )
    fone = f"/contact_custom_fields/{field['custom_field_id']}"
    await check(api, "GET", "/contact_custom_fields/{custom_field_id}", fone, 200)
    await check(
        api, "PUT", "/contact_custom_fields/{custom_field_id}", fone, 200, json={"label": "Colour"}
    )
    await check(api, "GET", "/contact_custom_fields", "/contact_custom_fields", 200)
    await check(api, "DELETE", "/contact_custom_fields/{custom_field_id}", fone, 204)


async def test_bulk_activity_operations_conform(api: Any) -> None:
    """Every bulk activity POST, the activity reads and the CSV export download match the spec."""
    lst = await check(api, "POST", "/contact_lists", "/contact_lists", 201, json={"name": "B"})
    other = await check(api, "POST", "/contact_lists", "/contact_lists", 201, json={"name": "B2"})
    tag = await check(api, "POST", "/contact_tags", "/contact_tags", 201, json={"name": "bt"})
    field = await check(
        api,
        "POST",
        "/contact_custom_fields",
        "/contact_custom_fields",
        201,
        json={"label": "F", "type": "string"},
    )
    rows = [{"email": "b1@example.org", "cf:F": "x"}, {"email": "bad"}]
    ids = {"list_ids": [lst["list_id"]]}
    imported = await check(
        api,
        "POST",
        "/activities/contacts_json_import",
        "/activities/contacts_json_import",
        201,
        json={"import_data": rows, **ids},
    )
    form = aiohttp.FormData()
    form.add_field("file", b"email\nb2@example.org\n", filename="b.csv", content_type="text/csv")
    form.add_field("list_ids", lst["list_id"])
    await check(
        api,
        "POST",
        "/activities/contacts_file_import",
        "/activities/contacts_file_import",
        201,
        data=form,
    )
    membership = {"source": {"list_ids": [lst["list_id"]]}, "list_ids": [other["list_id"]]}
    for op in ("add_list_memberships", "remove_list_memberships"):
        await check(api, "POST", f"/activities/{op}", f"/activities/{op}", 201, json=membership)
    tagging = {"source": {"all_active_contacts": True}, "tag_ids": [tag["tag_id"]]}
    for op in ("contacts_taggings_add", "contacts_taggings_remove"):
        await check(api, "POST", f"/activities/{op}", f"/activities/{op}", 201, json=tagging)
    export = await check(
        api,
        "POST",
        "/activities/contact_exports",
        "/activities/contact_exports",
        201,
        json={"fields": ["email_address", "first_name", "cf:F"]},
    )
    await check(
        api,
        "POST",
        "/activities/contacts_tags_delete",
        "/activities/contacts_tags_delete",
        201,
        json={"tag_ids": [tag["tag_id"]]},
    )
    await check(
        api,
        "POST",
        "/activities/custom_fields_delete",
        "/activities/custom_fields_delete",
        201,
        json={"custom_field_ids": [field["custom_field_id"]]},
    )
    await check(
        api, "POST", "/activities/contact_delete", "/activities/contact_delete", 201, json=ids
    )
    await check(api, "POST", "/activities/list_delete", "/activities/list_delete", 201, json=ids)
    done = await api.finish(export)
    assert_matches_spec("GET", "/activities/{activity_id}", 200, done)
    imported_done = await api.finish(imported)
    assert_matches_spec("GET", "/activities/{activity_id}", 200, imported_done)
    await check(api, "GET", "/activities", "/activities", 200, params={"limit": "3"})
    await check(api, "GET", "/activities", "/activities", 200, params={"state": "completed"})
    csv = await check(
        api, "GET", "/contact_exports/{file_export_id}", done["_links"]["results"]["href"], 200
    )
    assert csv.startswith("email_address,first_name,cf:F\n")
    await check(api, "GET", "/activities/{activity_id}", "/activities/x", 404)


async def test_oauth_endpoints_conform(api: Any, fsim: Any) -> None:
    """Token, device and OAuth error bodies fit the vendor's OAuth schemas."""
    url = f"{fsim.oauth_base}"
    device = await api.call(
        "POST",
        f"{url}/device/authorize",
        token="",
        data={"client_id": fsim.client_id, "scope": "contact_data offline_access"},
    )
    assert_matches_oauth("DeviceFlowResponse", device[1])
    poll = {
        "grant_type": "urn:ietf:params:oauth:grant-type:device_code",
        "device_code": device[1]["device_code"],
        "client_id": fsim.client_id,
    }
    fsim.clock.advance(1.5)
    pending = await api.call("POST", f"{url}/token", token="", data=poll)
    assert_matches_oauth("OAuthError", pending[1])
    fsim.approve_device(device[1]["user_code"], fsim.account_id)
    fsim.clock.advance(1.5)
    granted = await api.call("POST", f"{url}/token", token="", data=poll)
    assert granted[0] == 200
    assert_matches_oauth("AccessTokenResponse", granted[1])
