"""TokenEndpoint: which failures are retried (only those that surely did not land) and pacing."""

from __future__ import annotations

import pytest

from ccasync.auth._endpoint import TokenEndpoint, TokenRequestPacer, basic_auth
from ccasync.errors import (
    AuthenticationError,
    ConnectError,
    RateLimitError,
    RateLimitKind,
    RequestTimeoutError,
    ServerError,
)
from ccasync.testing import FakeTransport, HTTPResponse, json_response

URL = "https://auth.example.test/oauth2/default/v1/token"
OK = json_response({"access_token": "a"})


class Clock:
    """Virtual seconds with an instant sleep that records delays."""

    def __init__(self) -> None:
        self.now = 0.0
        self.delays: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.delays.append(seconds)
        self.now += seconds


def endpoint(clock: Clock) -> TokenEndpoint:
    """A public-client endpoint on virtual time."""
    return TokenEndpoint(URL, client_id="k", client_secret=None, clock=clock, sleep=clock.sleep)


@pytest.mark.parametrize(
    "first",
    [
        ConnectError("refused", method="POST", url=URL),
        json_response({"error": "temporarily_unavailable"}, 503),
        json_response({"error": "rate_limit_exceeded"}, 429),
    ],
)
async def test_retries_what_surely_did_not_land(first: HTTPResponse | Exception) -> None:
    """Connection refused, 503 and 429 are retried after a pause of at least 1 s."""
    clock = Clock()
    transport = FakeTransport(responses=[first, OK])
    assert await endpoint(clock).post(transport, {"grant_type": "x"}) == {"access_token": "a"}
    assert len(transport.requests) == 2
    assert min(clock.delays) >= 1.0


@pytest.mark.parametrize(
    ("first", "error"),
    [
        (RequestTimeoutError("slow", method="POST", url=URL), RequestTimeoutError),
        (json_response({"error": "server_error"}, 500), ServerError),
        (json_response({"error": "invalid_client"}, 401), AuthenticationError),
    ],
)
async def test_does_not_repeat_what_may_have_landed(
    first: HTTPResponse | Exception, error: type[Exception]
) -> None:
    """A timeout or 500 may have consumed a rotating refresh token: raised, never repeated."""
    transport = FakeTransport(responses=[first, OK])
    with pytest.raises(error):
        await endpoint(Clock()).post(transport, {"grant_type": "x"})
    assert len(transport.requests) == 1


async def test_token_endpoint_429_kind() -> None:
    """A 429 that outlasts the retries is a RateLimitError of kind TOKEN_ENDPOINT, with a note."""
    transport = FakeTransport(responses=[json_response({"error": "slow"}, 429)] * 5)
    with pytest.raises(RateLimitError) as info:
        await endpoint(Clock()).post(transport, {"grant_type": "x"})
    assert info.value.kind is RateLimitKind.TOKEN_ENDPOINT
    assert any("gave up after 5" in n for n in info.value.__notes__)


async def test_pacer_spaces_requests() -> None:
    """Successive requests through one pacer are min_interval apart; the first is immediate."""
    clock = Clock()
    pacer = TokenRequestPacer(1.05, clock=clock, sleep=clock.sleep)
    stamps = []
    for _ in range(3):
        await pacer.wait()
        stamps.append(clock())
    assert stamps == pytest.approx([0.0, 1.05, 2.10])


def test_basic_auth_escapes_credentials() -> None:
    """Client id and secret are form-url-encoded before base64 (RFC 6749 §2.3.1)."""
    assert basic_auth("a:b", "c d") == "Basic " + "YSUzQWI6YyUyMGQ="
