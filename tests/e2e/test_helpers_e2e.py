"""get_or_create (lists, tags, custom fields) under concurrent creates, and campaigns.wait_sent."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

import pytest

from ccasync import Client
from ccasync.errors import CampaignActivityStateError, ValidationError, WaitTimeoutError
from tests.e2e.test_campaigns_e2e import list_with, new_campaign, primary


async def test_lists_get_or_create_survives_concurrent_creates(sim_client: Client) -> None:
    """Eight concurrent get_or_create calls for one name give one list, no ConflictError."""
    made = await asyncio.gather(*(sim_client.lists.get_or_create("Sign-ups") for _ in range(8)))
    assert len({item.list_id for item in made}) == 1
    names = [item.name async for item in sim_client.lists.iter_all()]
    assert names.count("Sign-ups") == 1


async def test_tags_get_or_create_survives_concurrent_creates(sim_client: Client) -> None:
    """Concurrent tag get_or_create calls converge on one tag."""
    made = await asyncio.gather(*(sim_client.tags.get_or_create("vip") for _ in range(5)))
    assert len({item.tag_id for item in made}) == 1


async def test_custom_fields_get_or_create_survives_concurrent_creates(sim_client: Client) -> None:
    """Concurrent custom field get_or_create calls converge on one field; a second call reads it."""
    made = await asyncio.gather(
        *(sim_client.custom_fields.get_or_create("Loyalty tier") for _ in range(5))
    )
    assert len({item.custom_field_id for item in made}) == 1
    again = await sim_client.custom_fields.get_or_create("Loyalty tier")
    assert again.custom_field_id == made[0].custom_field_id


@pytest.fixture
def cc(sim_client: Client, sim: Any) -> Client:
    """The simulator client with campaigns.clock on the simulator's virtual clock."""
    sim_client.campaigns.clock = sim.clock.now
    return sim_client


async def test_wait_sent_returns_the_done_activity(cc: Client, sim: Any) -> None:
    """After send_now, wait_sent polls until the activity is DONE and returns it."""
    list_id = await list_with(cc, sim, "Readers", ["a@example.com", "b@example.com"])
    activity_id = primary(await new_campaign(cc))
    await cc.campaigns.set_lists(activity_id, [list_id])
    await cc.campaigns.send_now(activity_id)
    sim.clock.advance(3600)
    done = await cc.campaigns.wait_sent(activity_id, timeout=30, interval=0.05)
    assert done.current_status == "DONE"


async def test_wait_sent_refuses_a_draft_and_times_out_on_a_future_schedule(
    cc: Client, sim: Any
) -> None:
    """A DRAFT is a state error at once; a send scheduled next week outlasts a short timeout."""
    list_id = await list_with(cc, sim, "Readers", ["a@example.com"])
    activity_id = primary(await new_campaign(cc))
    with pytest.raises(CampaignActivityStateError, match="not scheduled"):
        await cc.campaigns.wait_sent(activity_id, timeout=5)
    await cc.campaigns.set_lists(activity_id, [list_id])

    await cc.campaigns.schedule(activity_id, sim.clock.now() + dt.timedelta(days=7))
    with pytest.raises(WaitTimeoutError, match="still SCHEDULED"):
        await cc.campaigns.wait_sent(activity_id, timeout=0.1, interval=0.05)
    with pytest.raises(ValidationError):
        await cc.campaigns.wait_sent(activity_id, timeout=float("nan"))
