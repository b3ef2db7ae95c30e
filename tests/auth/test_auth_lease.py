"""The refresher with shared stores: re-read under the lease, adopt on invalid_grant, lease
guard, retried 5xx during a 401 refresh, capped token-endpoint Retry-After, total expiry."""

from __future__ import annotations

import asyncio
import datetime as dt
import math
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

from ccasync.auth import FileTokenStore, MemoryTokenStore, OAuth2Refresher, OAuth2Token
from ccasync.auth._lease import LeaseGuard, lease_needed
from ccasync.errors import AuthenticationError, ConfigError, DecodeError, RateLimitError
from ccasync.testing import FakeTransport, HTTPRequest, HTTPResponse, json_response
from tests.auth.test_auth_refresher import (
    TOKEN_URL,
    FakeAuthServer,
    FakeClock,
    clock,
    jwt,
    make_client,
    make_refresher,
    server,
    stored,
)

__all__ = ["clock", "server"]  # the fixtures, shared with the refresher tests


class FakeLease:
    """A scripted lease: ``took_over``, a lease that can be lost, saves counted."""

    def __init__(self, store: ScriptedStore) -> None:
        self.store = store
        self.took_over = store.took_over
        self.left = store.left

    def remaining(self) -> float:
        return self.left

    async def extend(self, seconds: float) -> bool:
        if self.store.lose_next:
            self.store.lose_next -= 1
            return False
        self.left = seconds
        return True

    async def load(self) -> OAuth2Token | None:
        return await self.store.load()

    async def save(self, token: OAuth2Token) -> bool:
        await self.store.save(token)
        return True


class ScriptedStore(MemoryTokenStore):
    """A memory store that lends :class:`FakeLease` leases (counts them)."""

    def __init__(self, token: OAuth2Token, *, took_over: bool = False, left: float = 1e9) -> None:
        super().__init__(token)
        self.took_over = took_over
        self.left = left
        self.lose_next = 0
        self.leases = 0

    @asynccontextmanager
    async def refresh_lease(self, *, wait: float) -> AsyncIterator[FakeLease]:
        """A scripted lease."""
        self.leases += 1
        yield FakeLease(self)


async def test_two_refreshers_on_one_token_file_refresh_once(
    server: FakeAuthServer, clock: FakeClock, tmp_path: Path
) -> None:
    """Two refreshers (two workers) on one token file, both hit by 401s: one token request."""
    path = tmp_path / "token.json"
    await FileTokenStore(path).save(server.initial())
    first, _, _ = make_refresher(server, clock, store=FileTokenStore(path))  # type: ignore[arg-type]
    second, _, _ = make_refresher(server, clock, store=FileTokenStore(path))  # type: ignore[arg-type]
    old = await first.token()
    assert await second.token() == old
    server.revoke_access()
    assert all(await asyncio.gather(first.on_unauthorized(old), second.on_unauthorized(old)))
    assert len(server.token_requests) == 1
    assert await first.token() == await second.token() != old


async def test_invalid_grant_after_takeover_waits_for_the_stalled_holder(
    server: FakeAuthServer, clock: FakeClock
) -> None:
    """After a taken-over lease, invalid_grant re-reads the store and adopts the late save."""
    store = ScriptedStore(server.initial(), took_over=True)
    refresher, _, _ = make_refresher(server, clock, store=store, token_timeout=2.0)
    old = await refresher.token()
    server.live_refresh = "rotated-by-the-stalled-holder"
    late = OAuth2Token(access_token="late-pair", refresh_token="rotated-by-the-stalled-holder")

    real_sleep = clock.sleep

    async def stalled_holder_saves_during_the_grace(seconds: float) -> None:
        await store.save(late)
        await real_sleep(seconds)

    clock.sleep = stalled_holder_saves_during_the_grace  # type: ignore[method-assign]
    refresher._sleep = clock.sleep
    assert await refresher.on_unauthorized(old) is True
    assert await refresher.token() == "late-pair"
    assert len(server.token_requests) == 1
    assert sum(clock.delays) <= lease_needed(2.0)


async def test_invalid_grant_without_takeover_does_not_wait(
    server: FakeAuthServer, clock: FakeClock
) -> None:
    """With a cleanly handed-over lease, a dead grant raises reauthorize at once."""
    store = ScriptedStore(server.initial())
    refresher, _, _ = make_refresher(server, clock, store=store)
    old = await refresher.token()
    server.live_refresh = "gone"
    with pytest.raises(AuthenticationError) as info:
        await refresher.on_unauthorized(old)
    assert info.value.reauthorize
    assert clock.delays == []


async def test_lease_lost_before_sending_starts_over(
    server: FakeAuthServer, clock: FakeClock
) -> None:
    """A lease that expired before the request left is dropped; a new one is taken, 1 request."""
    store = ScriptedStore(server.initial(), left=0.0)
    store.lose_next = 1
    refresher, _, _ = make_refresher(server, clock, store=store, token_timeout=1.0)
    old = await refresher.token()
    assert await refresher.on_unauthorized(old) is True
    assert store.leases == 2
    assert len(server.token_requests) == 1


async def test_guard_extends_a_short_lease_before_sending() -> None:
    """Less lease left than the request's timeout (+ the save) is extended first."""
    lease = FakeLease(ScriptedStore(OAuth2Token(access_token="a"), left=0.1))
    await LeaseGuard(lease, 3.0)()
    assert lease.remaining() == lease_needed(3.0) == 6.0


async def test_server_error_during_401_refresh_is_retried(
    server: FakeAuthServer, clock: FakeClock
) -> None:
    """A token-endpoint 500 while renewing after a 401 is retried; the caller's GET succeeds."""
    refresher, _, transport = make_refresher(server, clock)
    await refresher.token()
    server.revoke_access()
    server.queued.append(json_response({"error": "server_error"}, 500))
    async with make_client(refresher, transport, clock) as cc:
        assert (await cc._requestor.request("GET", "/x")).data == {"ok": True}
    assert len(server.token_requests) == 2


async def test_huge_token_endpoint_retry_after_fails_fast(
    server: FakeAuthServer, clock: FakeClock
) -> None:
    """Retry-After: 1e9 from the token endpoint raises at once instead of sleeping 31 years."""
    refresher, _, _ = make_refresher(server, clock, max_retry_after=60)
    server.queued.append(
        json_response({"error": "rate_limit_exceeded"}, 429, headers={"Retry-After": "1000000000"})
    )
    clock.now += 86_400
    with pytest.raises(RateLimitError) as info:
        await refresher.token()
    assert any("max_retry_after" in note for note in info.value.__notes__)
    assert max(clock.delays, default=0) < 60
    assert len(server.token_requests) == 1


@pytest.mark.parametrize(
    "extra",
    [{"expires_in": "nan"}, {"expires_in": 1e300}, {"expires_in": "inf"}, {"jwt_exp": 1e12}],
    ids=["nan", "1e300", "inf", "jwt-exp-1e12"],
)
async def test_unreadable_expiry_is_unknown_and_the_pair_is_saved(
    server: FakeAuthServer, clock: FakeClock, extra: dict[str, Any]
) -> None:
    """An expiry no datetime can hold reads as unknown; the rotated pair is saved, no exception."""
    refresher, store, _ = make_refresher(server, clock)
    old = await refresher.token()
    access = jwt(extra["jwt_exp"], "big") if "jwt_exp" in extra else "opaque-access"
    answer = {"access_token": access, "refresh_token": "refresh-new", **extra}
    answer.pop("jwt_exp", None)
    server.queued.append(json_response(answer))
    assert await refresher.on_unauthorized(old) is True
    saved = await stored(store)
    assert saved.refresh_token == "refresh-new"
    assert saved.expires_at is None


@pytest.mark.parametrize(
    "kwargs",
    [
        {"token_timeout": math.nan},
        {"token_timeout": 0},
        {"max_retry_after": math.inf},
        {"lease_wait": -1},
    ],
)
def test_bad_durations_are_config_errors(kwargs: dict[str, Any]) -> None:
    """Non-finite or non-positive durations are refused at construction."""
    with pytest.raises(ConfigError):
        OAuth2Refresher(
            "app",
            store=MemoryTokenStore(),
            token_url=TOKEN_URL,
            transport=FakeTransport(responses=[]),
            **kwargs,
        )


def test_expiry_in_the_past_is_not_adopted_as_fresh() -> None:
    """A pair another process saved that already expired is not adopted without a refresh."""
    clock = FakeClock()
    refresher = OAuth2Refresher("app", store=MemoryTokenStore(), token_url=TOKEN_URL, clock=clock)
    expired = OAuth2Token(
        access_token="x",
        refresh_token="r",
        expires_at=dt.datetime.fromtimestamp(clock() - 1, dt.UTC),
    )
    known = OAuth2Token(access_token="y", refresh_token="r0")
    assert not refresher._adoptable(expired, known, rejected="y")


async def test_short_lived_pair_refreshed_elsewhere_is_adopted(
    server: FakeAuthServer, clock: FakeClock, tmp_path: Path
) -> None:
    """A new pair living less than the margin, refreshed by one worker, is adopted by the other."""
    path = tmp_path / "token.json"
    await FileTokenStore(path).save(server.initial())
    first, _, _ = make_refresher(server, clock, store=FileTokenStore(path))  # type: ignore[arg-type]
    second, _, _ = make_refresher(server, clock, store=FileTokenStore(path))  # type: ignore[arg-type]
    old = await first.token()
    assert await second.token() == old
    clock.now += 86_400 - 100  # both now inside the 300 s refresh margin
    server.lifetime = 60  # and the endpoint starts issuing pairs shorter than the margin
    new = await first.token()
    assert await second.token() == new != old
    assert len(server.token_requests) == 1


async def test_answer_without_access_token_keeps_its_refresh_token(
    server: FakeAuthServer, clock: FakeClock
) -> None:
    """An unusable answer's new refresh token is saved first; the next call refreshes with it."""
    refresher, store, _ = make_refresher(server, clock)
    old = await refresher.token()
    server.queued.append(json_response({"refresh_token": "refresh-rotated", "expires_in": 60}))
    server.live_refresh = "refresh-rotated"  # the endpoint spent refresh-0 answering
    with pytest.raises(DecodeError) as info:
        await refresher.on_unauthorized(old)
    assert any("new refresh token was saved" in note for note in info.value.__notes__)
    assert (await stored(store)).refresh_token == "refresh-rotated"
    fresh = await refresher.token()
    assert fresh != old
    assert [r["refresh_token"] for r in server.token_requests] == ["refresh-0", "refresh-rotated"]


async def test_token_request_without_answer_times_out_and_is_retried(
    server: FakeAuthServer, clock: FakeClock
) -> None:
    """A token request unanswered within token_timeout is abandoned and retried (bounded)."""
    hung = asyncio.Event()

    async def handler(request: HTTPRequest) -> HTTPResponse:
        if request.url.startswith(TOKEN_URL) and not hung.is_set():
            hung.set()
            await asyncio.Event().wait()  # never answers
        return await server(request)

    refresher = OAuth2Refresher(
        "app-key", store=MemoryTokenStore(server.initial()), token_url=TOKEN_URL,
        transport=FakeTransport(handler), clock=clock, sleep=clock.sleep, token_timeout=0.05,
    )  # fmt: skip
    old = await refresher.token()
    assert await refresher.on_unauthorized(old) is True
    assert hung.is_set()
    assert len(server.token_requests) == 1  # the hung one never reached the fake server's log
