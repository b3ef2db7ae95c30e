"""AiohttpTransport against a real loopback server: bodies, multipart, pooling, error mapping."""

from __future__ import annotations

import asyncio
import hashlib
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import orjson
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from ccasync._protocol import HTTPRequest, MultipartField
from ccasync.errors import ConnectError, RequestTimeoutError, TransportError, ValidationError
from ccasync.transport import AiohttpTransport

PEERS = web.AppKey("peers", set)


async def _echo(request: web.Request) -> web.Response:
    body = await request.read()
    peers = request.app[PEERS]
    peers.add(request.transport.get_extra_info("peername") if request.transport else None)
    return web.json_response(
        {
            "method": request.method,
            "ctype": request.content_type,
            "len": len(body),
            "sha256": hashlib.sha256(body).hexdigest(),
        },
        headers={"X-Echo": request.headers.get("X-Test", "")},
    )


async def _multipart(request: web.Request) -> web.Response:
    form = await request.post()
    upload = form["file"]
    assert isinstance(upload, web.FileField)
    return web.json_response(
        {"list_ids": form["list_ids"], "name": upload.filename, "data": upload.file.read().decode()}
    )


async def _slow(request: web.Request) -> web.Response:
    await asyncio.sleep(2)
    return web.Response(text="late")


async def _reset(request: web.Request) -> web.StreamResponse:
    resp = web.StreamResponse(headers={"Content-Length": "1000"})
    await resp.prepare(request)
    await resp.write(b"partial")
    assert request.transport is not None
    request.transport.abort()
    return resp


async def _csv(request: web.Request) -> web.StreamResponse:
    resp = web.StreamResponse(headers={"Content-Type": "text/csv"})
    await resp.prepare(request)
    for i in range(50):
        await resp.write(f"row{i}\n".encode())
    await resp.write_eof()
    return resp


@pytest.fixture
async def server() -> AsyncIterator[TestServer]:
    app = web.Application(client_max_size=8 * 1024 * 1024)
    app[PEERS] = set()
    app.router.add_route("*", "/echo", _echo)
    app.router.add_post("/upload", _multipart)
    app.router.add_get("/slow", _slow)
    app.router.add_get("/reset", _reset)
    app.router.add_get("/csv", _csv)
    async with TestServer(app, host="127.0.0.1") as srv:
        yield srv


async def test_round_trip_and_keep_alive(server: TestServer) -> None:
    """Bodies and headers travel both ways; sequential calls reuse one pooled connection."""
    transport = AiohttpTransport(timeout=5)
    try:
        for _ in range(5):
            resp = await transport.send(
                HTTPRequest(
                    "POST",
                    str(server.make_url("/echo")),
                    {"X-Test": "yes", "Content-Type": "application/json"},
                    body=b'{"a":1}',
                )
            )
            assert resp.status == 200
            assert resp.headers["X-Echo"] == "yes"
    finally:
        await transport.aclose()
    assert orjson.loads(resp.body)["len"] == 7
    assert len(server.app[PEERS]) == 1


async def test_multipart_sets_its_own_boundary(server: TestServer) -> None:
    """A multipart body reaches the server as a real form with the file and fields."""
    transport = AiohttpTransport(timeout=5)
    fields = (
        MultipartField("file", b"email\na@b.c\n", filename="c.csv", content_type="text/csv"),
        MultipartField("list_ids", "l1,l2"),
    )
    try:
        resp = await transport.send(
            HTTPRequest("POST", str(server.make_url("/upload")), {}, multipart=fields)
        )
    finally:
        await transport.aclose()
    assert resp.status == 200, resp.body
    got = orjson.loads(resp.body)
    assert got == {"list_ids": "l1,l2", "name": "c.csv", "data": "email\na@b.c\n"}


async def test_connection_refused_is_connect_error() -> None:
    """A closed port raises ConnectError (surely not landed), chained to nothing of aiohttp's."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    transport = AiohttpTransport(timeout=2)
    try:
        with pytest.raises(ConnectError) as info:
            await transport.send(HTTPRequest("GET", f"http://127.0.0.1:{port}/x?secret=1"))
    finally:
        await transport.aclose()
    assert "secret" not in str(info.value)
    assert info.value.__cause__ is None
    assert info.value.__context__ is None


async def test_timeout_is_request_timeout_error(server: TestServer) -> None:
    """No answer within the timeout raises RequestTimeoutError."""
    transport = AiohttpTransport(timeout=0.2)
    try:
        with pytest.raises(RequestTimeoutError):
            await transport.send(HTTPRequest("GET", str(server.make_url("/slow"))))
    finally:
        await transport.aclose()


async def test_reset_mid_response_is_transport_error(server: TestServer) -> None:
    """A connection dropped mid-body raises a TransportError, never an aiohttp exception."""
    transport = AiohttpTransport(timeout=5)
    try:
        with pytest.raises(TransportError):
            await transport.send(HTTPRequest("GET", str(server.make_url("/reset"))))
    finally:
        await transport.aclose()


async def test_stream_reads_chunks(server: TestServer) -> None:
    """stream() exposes a large body as chunks without reading it whole first."""
    transport = AiohttpTransport(timeout=5)
    try:
        async with transport.stream(HTTPRequest("GET", str(server.make_url("/csv")))) as resp:
            data = b"".join([c async for c in resp.chunks])
    finally:
        await transport.aclose()
    assert resp.status == 200
    assert data.count(b"\n") == 50


RawHandler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


@asynccontextmanager
async def raw_server(handler: RawHandler) -> AsyncIterator[int]:
    """A raw TCP server on loopback; yields its port; on exit cancels and closes every handler."""
    tasks: list[asyncio.Task[None]] = []
    writers: list[asyncio.StreamWriter] = []

    async def run(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writers.append(writer)
        await handler(reader, writer)

    def accept(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        tasks.append(asyncio.ensure_future(run(reader, writer)))

    srv = await asyncio.start_server(accept, "127.0.0.1", 0)
    try:
        yield srv.sockets[0].getsockname()[1]
    finally:
        srv.close()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for writer in writers:
            writer.close()
        await asyncio.gather(*(w.wait_closed() for w in writers), return_exceptions=True)
        await srv.wait_closed()


async def _silent(reader: asyncio.StreamReader, _: asyncio.StreamWriter) -> None:
    await asyncio.Event().wait()


async def test_connect_timeout_is_connect_error() -> None:
    """A connection that never completes (TLS handshake hangs) is a ConnectError: not sent."""
    transport = AiohttpTransport(timeout=0.4)
    async with raw_server(_silent) as port:
        try:
            with pytest.raises(ConnectError):
                await transport.send(
                    HTTPRequest("POST", f"https://127.0.0.1:{port}/v3/x", body=b"{}")
                )
        finally:
            await transport.aclose()


async def _garbage(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await reader.readuntil(b"\r\n\r\n")
    writer.write(b"NOT HTTP\r\n\r\n")
    await writer.drain()
    await asyncio.Event().wait()


async def test_protocol_error_message_shows_no_query() -> None:
    """A broken answer becomes a TransportError whose text omits the query (e-mail, PII)."""
    transport = AiohttpTransport(timeout=2)
    async with raw_server(_garbage) as port:
        try:
            with pytest.raises(TransportError) as info:
                await transport.send(
                    HTTPRequest("GET", f"http://127.0.0.1:{port}/v3/contacts?email=pii%40x.org")
                )
        finally:
            await transport.aclose()
    assert "pii" not in str(info.value)
    assert "/v3/contacts" in str(info.value)


async def test_invalid_url_is_a_validation_error() -> None:
    """A URL aiohttp cannot send is bad local input (not retried), without its query."""
    transport = AiohttpTransport(timeout=2)
    try:
        with pytest.raises(ValidationError) as info:
            await transport.send(HTTPRequest("GET", "http://127.0.0.1:99999/v3/x?email=pii"))
    finally:
        await transport.aclose()
    assert "pii" not in str(info.value)


async def _stall_body(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await reader.readuntil(b"\r\n\r\n")
    writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{")
    await writer.drain()
    await asyncio.Event().wait()


async def _close_at_once(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await reader.readuntil(b"\r\n\r\n")
    writer.close()


@pytest.mark.parametrize(
    ("handler", "error"), [(_stall_body, RequestTimeoutError), (_close_at_once, TransportError)]
)
async def test_body_stall_and_disconnect_are_translated(handler: RawHandler, error: type) -> None:
    """A timeout while reading the body and a server disconnect never surface as aiohttp errors."""
    transport = AiohttpTransport(timeout=0.3)
    async with raw_server(handler) as port:
        try:
            with pytest.raises(error) as info:
                await transport.send(HTTPRequest("GET", f"http://127.0.0.1:{port}/v3/x"))
        finally:
            await transport.aclose()
    assert not type(info.value).__module__.startswith("aiohttp")


async def test_large_body_is_streamed_with_length_and_type(server: TestServer) -> None:
    """A 3 MB JSON body is sent without aiohttp's large-body warning, typed and sized."""
    transport = AiohttpTransport(timeout=5)
    body = b"[" + b",".join(b'{"email":"x@example.com"}' for _ in range(120_000)) + b"]"
    assert len(body) > 1024 * 1024
    try:
        resp = await transport.send(
            HTTPRequest(
                "POST",
                str(server.make_url("/echo")),
                {"Content-Type": "application/json"},
                body=body,
            )
        )
    finally:
        await transport.aclose()
    got = orjson.loads(resp.body)
    assert got["len"] == len(body)
    assert got["sha256"] == hashlib.sha256(body).hexdigest()  # every 64 KiB slice, in order
    assert got["ctype"] == "application/json"


async def test_stream_leaves_the_callers_own_errors_alone(server: TestServer) -> None:
    """An exception raised by the caller inside stream() is not relabelled as a timeout."""
    transport = AiohttpTransport(timeout=5)
    try:
        with pytest.raises(TimeoutError) as info:
            async with transport.stream(HTTPRequest("GET", str(server.make_url("/csv")))):
                raise TimeoutError("the caller's own deadline")
    finally:
        await transport.aclose()
    assert type(info.value) is TimeoutError


async def _pause(request: web.Request) -> web.Response:
    await asyncio.sleep(0.25)
    return web.Response(text="done")


async def test_waiting_for_a_pooled_connection_does_not_count_against_timeout() -> None:
    """One connection, four 0.25 s calls at once, timeout 0.4 s: queued ones still succeed."""
    app = web.Application()
    app.router.add_get("/pause", _pause)
    transport = AiohttpTransport(timeout=0.4, max_connections=1)
    async with TestServer(app, host="127.0.0.1") as srv:
        try:
            url = str(srv.make_url("/pause"))
            answers = await asyncio.gather(
                *(transport.send(HTTPRequest("GET", url)) for _ in range(4))
            )
        finally:
            await transport.aclose()
    assert [a.status for a in answers] == [200] * 4


async def test_no_free_connection_within_pool_timeout_is_connect_error(server: TestServer) -> None:
    """An attempt that never got a pooled connection is a ConnectError (never sent), even a POST."""
    transport = AiohttpTransport(timeout=5, max_connections=1, pool_timeout=0.2)
    try:
        slow = asyncio.create_task(
            transport.send(HTTPRequest("GET", str(server.make_url("/slow"))))
        )
        await asyncio.sleep(0.05)
        with pytest.raises(ConnectError):
            await transport.send(HTTPRequest("POST", str(server.make_url("/echo")), body=b"{}"))
        assert not slow.done()
        slow.cancel()
        with pytest.raises(asyncio.CancelledError):
            await slow
    finally:
        await transport.aclose()


async def _trickle_body(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await reader.readuntil(b"\r\n\r\n")
    writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n")
    for _ in range(1000):  # never silent for long, never done: only a whole-exchange bound ends it
        writer.write(b" ")
        await writer.drain()
        await asyncio.sleep(0.05)


async def test_a_body_that_trickles_is_bounded_by_timeout_as_a_whole() -> None:
    """timeout bounds the whole exchange once a connection is held, not each silence alone."""
    transport = AiohttpTransport(timeout=0.4)
    loop = asyncio.get_running_loop()
    async with raw_server(_trickle_body) as port:
        started = loop.time()
        try:
            with pytest.raises(RequestTimeoutError):
                await transport.send(HTTPRequest("GET", f"http://127.0.0.1:{port}/v3/x"))
        finally:
            await transport.aclose()
    assert loop.time() - started < 3  # 50 s for the whole body; each gap only 0.05 s


async def test_connection_slots_are_fifo_and_a_cancelled_waiter_passes_its_slot_on() -> None:
    """Slots go to waiters in order; one handed to a leaving waiter reaches the next one."""
    from ccasync.transport import _Slots

    slots = _Slots(1)
    assert slots.take_now()
    assert not slots.take_now()
    order: list[str] = []

    async def waiter(name: str) -> None:
        await slots.take()
        order.append(name)

    first = asyncio.create_task(waiter("first"))
    second = asyncio.create_task(waiter("second"))
    third = asyncio.create_task(waiter("third"))
    await asyncio.sleep(0)
    slots.give()  # handed to "first"...
    first.cancel()  # ...which leaves before it runs: the slot must go on to "second"
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    assert order == ["second"]
    third.cancel()  # a waiter cancelled while still queued takes nothing
    with pytest.raises(asyncio.CancelledError):
        await third
    slots.give()  # "second" is done with it
    assert slots.free == 1
    assert slots.take_now()
    with pytest.raises(asyncio.CancelledError):
        await first
    await second
