"""The Redis rate limiter on a real redis-server: strict across processes, ledger, marks, errors."""

from __future__ import annotations

import asyncio
import itertools
import multiprocessing as mp
import os
import time
from collections.abc import Callable
from typing import Any

import pytest

from ccasync import (
    AccountPool,
    Client,
    ConfigError,
    CoordinationError,
    PoolAccount,
    QuotaExhaustedError,
    RateLimiter,
)
from ccasync.auth import MemoryTokenStore, OAuth2Refresher, TokenRequestPacer
from ccasync.redis import RedisCoordinator
from ccasync.testing import FakeTransport, json_response
from tests import redis_server

MAX_POLLS = 200
"""Bounded polling (10 ms apart) for a report that a process sends in the background."""
POLL_SECONDS = 10.0
"""The longest :func:`poll` waits for a background report to reach Redis."""

Grants = list[tuple[int, int]]


def record_grants(limiter: Any) -> Grants:
    """Collect ``(slot_us, left_by_us)`` (Redis clock) of every grant ``limiter`` hands out."""
    grants: Grants = []
    resumed = limiter._resumed

    def spy(waiter: Any, grant: Any, now: float) -> None:
        resumed(waiter, grant, now)
        grants.append((grant.slot_us, grant.left_by_us))

    limiter._resumed = spy
    return grants


def crowded_windows(grants: Grants, cap: int, window_us: int) -> list[int]:
    """Slots of grants that had ``cap`` or more earlier grants possibly sent within a window.

    A grant may have left anywhere between its slot and ``left_by_us``; the limiter promises
    that no grant finds ``cap`` earlier ones that could have left less than ``window_us``
    before its own slot.
    """
    ordered = sorted(grants)
    return [
        slot
        for i, (slot, _) in enumerate(ordered)
        if sum(1 for _, left in ordered[:i] if left > slot - window_us) >= cap
    ]


async def poll(check: Callable[[], Any]) -> None:
    """Wait (bounded) until ``await check()`` is truthy; fail the test otherwise."""
    # Bounded by time, not by a count of 10 ms naps: a loaded CI machine stretches every nap.
    deadline = time.monotonic() + POLL_SECONDS
    while time.monotonic() < deadline:
        if await check():
            return
        await asyncio.sleep(0.01)
    pytest.fail(f"the background report never reached Redis within {POLL_SECONDS} s")


def _process_main(url: str, namespace: str, callers: int, grants: int, conn: Any) -> None:
    async def main() -> Grants:
        coord = RedisCoordinator.from_url(url, namespace=namespace)
        limiter = coord.rate_limiter("shared-key", per_second=10, per_day=None)
        recorded = record_grants(limiter)
        await coord.client.ping()
        conn.send("ready")
        conn.recv()

        async def caller() -> None:
            while len(recorded) < grants:
                await limiter.acquire()

        await asyncio.gather(*(caller() for _ in range(callers)))
        await coord.aclose()
        return recorded

    conn.send(asyncio.run(main()))


def test_three_processes_stay_strict_on_the_redis_clock(
    redis_url: str, redis_namespace: str
) -> None:
    """3 real processes x 4 callers: no 11 grants of a 10/s key fall inside 1.02 s of Redis time."""
    ctx = mp.get_context("spawn")
    pipes, procs = [], []
    for _ in range(3):
        parent, child = ctx.Pipe()
        proc = ctx.Process(
            target=_process_main, args=(redis_url, redis_namespace, 4, 12, child), daemon=True
        )
        proc.start()
        pipes.append(parent)
        procs.append(proc)
    try:
        for pipe in pipes:
            assert pipe.poll(60), "a worker did not start"
            assert pipe.recv() == "ready"
        for pipe in pipes:
            pipe.send("go")
        results = []
        for pipe in pipes:
            assert pipe.poll(60), "a worker did not finish"
            results.append(pipe.recv())
    finally:
        for proc in procs:
            proc.join(10)
            if proc.is_alive():
                proc.kill()
    grants = [g for r in results for g in r]
    assert len(grants) >= 36
    assert all(len(r) >= 12 for r in results)  # every process got its turn
    assert crowded_windows(grants, cap=10, window_us=1_020_000) == []


def _crash_main(url: str, namespace: str, conn: Any) -> None:
    async def main() -> None:
        coord = RedisCoordinator.from_url(url, namespace=namespace)
        limiter = coord.rate_limiter("crash-key", per_second=2, per_day=100)
        await limiter.acquire()
        asyncio.get_running_loop().create_task(limiter.acquire())
        for _ in range(MAX_POLLS):
            if limiter._held is not None:
                conn.send(limiter._held.slot_us)
                os._exit(0)  # dies holding a reserved slot, without any cleanup
            await asyncio.sleep(0.01)
        conn.send(None)

    asyncio.run(main())


async def test_a_crashed_process_wastes_at_most_its_one_slot(
    coordinator: RedisCoordinator, redis_url: str
) -> None:
    """A process killed while holding a reservation costs that slot only; the next one follows."""
    ctx = mp.get_context("spawn")
    parent, child = ctx.Pipe()
    proc = ctx.Process(
        target=_crash_main, args=(redis_url, coordinator.namespace, child), daemon=True
    )
    proc.start()
    try:
        assert await asyncio.to_thread(parent.poll, 60), "the crashing process never reserved"
        crashed_slot = parent.recv()
    finally:
        await asyncio.to_thread(proc.join, 10)
    assert crashed_slot is not None
    limiter = coordinator.rate_limiter("crash-key", per_second=2, per_day=100)
    grants = record_grants(limiter)
    await limiter.acquire()
    [(slot, _)] = grants
    assert limiter.used_today == 3  # the crashed reservation stays counted: one slot, no more
    assert crashed_slot < slot < crashed_slot + 2 * 510_000


async def test_it_is_a_rate_limiter_a_client_accepts(coordinator: RedisCoordinator) -> None:
    """coord.rate_limiter() is a ccasync.RateLimiter; a Client sends through it."""
    limiter = coordinator.rate_limiter("key-a", per_second=None, per_day=100)
    assert isinstance(limiter, RateLimiter)
    transport = FakeTransport(lambda _: json_response({}))
    async with Client(access_token="t", transport=transport, rate_limiter=limiter) as cc:
        await cc._requestor.request("GET", "/account/summary")
    assert len(transport.requests) == 1
    assert limiter.used_today == 1
    assert limiter.remaining_today == 99
    assert limiter.stats().granted == 1


async def test_account_pool_shares_the_redis_limiter(coordinator: RedisCoordinator) -> None:
    """AccountPool takes the Redis limiter for a key; every account's request is counted there."""
    limiter = coordinator.rate_limiter("pool-key", per_second=50, per_day=100)
    accounts = [
        PoolAccount(name=f"a{n}", api_key="pool-key", access_token=f"t{n}") for n in range(3)
    ]
    transport = FakeTransport(lambda _: json_response({}))

    async def summary(cc: Client, name: str) -> str:
        await cc._requestor.request("GET", "/account/summary")
        return name

    async with AccountPool(accounts, transport=transport, limiters={"pool-key": limiter}) as pool:
        assert pool.limiter("a0") is limiter
        outcomes = await pool.map(summary)
    assert all(outcome.ok for outcome in outcomes.values())
    assert limiter.used_today == 3
    assert limiter.stats().granted == 3


async def test_grants_are_spaced_by_the_interval(coordinator: RedisCoordinator) -> None:
    """Within one process, grants of a 20/s key are 51 ms apart on the Redis clock, FIFO."""
    limiter = coordinator.rate_limiter("key-b", per_second=20, per_day=None)
    grants = record_grants(limiter)
    order: list[int] = []

    async def caller(n: int) -> None:
        await limiter.acquire()
        order.append(n)

    for n in range(5):
        asyncio.get_running_loop().create_task(caller(n))
    await poll(lambda: asyncio.sleep(0, len(order) == 5))
    slots = [slot for slot, _ in grants]
    assert order == [0, 1, 2, 3, 4]
    assert all(b - a >= 51_000 for a, b in itertools.pairwise(slots))


async def test_script_flush_reloads_the_script(coordinator: RedisCoordinator) -> None:
    """After SCRIPT FLUSH the next acquire reloads the script (NOSCRIPT) and succeeds."""
    limiter = coordinator.rate_limiter("key-c", per_second=None, per_day=10)
    await limiter.acquire()
    await coordinator.client.script_flush()
    await limiter.acquire()
    assert limiter.used_today == 2


async def test_daily_ledger_is_shared_between_processes(
    redis_url: str, redis_namespace: str
) -> None:
    """Two coordinators (two processes' worth) spend one per-day budget; the third call refuses."""
    coords = [RedisCoordinator.from_url(redis_url, namespace=redis_namespace) for _ in range(2)]
    try:
        first, second = (c.rate_limiter("key-d", per_second=None, per_day=3) for c in coords)
        await first.acquire()
        await first.acquire()
        await second.acquire()
        assert second.used_today == 3
        assert second.remaining_today == 0
        with pytest.raises(QuotaExhaustedError) as info:
            await first.acquire()
        assert info.value.resets_at == first.resets_at()
        assert first.stats().quota_refusals == 1
    finally:
        for coord in coords:
            await coord.aclose()


async def test_quota_exceeded_mark_stops_every_process(
    redis_url: str, redis_namespace: str
) -> None:
    """A server ``quota_exceeded`` seen by one process makes the others refuse too."""
    coords = [RedisCoordinator.from_url(redis_url, namespace=redis_namespace) for _ in range(2)]
    try:
        first, second = (c.rate_limiter("key-e", per_second=None) for c in coords)
        await first.acquire()
        first.on_quota_exceeded()
        key = coords[0].key(_tag("key-e"), "limiter")
        await poll(lambda: coords[0].client.hget(key, "spent"))
        with pytest.raises(QuotaExhaustedError):
            await second.acquire()
        assert first.remaining_today == 0
    finally:
        for coord in coords:
            await coord.aclose()


async def test_throttled_pause_is_shared(redis_url: str, redis_namespace: str) -> None:
    """A ``throttled`` pause reported by one process holds the next grant of another."""
    coords = [RedisCoordinator.from_url(redis_url, namespace=redis_namespace) for _ in range(2)]
    try:
        first, second = (c.rate_limiter("key-f", per_second=10, per_day=None) for c in coords)
        await first.acquire()
        first.on_throttled(30.0)
        key = coords[0].key(_tag("key-f"), "limiter")
        await poll(lambda: _paused(coords[0], key))
        waiting = asyncio.get_running_loop().create_task(second.acquire())
        await poll(lambda: asyncio.sleep(0, second.stats().paused_for > 20))
        assert not waiting.done()
        waiting.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiting
        assert first.stats().throttles == 1
    finally:
        for coord in coords:
            await coord.aclose()


async def test_cancelled_waiter_gives_its_slot_back(coordinator: RedisCoordinator) -> None:
    """A caller cancelled while waiting for its reserved slot gives it (and its count) back."""
    limiter = coordinator.rate_limiter("key-g", per_second=0.5, per_day=100)
    await limiter.acquire()
    key = coordinator.key(_tag("key-g"), "limiter")
    waiting = asyncio.get_running_loop().create_task(limiter.acquire())
    await poll(lambda: _used_is(coordinator, key, 2))
    [(_, reserved_slot)] = await coordinator.client.zrange(key + ":grants", 0, -1, withscores=True)
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting
    await poll(lambda: _used_is(coordinator, key, 1))
    # The schedule is rewound: the next caller of any process gets the slot given back.
    assert float(await coordinator.client.hget(key, "tat")) == reserved_slot
    assert await coordinator.client.zcard(key + ":grants") == 0
    assert limiter.stats().granted == 1


async def test_caller_cancelled_during_its_own_call_gives_the_slot_back(
    coordinator: RedisCoordinator,
) -> None:
    """An idle caller cancelled while its Redis call is on the wire leaves the ledger as it was."""
    limiter = coordinator.rate_limiter("key-l", per_second=10, per_day=100)
    await limiter.acquire()
    key = coordinator.key(_tag("key-l"), "limiter")
    waiting = asyncio.get_running_loop().create_task(limiter.acquire())
    await asyncio.sleep(0)  # the task sent its script and waits for the answer
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting
    await poll(lambda: asyncio.sleep(0, not limiter._reports and limiter._call is None))
    assert await _used_is(coordinator, key, 1)
    assert await coordinator.client.zcard(key + ":grants") == 1
    assert limiter.stats().granted == 1


async def test_keys_carry_one_cluster_hash_tag(coordinator: RedisCoordinator) -> None:
    """Every key of one API key's limiter shares its namespace and one {hash tag}."""
    limiter = coordinator.rate_limiter("key {h}", per_second=10, per_day=None)
    await limiter.acquire()
    keys = await coordinator.client.keys(f"{coordinator.namespace}:*")
    tags = {k.decode().split(":")[1] for k in keys}
    assert len(keys) == 2
    assert tags == {"{" + _tag("key {h}") + "}"}


async def test_redis_down_fails_before_any_request(redis_namespace: str) -> None:
    """With Redis unreachable the acquire raises CoordinationError and nothing is sent."""
    url = f"redis://127.0.0.1:{redis_server.free_port()}/0"
    coord = RedisCoordinator.from_url(url, namespace=redis_namespace)
    limiter = coord.rate_limiter("key-h")
    transport = FakeTransport(lambda _: json_response({}))
    try:
        async with Client(access_token="t", transport=transport, rate_limiter=limiter) as cc:
            with pytest.raises(CoordinationError, match="could not be reached"):
                await cc._requestor.request("GET", "/account/summary")
    finally:
        await coord.aclose()
    assert transport.requests == []


async def test_local_fallback_paces_a_share_when_redis_is_down(redis_namespace: str) -> None:
    """on_redis_error='local': grants continue at per_second / processes, counted locally."""
    url = f"redis://127.0.0.1:{redis_server.free_port()}/0"
    coord = RedisCoordinator.from_url(url, namespace=redis_namespace)
    limiter = coord.rate_limiter(
        "key-i", per_second=100, per_day=None, on_redis_error="local", processes=4
    )
    try:
        await limiter.acquire()
        await limiter.acquire()
    finally:
        await coord.aclose()
    assert limiter.stats().granted == 2
    assert limiter._fallback is not None
    assert limiter._fallback.per_second == 25


async def test_refused_credentials_never_fall_back(redis_url: str, redis_namespace: str) -> None:
    """Redis refusing the credentials is a CoordinationError even with on_redis_error='local'."""
    bad = redis_url.replace("redis://", "redis://someone:wrong@")
    async with RedisCoordinator.from_url(bad, namespace=redis_namespace) as coord:
        limiter = coord.rate_limiter("key-k", on_redis_error="local", processes=2)
        with pytest.raises(CoordinationError, match="refused the credentials") as info:
            await limiter.acquire()
    assert "wrong" not in str(info.value)


async def test_script_error_is_a_coordination_error(coordinator: RedisCoordinator) -> None:
    """A key of the wrong type (a script error) fails the acquire with CoordinationError."""
    await coordinator.client.set(coordinator.key(_tag("key-j"), "limiter"), b"x")
    limiter = coordinator.rate_limiter("key-j", on_redis_error="local", processes=2)
    with pytest.raises(CoordinationError, match="answered with an error"):
        await limiter.acquire()


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"on_redis_error": "retry"}, "on_redis_error"),
        ({"on_redis_error": "local"}, "processes"),
        ({"on_redis_error": "local", "processes": 0}, "processes"),
        ({"per_second": 0}, "per_second"),
    ],
)
async def test_bad_options_are_config_errors(options: dict[str, Any], message: str) -> None:
    """Bad limiter options raise ConfigError naming the option, before Redis is used."""
    async with RedisCoordinator.from_url("redis://127.0.0.1:1/0") as coord:
        with pytest.raises(ConfigError, match=message):
            coord.rate_limiter("key", **options)


async def test_token_pacer_spaces_requests_across_processes(
    redis_url: str, redis_namespace: str
) -> None:
    """Two processes' token pacers share one spacing; an OAuth2Refresher accepts the pacer."""
    coords = [RedisCoordinator.from_url(redis_url, namespace=redis_namespace) for _ in range(2)]
    try:
        pacers = [c.token_pacer("app-id", min_interval=0.05) for c in coords]
        assert isinstance(pacers[0], TokenRequestPacer)
        OAuth2Refresher("app-id", store=MemoryTokenStore(), pacer=pacers[0])
        grants = [record_grants(p._limiter) for p in pacers]
        for _ in range(3):
            await asyncio.gather(pacers[0].wait(), pacers[1].wait())
        slots = sorted(slot for g in grants for slot, _ in g)
        assert len(slots) == 6
        assert all(b - a >= 50_000 for a, b in itertools.pairwise(slots))
    finally:
        for coord in coords:
            await coord.aclose()


async def test_token_pacer_rejects_a_bad_interval() -> None:
    """A non-positive interval is a ConfigError."""
    async with RedisCoordinator.from_url("redis://127.0.0.1:1/0") as coord:
        with pytest.raises(ConfigError, match="min_interval"):
            coord.token_pacer("app", min_interval=0)


def _tag(api_key: str) -> str:
    from ccasync.redis._limiter import key_tag

    return key_tag(api_key)


async def _paused(coord: RedisCoordinator, key: str) -> bool:
    paused = await coord.client.hget(key, "paused")
    seconds, micros = await coord.client.time()
    return paused is not None and float(paused) > seconds * 1_000_000 + micros


async def _used_is(coord: RedisCoordinator, key: str, used: int) -> bool:
    return await coord.client.hget(key, "used") == str(used).encode()


async def test_acquire_timeout_on_the_shared_limit(coordinator: RedisCoordinator) -> None:
    """A bounded acquire on the Redis limiter raises AcquireTimeoutError, also under
    ``acquire_timeout``, and a later acquire still gets a slot."""
    from ccasync import AcquireTimeoutError, acquire_timeout

    limiter = coordinator.rate_limiter("key-timeout", per_second=1, per_day=None)
    await limiter.acquire()
    with pytest.raises(AcquireTimeoutError):
        await limiter.acquire(timeout=0.05)
    with acquire_timeout(0.05), pytest.raises(AcquireTimeoutError):
        await limiter.acquire()
    await asyncio.wait_for(limiter.acquire(), timeout=10)
