"""A broken or hostile server on loopback cannot hang the client, exhaust it or read its secrets.

A tiny raw asyncio server plays each behaviour (drop the connection, answer garbage, hang,
send a huge or decompression-bomb body, loop its next links). Every exception the library
raises is walked through ``__cause__``, ``__context__``, notes and a printed traceback, and
every log record is checked, for the access token, the client secret (and its Basic header),
refresh tokens, a URL password and e-mail addresses from the query (issue 12 items 6, 8, 9).
"""

from __future__ import annotations

import asyncio
import base64
import gzip
import logging
import math
import traceback
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import orjson
import pytest

from ccasync import Client, RateLimiter
from ccasync.auth import MemoryTokenStore, OAuth2Refresher, OAuth2Token
from ccasync.config import RetryPolicy, check_base_url
from ccasync.errors import (
    CCAsyncError,
    ConfigError,
    DecodeError,
    TransportError,
    ValidationError,
    WaitTimeoutError,
)

ACCESS = "SECRET-ACCESS-TOKEN-7d1f"
CLIENT_SECRET = "SECRET-CLIENT-9c2e"
REFRESH = "SECRET-REFRESH-4b8a"
NEW_TOKENS = "SECRET-NEW-PAIR-55aa"
PASSWORD = "SECRET-PASSWORD-hunter2"
EMAIL = "person.secret@example.com"
BASIC = base64.b64encode(f"app:{CLIENT_SECRET}".encode()).decode()
SECRETS = (ACCESS, CLIENT_SECRET, REFRESH, NEW_TOKENS, PASSWORD, EMAIL, "person.secret", BASIC)

Behaviour = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


async def _read_request(reader: asyncio.StreamReader) -> bytes:
    head = await reader.readuntil(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":", 1)[1])
    return head + (await reader.readexactly(length) if length else b"")


def _answer(status: int, body: bytes, *headers: str) -> bytes:
    lines = [f"HTTP/1.1 {status} X", f"Content-Length: {len(body)}", *headers, "", ""]
    return "\r\n".join(lines).encode() + body


@asynccontextmanager
async def hostile(behaviour: Behaviour) -> AsyncIterator[str]:
    """Serve ``behaviour`` for every connection on 127.0.0.1; yield the base URL."""
    tasks: set[asyncio.Task[None]] = set()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        tasks.add(task)
        try:
            await behaviour(reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()
            tasks.discard(task)

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.close()
        for task in list(tasks):
            task.cancel()
        await server.wait_closed()


async def drop(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Read the request, then close without a word."""
    await _read_request(reader)


async def garbage(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Answer bytes that are no HTTP at all."""
    await _read_request(reader)
    writer.write(b"\x00\x01 not http at all\r\n\r\n")
    await writer.drain()


async def hang(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Read the request and never answer."""
    await _read_request(reader)
    await asyncio.sleep(3600)


async def cut_body(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Promise 1,000 bytes, send 10 that quote the request, then close."""
    request = await _read_request(reader)
    writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n" + request[:10])
    await writer.drain()


async def echo_token_page(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """A token endpoint whose error page (not JSON) echoes the whole request it got."""
    request = await _read_request(reader)
    writer.write(_answer(400, b"<html>" + request + b"</html>", "Content-Type: text/html"))
    await writer.drain()


async def broken_token_json(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """A 200 token answer cut short: invalid JSON that still holds the new tokens."""
    await _read_request(reader)
    body = f'{{"access_token":"{NEW_TOKENS}","refresh_token":"{NEW_TOKENS}'.encode()
    writer.write(_answer(200, body, "Content-Type: application/json"))
    await writer.drain()


ALL_BEHAVIOURS = [drop, garbage, cut_body]


def _chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    todo = [exc]
    while todo:
        current = todo.pop()
        if any(current is s for s in seen):
            continue
        seen.append(current)
        todo += [e for e in (current.__cause__, current.__context__) if e is not None]
        if isinstance(current, BaseExceptionGroup):
            todo += list(current.exceptions)
    return seen


def assert_no_secret(exc: BaseException, records: list[logging.LogRecord]) -> None:
    """Nothing reachable from ``exc``, nor any log record, shows a secret."""
    texts = ["".join(traceback.format_exception(exc))]
    for link in _chain(exc):
        texts += [str(link), repr(link), *getattr(link, "__notes__", ())]
        texts.append(repr(getattr(link, "args", ())))
    for record in records:
        texts.append(record.getMessage())
        if record.exc_info and record.exc_info[1] is not None:
            texts.append("".join(traceback.format_exception(record.exc_info[1])))
    for text in texts:
        for secret in SECRETS:
            assert secret not in text, f"{secret!r} leaked in: {text[:300]}"


@pytest.fixture
def records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    """Every DEBUG log record of the ccasync logger during the test."""
    caplog.set_level(logging.DEBUG, logger="ccasync")
    return caplog.records


def _client(base: str, **kw: Any) -> Client:
    kw.setdefault("access_token", ACCESS)
    return Client(
        base_url=f"{base}/v3",
        rate_limiter=RateLimiter.unlimited(),
        retry=RetryPolicy(max_attempts=2, base_delay=0.01),
        timeout=kw.pop("timeout", 2.0),
        **kw,
    )


@pytest.mark.parametrize("behaviour", [*ALL_BEHAVIOURS, hang], ids=lambda b: b.__name__)
async def test_api_failures_leak_no_token_or_query(
    behaviour: Behaviour, records: list[logging.LogRecord]
) -> None:
    """Dropped, garbage, cut or hanging answers: ccasync errors with no token, no e-mail."""
    async with hostile(behaviour) as base, _client(base, timeout=0.5) as cc:
        with pytest.raises(CCAsyncError) as info:
            await cc.contacts.find_by_email(EMAIL)
    assert isinstance(info.value, TransportError)
    assert_no_secret(info.value, records)


async def test_url_password_never_shows(records: list[logging.LogRecord]) -> None:
    """A base or token URL carrying user:password@ is refused, its password shown nowhere."""
    async with hostile(drop) as base:
        with_password = base.replace("//", f"//user:{PASSWORD}@")
        with pytest.raises(ConfigError, match="must not carry") as info:
            _client(with_password)
        assert_no_secret(info.value, records)
        with pytest.raises(ConfigError) as token_url:
            _refresher(with_password)
        assert_no_secret(token_url.value, records)
    with pytest.raises(ConfigError) as config:
        check_base_url(f"http://user:{PASSWORD}@example.com/v3?email={EMAIL}")
    assert_no_secret(config.value, records)


def _refresher(base: str) -> OAuth2Refresher:
    expired = OAuth2Token(access_token=ACCESS, refresh_token=REFRESH, expires_at=None)
    return OAuth2Refresher(
        "app",
        client_secret=CLIENT_SECRET,
        store=MemoryTokenStore(expired),
        token_url=f"{base}/token",
        refresh_margin=0,
    )


@pytest.mark.parametrize(
    "behaviour", [*ALL_BEHAVIOURS, echo_token_page, broken_token_json], ids=lambda b: b.__name__
)
async def test_token_endpoint_failures_leak_no_secret(
    behaviour: Behaviour, records: list[logging.LogRecord]
) -> None:
    """The token endpoint failing in any way shows no client secret, Basic header or token."""
    async with hostile(behaviour) as base:
        refresher = _refresher(base)
        async with Client(
            token_provider=refresher, base_url=f"{base}/v3", rate_limiter=RateLimiter.unlimited()
        ) as cc:
            with pytest.raises(CCAsyncError) as info:
                await refresher.on_unauthorized(ACCESS)
            assert cc.calls == 0
    assert_no_secret(info.value, records)


# --- item 8: bounded reads -------------------------------------------------------------------


def _json_body(size: int) -> bytes:
    return b'{"contacts": [], "pad": "' + b"x" * size + b'"}'


async def test_huge_body_is_refused_at_max_body_bytes() -> None:
    """A body over max_body_bytes raises DecodeError instead of being read into memory."""

    async def huge(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await _read_request(reader)
        writer.write(_answer(200, _json_body(2_000_000), "Content-Type: application/json"))
        await writer.drain()

    async with hostile(huge) as base, _client(base, max_body_bytes=1_000_000) as cc:
        with pytest.raises(DecodeError, match="max_body_bytes=1,000,000"):
            await cc.contacts.find_by_email(EMAIL)
        assert cc.calls == 1  # not retried: the next answer would be as large


async def test_body_without_length_is_bounded_while_read() -> None:
    """A chunked body with no Content-Length is cut as soon as it passes the bound."""

    async def endless(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await _read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
        chunk = b"x" * 65_536
        for _ in range(10_000):  # 640 MiB if nobody stops reading
            writer.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            await writer.drain()

    async with hostile(endless) as base, _client(base, max_body_bytes=1_000_000) as cc:
        with pytest.raises(DecodeError, match="max_body_bytes"):
            await cc.contacts.find_by_email(EMAIL)


async def test_decompression_bomb_is_bounded() -> None:
    """A small gzip body that inflates past max_body_bytes is refused (counted decompressed)."""
    bomb = gzip.compress(_json_body(20_000_000), compresslevel=9)
    assert len(bomb) < 100_000

    async def inflate(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await _read_request(reader)
        headers = ("Content-Type: application/json", "Content-Encoding: gzip")
        writer.write(_answer(200, bomb, *headers))
        await writer.drain()

    async with hostile(inflate) as base, _client(base, max_body_bytes=1_000_000) as cc:
        with pytest.raises(DecodeError, match="max_body_bytes"):
            await cc.contacts.find_by_email(EMAIL)


# --- item 9: bounded loops -------------------------------------------------------------------


async def test_next_link_cycle_through_a_real_server_stops() -> None:
    """Pages A→B→A over HTTP: DecodeError after two GETs, not an endless walk."""
    served: list[bytes] = []

    async def cycle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while True:
            request = await _read_request(reader)
            served.append(request)
            other = "b" if b"cursor=a" in request.split(b"\r\n", 1)[0] else "a"
            page = {"lists": [], "_links": {"next": {"href": f"/v3/contact_lists?cursor={other}"}}}
            body = orjson.dumps(page)
            writer.write(_answer(200, body, "Content-Type: application/json"))
            await writer.drain()

    async with hostile(cycle) as base, _client(base) as cc:
        with pytest.raises(DecodeError, match="leads back"):
            async for _ in cc.lists.iter_all():
                pass
    assert len(served) == 3  # the first page (no cursor), a, b; then b→a is refused


ACTIVITY_ID = "0f2c9a4e-5b1d-4c3e-9a7f-1e2d3c4b5a69"


async def test_stuck_activity_wait_stops_at_the_default_timeout() -> None:
    """An activity stuck in 'processing' (polled 91 simulated hours before) stops after 3,600 s."""
    polls = 0
    slept = 0.0

    async def stuck(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal polls
        while True:
            await _read_request(reader)
            polls += 1
            body = orjson.dumps(
                {"activity_id": ACTIVITY_ID, "state": "processing", "percent_done": 1}
            )
            writer.write(_answer(200, body, "Content-Type: application/json"))
            await writer.drain()

    async def virtual(seconds: float) -> None:
        nonlocal slept
        slept += seconds

    async with hostile(stuck) as base, _client(base, sleep=virtual) as cc:
        with pytest.raises(WaitTimeoutError, match="after 3600 s"):
            await cc.activities.wait(ACTIVITY_ID)
        with pytest.raises(ValidationError, match="timeout"):
            await cc.activities.wait(ACTIVITY_ID, timeout=math.nan)
    assert slept <= 3_600
    assert polls < 200
