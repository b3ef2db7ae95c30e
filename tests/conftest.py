"""Shared fixtures: a fake transport for unit tests, the simulator on loopback for e2e tests."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from ccasync.testing import FakeTransport
from tests import redis_server
from tests.spec.official_spec import SKIP_REASON, spec_path


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """Skip a test marked ``spec`` before its fixtures start when the official spec is absent.

    Raised here (not added as a skip mark) so that ``-ra`` reports all of them on one line.
    """
    if item.get_closest_marker("spec") is not None and spec_path() is None:
        pytest.skip(SKIP_REASON)


async def no_sleep(_: float) -> None:
    """An instant replacement for asyncio.sleep in retry tests."""


@pytest.fixture
def fake_sleep() -> Any:
    """A sleep that records requested delays and returns at once (``.delays``)."""

    class _Sleep:
        def __init__(self) -> None:
            self.delays: list[float] = []

        async def __call__(self, seconds: float) -> None:
            self.delays.append(seconds)

    return _Sleep()


@pytest.fixture
async def sim() -> AsyncIterator[Any]:
    """The simulator on a loopback port with limits off (fast, for functional e2e tests)."""
    from ccasync.sim import SimConfig, serve

    async with serve(SimConfig(per_second=None, per_day=None)) as running:
        yield running


@pytest.fixture
async def sim_client(sim: Any) -> AsyncIterator[Any]:
    """A ccasync.Client on the simulator's default account, without client-side limiting."""
    from ccasync import Client, RateLimiter

    async with Client(
        access_token=sim.token, base_url=sim.base_url, rate_limiter=RateLimiter.unlimited()
    ) as cc:
        yield cc


__all__ = ["FakeTransport", "no_sleep"]


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """The URL of a real redis-server on loopback (CI's, or one started for this session)."""
    given = os.environ.get("CCASYNC_REDIS_URL")
    if given:
        yield given
        return
    binary = redis_server.redis_binary()
    if binary is None:
        if os.environ.get("CCASYNC_REQUIRE_REDIS") == "1":
            pytest.fail(redis_server.SKIP_REASON)
        pytest.skip(redis_server.SKIP_REASON)
    with redis_server.running_redis(binary) as url:
        yield url


@pytest.fixture
def redis_namespace() -> str:
    """A namespace no other test uses, so tests share one server without seeing each other."""
    return f"t{uuid.uuid4().hex[:12]}"


@pytest.fixture
async def coordinator(redis_url: str, redis_namespace: str) -> AsyncIterator[Any]:
    """A :class:`ccasync.redis.RedisCoordinator` on the test Redis, in a fresh namespace."""
    from ccasync.redis import RedisCoordinator

    coord = RedisCoordinator.from_url(redis_url, namespace=redis_namespace)
    try:
        yield coord
    finally:
        await coord.aclose()
