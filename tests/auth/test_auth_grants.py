"""First-token helpers: PKCE pair, authorization URL, code exchange, device flow."""

from __future__ import annotations

import base64
import hashlib
from typing import Any
from urllib.parse import parse_qs, parse_qsl, urlsplit

import pytest

from ccasync.auth import (
    DeviceAuthorization,
    build_authorization_url,
    exchange_code,
    pkce_pair,
    poll_device_token,
    start_device_flow,
)
from ccasync.errors import AuthenticationError, BadRequestError, ConfigError
from ccasync.testing import FakeTransport, HTTPRequest, HTTPResponse, json_response

OAUTH = "https://auth.example.test/oauth2/default/v1"
TOKEN_URL = f"{OAUTH}/token"
ANSWER = {
    "access_token": "acc",
    "refresh_token": "ref",
    "token_type": "Bearer",
    "expires_in": 86_400,
    "scope": "contact_data offline_access",
}


def form_of(request: HTTPRequest) -> dict[str, str]:
    """The urlencoded form body of ``request``."""
    return dict(parse_qsl((request.body or b"").decode()))


class Clock:
    """Virtual time whose sleep advances instantly and records delays."""

    def __init__(self) -> None:
        self.now = 1_800_000_000.0
        self.delays: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.delays.append(seconds)
        self.now += seconds


def oauth_error(error: str, status: int = 400) -> HTTPResponse:
    """An OAuth ``{error, error_description}`` answer."""
    return json_response({"error": error, "error_description": f"{error} happened"}, status)


def test_pkce_pair_is_s256() -> None:
    """The challenge is base64url(sha256(verifier)) without padding; verifiers are random."""
    pair = pkce_pair()
    digest = hashlib.sha256(pair.verifier.encode()).digest()
    assert pair.challenge == base64.urlsafe_b64encode(digest).decode().rstrip("=")
    assert 43 <= len(pair.verifier) <= 128
    assert pkce_pair().verifier != pair.verifier
    assert pair.verifier not in repr(pair)


def test_authorization_url_has_every_parameter() -> None:
    """The URL carries client_id, redirect_uri, response_type, scope, state and S256 challenge."""
    url = build_authorization_url(
        "key",
        "https://app.example/cb",
        ["contact_data", "offline_access"],
        "st4te",
        code_challenge="chal",
        authorize_url=f"{OAUTH}/authorize",
    )
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == f"{OAUTH}/authorize"
    assert parse_qs(parts.query) == {
        "client_id": ["key"],
        "redirect_uri": ["https://app.example/cb"],
        "response_type": ["code"],
        "scope": ["contact_data offline_access"],
        "state": ["st4te"],
        "code_challenge": ["chal"],
        "code_challenge_method": ["S256"],
    }
    assert "%20" in parts.query


def test_authorization_url_defaults_to_constant_contact() -> None:
    """Without authorize_url the production consent page is used; no PKCE fields by default."""
    url = build_authorization_url("key", "https://app/cb", "contact_data", "s")
    assert url.startswith("https://authz.constantcontact.com/oauth2/default/v1/authorize?")
    assert "code_challenge" not in url


@pytest.mark.parametrize(
    "kwargs",
    [
        {"state": ""},
        {"scopes": []},
        {"client_id": " "},
        {"authorize_url": "http://evil.example/authorize"},
    ],
)
def test_authorization_url_refuses_bad_input(kwargs: dict[str, Any]) -> None:
    """Empty values and a clear-text non-loopback authorize URL raise ConfigError."""
    args: dict[str, Any] = {
        "client_id": "key",
        "redirect_uri": "https://app/cb",
        "scopes": ["contact_data"],
        "state": "s",
        **kwargs,
    }
    with pytest.raises(ConfigError):
        build_authorization_url(**args)


async def test_exchange_code_with_pkce() -> None:
    """A PKCE exchange posts code, redirect_uri, verifier and client_id in the form body."""
    transport = FakeTransport(responses=[json_response(ANSWER)])
    token = await exchange_code(
        "the-code",
        client_id="key",
        redirect_uri="https://app/cb",
        code_verifier="ver",
        token_url=TOKEN_URL,
        transport=transport,
    )
    sent = transport.requests[0]
    assert sent.url == TOKEN_URL
    assert form_of(sent) == {
        "grant_type": "authorization_code",
        "code": "the-code",
        "redirect_uri": "https://app/cb",
        "code_verifier": "ver",
        "client_id": "key",
    }
    assert "Authorization" not in sent.headers
    assert token.access_token == "acc"
    assert token.refresh_token == "ref"
    assert not transport.closed  # a borrowed transport is left open


async def test_exchange_code_confidential_uses_basic() -> None:
    """With a client secret the exchange authenticates with HTTP Basic."""
    transport = FakeTransport(responses=[json_response(ANSWER)])
    await exchange_code(
        "c",
        client_id="key",
        redirect_uri="https://app/cb",
        client_secret="sec",
        token_url=TOKEN_URL,
        transport=transport,
    )
    sent = transport.requests[0]
    assert sent.headers["Authorization"] == "Basic " + base64.b64encode(b"key:sec").decode()
    assert "client_id" not in form_of(sent)


async def test_exchange_code_needs_secret_or_verifier() -> None:
    """Neither a secret nor a PKCE verifier is a ConfigError before any request."""
    transport = FakeTransport(responses=[])
    with pytest.raises(ConfigError, match="code_verifier"):
        await exchange_code(
            "c",
            client_id="k",
            redirect_uri="https://a/cb",
            token_url=TOKEN_URL,
            transport=transport,
        )
    assert transport.requests == []


async def test_exchange_of_used_code_asks_for_authorization() -> None:
    """invalid_grant at code exchange is AuthenticationError(reauthorize=True)."""
    transport = FakeTransport(responses=[oauth_error("invalid_grant")])
    with pytest.raises(AuthenticationError) as info:
        await exchange_code(
            "c",
            client_id="k",
            redirect_uri="https://a/cb",
            code_verifier="v",
            token_url=TOKEN_URL,
            transport=transport,
        )
    assert info.value.reauthorize


async def test_start_device_flow() -> None:
    """start_device_flow posts client_id and scope and returns the user code to show."""
    answer = {
        "device_code": "dev-secret",
        "user_code": "BCDF-GHJK",
        "verification_uri": "https://auth.example.test/device",
        "verification_uri_complete": "https://auth.example.test/device?user_code=BCDF-GHJK",
        "expires_in": 600,
        "interval": 5,
    }
    transport = FakeTransport(responses=[json_response(answer)])
    device = await start_device_flow(
        "key",
        ["contact_data", "offline_access"],
        device_url=f"{OAUTH}/device/authorize",
        transport=transport,
    )
    assert form_of(transport.requests[0]) == {
        "scope": "contact_data offline_access",
        "client_id": "key",
    }
    assert device.user_code == "BCDF-GHJK"
    assert device.interval == 5
    assert "dev-secret" not in repr(device)


def device(clock: Clock, *, expires_in: float = 600, interval: float = 5) -> DeviceAuthorization:
    """A started device flow."""
    return DeviceAuthorization(
        device_code="dev",
        user_code="BCDF-GHJK",
        verification_uri="https://x/device",
        verification_uri_complete=None,
        expires_in=expires_in,
        interval=interval,
        started_at=clock(),
    )


async def test_poll_honours_interval_pending_and_slow_down() -> None:
    """Polling waits interval, keeps going on authorization_pending and adds 5 s on slow_down."""
    clock = Clock()
    transport = FakeTransport(
        responses=[
            oauth_error("authorization_pending"),
            oauth_error("slow_down"),
            oauth_error("authorization_pending"),
            json_response(ANSWER),
        ]
    )
    token = await poll_device_token(
        device(clock),
        client_id="key",
        token_url=TOKEN_URL,
        transport=transport,
        clock=clock,
        sleep=clock.sleep,
    )
    assert token.access_token == "acc"
    assert clock.delays == [5, 5, 10, 10]
    assert form_of(transport.requests[0]) == {
        "grant_type": "urn:ietf:params:oauth:grant-type:device_code",
        "device_code": "dev",
        "client_id": "key",
    }


@pytest.mark.parametrize("error", ["expired_token", "access_denied"])
async def test_poll_stops_on_expired_or_denied(error: str) -> None:
    """expired_token / access_denied end polling with AuthenticationError(reauthorize=True)."""
    clock = Clock()
    transport = FakeTransport(responses=[oauth_error(error)])
    with pytest.raises(AuthenticationError, match="device flow again") as info:
        await poll_device_token(
            device(clock), client_id="k", token_url=TOKEN_URL, transport=transport, clock=clock,
            sleep=clock.sleep,
        )  # fmt: skip
    assert info.value.reauthorize


async def test_poll_gives_up_at_the_deadline() -> None:
    """Without approval, polling stops when expires_in has passed."""
    clock = Clock()
    transport = FakeTransport(responses=[oauth_error("authorization_pending")] * 10)
    with pytest.raises(AuthenticationError, match="expired"):
        await poll_device_token(
            device(clock, expires_in=30, interval=5), client_id="k", token_url=TOKEN_URL,
            transport=transport, clock=clock, sleep=clock.sleep,
        )  # fmt: skip
    assert len(transport.requests) == 5
    assert clock.now - 1_800_000_000.0 <= 30


async def test_poll_other_errors_propagate() -> None:
    """An unexpected OAuth error (invalid_request) is raised as is."""
    clock = Clock()
    transport = FakeTransport(responses=[oauth_error("invalid_request")])
    with pytest.raises(BadRequestError):
        await poll_device_token(
            device(clock), client_id="k", token_url=TOKEN_URL, transport=transport, clock=clock,
            sleep=clock.sleep,
        )  # fmt: skip
