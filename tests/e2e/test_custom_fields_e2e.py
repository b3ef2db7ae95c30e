"""cc.custom_fields end to end against the simulator on loopback."""

from __future__ import annotations

from typing import Any

import pytest

from ccasync.errors import ConflictError, NotFoundError


async def test_custom_field_crud_and_paging(sim_client: Any) -> None:
    """Create, read, relabel, list across pages, find and delete custom fields."""
    cc = sim_client
    made = await cc.custom_fields.create("Favourite colour")
    assert made.custom_field_id is not None
    assert made.name == "Favourite_colour"
    got = await cc.custom_fields.get(made.custom_field_id)
    got.label = "Favorite color"
    updated = await cc.custom_fields.update(got)
    assert updated.label == "Favorite color"

    for i in range(3):
        await cc.custom_fields.create(f"Extra {i}")
    labels = [f.label async for f in cc.custom_fields.iter_all(limit=2)]
    assert sorted(labels) == ["Extra 0", "Extra 1", "Extra 2", "Favorite color"]
    found = await cc.custom_fields.find_by_name("Extra 1")
    assert found is not None

    await cc.custom_fields.delete(made.custom_field_id)
    with pytest.raises(NotFoundError):
        await cc.custom_fields.get(made.custom_field_id)


async def test_select_field_with_choices(sim_client: Any) -> None:
    """A single_select field keeps its ordered choices."""
    made = await sim_client.custom_fields.create(
        "Size", type="single_select", choices=["S", "M", "L"]
    )
    assert [c.choice_label for c in made.choices] == ["S", "M", "L"]


async def test_duplicate_label_conflicts(sim_client: Any) -> None:
    """A second field with the same label is a ConflictError."""
    await sim_client.custom_fields.create("Twin")
    with pytest.raises(ConflictError):
        await sim_client.custom_fields.create("Twin")
