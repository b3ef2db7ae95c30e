"""The Redis job journal (``coord.journal()``) keeps the Journal rules; expiry on Redis' clock."""

from __future__ import annotations

import asyncio
import socket
import sys
from typing import Any

from ccasync.journal import new_owner
from ccasync.ops import create_campaigns_for_locations
from tests import journal_contract as contract


async def test_steps_round_trip(coordinator: Any) -> None:
    """Steps written under a claim read back with their phase and data."""
    await contract.check_steps_round_trip(coordinator.journal())


async def test_fingerprint_mismatch(coordinator: Any) -> None:
    """A job id reused with another input is a ValidationError."""
    await contract.check_fingerprint_mismatch(coordinator.journal())


async def test_claims_exclude_and_fence(coordinator: Any) -> None:
    """Two owners never hold one job; a stale owner's writes are refused after a takeover."""
    await contract.check_claim_excludes_and_fences(coordinator.journal(), asyncio.sleep)


async def test_release_frees(coordinator: Any) -> None:
    """A released job is claimable at once and keeps its steps."""
    await contract.check_release_frees(coordinator.journal())


async def test_jobrun_merges(coordinator: Any) -> None:
    """JobRun merges a step's outcome over its intent and reads steps back on the next run."""
    await contract.check_jobrun_merges(coordinator.journal())


async def test_forget(coordinator: Any) -> None:
    """forget deletes a finished or abandoned job, never one being run (Redis' clock)."""
    await contract.check_forget(coordinator.journal(), asyncio.sleep)


async def test_non_json_data_is_refused(coordinator: Any) -> None:
    """Step data that is not JSON is a ValidationError, as with the other journals."""
    await contract.check_non_json_data_is_refused(coordinator.journal())


async def test_namespaces_do_not_mix(coordinator: Any, redis_url: str) -> None:
    """The same job id in two namespaces is two jobs."""
    from ccasync.redis import RedisCoordinator

    other = RedisCoordinator.from_url(redis_url, namespace=coordinator.namespace + "x")
    try:
        await other.journal().claim("job", "fp-other", owner="o", ttl=60)
        claim = await coordinator.journal().claim("job", "fp", owner="o", ttl=60)
        assert claim.token == 1
    finally:
        await other.aclose()


async def test_dead_local_owner_is_taken_over(coordinator: Any) -> None:
    """A claim held by a process of this host that has ended is taken over at once."""
    proc = await asyncio.create_subprocess_exec(sys.executable, "-c", "pass")
    await proc.wait()
    journal = coordinator.journal()
    first = await journal.claim("job", "fp", owner=f"{socket.gethostname()}:{proc.pid}:x", ttl=600)
    taken = await journal.claim("job", "fp", owner=new_owner(), ttl=600)
    assert taken.token == first.token + 1


async def test_fanout_rerun_through_the_redis_journal_costs_no_call(coordinator: Any) -> None:
    """A fan-out journaled in Redis is resumed (here: found finished) at no call."""
    from ccasync import Client, RateLimiter
    from ccasync.sim import SimConfig, serve
    from tests.chaos_job import TEMPLATE, locations

    journal = coordinator.journal()
    async with (
        serve(SimConfig(per_second=None, per_day=None)) as sim,
        Client(
            access_token=sim.token, base_url=sim.base_url, rate_limiter=RateLimiter.unlimited()
        ) as cc,
    ):
        target = await cc.lists.create("redis journal")
        places = locations(3, target.list_id)
        first = await create_campaigns_for_locations(
            cc, TEMPLATE, places, journal=journal, job_id="redis-fanout"
        )
        again = await create_campaigns_for_locations(
            cc, TEMPLATE, places, journal=journal, job_id="redis-fanout"
        )
    assert first.ok
    assert again.calls == 0
    assert [i.scheduled_utc for i in again] == [i.scheduled_utc for i in first]


async def test_a_job_held_by_a_dead_local_process_can_be_forgotten(coordinator: Any) -> None:
    """forget does not wait for the claim of a process of this host that has ended."""
    from ccasync.journal import StepWrite

    journal = coordinator.journal()
    proc = await asyncio.create_subprocess_exec(sys.executable, "-c", "pass")
    await proc.wait()
    claim = await journal.claim(
        "job-dead", "fp", owner=f"{socket.gethostname()}:{proc.pid}:x", ttl=600
    )
    await journal.write(claim, [StepWrite("s", "done", {})])
    assert await journal.forget("job-dead") is True
    assert await journal.steps("job-dead") == {}
