"""Secrets (access/refresh tokens, client secret) never show in repr, str, errors or DEBUG logs."""

from __future__ import annotations

import datetime as dt
import logging
import traceback
from typing import Any
from urllib.parse import parse_qsl

import pytest

from ccasync import Client, RateLimiter, RequestEvent
from ccasync.auth import (
    DeviceAuthorization,
    MemoryTokenStore,
    OAuth2Refresher,
    OAuth2Token,
    StaticToken,
    pkce_pair,
)
from ccasync.errors import AuthenticationError, DecodeError
from ccasync.testing import FakeTransport, HTTPRequest, HTTPResponse, json_response

TOKEN_URL = "https://auth.example.test/oauth2/default/v1/token"
API = "https://api.example.test/v3"
MARK = "SECRETMARK"
CLIENT_SECRET = f"client-{MARK}"


class Clock:
    """Virtual epoch time with an instant sleep."""

    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds


class Server:
    """Token endpoint + API; every token it issues contains MARK."""

    def __init__(self) -> None:
        self.serial = 0
        self.live_access: set[str] = set()
        self.live_refresh = f"rt-0-{MARK}"
        self.token_answers: list[HTTPResponse] = []

    def pair(self) -> OAuth2Token:
        """A stored starting pair (1 h left)."""
        return OAuth2Token(
            access_token=self._access(),
            refresh_token=self.live_refresh,
            expires_at=dt.datetime.fromtimestamp(1_800_003_600, dt.UTC),
        )

    def _access(self) -> str:
        self.serial += 1
        token = f"at-{self.serial}-{MARK}"
        self.live_access.add(token)
        return token

    def __call__(self, request: HTTPRequest) -> HTTPResponse:
        if request.url == TOKEN_URL:
            if self.token_answers:
                return self.token_answers.pop(0)
            form = dict(parse_qsl((request.body or b"").decode()))
            if form.get("refresh_token") != self.live_refresh:
                return json_response({"error": "invalid_grant", "error_description": "bad"}, 400)
            self.live_refresh = f"rt-{self.serial}-{MARK}"
            body = {"access_token": self._access(), "refresh_token": self.live_refresh}
            return json_response({**body, "expires_in": 86_400})
        bearer = request.headers["Authorization"].removeprefix("Bearer ")
        if bearer not in self.live_access:
            return json_response(
                {"error_key": "unauthorized", "error_message": "Unauthorized"}, 401
            )
        return json_response({"contacts": []})


def assert_clean(text: str) -> None:
    """No secret value inside ``text``."""
    assert MARK not in text


def error_text(exc: BaseException) -> str:
    """Everything a traceback, repr or attribute dump of ``exc`` would show."""
    parts = ["".join(traceback.format_exception(exc)), repr(exc), str(exc), repr(vars(exc))]
    return "\n".join(parts)


def client_for(provider: Any, transport: FakeTransport, clock: Clock, events: list[Any]) -> Client:
    """A Client on the fake server, no limiter, instant sleeps, events collected."""
    return Client(
        token_provider=provider,
        base_url=API,
        transport=transport,
        rate_limiter=RateLimiter.unlimited(),
        sleep=clock.sleep,
        on_event=events.append,
    )


def refresher_for(server: Server, clock: Clock, store: MemoryTokenStore) -> OAuth2Refresher:
    """A confidential-client refresher on ``store``."""
    return OAuth2Refresher(
        "app-key",
        client_secret=CLIENT_SECRET,
        store=store,
        token_url=TOKEN_URL,
        clock=clock,
        sleep=clock.sleep,
    )


def test_reprs_hide_tokens() -> None:
    """repr/str of providers, token records, stores, PKCE pairs and device grants hide secrets."""
    server = Server()
    pair = server.pair()
    store = MemoryTokenStore(pair)
    objects: list[object] = [
        StaticToken(f"static-{MARK}"),
        Client(access_token=f"static-{MARK}", transport=FakeTransport(server)),
        refresher_for(server, Clock(), store),
        pair,
        store,
        DeviceAuthorization(
            device_code=f"dev-{MARK}",
            user_code="ABCD-EFGH",
            verification_uri="https://x",
            verification_uri_complete=None,
            expires_in=600,
            interval=5,
            started_at=0,
        ),
    ]
    for obj in objects:
        assert_clean(repr(obj))
        assert_clean(str(obj))
    pkce = pkce_pair()
    assert pkce.verifier not in repr(pkce)


async def test_static_token_401_error_hides_token(caplog: pytest.LogCaptureFixture) -> None:
    """The 401 raised for a rejected static token shows no token, nor do the DEBUG logs."""
    caplog.set_level(logging.DEBUG, logger="ccasync")
    server = Server()
    clock = Clock()
    events: list[RequestEvent] = []
    transport = FakeTransport(server)
    async with client_for(StaticToken(f"revoked-{MARK}"), transport, clock, events) as cc:
        with pytest.raises(AuthenticationError) as info:
            await cc._requestor.request("GET", "/contacts", params={"limit": 5})
    assert_clean(error_text(info.value))
    assert_clean(caplog.text)
    assert_clean(repr(events))
    assert caplog.records, "the request loop should have logged at DEBUG"


async def test_refresh_cycle_logs_and_errors_hide_tokens(caplog: pytest.LogCaptureFixture) -> None:
    """A 401 → refresh → retry cycle, a throttled token endpoint and invalid_grant leak nothing."""
    caplog.set_level(logging.DEBUG, logger="ccasync")
    server = Server()
    clock = Clock()
    store = MemoryTokenStore(server.pair())
    refresher = refresher_for(server, clock, store)
    events: list[RequestEvent] = []
    transport = FakeTransport(server)
    async with client_for(refresher, transport, clock, events) as cc:
        await cc._requestor.request("GET", "/contacts")
        server.live_access.clear()
        server.token_answers.append(json_response({"error": "slow"}, 429))
        await cc._requestor.request("GET", "/contacts")
        server.live_access.clear()
        server.live_refresh = f"someone-else-{MARK}"
        with pytest.raises(AuthenticationError) as info:
            await cc._requestor.request("GET", "/contacts")
    assert info.value.reauthorize
    assert refresher.refreshes == 1
    assert_clean(error_text(info.value))
    assert_clean(caplog.text)
    assert_clean(repr(events))
    for record in caplog.records:
        assert_clean(record.getMessage())
        assert_clean(repr(record.args))
    assert any("refresh" in r.getMessage() for r in caplog.records)


async def test_failed_save_error_hides_tokens() -> None:
    """The error raised when a refreshed pair cannot be saved carries no token."""

    class BrokenStore(MemoryTokenStore):
        async def save(self, token: OAuth2Token) -> None:
            raise OSError("read-only file system")

    server = Server()
    clock = Clock()
    refresher = refresher_for(server, clock, BrokenStore(server.pair()))
    refresher.bind_transport(FakeTransport(server))
    with pytest.raises(OSError, match="read-only") as info:
        await refresher.on_unauthorized(await refresher.token())
    assert_clean(error_text(info.value))


def test_http_request_repr_hides_credentials() -> None:
    """repr of a request (test failures, tracebacks with locals) hides the bearer and the body."""
    request = HTTPRequest(
        "POST",
        TOKEN_URL,
        {"Authorization": f"Bearer at-{MARK}", "Accept": "application/json"},
        f"grant_type=refresh_token&refresh_token=rt-{MARK}".encode(),
    )
    assert_clean(repr(request))
    assert "application/json" in repr(request)


async def test_cut_token_answer_error_hides_tokens() -> None:
    """A token-endpoint answer cut mid-JSON raises an error that quotes none of it."""
    server = Server()
    clock = Clock()
    refresher = refresher_for(server, clock, MemoryTokenStore(server.pair()))
    cut = f'{{"refresh_token":"rt-new-{MARK}","access_token":"at-new-{MARK}'.encode()
    server.token_answers.append(HTTPResponse(200, {"Content-Type": "application/json"}, cut))
    refresher.bind_transport(FakeTransport(server))
    with pytest.raises(DecodeError) as info:
        await refresher.on_unauthorized(await refresher.token())
    assert_clean(error_text(info.value))
