"""cc.segments against a fake transport: paths, bodies, criteria encoding, integer ids, paging."""

from __future__ import annotations

import pytest

from ccasync.errors import ConflictError, ValidationError
from ccasync.testing import FakeTransport, query_of
from tests.resources.recorded import answers, body_of, client, empty, line

CRITERIA = {"version": "1.0.0", "criteria": {"type": "and", "group": []}}
DETAIL = {
    "name": "Opened last month",
    "segment_criteria": '{"version":"1.0.0","criteria":{"type":"and","group":[]}}',
    "segment_id": 7,
    "created_at": "2024-01-02T03:04:05Z",
    "edited_at": "2024-01-02T03:04:05Z",
    "future": 1,
}


async def test_create_encodes_a_mapping_and_reads_the_detail() -> None:
    """create POSTs name + the criteria as compact JSON text; the 201 body is a Segment."""
    ft = answers((201, DETAIL))
    async with client(ft) as cc:
        made = await cc.segments.create("Opened last month", CRITERIA)
    assert line(ft.requests[0]) == "POST /segments"
    assert body_of(ft.requests[0]) == {
        "name": "Opened last month",
        "segment_criteria": '{"version":"1.0.0","criteria":{"type":"and","group":[]}}',
    }
    assert made.segment_id == 7
    assert made.criteria() == CRITERIA
    assert made.extra == {"future": 1}


async def test_get_update_rename_delete_paths() -> None:
    """get, update (PUT both fields), rename (PATCH …/name) and delete (204) hit their paths."""
    ft = answers((200, DETAIL), (200, DETAIL), (200, DETAIL), (204, None))
    async with client(ft) as cc:
        await cc.segments.get(7)
        await cc.segments.update(7, "New", DETAIL["segment_criteria"])
        await cc.segments.rename(7, "Newer")
        await cc.segments.delete(7)
    assert [line(r) for r in ft.requests] == [
        "GET /segments/7",
        "PUT /segments/7",
        "PATCH /segments/7/name",
        "DELETE /segments/7",
    ]
    assert body_of(ft.requests[1])["name"] == "New"
    assert body_of(ft.requests[2]) == {"name": "Newer"}


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda cc: cc.segments.get(0), "segment_id"),
        (lambda cc: cc.segments.get("7"), "segment_id"),
        (lambda cc: cc.segments.create("", CRITERIA), "name"),
        (lambda cc: cc.segments.create("x" * 256, CRITERIA), "name"),
        (lambda cc: cc.segments.create("n", "{not json"), "segment_criteria"),
        (lambda cc: cc.segments.create("n", {"k": "v" * 20_000}), "segment_criteria"),
        (lambda cc: cc.segments.rename(7, ""), "name"),
    ],
)
async def test_bad_input_is_refused_before_sending(call: object, field: str) -> None:
    """Ids, names and criteria are checked locally; nothing is sent."""
    ft = FakeTransport(responses=[])
    async with client(ft) as cc:
        with pytest.raises(ValidationError) as caught:
            await call(cc)  # type: ignore[operator]
    assert caught.value.field == field
    assert ft.requests == []


async def test_iter_all_follows_pages_and_find_by_name() -> None:
    """iter_all passes sort_by/limit and follows next links; find_by_name matches exactly."""
    page1 = {
        "segments": [{"segment_id": 1, "name": "a"}],
        "_links": {"next": {"href": "/v3/segments?cursor=c2"}},
    }
    page2 = {"segments": [{"segment_id": 2, "name": "b"}]}
    ft = answers((200, page1), (200, page2), (200, page1), (200, page2))
    async with client(ft) as cc:
        names = [s.name async for s in cc.segments.iter_all(sort_by="name", limit=1)]
        found = await cc.segments.find_by_name("b")
    assert names == ["a", "b"]
    assert query_of(ft.requests[0]) == {"sort_by": "name", "limit": "1"}
    assert query_of(ft.requests[1]) == {"cursor": "c2"}
    assert found is not None
    assert found.segment_id == 2


async def test_name_taken_is_conflict() -> None:
    """A 409 on create is a ConflictError."""
    ft = answers((409, [{"error_key": "conflict", "error_message": "taken"}]))
    async with client(ft) as cc:
        with pytest.raises(ConflictError):
            await cc.segments.create("n", CRITERIA)


async def test_delete_accepts_an_empty_answer() -> None:
    """A 204 without body is a successful delete."""
    ft = FakeTransport(responses=[empty(204)])
    async with client(ft) as cc:
        assert await cc.segments.delete(3) is None
