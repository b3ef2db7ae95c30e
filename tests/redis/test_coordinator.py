"""RedisCoordinator: URL and namespace checks, the key scheme, a real round trip."""

from __future__ import annotations

import pytest

from ccasync import ConfigError
from ccasync.redis import RedisCoordinator


@pytest.mark.parametrize("url", ["127.0.0.1:6379", "http://127.0.0.1:6379", "", "redis:/x"])
def test_malformed_url_is_a_config_error(url: str) -> None:
    """A URL without a redis scheme is refused before anything connects."""
    with pytest.raises(ConfigError, match="Redis URL"):
        RedisCoordinator.from_url(url)


def test_password_in_a_bad_url_is_not_echoed() -> None:
    """The error for a bad URL never quotes its userinfo."""
    with pytest.raises(ConfigError) as info:
        RedisCoordinator.from_url("http://user:hunter2@127.0.0.1:6379")
    assert "hunter2" not in str(info.value)
    assert info.value.__cause__ is None


@pytest.mark.parametrize("namespace", [3, "", "a b", "x" * 65, "a{b}"])
def test_bad_namespace_is_a_config_error(namespace: object) -> None:
    """The namespace must be a short str of safe characters (no braces: they are hash tags)."""
    with pytest.raises(ConfigError, match="namespace"):
        RedisCoordinator.from_url("redis://127.0.0.1:1/0", namespace=namespace)  # type: ignore[arg-type]


async def test_keys_carry_the_namespace_and_a_cluster_hash_tag() -> None:
    """key() puts the tag in braces so one key's state stays in one Cluster slot."""
    coord = RedisCoordinator.from_url("redis://127.0.0.1:1/0", namespace="app")
    try:
        assert coord.key("abc", "ledger", "2026-12-06") == "app:{abc}:ledger:2026-12-06"
    finally:
        await coord.aclose()


async def test_round_trip_on_a_real_server(coordinator: RedisCoordinator) -> None:
    """The coordinator's client reaches the real redis-server started for the tests."""
    key = coordinator.key("probe", "x")
    await coordinator.client.set(key, b"1", px=10_000)
    assert await coordinator.client.get(key) == b"1"
