"""Segments in the sim: criteria subset, /v3/segments over HTTP, contacts?segment_id=, sends."""

from __future__ import annotations

import datetime as dt
from typing import Any

import orjson
import pytest

from ccasync.sim.contacts.records import SimContact
from ccasync.sim.segments.criteria import CriteriaError, compile_criteria
from tests.sim.campaigns.test_campaign_routes import new_campaign, put_json

NOW = dt.datetime(2026, 3, 2, 12, 0, tzinfo=dt.UTC)
LIST_A = "11111111-1111-4111-8111-111111111111"
TAG_A = "22222222-2222-4222-8222-222222222222"
FIELD = "33333333-3333-4333-8333-333333333333"


def criteria(*conditions: dict[str, Any], kind: str = "and") -> str:
    """An escaped-JSON segment_criteria string with ``conditions`` in the top group."""
    return orjson.dumps(
        {"version": "1.0.0", "criteria": {"type": kind, "group": list(conditions)}}
    ).decode()


def cond(source: str, field: str, op: str, value: Any) -> dict[str, Any]:
    """One criteria condition."""
    return {"source": source, "field": field, "op": op, "const_value": value}


def on_list(list_id: str) -> str:
    """Criteria: members of ``list_id``."""
    return criteria(cond("list_membership", "list_id", "contains-any", list_id))


def person(email: str, **fields: Any) -> SimContact:
    """A SimContact created at NOW with ``fields`` set."""
    contact = SimContact(contact_id=email, email=email, created_at=NOW, updated_at=NOW)
    for name, value in fields.items():
        setattr(contact, name, value)
    return contact


# -- criteria (pure) ------------------------------------------------------------------------


def test_list_and_tag_conditions_test_memberships() -> None:
    """contains-any matches any listed id; not-contains-any excludes taggings."""
    member = person("a@x.org", list_ids={LIST_A: None}, tag_ids={TAG_A: None})
    other = person("b@x.org", list_ids={LIST_A: None})
    on = compile_criteria(on_list(f"{LIST_A},{TAG_A}"), NOW)
    untagged = compile_criteria(criteria(cond("tags", "tag_id", "not-contains-any", [TAG_A])), NOW)
    assert (on(member), on(other), on(person("c@x.org"))) == (True, True, False)
    assert (untagged(member), untagged(other)) == (False, True)


def test_contact_text_conditions_are_case_insensitive() -> None:
    """eq/ne/contains/not-contains/starts-with compare text case-insensitively; None is ""."""
    ann = person("Ann@Example.org", first_name="Ann", custom_fields={FIELD: "Gold"})
    cases = [
        (cond("contact", "first_name", "eq", "ANN"), True),
        (cond("contact", "first_name", "ne", "ann"), False),
        (cond("contact", "email_address", "contains", "example"), True),
        (cond("contact", "email_address", "not-contains", "EXAMPLE"), False),
        (cond("contact", "last_name", "eq", ""), True),
        (cond("contact", "email_address", "starts-with", "ann@"), True),
        (cond("contact", f"custom_field:{FIELD}", "eq", "gold"), True),
    ]
    assert [compile_criteria(criteria(c), NOW)(ann) for c, _ in cases] == [w for _, w in cases]


def test_date_conditions_and_nested_or_groups() -> None:
    """created_at after/before compare instants; a nested or group matches either side."""
    old = person("old@x.org", created_at=NOW - dt.timedelta(days=30))
    new = person("new@x.org", first_name="Zed")
    recent = cond("contact", "created_at", "after", (NOW - dt.timedelta(days=1)).isoformat())
    either = {"type": "or", "group": [recent, cond("contact", "email_address", "eq", "old@x.org")]}
    test = compile_criteria(criteria(either, cond("contact", "first_name", "ne", "Zed")), NOW)
    before = compile_criteria(criteria(cond("contact", "created_at", "before", "2026-03-01")), NOW)
    assert (test(old), test(new)) == (True, False)
    assert (before(old), before(new)) == (True, False)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        (12, "string"),
        ("x" * 20_001, "20000"),
        ("{not json", "not valid JSON"),
        ('{"version":"1.0.0"}', "criteria object"),
        (criteria(cond("contact", "first_name", "eq", "a"), kind="or"), "type must be and"),
        (criteria(cond("tracking", "not_opened", "contains-any", "x")), "tracking"),
        (criteria(cond("social", "x", "eq", "y")), "'social'"),
        (criteria(cond("contact", "shoe_size", "eq", "9")), "'shoe_size'"),
        (criteria(cond("contact", "first_name", "gt", "a")), "op must be one of"),
        (criteria(cond("list_membership", "list_id", "contains-any", [])), "one or more ids"),
        (criteria(cond("contact", "created_at", "after", "yesterday")), "ISO-8601"),
        (criteria(cond("contact", "created_at", "after", "2019-01-01")), "1825 days"),
        (criteria({"type": "and", "group": []}), "non-empty array"),
    ],
)
def test_unsupported_criteria_name_the_problem(text: Any, fragment: str) -> None:
    """Anything outside the documented subset raises CriteriaError naming the part."""
    with pytest.raises(CriteriaError, match=fragment):
        compile_criteria(text, NOW)


def test_nesting_is_bounded() -> None:
    """Groups nested deeper than five levels are refused."""
    node: dict[str, Any] = cond("contact", "first_name", "eq", "a")
    for _ in range(6):
        node = {"type": "and", "group": [node]}
    with pytest.raises(CriteriaError, match="deeper"):
        compile_criteria(orjson.dumps({"criteria": node}).decode(), NOW)


# -- /v3/segments over HTTP -----------------------------------------------------------------


async def new_segment(api: Any, name: str, text: str | None = None) -> dict[str, Any]:
    """POST a segment (default criteria: first_name contains "a"); its SegmentDetail."""
    body = {
        "name": name,
        "segment_criteria": text or criteria(cond("contact", "first_name", "contains", "a")),
    }
    status, created = await api.post("/segments", body)
    assert status == 201, created
    return created  # type: ignore[no-any-return]


async def new_contact(api: Any, email: str, **extra: Any) -> str:
    """POST a contact; its id."""
    body = {"email_address": {"address": email}, "create_source": "Account", **extra}
    status, created = await api.post("/contacts", body)
    assert status == 201, created
    return str(created["contact_id"])


async def test_create_and_get_keep_the_criteria_string(api: Any) -> None:
    """POST 201 gives integer ids 1, 2 and the criteria as sent; GET by id returns the same."""
    text = criteria(cond("contact", "last_name", "eq", "Smith"))
    first = await new_segment(api, "Smiths", text)
    second = await new_segment(api, "Others")
    assert (first["segment_id"], second["segment_id"]) == (1, 2)
    assert first["segment_criteria"] == text
    assert first["created_at"] == first["edited_at"]
    assert await api.get("/segments/1") == (200, first)


async def test_names_are_unique_until_deleted(api: Any) -> None:
    """A taken name (any case) is 409; after DELETE the name is free again."""
    await new_segment(api, "Fans")
    status, body = await api.post(
        "/segments", {"name": "FANS", "segment_criteria": on_list(LIST_A)}
    )
    assert (status, body[0]["error_key"]) == (409, "segments.api.conflict")
    assert (await api.delete("/segments/1"))[0] == 204
    await new_segment(api, "fans")


async def test_create_validation_answers_arrays(api: Any) -> None:
    """Missing fields, a blank name and unsupported criteria are 400 with an array body."""
    good = on_list(LIST_A)
    for body, fragment in (
        ({"segment_criteria": good}, "name"),
        ({"name": "x"}, "segment_criteria is required"),
        ({"name": "  ", "segment_criteria": good}, "blank"),
        (
            {"name": "x", "segment_criteria": criteria(cond("tracking", "opened", "eq", "1"))},
            "tracking",
        ),
    ):
        status, errors = await api.post("/segments", body)
        assert status == 400
        assert fragment in errors[0]["error_message"]
    assert (await api.get("/segments"))[1] == {"segments": []}


async def test_listing_sorts_pages_and_hides_deleted(api: Any, fsim: Any) -> None:
    """sort_by=name ascending, date newest edit first; limit+cursor pages; deleted ones hidden."""
    for name in ("b", "c", "a", "gone"):
        await new_segment(api, name)
        fsim.clock.advance(1)
    await api.delete("/segments/4")
    status, body = await api.get("/segments?sort_by=name")
    assert [s["name"] for s in body["segments"]] == ["a", "b", "c"]
    assert set(body["segments"][0]) == {"name", "segment_id", "created_at", "edited_at"}
    status, first = await api.get("/segments?limit=2")
    assert (status, [s["name"] for s in first["segments"]]) == (200, ["a", "c"])
    _, rest = await api.get(first["_links"]["next"]["href"])
    assert ([s["name"] for s in rest["segments"]], "_links" in rest) == (["b"], False)
    assert (await api.get("/segments?sort_by=size"))[0] == 400


async def test_put_patch_delete_lifecycle(api: Any, fsim: Any) -> None:
    """PUT needs both fields; PATCH renames; 409 on another's name; deleted: GET 200, else 404."""
    await new_segment(api, "one")
    await new_segment(api, "two")
    fsim.clock.advance(5)
    assert (await api.put("/segments/1", {"name": "uno"}))[0] == 400
    status, body = await api.put(
        "/segments/1", {"name": "uno", "segment_criteria": on_list(LIST_A)}
    )
    assert (status, body["name"], body["segment_criteria"]) == (200, "uno", on_list(LIST_A))
    assert body["edited_at"] > body["created_at"]
    assert (await api.put("/segments/1", {"name": "two", "segment_criteria": on_list(LIST_A)}))[
        0
    ] == 409
    assert (await api.call("PATCH", "/segments/2/name", json={"name": "UNO"}))[0] == 409
    status, renamed, _ = await api.call("PATCH", "/segments/2/name", json={"name": "dos"})
    assert (status, renamed["name"]) == (200, "dos")
    assert (await api.delete("/segments/2"))[0] == 204
    assert (await api.get("/segments/2"))[1]["name"] == "dos"
    assert (await api.delete("/segments/2"))[0] == 404
    assert (await api.call("PATCH", "/segments/2/name", json={"name": "x"}))[0] == 404
    assert (await api.get("/segments/99"))[0] == 404
    assert (await api.get("/segments/abc"))[0] == 404
    assert (await api.get("/segments/%C2%B2"))[0] == 404


# -- GET /v3/contacts?segment_id= -----------------------------------------------------------


async def test_contacts_202_while_computing_then_members(api: Any, fsim: Any) -> None:
    """The first search answers 202 processing; after the compute time 200 with the members."""
    keep = await new_contact(api, "ann@example.org", first_name="Ann")
    await new_contact(api, "bob@example.org", first_name="Bob")
    await new_segment(api, "A names")
    assert await api.get("/contacts?segment_id=1") == (202, {"status": "processing"})
    fsim.clock.advance(1)
    assert (await api.get("/contacts?segment_id=1"))[0] == 202
    fsim.clock.advance(1)
    status, body = await api.get("/contacts?segment_id=1")
    assert (status, [c["contact_id"] for c in body["contacts"]]) == (200, [keep])


async def test_segment_results_page_and_stay_fixed_until_stale(api: Any, fsim: Any) -> None:
    """Pages follow the cursor over one result set; it is recomputed after 15 minutes."""
    fsim.state.default_account.segments.compute_seconds = 0
    ids = [await new_contact(api, f"a{n}@example.org", first_name="Al") for n in range(3)]
    await new_segment(api, "Als")
    status, first = await api.get("/contacts?segment_id=1&limit=2")
    assert status == 200
    late = await new_contact(api, "late@example.org", first_name="Alma")
    status, rest = await api.get(first["_links"]["next"]["href"])
    assert status == 200
    assert [c["contact_id"] for c in first["contacts"] + rest["contacts"]] == ids
    fsim.clock.advance(900)
    _, again = await api.get("/contacts?segment_id=1")
    assert late in [c["contact_id"] for c in again["contacts"]]


async def test_changed_criteria_compute_again(api: Any, fsim: Any) -> None:
    """A PUT with new criteria answers 202 again; a rename keeps the results."""
    await new_contact(api, "ann@example.org", first_name="Ann")
    await new_segment(api, "s")
    await api.get("/contacts?segment_id=1")
    fsim.clock.advance(2)
    assert (await api.get("/contacts?segment_id=1"))[0] == 200
    await api.call("PATCH", "/segments/1/name", json={"name": "renamed"})
    assert (await api.get("/contacts?segment_id=1"))[0] == 200
    await api.put("/segments/1", {"name": "s", "segment_criteria": on_list(LIST_A)})
    assert (await api.get("/contacts?segment_id=1"))[0] == 202


async def test_segment_search_rejects_other_filters_and_unknown_ids(api: Any) -> None:
    """segment_id combines only with limit (400); non-integer 400; unknown or deleted 404."""
    await new_segment(api, "s")
    status, body = await api.get("/contacts?segment_id=1&status=all")
    assert status == 400
    assert "only be combined with limit" in body[0]["error_message"]
    assert (await api.get("/contacts?segment_id=x"))[0] == 400
    assert (await api.get("/contacts?segment_id=%C2%B2"))[0] == 400
    assert (await api.get("/contacts?segment_id=7"))[0] == 404
    await api.delete("/segments/1")
    assert (await api.get("/contacts?segment_id=1"))[0] == 404


# -- campaign activities with segment_ids ---------------------------------------------------


async def test_activity_accepts_one_existing_segment(api: Any) -> None:
    """PUT segment_ids [id] is stored; two ids, unknown ids or lists together are 400."""
    await new_segment(api, "s")
    _, activity_id = await new_campaign(api)
    path = f"/emails/activities/{activity_id}"
    status, body = await api.put(path, put_json([], segment_ids=[1]))
    assert (status, body["segment_ids"], body["contact_list_ids"]) == (200, [1], [])
    for bad in ([1, 1], [9], ["1"]):
        assert (await api.put(path, put_json([], segment_ids=bad)))[0] == 400
    status, lst = await api.post("/contact_lists", {"name": "L"})
    assert (await api.put(path, put_json([lst["list_id"]], segment_ids=[1])))[0] == 400


async def test_send_resolves_segment_members_at_send_time(api: Any, fsim: Any) -> None:
    """Recipients are the segment's subscribed members when the send runs; history names it."""
    await new_contact(api, "ann@example.org", first_name="Ann")
    await new_contact(api, "bob@example.org", first_name="Bob")
    quiet = await new_contact(api, "cara@example.org", first_name="Cara")
    fsim.state.default_account.contacts[quiet].permission_to_send = "unsubscribed"
    await new_segment(api, "A names")
    _, activity_id = await new_campaign(api)
    path = f"/emails/activities/{activity_id}"
    await api.put(path, put_json([], segment_ids=[1]))
    assert (await api.post(f"{path}/schedules", {"scheduled_date": "0"}))[0] == 201
    account = fsim.state.default_account  # added without a request: the send runs at its tick
    account.create_contact("dana@example.org", fsim.clock.now()).first_name = "Dana"
    fsim.clock.advance(10)
    status, history = await api.get(f"{path}/send_history")
    assert status == 200
    assert [(h["count"], h["segment_ids"], h["contact_list_ids"]) for h in history] == [
        (2, [1], [])
    ]
