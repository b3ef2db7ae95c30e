"""Redis list leases: exclusive, kept alive by the holder, lost when stalled; across processes."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from ccasync import ConfigError
from ccasync.ops import ListPool
from ccasync.redis import RedisCoordinator
from ccasync.redis._lists import RedisListLeases
from tests.ops.campaigns.test_audience_processes import audience_spec, check_deliveries
from tests.processes import run_workers


async def test_lease_is_exclusive_until_released(coordinator: RedisCoordinator) -> None:
    """A list leased by one batch cannot be leased by another until released (owner-checked)."""
    leases = RedisListLeases(coordinator, "welcome")
    first = await leases.try_lease("list-1")
    assert first is not None
    assert await leases.try_lease("list-1") is None
    assert await first.held()
    await first.release()
    second = await leases.try_lease("list-1")
    assert second is not None
    await first.release()  # a stale holder's release does not free the new holder's lease
    assert await leases.try_lease("list-1") is None
    await second.release()


async def test_heartbeat_keeps_a_long_batch_leased(coordinator: RedisCoordinator) -> None:
    """A live holder keeps its lease well past the TTL (the heartbeat extends it)."""
    leases = RedisListLeases(coordinator, "welcome", lease_ttl=0.09)
    lease = await leases.try_lease("list-1")
    assert lease is not None
    await asyncio.sleep(0.3)
    assert await leases.try_lease("list-1") is None
    assert await lease.held()
    await lease.release()


async def test_lease_taken_after_expiry_is_reported_lost(coordinator: RedisCoordinator) -> None:
    """When a lapsed lease was taken by another batch, the first holder's held() is False."""
    leases = RedisListLeases(coordinator, "welcome", lease_ttl=0.05)
    stalled = await leases.try_lease("list-1")
    assert stalled is not None
    await stalled.release()  # stop its heartbeat, as a frozen process would not beat
    key = coordinator.key("lp.welcome", "lease", "list-1")
    await coordinator.client.set(key, "someone-else")
    assert not await stalled.held()


def test_list_pool_from_the_coordinator(coordinator: RedisCoordinator) -> None:
    """coord.list_pool builds a ListPool on Redis leases; a bad prefix is a ConfigError."""
    pool = coordinator.list_pool("orders-notify", 5)
    assert isinstance(pool, ListPool)
    assert isinstance(pool.leases, RedisListLeases)
    with pytest.raises(ConfigError, match="list pool prefix"):
        coordinator.list_pool("a b")


@pytest.fixture
async def fast_sim() -> AsyncIterator[Any]:
    """The simulator with limits off, its clock 20x faster than the wall."""
    from ccasync.sim import SimConfig, serve

    async with serve(SimConfig(per_second=None, per_day=None, time_scale=20)) as running:
        yield running


async def test_processes_share_a_redis_leased_pool(
    fast_sim: Any, redis_url: str, redis_namespace: str
) -> None:
    """3 processes x 3 one-person batches on a Redis-leased pool: nobody gets another's mail."""
    where = {"redis": redis_url, "namespace": redis_namespace}
    specs = [
        audience_spec(fast_sim, where, f"p{w}", size=3, batches=3, concurrency=2) for w in range(3)
    ]
    results = await run_workers("tests.ops.campaigns.audience_worker", specs, deadline=120)
    assert [r["errors"] for r in results] == [[], [], []]
    assert [r["sent"] for r in results] == [[1, 1, 1]] * 3
    check_deliveries(fast_sim, 9)
