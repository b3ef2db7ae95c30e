"""Rate limits and injected faults, observed over HTTP."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from ccasync.sim import SimConfig, serve

MIDNIGHT_MINUS_2 = dt.datetime(2026, 5, 1, 23, 59, 58, tzinfo=dt.UTC)


async def _get(
    session: aiohttp.ClientSession, sim: Any, token: str, path: str = "/contacts"
) -> tuple[int, Any, Any]:
    async with session.get(
        sim.base_url + path, headers={"Authorization": f"Bearer {token}"}
    ) as resp:
        return resp.status, await resp.json(), resp.headers


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    """A plain client session."""
    async with aiohttp.ClientSession() as client:
        yield client


async def test_per_second_limit_is_shared_by_the_accounts_of_a_key(
    session: aiohttp.ClientSession,
) -> None:
    """Two accounts of one key share 4/s: the 5th request in the frozen second is throttled."""
    config = SimConfig(per_second=4, per_day=None, time_scale=0, start_time=MIDNIGHT_MINUS_2)
    async with serve(config) as sim:
        other = sim.add_account(name="Second")
        statuses = [(await _get(session, sim, t))[0] for t in [sim.token, other.token] * 3]
        assert statuses == [200, 200, 200, 200, 429, 429]
        _status, body, headers = await _get(session, sim, sim.token)
        assert body == {"error_key": "throttled", "error_message": "Too Many Requests"}
        assert "Retry-After" not in headers
        sim.clock.advance(1.0)
        assert (await _get(session, sim, other.token))[0] == 200
        assert sim.log.count(status=429, client_id=sim.client_id) == 3


async def test_other_keys_have_their_own_budget(session: aiohttp.ClientSession) -> None:
    """A second API key is not throttled by the first key's traffic."""
    async with serve(SimConfig(per_second=1, per_day=None, time_scale=0)) as sim:
        sim.add_api_key("other-key")
        other = sim.add_account("other-key", name="Other")
        assert (await _get(session, sim, sim.token))[0] == 200
        assert (await _get(session, sim, sim.token))[0] == 429
        assert (await _get(session, sim, other.token))[0] == 200


async def test_daily_quota_resets_at_simulated_midnight(session: aiohttp.ClientSession) -> None:
    """After per_day requests: quota_exceeded until 00:00 UTC of simulated time."""
    config = SimConfig(per_second=None, per_day=3, time_scale=0, start_time=MIDNIGHT_MINUS_2)
    async with serve(config) as sim:
        statuses = [(await _get(session, sim, sim.token))[0] for _ in range(4)]
        assert statuses == [200, 200, 200, 429]
        assert (await _get(session, sim, sim.token))[1] == {
            "error_key": "quota_exceeded",
            "error_message": "Limit Exceeded",
        }
        sim.clock.advance(2.0)
        assert (await _get(session, sim, sim.token))[0] == 200


async def test_scripted_nth_fault_and_retry_after_option(session: aiohttp.ClientSession) -> None:
    """nth:2:503 answers only the 2nd GET /v3/contacts; a retry-after option adds the header."""
    faults = "nth:2:503!retry-after=3@GET /v3/contacts"
    async with serve(SimConfig(per_second=None, per_day=None, faults=faults)) as sim:
        results = [await _get(session, sim, sim.token) for _ in range(3)]
        assert [r[0] for r in results] == [200, 503, 200]
        assert results[1][2]["Retry-After"] == "3"
        assert [e.fault for e in sim.log] == ["", "503", ""]


async def test_injected_faults_do_not_consume_the_limits(session: aiohttp.ClientSession) -> None:
    """A faulted request is answered before auth and limits, so it costs no quota."""
    async with serve(
        SimConfig(per_second=None, per_day=2, faults="nth:1:500", time_scale=0)
    ) as sim:
        statuses = [(await _get(session, sim, sim.token))[0] for _ in range(4)]
        assert statuses == [500, 200, 200, 429]


async def test_reset_runs_the_request_then_drops_the_connection(
    session: aiohttp.ClientSession,
) -> None:
    """A reset POST is applied (the list exists) but the client sees a broken response."""
    faults = "nth:1:reset@POST /v3/contact_lists"
    async with serve(SimConfig(per_second=None, per_day=None, faults=faults)) as sim:
        headers = {"Authorization": f"Bearer {sim.token}"}
        with pytest.raises(aiohttp.ClientError):
            async with session.post(
                sim.base_url + "/contact_lists", json={"name": "A"}, headers=headers
            ) as resp:
                await resp.read()
        assert [lst.name for lst in sim.state.default_account.live_lists()] == ["A"]
        status, body, _ = await _get(session, sim, sim.token, "/contact_lists")
        assert status == 200
        assert body["lists"][0]["name"] == "A"


async def test_hang_outlasts_the_client_timeout(session: aiohttp.ClientSession) -> None:
    """A hung request never answers in time; the server frees it once the client gives up."""
    async with serve(SimConfig(per_second=None, per_day=None, faults="nth:1:hang")) as sim:
        timeout = aiohttp.ClientTimeout(total=0.2)
        with pytest.raises(asyncio.TimeoutError):
            async with session.get(
                sim.base_url + "/contacts",
                timeout=timeout,
                headers={"Authorization": f"Bearer {sim.token}"},
            ) as resp:
                await resp.read()
        assert (await _get(session, sim, sim.token))[0] == 200
        for _ in range(200):  # the server notices the dropped client within ~50 ms
            if sim.log.filter(status=504):
                break
            await asyncio.sleep(0.01)
        assert [e.fault for e in sim.log.filter(status=504)] == ["hang"]


async def test_latency_and_burst_rules(session: aiohttp.ClientSession) -> None:
    """429burst:2 throttles the first two matching calls; latency adds wall time to each call."""
    faults = "429burst:2@/v3/contact_lists*, latency:20ms"
    async with serve(SimConfig(per_second=None, per_day=None, faults=faults)) as sim:
        loop = asyncio.get_running_loop()
        began = loop.time()
        statuses = [(await _get(session, sim, sim.token, "/contact_lists"))[0] for _ in range(3)]
        assert statuses == [429, 429, 200]
        assert loop.time() - began >= 0.06


async def test_bad_fault_spec_fails_at_start() -> None:
    """serve() refuses an unparsable fault spec with FaultSpecError."""
    from ccasync.sim import FaultSpecError

    with pytest.raises(FaultSpecError):
        async with serve(SimConfig(faults="explode:1")):
            pass


async def test_queued_activity_cap_answers_429(session: aiohttp.ClientSession) -> None:
    """With the queue full, a new bulk activity is refused with the queue-cap 429."""
    async with serve(
        SimConfig(per_second=None, per_day=None, time_scale=0, queued_activity_cap=2)
    ) as sim:
        headers = {"Authorization": f"Bearer {sim.token}"}
        body = {"tag_ids": ["0f8c7a0e-3c54-4a55-9f39-2e1a46d6c1f1"]}
        codes = []
        for _ in range(3):
            async with session.post(
                sim.base_url + "/activities/contacts_tags_delete", json=body, headers=headers
            ) as resp:
                codes.append((resp.status, await resp.json()))
        assert [c[0] for c in codes] == [201, 201, 429]
        assert codes[2][1]["error_key"] == "too_many_requests"
        assert "1,000 queued activities" in codes[2][1]["error_message"]


async def test_sliding_rule_never_admits_more_than_n_in_any_window(
    session: aiohttp.ClientSession,
) -> None:
    """Bursts while the clock steps 0.1 s: admitted requests never exceed 4 in any second."""
    async with serve(SimConfig(per_second=4, per_day=None, time_scale=0)) as sim:
        for _ in range(25):
            await asyncio.gather(*(_get(session, sim, sim.token) for _ in range(3)))
            sim.clock.advance(0.1)
        assert sim.log.max_in_window(1.0, status=200) == 4
        assert sim.log.count(status=429) > 0
