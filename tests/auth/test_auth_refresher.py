"""OAuth2Refresher: refresh near expiry and on 401, single-flight, persist-before-use, rotation."""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import itertools
from typing import Any
from urllib.parse import parse_qsl

import orjson
import pytest

from ccasync import Client, RateLimiter
from ccasync.auth import (
    MemoryTokenStore,
    OAuth2Refresher,
    OAuth2Token,
    TokenRequestPacer,
)
from ccasync.auth._refresher import refresh_time
from ccasync.errors import AuthenticationError, ConfigError, RateLimitError
from ccasync.testing import FakeTransport, HTTPRequest, HTTPResponse, json_response

TOKEN_URL = "https://auth.example.test/oauth2/default/v1/token"
API = "https://api.example.test/v3"
START = 1_800_000_000.0


class FakeClock:
    """Virtual epoch time; ``sleep`` advances it instantly and records the delays."""

    def __init__(self) -> None:
        self.now = START
        self.delays: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.delays.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)


def jwt(exp: float, jti: str) -> str:
    """An unsigned JWT-shaped token with the given ``exp``."""

    def enc(obj: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(orjson.dumps(obj)).decode().rstrip("=")

    return f"{enc({'alg': 'none'})}.{enc({'exp': int(exp), 'jti': jti})}.sig"


class FakeAuthServer:
    """Token endpoint + API in one handler: rotating refresh tokens, 24 h JWT access tokens."""

    def __init__(
        self, clock: FakeClock, *, rotating: bool = True, lifetime: float = 86_400
    ) -> None:
        self.clock = clock
        self.rotating = rotating
        self.lifetime = lifetime
        self.serial = 0
        self.live_refresh = "refresh-0"
        self.live_access: set[str] = set()
        self.token_requests: list[dict[str, str]] = []
        self.token_raw: list[HTTPRequest] = []
        self.token_times: list[float] = []
        self.events: list[tuple[str, str]] = []
        self.queued: list[HTTPResponse] = []

    def initial(self) -> OAuth2Token:
        """The pair a store starts with (valid access token, live refresh token)."""
        access = self._new_access()
        return OAuth2Token(
            access_token=access,
            refresh_token=self.live_refresh,
            expires_at=dt.datetime.fromtimestamp(self.clock() + self.lifetime, dt.UTC),
            scope="contact_data offline_access",
        )

    def _new_access(self) -> str:
        self.serial += 1
        token = jwt(self.clock() + self.lifetime, f"a{self.serial}")
        self.live_access.add(token)
        return token

    def revoke_access(self) -> None:
        """Every access token issued so far answers 401 from now on."""
        self.live_access.clear()

    async def __call__(self, request: HTTPRequest) -> HTTPResponse:
        if request.url.startswith(TOKEN_URL):
            self.token_times.append(self.clock())  # arrival time, before yielding to others
        await asyncio.sleep(0)
        if request.url.startswith(TOKEN_URL):
            return self._token(request)
        bearer = request.headers["Authorization"].removeprefix("Bearer ")
        self.events.append(("api", bearer))
        if bearer not in self.live_access:
            return json_response(
                {"error_key": "unauthorized", "error_message": "Unauthorized"}, 401
            )
        return json_response({"ok": True})

    def _token(self, request: HTTPRequest) -> HTTPResponse:
        self.token_raw.append(request)
        form = dict(parse_qsl((request.body or b"").decode()))
        self.token_requests.append(form)
        if self.queued:
            return self.queued.pop(0)
        if form.get("refresh_token") != self.live_refresh:
            body = {
                "error": "invalid_grant",
                "error_description": "The refresh token is invalid or expired.",
            }
            return json_response(body, 400)
        if self.rotating:
            self.live_refresh = f"refresh-{len(self.token_requests)}"
        return json_response(
            {
                "access_token": self._new_access(),
                "refresh_token": self.live_refresh,
                "token_type": "Bearer",
                "expires_in": int(self.lifetime),
                "scope": "contact_data offline_access",
            }
        )


class OrderedStore(MemoryTokenStore):
    """A memory store that logs each save into the server's event list."""

    def __init__(self, token: OAuth2Token, events: list[tuple[str, str]]) -> None:
        super().__init__(token)
        self.events = events
        self.fail = False

    async def save(self, token: OAuth2Token) -> None:
        if self.fail:
            raise OSError("disk full")
        self.events.append(("save", token.access_token))
        await super().save(token)


async def stored(store: MemoryTokenStore) -> OAuth2Token:
    """The token in ``store`` (which must hold one)."""
    token = await store.load()
    assert token is not None
    return token


@pytest.fixture
def clock() -> FakeClock:
    """Virtual time."""
    return FakeClock()


@pytest.fixture
def server(clock: FakeClock) -> FakeAuthServer:
    """A fake token endpoint and API."""
    return FakeAuthServer(clock)


def make_refresher(
    server: FakeAuthServer, clock: FakeClock, store: MemoryTokenStore | None = None, **kw: Any
) -> tuple[OAuth2Refresher, MemoryTokenStore, FakeTransport]:
    """A refresher on a FakeTransport around ``server``."""
    store = store if store is not None else MemoryTokenStore(server.initial())
    transport = FakeTransport(server)
    refresher = OAuth2Refresher(
        "app-key",
        store=store,
        token_url=TOKEN_URL,
        transport=transport,
        clock=clock,
        sleep=clock.sleep,
        **kw,
    )
    return refresher, store, transport


def make_client(refresher: OAuth2Refresher, transport: FakeTransport, clock: FakeClock) -> Client:
    """A Client using ``refresher`` without rate limiting or real sleeps."""
    return Client(
        token_provider=refresher,
        base_url=API,
        transport=transport,
        rate_limiter=RateLimiter.unlimited(),
        sleep=clock.sleep,
    )


async def test_fresh_token_is_used_without_refreshing(
    server: FakeAuthServer, clock: FakeClock
) -> None:
    """A token far from expiry is served from the store; the token endpoint is never called."""
    refresher, _, _ = make_refresher(server, clock)
    first = await refresher.token()
    for _ in range(50):
        clock.now += 60
        assert await refresher.token() == first
    assert server.token_requests == []
    assert refresher.refreshes == 0


async def test_refreshes_inside_the_margin_once(server: FakeAuthServer, clock: FakeClock) -> None:
    """Within refresh_margin of expiry the token is refreshed once, then reused."""
    refresher, store, _ = make_refresher(server, clock, refresh_margin=300)
    old = await refresher.token()
    clock.now += 86_400 - 299
    new = await refresher.token()
    assert new != old
    assert await refresher.token() == new
    assert len(server.token_requests) == 1
    assert (await stored(store)).access_token == new


async def test_one_refresh_for_100_concurrent_401s(
    server: FakeAuthServer, clock: FakeClock
) -> None:
    """100 concurrent calls that all hit a 401 cause exactly one token-endpoint refresh."""
    refresher, _, transport = make_refresher(server, clock)
    await refresher.token()
    server.revoke_access()
    async with make_client(refresher, transport, clock) as cc:
        results = await asyncio.gather(*(cc._requestor.request("GET", "/x") for _ in range(100)))
    assert all(r.data == {"ok": True} for r in results)
    assert len(server.token_requests) == 1
    assert refresher.refreshes == 1


async def test_on_unauthorized_after_another_refresh_makes_no_request(
    server: FakeAuthServer, clock: FakeClock
) -> None:
    """A 401 for a token another task already replaced returns True without a request."""
    refresher, _, _ = make_refresher(server, clock)
    old = await refresher.token()
    assert await refresher.on_unauthorized(old) is True
    assert await refresher.on_unauthorized(old) is True
    assert len(server.token_requests) == 1


async def test_new_pair_is_saved_before_it_is_used(
    server: FakeAuthServer, clock: FakeClock
) -> None:
    """The refreshed token is persisted before any API request carries it."""
    store = OrderedStore(server.initial(), server.events)
    refresher, _, transport = make_refresher(server, clock, store=store)
    await refresher.token()
    server.revoke_access()
    async with make_client(refresher, transport, clock) as cc:
        await cc._requestor.request("GET", "/x")
    new = (await stored(store)).access_token
    assert server.events.index(("save", new)) < server.events.index(("api", new))


async def test_failed_save_means_new_token_is_not_used(
    server: FakeAuthServer, clock: FakeClock
) -> None:
    """When saving fails the error propagates, the new token is unused, and the save is retried."""
    store = OrderedStore(server.initial(), server.events)
    refresher, _, transport = make_refresher(server, clock, store=store)
    await refresher.token()
    server.revoke_access()
    store.fail = True
    async with make_client(refresher, transport, clock) as cc:
        with pytest.raises(OSError, match="disk full") as info:
            await cc._requestor.request("GET", "/x")
        assert any("NOT used" in note for note in info.value.__notes__)
        api_tokens = [t for kind, t in server.events if kind == "api"]
        assert len(api_tokens) == 1  # only the rejected old token was ever sent
        store.fail = False
        assert (await cc._requestor.request("GET", "/x")).data == {"ok": True}
    assert len(server.token_requests) == 1  # the pending pair was saved, not re-fetched


async def test_rotating_refresh_tokens_use_the_latest(
    server: FakeAuthServer, clock: FakeClock
) -> None:
    """Each refresh sends the refresh token the previous refresh returned."""
    refresher, store, _ = make_refresher(server, clock)
    for _ in range(3):
        clock.now += 86_400
        await refresher.token()
    sent = [r["refresh_token"] for r in server.token_requests]
    assert sent == ["refresh-0", "refresh-1", "refresh-2"]
    assert (await stored(store)).refresh_token == "refresh-3"


async def test_long_lived_refresh_token_is_kept(clock: FakeClock) -> None:
    """A long-lived refresh token (same value each time, or omitted) stays usable."""
    server = FakeAuthServer(clock, rotating=False)
    refresher, store, _ = make_refresher(server, clock)
    clock.now += 86_400
    await refresher.token()
    server.queued.append(json_response({"access_token": "opaque-token", "expires_in": 86_400}))
    clock.now += 86_400
    await refresher.token()
    assert (await stored(store)).refresh_token == "refresh-0"


async def test_invalid_grant_says_authorize_again(server: FakeAuthServer, clock: FakeClock) -> None:
    """invalid_grant raises AuthenticationError(reauthorize=True) and is not retried later."""
    refresher, _, _ = make_refresher(server, clock)
    server.live_refresh = "someone-else-rotated-it"
    clock.now += 86_400
    with pytest.raises(AuthenticationError) as info:
        await refresher.token()
    assert info.value.reauthorize is True
    assert "authorize the application again" in str(info.value)
    assert info.value.error_keys == ["invalid_grant"]
    with pytest.raises(AuthenticationError, match="authorize the application again"):
        await refresher.token()
    assert len(server.token_requests) == 1


async def test_token_saved_by_another_process_is_picked_up(
    server: FakeAuthServer, clock: FakeClock
) -> None:
    """A fresher pair written to the store by someone else is used without a refresh."""
    refresher, store, _ = make_refresher(server, clock)
    old = await refresher.token()
    elsewhere = server.initial()
    await store.save(elsewhere)
    assert await refresher.on_unauthorized(old) is True
    assert await refresher.token() == elsewhere.access_token
    assert server.token_requests == []


async def test_token_endpoint_429_is_retried_after_a_pause(
    server: FakeAuthServer, clock: FakeClock
) -> None:
    """A 429 from the token endpoint is retried after its Retry-After (at least 1 s)."""
    refresher, _, _ = make_refresher(server, clock)
    server.queued.append(
        json_response({"error": "rate_limit_exceeded"}, 429, headers={"Retry-After": "2"})
    )
    clock.now += 86_400
    await refresher.token()
    assert len(server.token_requests) == 2
    assert 2.0 in clock.delays


async def test_token_endpoint_429_gives_up_eventually(
    server: FakeAuthServer, clock: FakeClock
) -> None:
    """Persistent 429s end in RateLimitError after a bounded number of tries."""
    refresher, _, _ = make_refresher(server, clock)
    server.queued.extend(json_response({"error": "rate_limit_exceeded"}, 429) for _ in range(10))
    clock.now += 86_400
    with pytest.raises(RateLimitError):
        await refresher.token()
    assert len(server.token_requests) == 5


async def test_token_requests_are_spaced_one_second_apart(
    server: FakeAuthServer, clock: FakeClock
) -> None:
    """Back-to-back token-endpoint requests are at least 1 s apart (1 request/second limit)."""
    refresher, _, _ = make_refresher(server, clock)
    times = []
    for _ in range(3):
        token = await refresher.token()
        await refresher.on_unauthorized(token)
        times.append(clock())
    assert all(b - a >= 1.0 for a, b in itertools.pairwise(times))


async def test_confidential_client_uses_basic_auth_in_form_body(
    server: FakeAuthServer, clock: FakeClock
) -> None:
    """With a secret: HTTP Basic, no client_id in the form; parameters in the body, not the URL."""
    refresher, _, _ = make_refresher(server, clock, client_secret="s3cret")
    await refresher.on_unauthorized(await refresher.token())
    sent = server.token_raw[0]
    assert sent.headers["Authorization"] == "Basic " + base64.b64encode(b"app-key:s3cret").decode()
    assert sent.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert "?" not in sent.url
    assert server.token_requests[0] == {"grant_type": "refresh_token", "refresh_token": "refresh-0"}


async def test_public_client_sends_client_id(server: FakeAuthServer, clock: FakeClock) -> None:
    """Without a secret (PKCE/device client) client_id is in the form and no Authorization."""
    refresher, _, _ = make_refresher(server, clock)
    await refresher.on_unauthorized(await refresher.token())
    assert "Authorization" not in server.token_raw[0].headers
    assert server.token_requests[0]["client_id"] == "app-key"


async def test_empty_store_asks_for_authorization(server: FakeAuthServer, clock: FakeClock) -> None:
    """An empty store raises AuthenticationError(reauthorize=True) without any request."""
    refresher, _, _ = make_refresher(server, clock, store=MemoryTokenStore())
    with pytest.raises(AuthenticationError, match="authorize the application again") as info:
        await refresher.token()
    assert info.value.reauthorize
    assert server.token_requests == []


async def test_missing_refresh_token_asks_for_authorization(
    server: FakeAuthServer, clock: FakeClock
) -> None:
    """A pair without a refresh token (no offline_access) cannot be renewed: reauthorize."""
    token = OAuth2Token(access_token="a", expires_at=None)
    refresher, _, _ = make_refresher(server, clock, store=MemoryTokenStore(token))
    with pytest.raises(AuthenticationError, match="offline_access"):
        await refresher.on_unauthorized(await refresher.token())


async def test_short_lifetime_does_not_refresh_every_call(clock: FakeClock) -> None:
    """A token living less than the margin is refreshed at half-life, not before every call."""
    server = FakeAuthServer(clock, lifetime=120)
    refresher, _, _ = make_refresher(server, clock, refresh_margin=300)
    clock.now += 200
    await refresher.token()
    for _ in range(10):
        clock.now += 5
        await refresher.token()
    assert len(server.token_requests) == 1


def test_refresh_time_rules() -> None:
    """Stored tokens refresh margin before expiry; fresh ones also by half-life; skew → never."""
    exp = dt.datetime.fromtimestamp(START + 1000, dt.UTC)
    token = OAuth2Token(access_token="a", expires_at=exp)
    assert refresh_time(token, now=START, margin=300, fresh=False) == START + 700
    assert refresh_time(token, now=START + 800, margin=300, fresh=True) == START + 900
    assert refresh_time(token, now=START + 2000, margin=300, fresh=True) == float("inf")
    assert refresh_time(OAuth2Token(access_token="a"), now=START, margin=1, fresh=False) == float(
        "inf"
    )


@pytest.mark.parametrize("url", ["http://auth.example.test/token", "ftp://x/token", "not a url"])
def test_token_url_must_be_https_or_loopback(url: str) -> None:
    """A token URL that would send secrets in clear text is refused."""
    with pytest.raises(ConfigError, match="token_url"):
        OAuth2Refresher("app", store=MemoryTokenStore(), token_url=url)


def test_loopback_http_token_url_is_allowed() -> None:
    """Plain http is accepted for the loopback simulator."""
    refresher = OAuth2Refresher(
        "app", store=MemoryTokenStore(), token_url="http://127.0.0.1:8080/oauth2/default/v1/token"
    )
    assert "127.0.0.1" in repr(refresher)


@pytest.mark.parametrize(
    ("args", "kwargs"),
    [(("",), {}), (("app",), {"client_secret": ""}), (("app",), {"refresh_margin": -1})],
)
def test_bad_configuration_is_refused(args: tuple[str], kwargs: dict[str, Any]) -> None:
    """Empty client_id or secret and a negative margin raise ConfigError."""
    with pytest.raises(ConfigError):
        OAuth2Refresher(*args, store=MemoryTokenStore(), **kwargs)


async def test_without_transport_refresh_is_a_clear_error(clock: FakeClock) -> None:
    """A refresher outside a Client and without transport= explains what is missing."""
    server = FakeAuthServer(clock)
    token = server.initial()
    refresher = OAuth2Refresher(
        "app", store=MemoryTokenStore(token), clock=clock, sleep=clock.sleep
    )
    with pytest.raises(RuntimeError, match="transport"):
        await refresher.on_unauthorized(await refresher.token())


async def test_shared_pacer_spaces_refreshes_of_many_accounts(
    server: FakeAuthServer, clock: FakeClock
) -> None:
    """Refreshers sharing one pacer keep the application's token requests 1 s apart."""
    pacer = TokenRequestPacer(clock=clock, sleep=clock.sleep)
    server.rotating = False
    refreshers = [make_refresher(server, clock, pacer=pacer)[0] for _ in range(4)]
    tokens = [await r.token() for r in refreshers]
    await asyncio.gather(*(r.on_unauthorized(t) for r, t in zip(refreshers, tokens, strict=True)))
    assert len(server.token_times) == 4
    assert all(b - a >= 1.0 for a, b in itertools.pairwise(server.token_times))


def test_pacer_refuses_negative_interval() -> None:
    """A negative spacing is a ConfigError."""
    with pytest.raises(ConfigError):
        TokenRequestPacer(-1)


async def test_caller_cancelled_mid_refresh_keeps_the_rotated_pair(
    server: FakeAuthServer, clock: FakeClock
) -> None:
    """Cancelling the caller while the token endpoint answers still saves the new pair."""
    refresher, store, transport = make_refresher(server, clock)
    answered = asyncio.Event()
    release = asyncio.Event()
    plain = server._token

    def slow_token(request: HTTPRequest) -> HTTPResponse:
        response = plain(request)  # the server has rotated the refresh token now
        answered.set()
        return response

    async def handler(request: HTTPRequest) -> HTTPResponse:
        if not request.url.startswith(TOKEN_URL):
            return await server(request)
        response = slow_token(request)
        await release.wait()
        return response

    transport._handler = handler
    old = await refresher.token()
    caller = asyncio.create_task(refresher.on_unauthorized(old))
    await answered.wait()
    caller.cancel()
    with pytest.raises(asyncio.CancelledError):
        await caller
    release.set()
    assert await refresher.on_unauthorized(old)  # waits for the renewal; no second request
    assert len(server.token_requests) == 1
    assert (await stored(store)).refresh_token == server.live_refresh
    assert await refresher.token() in server.live_access - {old}
