"""A/B tests and user privileges against the simulator (both routes exist there already)."""

from __future__ import annotations

from typing import Any

import pytest

from ccasync.errors import NotFoundError
from ccasync.models.campaigns import ABTestData
from tests.e2e.test_campaigns_e2e import new_campaign


async def test_abtest_lifecycle(sim_client: Any) -> None:
    """An A/B test is added to a draft, read back, and removed (then reading it is 404)."""
    cc = sim_client
    campaign = await new_campaign(cc, "AB subject test")
    activity_id = campaign.primary_activity_id
    test = ABTestData(alternative_subject="Last chance", test_size=20, winner_wait_duration=12)
    made = await cc.campaigns.create_abtest(activity_id, test)
    assert made.alternative_subject == "Last chance"
    assert (await cc.campaigns.get_abtest(activity_id)).test_size == 20
    await cc.campaigns.delete_abtest(activity_id)
    with pytest.raises(NotFoundError):
        await cc.campaigns.get_abtest(activity_id)


async def test_owner_has_the_write_privileges(sim_client: Any) -> None:
    """The default account's owner holds contacts:write and campaign:send."""
    names = {p.privilege_name for p in await sim_client.account.user_privileges()}
    assert {"contacts:write", "campaign:send"} <= names
