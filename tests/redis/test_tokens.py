"""RedisTokenStore on a real redis-server: round trip, lease exclusion, takeover, version fence."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest

from ccasync import ConfigError, CoordinationError, DecodeError
from ccasync.auth import OAuth2Token, SharedTokenStore
from ccasync.redis import RedisCoordinator

EXP = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)


def pair(n: int) -> OAuth2Token:
    """Token pair number ``n``."""
    return OAuth2Token(access_token=f"access-{n}", refresh_token=f"refresh-{n}", expires_at=EXP)


async def test_round_trip_and_empty(coordinator: RedisCoordinator) -> None:
    """An unsaved store loads None; a saved pair comes back equal."""
    store = coordinator.token_store("acct-1")
    assert isinstance(store, SharedTokenStore)
    assert await store.load() is None
    await store.save(pair(1))
    assert await store.load() == pair(1)
    assert "access-1" not in repr(store)


async def test_second_lease_waits_and_times_out(coordinator: RedisCoordinator) -> None:
    """While one process holds the lease, another's wait ends in CoordinationError."""
    store = coordinator.token_store("acct-1")
    async with store.refresh_lease(wait=1) as lease:
        assert not lease.took_over
        with pytest.raises(CoordinationError, match="held the token lease"):
            async with store.refresh_lease(wait=0.05):
                pass
    async with store.refresh_lease(wait=0.05) as again:
        assert not again.took_over  # released cleanly: nobody was taken over


async def test_expired_lease_is_taken_over(coordinator: RedisCoordinator) -> None:
    """A lease left to expire (holder stalled) is taken by the next process, flagged took_over."""
    store = coordinator.token_store("acct-1", lease_ttl=0.05)
    async with store.refresh_lease(wait=1) as first:
        await asyncio.sleep(0.1)
        assert first.remaining() == 0
        async with store.refresh_lease(wait=1) as second:
            assert second.took_over
            assert not await first.extend(1.0)  # the stalled holder lost it
            assert await second.extend(1.0)
            assert second.remaining() > 0.5


async def test_fence_refuses_an_older_pair(coordinator: RedisCoordinator) -> None:
    """A stalled holder's save after a newer save is refused; the store keeps the newer pair."""
    store = coordinator.token_store("acct-1", lease_ttl=0.05)
    await store.save(pair(0))
    async with store.refresh_lease(wait=1) as slow:
        assert await slow.load() == pair(0)
        await asyncio.sleep(0.1)  # the lease expires during a slow refresh
        async with store.refresh_lease(wait=1) as fast:
            assert await fast.load() == pair(0)
            assert await fast.save(pair(2))
        assert not await slow.save(pair(1))
        assert await slow.load() == pair(2)
    assert await store.load() == pair(2)


async def test_stalled_holder_still_saves_when_nobody_else_did(
    coordinator: RedisCoordinator,
) -> None:
    """The fence is by version, not by lease: the only new pair is saved after the lease ran out."""
    store = coordinator.token_store("acct-1", lease_ttl=0.05)
    await store.save(pair(0))
    async with store.refresh_lease(wait=1) as slow:
        await slow.load()
        await asyncio.sleep(0.1)
        assert await slow.save(pair(1))
    assert await store.load() == pair(1)


@pytest.mark.parametrize("name", ["", "a b", "{x}", 7, "x" * 129])
def test_bad_name_is_a_config_error(coordinator: RedisCoordinator, name: object) -> None:
    """A store name that is not a short safe key part is refused before any Redis call."""
    with pytest.raises(ConfigError, match="token store name"):
        coordinator.token_store(name)  # type: ignore[arg-type]


async def test_unreachable_redis_is_a_coordination_error() -> None:
    """A Redis that refuses connections gives CoordinationError, not a redis-py exception."""
    coord = RedisCoordinator.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.5)
    try:
        with pytest.raises(CoordinationError, match="Redis token load failed"):
            await coord.token_store("acct-1").load()
    finally:
        await coord.aclose()


async def test_garbage_in_redis_is_a_decode_error_without_a_chain(
    coordinator: RedisCoordinator,
) -> None:
    """A stored value that is not JSON raises DecodeError that carries no chained exception."""
    store = coordinator.token_store("acct-1")
    key = coordinator.key("tok.acct-1", "state")
    await coordinator.client.hset(key, "pair", '{"access_token": "secret-abc"')
    with pytest.raises(DecodeError) as info:
        await store.load()
    assert info.value.__cause__ is None
    assert info.value.__context__ is None


async def test_redis_failure_is_not_chained() -> None:
    """A Redis failure's CoordinationError keeps no redis-py exception in its chain."""
    coord = RedisCoordinator.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.5)
    try:
        with pytest.raises(CoordinationError) as info:
            await coord.token_store("acct-1").save(pair(1))
        assert info.value.__context__ is None
    finally:
        await coord.aclose()
