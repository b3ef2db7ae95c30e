"""cc.lists end to end against the simulator on loopback."""

from __future__ import annotations

from typing import Any

import pytest

from ccasync.errors import ConflictError, NotFoundError
from ccasync.models.activities import JsonImportContact


@pytest.fixture(autouse=True)
def fast_clock(sim: Any) -> None:
    """Run the simulator's clock 20x faster so that bulk activities end in milliseconds."""
    sim.clock.set_scale(20.0)


async def test_list_crud_counts_and_delete_activity(sim_client: Any) -> None:
    """Create, count members, rename, page, find by name, delete (202 activity) and wait."""
    cc = sim_client
    made = await cc.lists.create("VIP", description="Best customers", favorite=True)
    assert made.list_id is not None
    rows = [JsonImportContact(email=f"v{i}@example.com") for i in range(3)]
    await cc.activities.wait(
        await cc.activities.import_contacts(rows, [made.list_id]), initial=0.01
    )
    counted = await cc.lists.get(made.list_id, include_membership_count="all")
    assert counted.membership_count == 3

    counted.name = "VIP customers"
    counted.description = "Renamed"
    renamed = await cc.lists.update(counted)
    assert (renamed.name, renamed.description) == ("VIP customers", "Renamed")
    assert await cc.lists.find_by_name("VIP") is None
    found = await cc.lists.find_by_name("VIP customers")
    assert found is not None
    assert found.list_id == made.list_id

    for i in range(4):
        await cc.lists.create(f"Extra {i}")
    names = [x.name async for x in cc.lists.iter_all(limit=2)]
    assert "VIP customers" in names
    assert len(names) == len(set(names)) >= 5

    job = await cc.lists.delete(made.list_id)
    assert job.activity_id is not None
    finished = await cc.activities.wait(job, initial=0.01, timeout=10)
    assert finished.state == "completed"
    with pytest.raises(NotFoundError):
        await cc.lists.get(made.list_id)


async def test_duplicate_list_name_conflicts(sim_client: Any) -> None:
    """A second list with the same name is a ConflictError."""
    await sim_client.lists.create("Twins")
    with pytest.raises(ConflictError):
        await sim_client.lists.create("Twins")
