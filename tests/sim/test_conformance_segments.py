"""Conformance: the segment operations and the segment forms of GET /contacts and PUT activity
answer bodies that validate against the official spec, and only error statuses the spec documents
for the operation, with the array error body."""

from __future__ import annotations

from typing import Any

import pytest

from tests.sim.campaigns.test_campaign_routes import new_campaign, put_json
from tests.sim.segments.test_segments import cond, criteria, new_contact
from tests.sim.spec_schema import assert_error_shape, assert_matches_spec, response_schema

pytestmark = pytest.mark.spec

SEGMENT = "/segments/{segment_id}"
NAME = "/segments/{segment_id}/name"
ACTIVITY = "/emails/activities/{campaign_activity_id}"


async def ok(api: Any, method: str, template: str, path: str, status: int, **kw: Any) -> Any:
    """Call, expect ``status``, validate the body against the spec (no undeclared keys)."""
    got, body, _ = await api.call(method, path, **kw)
    assert got == status, (method, path, got, body)
    assert_matches_spec(method, template, got, body)
    return body


async def error(api: Any, method: str, template: str, path: str, status: int, **kw: Any) -> None:
    """Call, expect the error ``status``: documented for the operation, array error body."""
    got, body, _ = await api.call(method, path, **kw)
    assert got == status, (method, path, got, body)
    response_schema(method, template, got)
    assert_error_shape(got, body)


def body(name: str) -> dict[str, Any]:
    """A valid SegmentData body."""
    return {"name": name, "segment_criteria": criteria(cond("contact", "first_name", "eq", "A"))}


async def test_segment_operations_match_the_spec(api: Any) -> None:
    """Every /segments operation: success bodies validate; documented error statuses only."""
    await ok(api, "POST", "/segments", "/segments", 201, json=body("one"))
    await ok(api, "POST", "/segments", "/segments", 201, json=body("two"))
    listing = await ok(api, "GET", "/segments", "/segments?limit=1&sort_by=name", 200)
    assert "next" in listing["_links"]
    await ok(api, "GET", SEGMENT, "/segments/1", 200)
    await ok(api, "PUT", SEGMENT, "/segments/1", 200, json=body("uno"))
    await ok(api, "PATCH", NAME, "/segments/1/name", 200, json={"name": "eins"})
    await ok(api, "DELETE", SEGMENT, "/segments/2", 204)
    await ok(api, "GET", SEGMENT, "/segments/2", 200)
    await error(api, "GET", "/segments", "/segments?sort_by=x", 400)
    await error(api, "POST", "/segments", "/segments", 400, json={"name": "x"})
    await error(api, "POST", "/segments", "/segments", 409, json=body("eins"))
    await error(api, "GET", SEGMENT, "/segments/9", 404)
    await error(api, "PUT", SEGMENT, "/segments/1", 400, json={"name": "x"})
    await error(api, "PUT", SEGMENT, "/segments/2", 404, json=body("x"))
    await ok(api, "POST", "/segments", "/segments", 201, json=body("three"))
    await error(api, "PUT", SEGMENT, "/segments/1", 409, json=body("three"))
    await error(api, "PATCH", NAME, "/segments/1/name", 409, json={"name": "three"})
    await error(api, "PATCH", NAME, "/segments/2/name", 404, json={"name": "y"})
    await error(api, "DELETE", SEGMENT, "/segments/2", 404)


async def test_segment_contact_search_matches_the_spec(api: Any, fsim: Any) -> None:
    """GET /contacts?segment_id=: the 202 and the 200 bodies are Contacts; 400/404 documented."""
    await new_contact(api, "a@example.org", first_name="A")
    await new_contact(api, "b@example.org", first_name="a")
    await ok(api, "POST", "/segments", "/segments", 201, json=body("s"))
    await ok(api, "GET", "/contacts", "/contacts?segment_id=1&limit=1", 202)
    fsim.clock.advance(2)
    found = await ok(api, "GET", "/contacts", "/contacts?segment_id=1&limit=1", 200)
    assert len(found["contacts"]) == 1
    assert "next" in found["_links"]
    await error(api, "GET", "/contacts", "/contacts?segment_id=1&email=a@example.org", 400)
    await error(api, "GET", "/contacts", "/contacts?segment_id=5", 404)


async def test_activity_with_a_segment_matches_the_spec(api: Any, fsim: Any) -> None:
    """PUT activity with segment_ids and the send history of a segment send validate."""
    await new_contact(api, "a@example.org", first_name="A")
    await ok(api, "POST", "/segments", "/segments", 201, json=body("s"))
    _, activity_id = await new_campaign(api)
    path = f"/emails/activities/{activity_id}"
    await ok(api, "PUT", ACTIVITY, path, 200, json=put_json([], segment_ids=[1]))
    await error(api, "PUT", ACTIVITY, path, 400, json=put_json([], segment_ids=[2]))
    await api.post(f"{path}/schedules", {"scheduled_date": "0"})
    fsim.clock.advance(10)
    history = await ok(api, "GET", f"{ACTIVITY}/send_history", f"{path}/send_history", 200)
    assert [(h["count"], h["segment_ids"]) for h in history] == [(1, [1])]
