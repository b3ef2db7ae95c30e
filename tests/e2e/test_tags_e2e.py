"""cc.tags end to end against the simulator on loopback."""

from __future__ import annotations

from typing import Any

import pytest

from ccasync.errors import ConflictError, NotFoundError
from ccasync.models.contacts import EmailAddress, NewContact


@pytest.fixture(autouse=True)
def fast_clock(sim: Any) -> None:
    """Run the simulator's clock 20x faster so that bulk activities end in milliseconds."""
    sim.clock.set_scale(20.0)


async def test_tag_crud_paging_and_delete_activity(sim_client: Any) -> None:
    """Create, count, rename, page (cursor), find and delete (202 activity) tags."""
    cc = sim_client
    tag = await cc.tags.create("Gold", tag_source="ccasync-tests")
    assert tag.tag_id is not None
    contact = await cc.contacts.create(
        NewContact(email_address=EmailAddress(address="g@example.com"), create_source="Account")
    )
    assert contact.contact_id is not None
    await cc.activities.wait(
        await cc.activities.add_tags([tag.tag_id], contact_ids=[contact.contact_id]),
        initial=0.01,
    )
    counted = await cc.tags.get(tag.tag_id, include_count=True)
    assert counted.contacts_count == 1
    renamed = await cc.tags.rename(tag.tag_id, "Platinum")
    assert (renamed.name, renamed.tag_source) == ("Platinum", "ccasync-tests")

    for i in range(4):
        await cc.tags.create(f"T{i}")
    names = [t.name async for t in cc.tags.iter_all(limit=2)]
    assert sorted(names) == ["Platinum", "T0", "T1", "T2", "T3"]
    assert await cc.tags.find_by_name("T2") is not None

    job = await cc.tags.delete(tag.tag_id)
    done = await cc.activities.wait(job, initial=0.01, timeout=10)
    assert done.state == "completed"
    with pytest.raises(NotFoundError):
        await cc.tags.get(tag.tag_id)
    again = await cc.contacts.get(contact.contact_id, include=["taggings"])
    assert not again.taggings


async def test_duplicate_tag_conflicts(sim_client: Any) -> None:
    """A second tag with the same name is a ConflictError."""
    await sim_client.tags.create("Same")
    with pytest.raises(ConflictError):
        await sim_client.tags.create("Same")
