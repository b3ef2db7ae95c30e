"""Client configuration checks and lifecycle."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest

from ccasync import Client, ConfigError, RateLimiter
from ccasync.testing import FakeTransport, json_response


def _ft() -> FakeTransport:
    return FakeTransport(lambda r: json_response({}))


@pytest.mark.parametrize("token", ["", "   ", "abc\ndef", "abc def", "abc\x00"])
def test_empty_token_is_refused(token: str) -> None:
    """An empty token, or one with whitespace/control characters, is a ConfigError up front."""
    with pytest.raises(ConfigError, match="access_token"):
        Client(access_token=token)


def test_exactly_one_token_source() -> None:
    """Neither or both of access_token and token_provider is a ConfigError."""
    with pytest.raises(ConfigError, match="exactly one"):
        Client()


@pytest.mark.parametrize(
    "url",
    [
        "http://api.cc.email/v3",
        "ftp://x/v3",
        "not a url",
        "http://10.0.0.5/v3",
        "http://127.0.0.1:99999/v3",
    ],
)
def test_non_https_base_url_refused_unless_loopback(url: str) -> None:
    """Plain http is refused for non-loopback hosts (the bearer token would leak)."""
    with pytest.raises(ConfigError):
        Client(access_token="t", base_url=url)


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:8080/v3", "http://localhost/v3", "http://[::1]:9/v3"]
)
def test_loopback_http_allowed(url: str) -> None:
    """http is allowed to loopback hosts (the simulator)."""
    assert Client(access_token="t", base_url=url, transport=_ft()).base_url == url.rstrip("/")


@pytest.mark.parametrize(("kw", "value"), [("timeout", 0), ("timeout", -1), ("max_connections", 0)])
def test_bad_numbers_refused(kw: str, value: float) -> None:
    """Non-positive timeout or pool size is a ConfigError."""
    with pytest.raises(ConfigError, match=kw):
        Client(access_token="t", **{kw: value})  # type: ignore[arg-type]


async def test_one_shot_lifecycle() -> None:
    """Entering twice is a RuntimeError; aclose() is idempotent; a passed transport is borrowed."""
    ft = _ft()
    cc = Client(access_token="t", transport=ft, rate_limiter=RateLimiter.unlimited())
    async with cc:
        pass
    assert not ft.closed
    await cc.aclose()
    with pytest.raises(RuntimeError, match="only once"):
        async with cc:
            pass


async def test_closed_client_refuses_calls() -> None:
    """A call after aclose() is a clear RuntimeError, not a half-open session."""
    cc = Client(access_token="t", transport=_ft(), rate_limiter=RateLimiter.unlimited())
    await cc.aclose()
    with pytest.raises(RuntimeError, match="closed"):
        await cc._requestor.request("GET", "/contacts")


async def test_borrowed_session_is_not_closed() -> None:
    """A session passed in is borrowed: closing the client leaves it open."""
    async with aiohttp.ClientSession() as session:
        async with Client(access_token="t", session=session):
            pass
        assert not session.closed


def test_repr_hides_token() -> None:
    """repr(Client) shows the base URL, never the token."""
    cc = Client(access_token="sekrit-123", transport=_ft())
    assert "sekrit" not in repr(cc)
    assert "sekrit" not in repr(cc._requestor.tokens)


async def test_session_and_transport_together_are_refused() -> None:
    """session= would be silently ignored next to transport=: a ConfigError instead."""
    async with aiohttp.ClientSession() as session:
        with pytest.raises(ConfigError, match="session"):
            Client(access_token="t", session=session, transport=_ft())


async def test_count_calls_is_per_task_exact_and_nests() -> None:
    """count_calls() counts only the calls of its own task (and tasks it starts); blocks nest."""
    ft = FakeTransport(lambda r: json_response({}))
    async with Client(access_token="t", transport=ft, rate_limiter=RateLimiter.unlimited()) as cc:

        async def work(n: int) -> int:
            with cc.count_calls() as count:
                for _ in range(n):
                    await cc._requestor.request("GET", "/x")
                    await asyncio.sleep(0)
            return count.calls

        with cc.count_calls() as outer:
            inner = await asyncio.gather(work(3), work(5))
            child = await asyncio.create_task(work(2))
        assert inner == [3, 5]
        assert child == 2
        assert outer.calls == 10
        assert cc.calls == 10
        with cc.count_calls() as other:
            pass
        assert other.calls == 0
