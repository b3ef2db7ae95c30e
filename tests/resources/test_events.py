"""cc.events on a fake transport: listing cursor, create, update, copy, registrations, check-in."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from ccasync.errors import DecodeError, ValidationError
from ccasync.testing import FakeTransport, query_of
from tests.resources.recorded import answers, body_of, client, line

EID = "05cf4d60-56ea-4023-bf49-b35e56a9c7b5"
TID = "d5b3f2d4-2d10-4c61-8d1e-2d3c1b3a4f5e"
RID = "3f1ceb43-f858-432e-b287-30a6d20d1250"
EVENT = {
    "event_id": EID,
    "name": "Reunion",
    "status": "DRAFT",
    "event_start": "2023-12-01T20:30:00Z",
    "default_track": {"track_id": TID, "campaign_activity_id": EID},
    "address": {"city": "Riverdale"},
}
START = dt.datetime(2030, 5, 1, 18, 0, tzinfo=dt.UTC)


async def test_iter_all_follows_next_cursor() -> None:
    """The listing sends filters, then the next_cursor as ``next`` until there is none."""
    ft = answers(
        (200, {"records": [{"event_id": EID, "name": "a"}], "next_cursor": "c2"}),
        (200, {"records": [{"event_id": EID, "name": "b"}]}),
    )
    async with client(ft) as cc:
        names = [e.name async for e in cc.events.iter_all(event_status="ACTIVE", limit=1)]
    assert names == ["a", "b"]
    assert query_of(ft.requests[0]) == {"event_status": "ACTIVE", "limit": "1"}
    assert query_of(ft.requests[1]) == {"event_status": "ACTIVE", "limit": "1", "next": "c2"}


async def test_iter_all_reads_the_cursor_from_links_and_refuses_a_loop() -> None:
    """A cursor only in ``_links.next`` is followed; one that repeats is a DecodeError."""
    looping = {"records": [], "_links": {"next": {"href": "/v3/events?next=c1"}}}
    ft = answers((200, looping), (200, looping))
    async with client(ft) as cc:
        with pytest.raises(DecodeError, match="same page"):
            _ = [e async for e in cc.events.iter_all()]
    assert query_of(ft.requests[1])["next"] == "c1"


async def test_create_get_update_copy() -> None:
    """create_default sends its query, update PATCHes only the fields given, copy POSTs."""
    ft = answers(
        (201, EVENT), (200, EVENT), (204, None), (207, {**EVENT, "failed_campaign_activities": [1]})
    )
    async with client(ft) as cc:
        made = await cc.events.create_default("Reunion", start_time=START)
        got = await cc.events.get(EID, include_settings=True)
        await cc.events.update(EID, title="New title", event_end=START + dt.timedelta(hours=2))
        copied = await cc.events.copy(EID, "Reunion 2")
    assert [line(r) for r in ft.requests] == [
        "POST /events/default",
        f"GET /events/{EID}",
        f"PATCH /events/{EID}",
        f"POST /events/{EID}/copy",
    ]
    assert query_of(ft.requests[0]) == {"name": "Reunion", "start_time": "2030-05-01T18:00:00.000Z"}
    assert query_of(ft.requests[1]) == {"include": "true"}
    assert body_of(ft.requests[2]) == {
        "title": "New title",
        "event_end": "2030-05-01T20:00:00.000Z",
    }
    assert body_of(ft.requests[3]) == {"target_event_name": "Reunion 2"}
    assert made.default_track is not None
    assert made.default_track.track_id == TID
    assert got.extra == {"address": {"city": "Riverdale"}}
    assert copied.failed_campaign_activities == [1]


async def test_registrations_and_check_in() -> None:
    """Registrations list and detail, status updates returning failed ids, check-in keys."""
    detail = {
        "registration_id": RID,
        "tickets": [{"order_ticket_key": "k1"}, {"order_ticket_key": "k2"}],
    }
    ft = answers(
        (200, {"records": [{"registration_id": RID, "checkedIn_tickets": 1}]}),
        (200, detail),
        (204, None),
        (204, None),
        (207, {"failed_registration_ids": [RID]}),
        (200, None),
    )
    async with client(ft) as cc:
        regs = [r async for r in cc.events.iter_registrations(EID, TID, payment_status="PAID")]
        got = await cc.events.get_registration(EID, TID, RID)
        await cc.events.check_in(EID, got.order_ticket_keys())
        await cc.events.undo_check_in(EID, ["k1"])
        failed = await cc.events.set_registration_status(
            EID, TID, [RID], "CANCELED", return_items_to_inventory=True
        )
        none_failed = await cc.events.set_payment_status(EID, TID, [RID], "PAID")
    base = f"/events/{EID}/tracks/{TID}/registrations"
    assert [line(r) for r in ft.requests] == [
        f"GET {base}",
        f"GET {base}/{RID}",
        f"POST /events/{EID}/check_in/tickets",
        f"POST /events/{EID}/undo_check_in/tickets",
        f"PUT {base}",
        f"PUT {base}/payment_status",
    ]
    assert regs[0].checkedIn_tickets == 1
    assert body_of(ft.requests[2]) == {"order_ticket_keys": ["k1", "k2"]}
    assert query_of(ft.requests[4]) == {"return_items_to_inventory": "true"}
    assert body_of(ft.requests[4]) == {"registration_ids": [RID], "registration_status": "CANCELED"}
    assert failed == [RID]
    assert none_failed == []


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda cc: cc.events.get("nope"), "event_id"),
        (lambda cc: cc.events.update(EID, campaign_id=EID), "campaign_id"),
        (lambda cc: cc.events.update(EID, status="LIVE"), "status"),
        (lambda cc: cc.events.update(EID, name=""), "name"),
        (lambda cc: cc.events.update(EID, description="x" * 601), "description"),
        (lambda cc: cc.events.create_default(start_time=START, end_time=START), "end_time"),
        (lambda cc: cc.events.create_default(start_time=dt.datetime(2030, 1, 1)), "start_time"),
        (lambda cc: cc.events.copy(EID, ""), "target_event_name"),
        (lambda cc: cc.events.check_in(EID, []), "order_ticket_keys"),
        (lambda cc: cc.events.check_in(EID, "k1"), "order_ticket_keys"),
        (lambda cc: cc.events.set_payment_status(EID, TID, [RID], "FREE"), "payment_status"),
        (lambda cc: cc.events.get_registration(EID, "a/b", RID), "track_id"),
    ],
)
async def test_rules_are_checked_before_sending(call: Any, field: str) -> None:
    """Ids, writable fields, lengths, times and statuses fail locally, naming the field."""
    ft = FakeTransport(responses=[])
    async with client(ft) as cc:
        with pytest.raises(ValidationError) as caught:
            await call(cc)
    assert caught.value.field == field
    assert ft.requests == []
