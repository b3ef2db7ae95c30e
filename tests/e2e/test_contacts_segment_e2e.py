"""cc.contacts.iter_all(segment_id=...) against the simulator: the 202-while-computing quirk.

The client has no segments resource, so segments are created with raw HTTP. The simulator's clock
is frozen and the client's sleep advances it, so the retries cost no wall time.
"""

from __future__ import annotations

from typing import Any

import aiohttp
import orjson
import pytest

from ccasync.errors import WaitTimeoutError
from ccasync.models.contacts import EmailAddress, NewContact


async def create_segment(sim: Any, name: str, list_id: str) -> int:
    """POST /v3/segments (members of ``list_id``) with raw HTTP; the new segment's id."""
    criteria = {
        "version": "1.0.0",
        "criteria": {
            "type": "and",
            "group": [
                {
                    "source": "list_membership",
                    "field": "list_id",
                    "op": "contains-any",
                    "const_value": list_id,
                }
            ],
        },
    }
    body = {"name": name, "segment_criteria": orjson.dumps(criteria).decode()}
    headers = {"Authorization": f"Bearer {sim.token}"}
    async with (
        aiohttp.ClientSession() as session,
        session.post(f"{sim.base_url}/segments", json=body, headers=headers) as response,
    ):
        assert response.status == 201, await response.text()
        return int((await response.json())["segment_id"])


async def populate(cc: Any, list_id: str, emails: list[str]) -> list[str]:
    """Create one contact per address on ``list_id``; their ids in creation order."""
    ids = []
    for email in emails:
        made = await cc.contacts.create(
            NewContact(
                email_address=EmailAddress(address=email),
                create_source="Account",
                list_memberships=[list_id],
            )
        )
        ids.append(made.contact_id)
    return ids


@pytest.fixture
def clock_sleep(sim: Any, sim_client: Any, monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Freeze the simulator's clock and make the client's sleep advance it; the delays slept."""
    delays: list[float] = []

    async def sleep(seconds: float) -> None:
        delays.append(seconds)
        sim.clock.advance(seconds)

    sim.clock.set_scale(0)
    monkeypatch.setattr(sim_client._requestor, "sleep", sleep)
    return delays


async def test_segment_contacts_retry_202_then_page(
    sim: Any, sim_client: Any, clock_sleep: list[float]
) -> None:
    """202 answers are retried with doubling sleeps; then every member arrives over two pages."""
    cc = sim_client
    members = await cc.lists.create("Members")
    others = await cc.lists.create("Others")
    ids = await populate(cc, members.list_id, ["a@example.com", "b@example.com", "c@example.com"])
    await populate(cc, others.list_id, ["x@example.com"])
    segment_id = await create_segment(sim, "Members only", members.list_id)
    found = [c.contact_id async for c in cc.contacts.iter_all(segment_id=segment_id, limit=2)]
    assert found == ids
    assert clock_sleep == [1.0, 2.0]
    assert sim.log.count(method="GET", path="/v3/contacts", status=202) == 2
    assert sim.log.count(method="GET", path="/v3/contacts", status=200) == 2


async def test_segment_never_ready_raises_timeout(
    sim: Any, sim_client: Any, clock_sleep: list[float]
) -> None:
    """A segment still computing after the client's bounded tries ends in WaitTimeoutError."""
    from ccasync.resources.contacts import SEGMENT_TRIES

    lst = await sim_client.lists.create("Slow")
    segment_id = await create_segment(sim, "Slow", lst.list_id)
    sim.state.default_account.segments.compute_seconds = 100_000.0
    with pytest.raises(WaitTimeoutError, match="segment"):
        async for _ in sim_client.contacts.iter_all(segment_id=segment_id):
            pass
    assert sim.log.count(method="GET", path="/v3/contacts", status=202) == SEGMENT_TRIES
    assert len(clock_sleep) == SEGMENT_TRIES
