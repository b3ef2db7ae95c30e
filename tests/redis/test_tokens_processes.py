"""The Redis token store across real processes: one refresh, and a too-short lease stays safe."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from ccasync.redis import RedisCoordinator
from tests.auth.test_auth_store_processes import rejected_pair, token_answers, worker_spec
from tests.processes import run_workers

WORKER = "tests.auth.refresh_worker"


@pytest.fixture
async def osim() -> AsyncIterator[Any]:
    """The simulator with API limits off and its token endpoint at 1 request/second."""
    from ccasync.sim import SimConfig, serve

    async with serve(SimConfig(per_second=None, per_day=None)) as running:
        yield running


async def test_four_processes_refresh_once(
    osim: Any, coordinator: RedisCoordinator, redis_url: str, redis_namespace: str
) -> None:
    """4 processes x 25 concurrent 401s on one Redis store: 1 token request, 0 invalid_grant."""
    await coordinator.token_store("acct").save(rejected_pair(osim))
    where = {"redis": redis_url, "namespace": redis_namespace, "name": "acct"}
    results = await run_workers(WORKER, [worker_spec(osim, where, calls=25)] * 4, deadline=90)
    assert token_answers(osim) == {200: 1}
    assert [r["ok"] for r in results] == [25] * 4
    assert sum(r["refreshes"] for r in results) == 1


async def test_too_short_lease_never_goes_back_and_nobody_reconsents(
    osim: Any, coordinator: RedisCoordinator, redis_url: str, redis_namespace: str
) -> None:
    """A holder frozen past its lease between answer and save: its pair still wins, no consent."""
    store = coordinator.token_store("acct")
    await store.save(rejected_pair(osim))
    where = {"redis": redis_url, "namespace": redis_namespace, "name": "acct", "lease_ttl": 0.05}
    # token_timeout 1 s: the lease is kept for 2 s before sending; the first saver then
    # freezes 2.5 s, so its lease expires and the other process takes over mid-refresh; its
    # invalid_grant grace (2 s again) leaves the frozen holder ample time to save.
    stalled = worker_spec(osim, where, calls=5, token_timeout=1.0, stall=2.5)
    results = await run_workers(WORKER, [stalled, stalled], deadline=90)
    stored = await store.load()
    assert [r["reauthorize"] for r in results] == [0, 0]
    assert [r["ok"] for r in results] == [5, 5]
    answers = token_answers(osim)
    assert answers[200] == 1
    assert answers[400] >= 1  # the takeover happened: its request met the spent refresh token
    assert sum(r["refreshes"] for r in results) == 1
    assert stored is not None
    assert stored.access_token != "revoked-access-token"
