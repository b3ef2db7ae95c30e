"""ListPool across real processes: one-person batches, each recipient gets only their own mail."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from tests.processes import run_workers

WORKER = "tests.ops.campaigns.audience_worker"


@pytest.fixture
async def fast_sim() -> AsyncIterator[Any]:
    """The simulator with limits off, its clock 20x faster than the wall (sends finish soon)."""
    from ccasync.sim import SimConfig, serve

    async with serve(SimConfig(per_second=None, per_day=None, time_scale=20)) as running:
        yield running


def audience_spec(sim: Any, leases: dict[str, Any], worker: str, **kw: Any) -> dict[str, Any]:
    """One worker: its name, the simulator, the shared leases and the batch plan."""
    return {
        **leases,
        "worker": worker,
        "token": sim.token,
        "base_url": sim.base_url,
        "prefix": "welcome",
        **kw,
    }


def check_deliveries(sim: Any, batches: int) -> None:
    """Every campaign reached exactly its own batch's customer, and every batch was sent."""
    campaigns = list(sim.state.default_account.campaigns.campaigns.values())
    assert len(campaigns) == batches
    for campaign in campaigns:
        batch = campaign.name.removeprefix("Welcome ")
        emails = {d.email for d in campaign.primary.tracking.deliveries.values()}
        assert emails == {f"{batch}@example.net"}, campaign.name


async def test_processes_share_a_file_leased_pool(fast_sim: Any, tmp_path: Path) -> None:
    """3 processes x 3 one-person batches through a 3-list pool: nobody gets another's mail."""
    specs = [
        audience_spec(fast_sim, {"dir": str(tmp_path)}, f"p{w}", size=3, batches=3, concurrency=2)
        for w in range(3)
    ]
    results = await run_workers(WORKER, specs, deadline=120)
    assert [r["errors"] for r in results] == [[], [], []]
    assert [r["sent"] for r in results] == [[1, 1, 1]] * 3
    check_deliveries(fast_sim, 9)
