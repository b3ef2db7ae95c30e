"""cc.automations against the simulator: create a list-join flow, read, list, activate, pause.

Skipped, saying so, while the simulator's router has no automation routes.
"""

from __future__ import annotations

from typing import Any

import pytest

from ccasync.errors import BadRequestError, NotFoundError
from ccasync.models.automations import TriggerDef


async def test_list_join_flow_lifecycle(sim_client: Any) -> None:
    """A list-join flow is created as a draft with an email, found by name, activated, paused."""
    cc = sim_client
    lst = await cc.lists.create("Joiners")
    made = await cc.automations.create(TriggerDef.list_join([lst.list_id]), "Joiner flow")
    assert made.status == "DRAFT"
    assert len(made.email_activity_ids()) == 1
    found = await cc.automations.find_by_name("Joiner flow")
    assert found is not None
    assert found.id == made.automation_flow_id
    active = await cc.automations.set_status(made.automation_flow_id, "ACTIVE")
    assert active.status == "ACTIVE"
    paused = await cc.automations.set_status(made.automation_flow_id, "PAUSED")
    assert paused.status == "PAUSED"


async def test_unknown_list_and_unknown_flow(sim_client: Any) -> None:
    """A list-join on a list that does not exist is a 400; an unknown flow id a 404."""
    missing = "0c7e2c3e-1b1a-4b59-9b3a-000000000000"
    with pytest.raises(BadRequestError):
        await sim_client.automations.create(TriggerDef.list_join([missing]))
    with pytest.raises(NotFoundError):
        await sim_client.automations.get(missing)
