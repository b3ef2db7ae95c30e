"""AccountPool: per-key shared limiters, fair turns, per-account outcomes, lifecycle."""

from __future__ import annotations

import asyncio
from typing import Any, cast

import pytest

from ccasync import RateLimiter
from ccasync.client import Client
from ccasync.errors import AuthenticationError, ConfigError
from ccasync.pool import AccountPool, FairShare, PoolAccount, _FairQueue
from ccasync.testing import FakeTransport, HTTPRequest, HTTPResponse, json_response


def _accounts() -> list[PoolAccount]:
    return [
        PoolAccount(name="a1", api_key="k1", access_token="t-a1"),
        PoolAccount(name="a2", api_key="k1", access_token="t-a2"),
        PoolAccount(name="b1", api_key="k2", access_token="t-b1"),
    ]


def _transport() -> FakeTransport:
    def answer(request: HTTPRequest) -> HTTPResponse:
        token = request.headers["Authorization"].split()[-1]
        if token == "t-b1":
            return json_response({"error_key": "unauthorized", "error_message": "no"}, 401)
        return json_response({"lists": [], "lists_count": 0})

    return FakeTransport(answer)


async def _count_lists(cc: Client, name: str) -> str:
    found = [item async for item in cc.lists.iter_all()]
    return f"{name}:{len(found)}"


async def test_accounts_of_one_key_share_one_limiter() -> None:
    """Accounts served by the same API key get the same RateLimiter; other keys another."""
    pool = AccountPool(_accounts(), transport=_transport())
    assert pool.limiter("a1") is pool.limiter("a2")
    assert pool.limiter("a1") is not pool.limiter("b1")
    assert pool.names == ["a1", "a2", "b1"]


async def test_map_records_each_account_and_failures_do_not_stop_others() -> None:
    """A 401 in one account is its outcome's error; the other accounts return values."""
    async with AccountPool(_accounts(), transport=_transport()) as pool:
        outcomes = await pool.map(_count_lists)
    assert outcomes["a1"].value == "a1:0"
    assert outcomes["a2"].value == "a2:0"
    assert not outcomes["b1"].ok
    assert isinstance(outcomes["b1"].error, AuthenticationError)


async def test_map_subset_and_concurrency_bound() -> None:
    """Only the named accounts run, never more than `concurrency` at a time."""
    running = 0
    peak = 0

    async def work(cc: Client, name: str) -> str:
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        await asyncio.sleep(0)
        running -= 1
        return name

    limits = {"k1": RateLimiter.unlimited(), "k2": RateLimiter.unlimited()}
    async with AccountPool(_accounts(), transport=_transport(), limiters=limits) as pool:
        outcomes = await pool.map(work, ["a2", "a1"], concurrency=1)
    assert list(outcomes) == ["a2", "a1"]
    assert peak == 1


async def test_cancellation_propagates_out_of_map() -> None:
    """Cancelling map cancels the account coroutines instead of recording them as failures."""
    started = asyncio.Event()

    async def forever(cc: Client, name: str) -> None:
        started.set()
        await asyncio.Event().wait()

    async with AccountPool(_accounts(), transport=_transport()) as pool:
        task = asyncio.create_task(pool.map(forever))
        await started.wait()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task


async def test_on_event_names_the_account() -> None:
    """The pool's on_event hook receives (account name, event) for every HTTP attempt."""
    seen: list[tuple[str, int | None]] = []
    limits = {"k1": RateLimiter.unlimited(), "k2": RateLimiter.unlimited()}
    pool = AccountPool(
        _accounts()[:1],
        transport=_transport(),
        limiters=limits,
        on_event=lambda name, event: seen.append((name, event.status)),
    )
    async with pool:
        await pool.map(_count_lists)
    assert seen == [("a1", 200)]


async def test_lifecycle_errors() -> None:
    """client() needs async with; entering twice is an error; a passed transport is borrowed."""
    transport = _transport()
    pool = AccountPool(_accounts(), transport=transport)
    with pytest.raises(RuntimeError):
        pool.client("a1")
    async with pool:
        assert isinstance(pool.client("a1"), Client)
    assert not transport.closed
    with pytest.raises(RuntimeError):
        await pool.__aenter__()


@pytest.mark.parametrize(
    "accounts",
    [
        [],
        [PoolAccount(name="x", api_key="k", access_token="t")] * 2,
        [PoolAccount(name="x", api_key="k")],
    ],
)
def test_bad_account_sets(accounts: list[PoolAccount]) -> None:
    """No accounts, a repeated name, or an account without a token raise ConfigError."""
    with pytest.raises(ConfigError):
        AccountPool(accounts)


class _GateLimiter:
    """A limiter stand-in that grants one slot per release() and records the order."""

    per_second = 4

    def __init__(self) -> None:
        self.slots: asyncio.Queue[None] = asyncio.Queue()

    async def acquire(self) -> None:
        await self.slots.get()


async def test_fair_queue_alternates_between_a_huge_and_a_small_account() -> None:
    """Ten queued requests of one account do not delay another account's two by more than one."""
    gate = _GateLimiter()
    queue = _FairQueue(cast(RateLimiter, gate))
    order: list[str] = []

    async def request(account: str) -> None:
        await queue.acquire(account)
        order.append(account)

    tasks = [asyncio.create_task(request("big")) for _ in range(10)]
    await asyncio.sleep(0)
    tasks += [asyncio.create_task(request("small")) for _ in range(2)]
    await asyncio.sleep(0)
    for _ in range(12):
        gate.slots.put_nowait(None)
    await asyncio.gather(*tasks)
    assert order[:5] == ["big", "big", "small", "big", "small"]
    assert order.count("big") == 10


async def test_fair_queue_survives_a_cancelled_waiter() -> None:
    """A waiter cancelled while queued leaves the line; the next one still gets its slot."""
    gate = _GateLimiter()
    queue = _FairQueue(cast(RateLimiter, gate))
    first = asyncio.create_task(queue.acquire("a"))
    second = asyncio.create_task(queue.acquire("b"))
    third = asyncio.create_task(queue.acquire("c"))
    await asyncio.sleep(0)
    second.cancel()
    gate.slots.put_nowait(None)
    gate.slots.put_nowait(None)
    await asyncio.wait_for(asyncio.gather(first, third), 1)
    assert second.cancelled()


async def test_fair_share_forwards_server_feedback() -> None:
    """on_throttled and on_quota_exceeded reach the key's shared limiter."""
    calls: list[Any] = []

    class _Recorder(_GateLimiter):
        def on_throttled(self, retry_after: float | None) -> None:
            calls.append(("throttled", retry_after))

        def on_quota_exceeded(self) -> None:
            calls.append("quota")

    share = FairShare(_FairQueue(cast(RateLimiter, _Recorder())), "a")
    share.on_throttled(2.0)
    share.on_quota_exceeded()
    assert calls == [("throttled", 2.0), "quota"]


async def test_accounts_share_one_pooled_transport_by_default(sim: Any) -> None:
    """Without transport=/session=, all accounts send through one pooled session, closed on exit."""
    second = sim.add_account(name="second")
    pool = AccountPool(
        [
            PoolAccount(name="one", api_key=sim.client_id, access_token=sim.token),
            PoolAccount(name="two", api_key=sim.client_id, access_token=second.token),
        ],
        base_url=sim.base_url,
    )
    async with pool:
        outcomes = await pool.map(lambda cc, name: cc.account.get_summary())
        transports = {id(pool.client(name)._transport) for name in pool.names}
        session = pool.client("one")._transport._session  # type: ignore[attr-defined]
    assert all(o.ok for o in outcomes.values())
    assert len(transports) == 1
    assert session is not None
    assert session.closed


def test_shared_pool_is_sized_to_keys_and_accounts() -> None:
    """16 connections per API key, at least one per account, never under 32; overridable."""
    from ccasync.pool import AccountPool as Pool
    from ccasync.pool import PoolAccount as Account

    def accounts(keys: int, per_key: int) -> list[Account]:
        return [
            Account(name=f"k{k}-{n}", api_key=f"k{k}", access_token="t")
            for k in range(keys)
            for n in range(per_key)
        ]

    assert Pool(accounts(1, 2)).max_connections == 32
    assert Pool(accounts(3, 2)).max_connections == 48
    assert Pool(accounts(2, 40)).max_connections == 80
    assert Pool(accounts(3, 2), max_connections=10).max_connections == 10
