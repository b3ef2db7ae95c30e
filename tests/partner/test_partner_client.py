"""PartnerClient auth: x-api-key on API calls only, the partner JWT fetched once, renewed early."""

from __future__ import annotations

import asyncio
import base64
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import orjson
import pytest

from ccasync import PartnerClient, PartnerToken, RateLimiter
from ccasync.errors import AuthenticationError, CCAsyncError, ConfigError
from ccasync.testing import FakeTransport, HTTPRequest, HTTPResponse, json_response

TOKEN_URL = "https://partner-auth.example/oauth2/token"


def jwt(exp: float) -> str:
    """An unsigned JWT expiring at ``exp`` (epoch seconds)."""
    payload = base64.urlsafe_b64encode(orjson.dumps({"exp": exp})).decode().rstrip("=")
    return f"eyJhbGciOiJub25lIn0.{payload}.sig"


class PartnerServer:
    """Answers the token endpoint (a new JWT each time) and the partner API."""

    def __init__(self, clock: list[float], *, reject_first: bool = False) -> None:
        self.clock = clock
        self.issued: list[str] = []
        self.reject_first = reject_first

    def __call__(self, request: HTTPRequest) -> HTTPResponse:
        if request.url.startswith(TOKEN_URL):
            self.issued.append(jwt(self.clock[0] + 3600 + len(self.issued)))
            return json_response({"access_token": self.issued[-1], "expires_in": 3600})
        if self.reject_first:
            self.reject_first = False
            return json_response([{"error_key": "unauthorized", "error_message": "x"}], 401)
        return json_response([])


def partner(ft: FakeTransport, clock: list[float]) -> PartnerClient:
    """A PartnerClient on ``ft`` whose token clock is ``clock[0]``."""
    token = PartnerToken(
        client_id="cid", client_secret="s3cret", token_url=TOKEN_URL, clock=lambda: clock[0]
    )
    return PartnerClient(
        api_key="key-123",
        token_provider=token,
        transport=ft,
        rate_limiter=RateLimiter.unlimited(),
    )


async def test_api_calls_carry_key_and_jwt_token_call_carries_neither_key() -> None:
    """API requests get x-api-key and the bearer JWT; the token request uses Basic credentials."""
    clock = [1_000_000.0]
    server = PartnerServer(clock)
    ft = FakeTransport(server)
    async with partner(ft, clock) as p:
        await p.webhooks.subscriptions()
    token_request, api_request = ft.requests
    assert "x-api-key" not in token_request.headers
    assert (
        token_request.headers["Authorization"]
        == "Basic " + base64.b64encode(b"cid:s3cret").decode()
    )
    form = dict(parse_qsl((token_request.body or b"").decode()))
    assert form == {"grant_type": "client_credentials", "scope": "v3api/general.partner"}
    assert api_request.headers["x-api-key"] == "key-123"
    assert api_request.headers["Authorization"] == f"Bearer {server.issued[0]}"
    assert urlsplit(api_request.url).path == "/v3/partner/webhooks/subscriptions"


async def test_token_is_reused_then_renewed_before_expiry() -> None:
    """One fetch serves many calls; within the margin of expiry the next call renews first."""
    clock = [1_000_000.0]
    server = PartnerServer(clock)
    ft = FakeTransport(server)
    async with partner(ft, clock) as p:
        await asyncio.gather(*(p.webhooks.subscriptions() for _ in range(5)))
        assert len(server.issued) == 1
        clock[0] += 3600 - 299  # inside the 300 s margin
        await p.webhooks.subscriptions()
    assert len(server.issued) == 2
    assert ft.requests[-1].headers["Authorization"] == f"Bearer {server.issued[1]}"


async def test_a_401_renews_once_and_retries() -> None:
    """A rejected JWT is renewed and the call sent again with the new one."""
    clock = [1_000_000.0]
    server = PartnerServer(clock, reject_first=True)
    ft = FakeTransport(server)
    async with partner(ft, clock) as p:
        assert await p.webhooks.subscriptions() == []
    assert len(server.issued) == 2


async def test_token_endpoint_refusal_is_an_authentication_error() -> None:
    """Wrong partner credentials surface as AuthenticationError, the secret not quoted."""

    def handler(request: HTTPRequest) -> HTTPResponse:
        body: dict[str, Any] = {"error": "invalid_client", "error_description": "bad"}
        return json_response(body, 401)

    clock = [1_000_000.0]
    async with partner(FakeTransport(handler), clock) as p:
        with pytest.raises(AuthenticationError) as caught:
            await p.webhooks.subscriptions()
    assert "s3cret" not in str(caught.value)


@pytest.mark.parametrize(
    ("kwargs", "reason"),
    [
        ({"api_key": ""}, "api_key"),
        ({"api_key": "k"}, "client_id"),
        (
            {
                "api_key": "k",
                "client_id": "c",
                "client_secret": "s",
                "token_url": "http://x.example/t",
            },
            "https",
        ),
        ({"api_key": "k", "client_id": "c", "client_secret": "s", "timeout": 0}, "timeout"),
        (
            {"api_key": "k", "client_id": "c", "client_secret": "s", "timeout": float("inf")},
            "timeout",
        ),
    ],
)
def test_configuration_errors(kwargs: dict[str, Any], reason: str) -> None:
    """An empty key, missing credentials, a plain-http token URL or a timeout that is not a
    finite number of seconds (the Client's rule) are ConfigErrors."""
    with pytest.raises(ConfigError, match=reason):
        PartnerClient(transport=FakeTransport(responses=[]), **kwargs)


def test_repr_hides_the_secret() -> None:
    """Neither the client secret nor the key shows in a repr."""
    token = PartnerToken(client_id="cid", client_secret="s3cret", token_url=TOKEN_URL)
    client = PartnerClient(
        api_key="key-123", token_provider=token, transport=FakeTransport(responses=[])
    )
    assert "s3cret" not in repr(token)
    assert "key-123" not in repr(client)


async def test_token_request_is_retried_after_a_gateway_error_or_throttle() -> None:
    """A 503 and a 429 (with Retry-After) from the token endpoint are retried; then it works."""
    clock = [1_000_000.0]
    server = PartnerServer(clock)
    failures = [
        json_response([{"error_key": "unavailable", "error_message": "x"}], 503),
        json_response({"error": "slow_down"}, 429, headers={"Retry-After": "7"}),
    ]
    slept: list[float] = []

    def handler(request: HTTPRequest) -> HTTPResponse:
        if request.url.startswith(TOKEN_URL) and failures:
            return failures.pop(0)
        return server(request)

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    token = PartnerToken(
        client_id="cid", client_secret="s", token_url=TOKEN_URL, clock=lambda: clock[0], sleep=sleep
    )
    async with PartnerClient(
        api_key="k",
        token_provider=token,
        transport=FakeTransport(handler),
        rate_limiter=RateLimiter.unlimited(),
    ) as p:
        assert await p.webhooks.subscriptions() == []
    assert slept == [1.0, 7.0]
    assert token.fetches == 3


async def test_refused_credentials_are_not_retried() -> None:
    """A 400/401 from the token endpoint is final: one request."""
    calls: list[str] = []

    def handler(request: HTTPRequest) -> HTTPResponse:
        calls.append(request.url)
        return json_response({"error": "invalid_client"}, 400)

    token = PartnerToken(client_id="cid", client_secret="s", token_url=TOKEN_URL)
    async with PartnerClient(
        api_key="k",
        token_provider=token,
        transport=FakeTransport(handler),
        rate_limiter=RateLimiter.unlimited(),
    ) as p:
        with pytest.raises(CCAsyncError):
            await p.webhooks.subscriptions()
    assert len(calls) == 1
