"""The core stack against the real simulator on loopback: faults, limits, auth, pagination."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from ccasync import (
    AuthenticationError,
    Client,
    QuotaExhaustedError,
    RateLimiter,
    RateLimitError,
    RateLimitKind,
    RequestTimeoutError,
    ServerError,
)
from ccasync._retry import Replay
from ccasync.config import RetryPolicy
from ccasync.sim import SimConfig, serve

FAST_RETRY = RetryPolicy(base_delay=0.01, max_delay=0.05, throttle_pause=0.05)


def _client(sim: Any, **kw: Any) -> Client:
    kw.setdefault("rate_limiter", RateLimiter.unlimited())
    kw.setdefault("retry", FAST_RETRY)
    return Client(access_token=sim.token, base_url=sim.base_url, **kw)


def _statuses(sim: Any, path: str) -> list[int]:
    return [e.status for e in sim.log.entries if e.path == path]


async def test_get_survives_scripted_503s() -> None:
    """Two scripted 503s on a GET are retried; the third try succeeds."""
    faults = "nth:1:503@GET /v3/account/summary,nth:2:503@GET /v3/account/summary"
    async with serve(SimConfig(per_second=None, per_day=None, faults=faults)) as sim:
        async with _client(sim) as cc:
            resp = await cc._requestor.request("GET", "/account/summary")
        assert resp.status == 200
        assert _statuses(sim, "/v3/account/summary") == [503, 503, 200]


async def test_get_survives_connection_reset() -> None:
    """A connection reset mid-response is a TransportError that a GET retries through."""
    faults = "nth:1:reset@GET /v3/account/summary"
    async with serve(SimConfig(per_second=None, per_day=None, faults=faults)) as sim:
        async with _client(sim) as cc:
            resp = await cc._requestor.request("GET", "/account/summary")
        assert resp.status == 200
        assert cc.calls == 2


async def test_post_not_repeated_after_5xx() -> None:
    """A create (plain POST) that met a 500 is not sent twice."""
    faults = "nth:1:500@POST /v3/contact_lists"
    async with serve(SimConfig(per_second=None, per_day=None, faults=faults)) as sim:
        async with _client(sim) as cc:
            with pytest.raises(ServerError):
                await cc._requestor.request("POST", "/contact_lists", json={"name": "once"})
        assert _statuses(sim, "/v3/contact_lists") == [500]


async def test_hang_becomes_timeout_and_post_is_not_repeated() -> None:
    """A server that never answers gives RequestTimeoutError; the POST is not repeated."""
    faults = "hang@POST /v3/contact_lists"
    async with serve(SimConfig(per_second=None, per_day=None, faults=faults)) as sim:
        async with _client(sim, timeout=0.3) as cc:
            with pytest.raises(RequestTimeoutError):
                await cc._requestor.request("POST", "/contact_lists", json={"name": "slow"})
            assert cc.calls == 1


async def test_throttle_burst_is_retried_and_slows_the_limiter() -> None:
    """A burst of throttled 429s is retried and reported to the shared limiter."""
    faults = "429burst:3@GET /v3/account/summary"
    limiter = RateLimiter(per_second=50, per_day=None)
    async with serve(SimConfig(per_second=None, per_day=None, faults=faults)) as sim:
        async with _client(sim, rate_limiter=limiter) as cc:
            resp = await cc._requestor.request("GET", "/account/summary")
        assert resp.status == 200
        assert _statuses(sim, "/v3/account/summary") == [429, 429, 429, 200]
    assert limiter.stats().throttles == 3


async def test_strict_limiter_draws_no_429_from_a_sliding_window_server() -> None:
    """30 concurrent calls paced at 20/s meet a 20/s sliding-window server without one 429."""
    limiter = RateLimiter(per_second=20, per_day=None)
    async with serve(SimConfig(per_second=20, per_day=None, rate_rule="sliding")) as sim:
        async with _client(sim, rate_limiter=limiter, retry=RetryPolicy(max_attempts=1)) as cc:
            await asyncio.wait_for(
                asyncio.gather(
                    *(cc._requestor.request("GET", "/account/summary") for _ in range(30))
                ),
                timeout=20,
            )
        assert _statuses(sim, "/v3/account/summary") == [200] * 30


async def test_daily_quota_from_server_is_final() -> None:
    """The server's quota_exceeded 429 is raised at once, never retried."""
    async with serve(SimConfig(per_second=None, per_day=3)) as sim:
        async with _client(sim) as cc:
            for _ in range(3):
                await cc._requestor.request("GET", "/account/summary")
            with pytest.raises(RateLimitError) as info:
                await cc._requestor.request("GET", "/account/summary")
        assert info.value.kind is RateLimitKind.DAILY_QUOTA
        assert _statuses(sim, "/v3/account/summary")[-1] == 429
        assert len(_statuses(sim, "/v3/account/summary")) == 4


async def test_local_daily_ledger_stops_before_sending() -> None:
    """With the client's ledger spent, no request reaches the server."""
    limiter = RateLimiter(per_second=100, per_day=2)
    async with serve(SimConfig(per_second=None, per_day=None)) as sim:
        async with _client(sim, rate_limiter=limiter) as cc:
            await cc._requestor.request("GET", "/account/summary")
            await cc._requestor.request("GET", "/account/summary")
            with pytest.raises(QuotaExhaustedError):
                await cc._requestor.request("GET", "/account/summary")
        assert len(_statuses(sim, "/v3/account/summary")) == 2


async def test_bad_token_is_authentication_error() -> None:
    """A token the server does not know gives AuthenticationError (single-object 401 body)."""
    async with serve(SimConfig(per_second=None, per_day=None)) as sim:
        async with Client(
            access_token="not-a-token", base_url=sim.base_url, rate_limiter=RateLimiter.unlimited()
        ) as cc:
            with pytest.raises(AuthenticationError) as info:
                await cc._requestor.request("GET", "/account/summary")
    assert info.value.error_keys == ["unauthorized"]


async def test_pagination_walks_every_page(sim: Any, sim_client: Client) -> None:
    """iter_items follows the simulator's cursor links across pages, losing nothing."""
    for i in range(7):
        await sim_client._requestor.request(
            "POST",
            "/contact_lists",
            json={"name": f"list {i}"},
            replay=Replay.NEVER,
        )
    names = [
        item["name"]
        async for item in sim_client._requestor.iter_items(
            "/contact_lists", items_key="lists", model=dict, params={"limit": 2}
        )
    ]
    assert sorted(names) == sorted(f"list {i}" for i in range(7))
    assert sim_client.calls == 7 + 4


async def test_test_send_daily_cap_fails_once_without_retry(sim: Any, sim_client: Client) -> None:
    """The 51st test recipient of the day is a TEST_SENDS 429, raised after a single request."""
    campaign = await sim_client.campaigns.create(
        name="cap check",
        from_name="Shop",
        from_email="owner@example.com",
        reply_to_email="owner@example.com",
        subject="Hello",
        html_content="<html><body>[[trackingImage]] hi</body></html>",
    )
    activity_id = campaign.primary_activity_id
    assert activity_id is not None
    for batch in range(10):
        await sim_client.campaigns.send_test(
            activity_id, [f"qa{batch}-{i}@example.com" for i in range(5)]
        )
    with pytest.raises(RateLimitError) as info:
        await sim_client.campaigns.send_test(activity_id, ["one-too-many@example.com"])
    assert info.value.kind is RateLimitKind.TEST_SENDS
    tests_path = f"/v3/emails/activities/{activity_id}/tests"
    assert _statuses(sim, tests_path) == [204] * 10 + [429]
