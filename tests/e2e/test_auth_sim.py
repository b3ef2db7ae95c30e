"""OAuth2 end to end against the simulator: code+PKCE, device flow, expiry, 401, rotation."""

from __future__ import annotations

import asyncio
import os
import stat
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from ccasync import Client, RateLimiter
from ccasync._protocol import HTTPRequest
from ccasync.auth import (
    FileTokenStore,
    MemoryTokenStore,
    OAuth2Refresher,
    OAuth2Token,
    build_authorization_url,
    exchange_code,
    pkce_pair,
    poll_device_token,
    start_device_flow,
)
from ccasync.auth._token import token_from_response
from ccasync.errors import AuthenticationError
from ccasync.transport import AiohttpTransport

REDIRECT = "https://app.example/callback"
SCOPES = ["contact_data", "campaign_data", "account_read", "offline_access"]


@pytest.fixture
async def osim() -> AsyncIterator[Any]:
    """A simulator with every limit off, the token endpoint's included (fast tests)."""
    from ccasync.sim import SimConfig, serve

    async with serve(SimConfig(per_second=None, per_day=None, token_per_second=None)) as running:
        yield running


def stored_pair(sim: Any, account_id: str | None = None, **kw: Any) -> OAuth2Token:
    """A token pair for ``account_id`` issued without a browser."""
    answer = sim.issue_tokens(account_id or sim.account_id, **kw)
    return token_from_response(answer, now=sim.clock.timestamp())


def refresher(sim: Any, store: Any, **kw: Any) -> OAuth2Refresher:
    """A public-client refresher against the simulator's token endpoint."""
    kw.setdefault("clock", sim.clock.timestamp)
    return OAuth2Refresher(
        kw.pop("client_id", sim.client_id), store=store, token_url=f"{sim.oauth_base}/token", **kw
    )


def client(sim: Any, provider: OAuth2Refresher) -> Client:
    """A Client on the simulator using ``provider``."""
    return Client(
        token_provider=provider, base_url=sim.base_url, rate_limiter=RateLimiter.unlimited()
    )


async def summary(cc: Client) -> str:
    """One authenticated API call; the id of the account the token acts for."""
    data = (await cc._requestor.request("GET", "/account/summary")).data
    return str(data["encoded_account_id"])


def token_posts(sim: Any, status: int | None = None) -> int:
    """How many token-endpoint requests the simulator saw (with ``status`` when given)."""
    return sim.log.count(method="POST", path="/oauth2/default/v1/token", status=status)


async def test_pkce_code_flow_through_the_authorize_endpoint(osim: Any, tmp_path: Path) -> None:
    """Authorize URL → redirect with code and state → PKCE exchange → API calls work."""
    pkce = pkce_pair()
    url = build_authorization_url(
        osim.client_id, REDIRECT, SCOPES, "csrf-1", pkce.challenge,
        authorize_url=f"{osim.oauth_base}/authorize",
    )  # fmt: skip
    transport = AiohttpTransport()
    try:
        redirect = await transport.send(HTTPRequest("GET", url))
    finally:
        await transport.aclose()
    assert redirect.status == 302
    query = parse_qs(urlsplit(redirect.headers["Location"]).query)
    assert query["state"] == ["csrf-1"]
    token = await exchange_code(
        query["code"][0],
        client_id=osim.client_id,
        redirect_uri=REDIRECT,
        code_verifier=pkce.verifier,
        token_url=f"{osim.oauth_base}/token",
    )
    assert token.refresh_token
    store = FileTokenStore(tmp_path / "token.json")
    await store.save(token)
    assert stat.S_IMODE(os.stat(tmp_path / "token.json").st_mode) == 0o600
    async with client(osim, refresher(osim, store)) as cc:
        assert await summary(cc) == osim.account_id


async def test_wrong_pkce_verifier_is_rejected(osim: Any) -> None:
    """A verifier that does not match the challenge gets invalid_grant (reauthorize)."""
    code = osim.authorize(
        osim.account_id, client_id=osim.client_id, redirect_uri=REDIRECT, scope=SCOPES,
        code_challenge=pkce_pair().challenge,
    )  # fmt: skip
    with pytest.raises(AuthenticationError) as info:
        await exchange_code(
            code, client_id=osim.client_id, redirect_uri=REDIRECT,
            code_verifier=pkce_pair().verifier, token_url=f"{osim.oauth_base}/token",
        )  # fmt: skip
    assert info.value.reauthorize


async def test_confidential_exchange_and_code_reuse(osim: Any) -> None:
    """A secret-based exchange succeeds once; the same code again is invalid_grant."""
    code = osim.authorize(
        osim.account_id, client_id=osim.client_id, redirect_uri=REDIRECT, scope=SCOPES
    )
    args: dict[str, Any] = {
        "client_id": osim.client_id,
        "redirect_uri": REDIRECT,
        "client_secret": osim.client_secret,
        "token_url": f"{osim.oauth_base}/token",
    }
    token = await exchange_code(code, **args)
    assert token.expires_at is not None
    with pytest.raises(AuthenticationError, match="invalid_grant"):
        await exchange_code(code, **args)


async def test_device_flow_waits_for_approval(osim: Any) -> None:
    """Device flow: pending until the user approves, then a usable token pair."""
    device = await start_device_flow(
        osim.client_id, SCOPES, device_url=f"{osim.oauth_base}/device/authorize"
    )
    naps: list[float] = []
    started = time.time()

    async def sleep(seconds: float) -> None:
        naps.append(seconds)
        if len(naps) == 2:
            osim.approve_device(device.user_code, osim.account_id)

    token = await poll_device_token(
        device,
        client_id=osim.client_id,
        token_url=f"{osim.oauth_base}/token",
        sleep=sleep,
        clock=lambda: started + sum(naps),
    )
    assert naps == [device.interval, device.interval]
    assert token_posts(osim, 400) == 1  # one authorization_pending answer
    async with client(osim, refresher(osim, MemoryTokenStore(token))) as cc:
        assert await summary(cc) == osim.account_id


async def test_refreshes_before_expiry_and_rotates(osim: Any, tmp_path: Path) -> None:
    """Near the JWT exp the token is refreshed once; the rotated pair lands in the file store."""
    store = FileTokenStore(tmp_path / "token.json")
    first = stored_pair(osim)
    await store.save(first)
    provider = refresher(osim, store)
    async with client(osim, provider) as cc:
        await summary(cc)
        osim.clock.advance(86_400 - 120)
        for _ in range(5):
            await summary(cc)
    saved = await store.load()
    assert saved is not None
    assert provider.refreshes == 1
    assert token_posts(osim) == 1
    assert saved.refresh_token not in (None, first.refresh_token)
    assert osim.log.count(path="/v3/*", status=401) == 0


async def test_expired_token_401_refreshes_once_for_100_calls(osim: Any) -> None:
    """With a local clock that misses expiry, 100 concurrent 401s cause exactly one refresh."""
    store = MemoryTokenStore(stored_pair(osim))
    provider = refresher(osim, store, clock=time.time)
    async with client(osim, provider) as cc:
        await summary(cc)
        osim.clock.advance(86_400 + 60)
        results = await asyncio.gather(*(summary(cc) for _ in range(100)))
    assert set(results) == {osim.account_id}
    assert provider.refreshes == 1
    assert token_posts(osim) == 1
    assert token_posts(osim, 400) == 0  # no invalid_grant from a second rotating refresh


async def test_rotating_tokens_survive_a_restart(osim: Any, tmp_path: Path) -> None:
    """A new process reading the file store uses the latest rotated refresh token."""
    path = tmp_path / "token.json"
    await FileTokenStore(path).save(stored_pair(osim))
    for _ in range(3):
        provider = refresher(osim, FileTokenStore(path))
        async with client(osim, provider) as cc:
            osim.clock.advance(86_400)
            await summary(cc)
        assert provider.refreshes == 1
    assert token_posts(osim, 200) == 3


async def test_stale_refresh_token_says_authorize_again(osim: Any) -> None:
    """Reusing a rotated-away refresh token raises AuthenticationError(reauthorize=True)."""
    pair = stored_pair(osim)
    winner = refresher(osim, MemoryTokenStore(pair))
    loser = refresher(osim, MemoryTokenStore(pair))
    async with client(osim, winner) as cc1, client(osim, loser) as cc2:
        osim.clock.advance(86_400)
        await summary(cc1)
        with pytest.raises(AuthenticationError, match="authorize the application again") as info:
            await summary(cc2)
    assert info.value.reauthorize


async def test_revoked_grant_says_authorize_again(osim: Any) -> None:
    """After revocation the 401 leads to invalid_grant and a reauthorize error."""
    provider = refresher(osim, MemoryTokenStore(stored_pair(osim)))
    async with client(osim, provider) as cc:
        await summary(cc)
        osim.revoke_tokens(osim.account_id)
        with pytest.raises(AuthenticationError) as info:
            await summary(cc)
    assert info.value.reauthorize
    assert info.value.error_keys == ["invalid_grant"]


async def test_long_lived_refresh_token_is_reused(osim: Any) -> None:
    """With a long-lived key the same refresh token keeps working refresh after refresh."""
    osim.add_api_key("ll-key", client_secret="ll-secret", refresh_tokens="long_lived")
    account = osim.add_account("ll-key")
    pair = stored_pair(osim, account.account_id, client_id="ll-key")
    store = MemoryTokenStore(pair)
    provider = refresher(osim, store, client_id="ll-key", client_secret="ll-secret")
    async with client(osim, provider) as cc:
        for _ in range(2):
            osim.clock.advance(86_400)
            assert await summary(cc) == account.account_id
    saved = await store.load()
    assert saved is not None
    assert saved.refresh_token == pair.refresh_token
    assert provider.refreshes == 2


async def test_token_endpoint_limit_is_respected(sim: Any) -> None:
    """Back-to-back refreshes against the 1 request/second token endpoint draw no 429."""
    provider = refresher(sim, MemoryTokenStore(stored_pair(sim)))
    async with client(sim, provider):
        for _ in range(2):
            await provider.on_unauthorized(await provider.token())
    assert provider.refreshes == 2
    assert token_posts(sim, 429) == 0
    assert token_posts(sim, 200) == 2
