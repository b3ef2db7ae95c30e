"""cc.events against the simulator: an event's life, registrations, payments and check-in.

Skipped, saying so, while the simulator's router has no event routes. People register on the
event page, which is no API operation: the simulator's own ``events.register`` stands in.
"""

from __future__ import annotations

from typing import Any


async def test_event_lifecycle(sim_client: Any) -> None:
    """An event is created as a DRAFT, patched, listed, read back and copied."""
    cc = sim_client
    event = await cc.events.create_default("Open day")
    assert event.status == "DRAFT"
    await cc.events.update(event.event_id, title="Open day 2030", description="Doors at 6")
    got = await cc.events.get(event.event_id)
    assert (got.title, got.description) == ("Open day 2030", "Doors at 6")
    assert [e.event_id async for e in cc.events.iter_all(search_text="Open day")] == [
        event.event_id
    ]
    copied = await cc.events.copy(event.event_id, "Open day (copy)")
    assert copied.event_id != event.event_id
    assert copied.status == "DRAFT"


async def test_registrations_payment_and_check_in(sim: Any, sim_client: Any) -> None:
    """Registrations are listed and read; payment set; tickets checked in and back out."""
    cc = sim_client
    event = await cc.events.create_default("Gala")
    assert event.default_track is not None
    track = event.default_track.track_id
    book = sim.state.default_account.events
    paid = book.register(event.event_id, "ann@example.com", "Ann", tickets=2, price=10.0)
    book.register(event.event_id, "bob@example.com", "Bob")
    regs = [r async for r in cc.events.iter_registrations(event.event_id, track, limit=1)]
    assert sorted(r.email_address for r in regs) == ["ann@example.com", "bob@example.com"]
    detail = await cc.events.get_registration(event.event_id, track, paid.registration_id)
    assert len(detail.order_ticket_keys()) == 2
    failed = await cc.events.set_payment_status(
        event.event_id, track, [paid.registration_id], "PAID"
    )
    assert failed == []
    summary = (
        await cc.events.get_registration(event.event_id, track, paid.registration_id)
    ).order_summary
    assert summary is not None
    assert summary["payment_status"] == "PAID"
    await cc.events.update(event.event_id, status="ACTIVE")  # check-in needs an ACTIVE event
    await cc.events.check_in(event.event_id, detail.order_ticket_keys())
    after = await cc.events.get_registration(event.event_id, track, paid.registration_id)
    assert after.checkedIn_tickets == 2
    await cc.events.undo_check_in(event.event_id, detail.order_ticket_keys()[:1])
    again = await cc.events.get_registration(event.event_id, track, paid.registration_id)
    assert again.checkedIn_tickets == 1
