"""cc.segments against the simulator: create, read, rename, replace, list, delete, then search."""

from __future__ import annotations

from typing import Any

import pytest

from ccasync import Client, RateLimiter
from ccasync.errors import ConflictError, NotFoundError
from ccasync.models.contacts import EmailAddress, NewContact


def members_of(list_id: str) -> dict[str, Any]:
    """Criteria selecting the members of one list."""
    rule = {"source": "list_membership", "field": "list_id", "op": "contains-any"}
    return {
        "version": "1.0.0",
        "criteria": {"type": "and", "group": [{**rule, "const_value": list_id}]},
    }


async def test_segment_lifecycle(sim_client: Any) -> None:
    """A segment is created, read with its criteria, renamed, replaced, listed and deleted."""
    cc = sim_client
    lst = await cc.lists.create("Segment source")
    made = await cc.segments.create("Members", members_of(lst.list_id))
    assert isinstance(made.segment_id, int)
    got = await cc.segments.get(made.segment_id)
    assert got.criteria() == members_of(lst.list_id)
    renamed = await cc.segments.rename(made.segment_id, "Members (renamed)")
    assert renamed.name == "Members (renamed)"
    other = await cc.lists.create("Other source")
    replaced = await cc.segments.update(made.segment_id, "Replaced", members_of(other.list_id))
    assert replaced.criteria() == members_of(other.list_id)
    assert [s.name async for s in cc.segments.iter_all(sort_by="name")] == ["Replaced"]
    with pytest.raises(ConflictError):
        await cc.segments.create("Replaced", members_of(lst.list_id))
    await cc.segments.delete(made.segment_id)
    assert await cc.segments.find_by_name("Replaced") is None
    assert (await cc.segments.get(made.segment_id)).name == "Replaced"  # deleted, still readable


async def test_unknown_segment_is_not_found(sim_client: Any) -> None:
    """Reading a segment id that was never created is a NotFoundError."""
    with pytest.raises(NotFoundError):
        await sim_client.segments.get(999_999)


async def test_segment_members_through_contacts_search(sim: Any) -> None:
    """Contacts of a segment made with cc.segments come back from cc.contacts.iter_all."""

    async def sleep(seconds: float) -> None:
        sim.clock.advance(seconds)  # the 202-while-computing pauses cost no wall time

    sim.clock.set_scale(0)
    async with Client(
        access_token=sim.token,
        base_url=sim.base_url,
        rate_limiter=RateLimiter.unlimited(),
        sleep=sleep,
    ) as cc:
        await search_segment(cc)


async def search_segment(cc: Client) -> None:
    """Create a one-member segment and read its member back."""
    lst = await cc.lists.create("Searchable")
    contact = await cc.contacts.create(
        NewContact(
            email_address=EmailAddress(address="seg@example.com"),
            create_source="Account",
            list_memberships=[lst.list_id],
        )
    )
    segment = await cc.segments.create("Searchable members", members_of(lst.list_id))
    found = [c.contact_id async for c in cc.contacts.iter_all(segment_id=segment.segment_id)]
    assert found == [contact.contact_id]
