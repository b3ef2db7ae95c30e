"""The request loop: auth header, retries by policy, 401 refresh, limiter feedback, events."""

from __future__ import annotations

import asyncio
import logging
from contextlib import asynccontextmanager
from typing import Any

import pytest

from ccasync import Client, RateLimiter, RequestEvent
from ccasync._protocol import HTTPStream
from ccasync._retry import Replay
from ccasync.config import RetryPolicy
from ccasync.errors import (
    AuthenticationError,
    ConnectError,
    DecodeError,
    NotFoundError,
    QuotaExhaustedError,
    RateLimitError,
    RateLimitKind,
    RequestTimeoutError,
    ServerError,
    ValidationError,
)
from ccasync.testing import FakeTransport, HTTPRequest, HTTPResponse, json_response, query_of

THROTTLED = {"error_key": "throttled", "error_message": "Too Many Requests"}
QUOTA = {"error_key": "quota_exceeded", "error_message": "Limit Exceeded"}


class RecordingLimiter:
    """A limiter double that counts acquisitions and feedback."""

    def __init__(self) -> None:
        self.acquired = 0
        self.throttled: list[float | None] = []
        self.quota = 0

    async def acquire(self) -> None:
        self.acquired += 1

    def on_throttled(self, retry_after: float | None) -> None:
        self.throttled.append(retry_after)

    def on_quota_exceeded(self) -> None:
        self.quota += 1


class RotatingTokens:
    """A token source that hands out tok-1, tok-2… and counts refreshes."""

    def __init__(self) -> None:
        self.current = 1
        self.refreshes = 0

    async def token(self) -> str:
        return f"tok-{self.current}"

    async def on_unauthorized(self, rejected: str) -> bool:
        self.refreshes += 1
        self.current += 1
        return True

    def bind_transport(self, transport: Any) -> None:
        pass


def _client(transport: FakeTransport, sleep: Any, **kw: Any) -> Client:
    kw.setdefault("access_token", "secret-token")
    kw.setdefault("rate_limiter", RateLimiter.unlimited())
    return Client(transport=transport, sleep=sleep, jitter=lambda: 0.5, **kw)


def _sequence(*answers: HTTPResponse | Exception) -> FakeTransport:
    return FakeTransport(responses=list(answers))


async def test_bearer_token_and_json_headers(fake_sleep: Any) -> None:
    """Every call carries the bearer token; JSON bodies get a JSON Content-Type."""
    ft = _sequence(json_response({"ok": True}, 201))
    async with _client(ft, fake_sleep) as cc:
        resp = await cc._requestor.request("POST", "/contact_lists", json={"name": "n"})
    sent = ft.requests[0]
    assert resp.data == {"ok": True}
    assert sent.headers["Authorization"] == "Bearer secret-token"
    assert sent.headers["Content-Type"] == "application/json"
    assert sent.body == b'{"name":"n"}'
    assert sent.url == "https://api.cc.email/v3/contact_lists"


async def test_headers_follow_the_token_and_stay_few(fake_sleep: Any) -> None:
    """Header sets are built once per token, yet every call carries the token current then;
    after many renewals only a few sets are kept."""
    tokens = RotatingTokens()
    ft = FakeTransport(lambda request: json_response({}))
    async with _client(ft, fake_sleep, access_token=None, token_provider=tokens) as cc:
        for n in range(1, 21):
            tokens.current = n
            await cc._requestor.request("GET", "/contacts")
            await cc._requestor.request("PUT", "/account/summary", json={"n": n})
        kept = len(cc._requestor._header_sets)
    sent = [
        (r.method, r.headers["Authorization"], r.headers.get("Content-Type")) for r in ft.requests
    ]
    assert sent == [
        item
        for n in range(1, 21)
        for item in (
            ("GET", f"Bearer tok-{n}", None),
            ("PUT", f"Bearer tok-{n}", "application/json"),
        )
    ]
    assert kept <= 8


async def test_get_retries_5xx_then_succeeds(fake_sleep: Any) -> None:
    """A GET that meets two 503s is retried with growing jittered backoff and succeeds."""
    ft = _sequence(json_response([], 503), json_response([], 503), json_response({"a": 1}))
    async with _client(ft, fake_sleep) as cc:
        resp = await cc._requestor.request("GET", "/contacts")
    assert resp.data == {"a": 1}
    assert len(ft.requests) == 3
    assert fake_sleep.delays == [0.25, 0.5]
    assert cc.calls == 3


async def test_post_is_not_retried_on_5xx(fake_sleep: Any) -> None:
    """A plain POST that met a 500 may have landed, so it is not repeated."""
    ft = _sequence(json_response([{"error_key": "x", "error_message": "boom"}], 500))
    async with _client(ft, fake_sleep) as cc:
        with pytest.raises(ServerError):
            await cc._requestor.request("POST", "/contacts", json={})
    assert len(ft.requests) == 1


async def test_post_is_not_retried_after_timeout(fake_sleep: Any) -> None:
    """A POST whose answer timed out may have landed: not repeated."""
    ft = _sequence(RequestTimeoutError("timed out", method="POST", url="/v3/emails"))
    async with _client(ft, fake_sleep) as cc:
        with pytest.raises(RequestTimeoutError):
            await cc._requestor.request("POST", "/emails", json={})
    assert len(ft.requests) == 1


async def test_post_retried_when_connection_refused(fake_sleep: Any) -> None:
    """A POST whose connection was refused never reached the server and is retried."""
    ft = _sequence(ConnectError("refused"), json_response({"id": 1}, 201))
    async with _client(ft, fake_sleep) as cc:
        resp = await cc._requestor.request("POST", "/contacts", json={})
    assert resp.status == 201
    assert len(ft.requests) == 2


async def test_upsert_post_retried_on_5xx(fake_sleep: Any) -> None:
    """An upsert POST (JSON import) is repeated after a 5xx."""
    ft = _sequence(json_response([], 500), json_response({"activity_id": "a"}, 201))
    async with _client(ft, fake_sleep) as cc:
        resp = await cc._requestor.request(
            "POST", "/activities/contacts_json_import", json={}, replay=Replay.UPSERT
        )
    assert resp.status == 201
    assert len(ft.requests) == 2


async def test_throttled_429_slows_limiter_and_retries(fake_sleep: Any) -> None:
    """A throttled 429 tells the limiter to slow down and the call is retried."""
    limiter = RecordingLimiter()
    ft = _sequence(json_response(THROTTLED, 429, {"Retry-After": "2"}), json_response({}))
    async with _client(ft, fake_sleep, rate_limiter=limiter) as cc:
        await cc._requestor.request("POST", "/contacts", json={})
    assert limiter.throttled == [2.0]
    assert fake_sleep.delays == [2.0]
    assert limiter.acquired == 2


async def test_throttle_without_retry_after_pauses_for_the_policy(fake_sleep: Any) -> None:
    """With no Retry-After, the limiter is paused for RetryPolicy.throttle_pause seconds."""
    limiter = RecordingLimiter()
    ft = _sequence(json_response(THROTTLED, 429), json_response({}))
    policy = RetryPolicy(throttle_pause=0.3)
    async with _client(ft, fake_sleep, rate_limiter=limiter, retry=policy) as cc:
        await cc._requestor.request("GET", "/contacts")
    assert limiter.throttled == [0.3]


async def test_daily_quota_is_final_and_marks_the_limiter(fake_sleep: Any) -> None:
    """quota_exceeded is raised at once and the limiter learns the day is spent."""
    limiter = RecordingLimiter()
    ft = _sequence(json_response(QUOTA, 429))
    async with _client(ft, fake_sleep, rate_limiter=limiter) as cc:
        with pytest.raises(RateLimitError) as info:
            await cc._requestor.request("GET", "/contacts")
    assert info.value.kind is RateLimitKind.DAILY_QUOTA
    assert limiter.quota == 1
    assert len(ft.requests) == 1


async def test_give_up_reraises_last_error_with_note(fake_sleep: Any) -> None:
    """When retries run out the last error is re-raised with a note on the attempts."""
    ft = FakeTransport(lambda r: json_response([], 503))
    async with _client(ft, fake_sleep, retry=RetryPolicy(max_attempts=3)) as cc:
        with pytest.raises(ServerError) as info:
            await cc._requestor.request("GET", "/contacts")
    assert len(ft.requests) == 3
    assert info.value.__notes__ == ["ccasync: gave up after 3 attempts (max_attempts=3 reached)"]


async def test_401_refreshes_once_then_retries(fake_sleep: Any) -> None:
    """A 401 triggers one refresh and a retry with the new token."""
    tokens = RotatingTokens()

    def handler(req: HTTPRequest) -> HTTPResponse:
        if req.headers["Authorization"] == "Bearer tok-1":
            return json_response(
                {"error_key": "unauthorized", "error_message": "Unauthorized"}, 401
            )
        return json_response({"ok": 1})

    ft = FakeTransport(handler)
    async with _client(ft, fake_sleep, access_token=None, token_provider=tokens) as cc:
        resp = await cc._requestor.request("POST", "/emails", json={})
    assert resp.data == {"ok": 1}
    assert tokens.refreshes == 1
    assert [r.headers["Authorization"] for r in ft.requests] == ["Bearer tok-1", "Bearer tok-2"]


async def test_retry_after_401_takes_a_new_limiter_slot(fake_sleep: Any) -> None:
    """The resend after a 401 refresh is a request of its own: it waits for the limiter again."""
    tokens = RotatingTokens()
    limiter = RecordingLimiter()
    unauthorized = {"error_key": "unauthorized", "error_message": "Unauthorized"}
    ft = _sequence(json_response(unauthorized, 401), json_response({"ok": 1}))
    async with _client(
        ft, fake_sleep, access_token=None, token_provider=tokens, rate_limiter=limiter
    ) as cc:
        await cc._requestor.request("GET", "/contacts")
    assert limiter.acquired == 2
    assert cc.calls == 2


async def test_second_401_is_final(fake_sleep: Any) -> None:
    """If the refreshed token is rejected too, the AuthenticationError propagates."""
    tokens = RotatingTokens()
    unauthorized = {"error_key": "unauthorized", "error_message": "Unauthorized"}
    ft = FakeTransport(lambda r: json_response(unauthorized, 401))
    async with _client(ft, fake_sleep, access_token=None, token_provider=tokens) as cc:
        with pytest.raises(AuthenticationError):
            await cc._requestor.request("GET", "/contacts")
    assert tokens.refreshes == 1
    assert len(ft.requests) == 2


async def test_static_token_401_is_final(fake_sleep: Any) -> None:
    """A static token cannot be refreshed: the 401 becomes an AuthenticationError at once."""
    unauthorized = {"error_key": "unauthorized", "error_message": "Unauthorized"}
    ft = FakeTransport(lambda r: json_response(unauthorized, 401))
    async with _client(ft, fake_sleep) as cc:
        with pytest.raises(AuthenticationError) as info:
            await cc._requestor.request("GET", "/contacts")
    assert info.value.reauthorize
    assert len(ft.requests) == 1


async def test_quota_exhausted_locally_sends_nothing(fake_sleep: Any) -> None:
    """When the limiter refuses (daily budget spent) no request is sent."""

    class Spent(RecordingLimiter):
        async def acquire(self) -> None:
            raise QuotaExhaustedError("daily budget spent")

    ft = FakeTransport(lambda r: json_response({}))
    async with _client(ft, fake_sleep, rate_limiter=Spent()) as cc:
        with pytest.raises(QuotaExhaustedError):
            await cc._requestor.request("GET", "/contacts")
    assert ft.requests == []


async def test_events_and_debug_log(fake_sleep: Any, caplog: pytest.LogCaptureFixture) -> None:
    """Each attempt emits an event and a DEBUG log line with method, path, status and attempt."""
    events: list[RequestEvent] = []
    ft = _sequence(json_response([], 500), json_response({"x": 1}))
    caplog.set_level(logging.DEBUG, logger="ccasync")
    async with _client(ft, fake_sleep, on_event=events.append) as cc:
        await cc._requestor.request("GET", "/contacts", params={"email": "a@b.c"})
    assert [(e.method, e.path, e.status, e.attempt) for e in events] == [
        ("GET", "/v3/contacts", 500, 1),
        ("GET", "/v3/contacts", 200, 2),
    ]
    assert all(e.latency >= 0 for e in events)
    lines = [r.getMessage() for r in caplog.records if r.name == "ccasync"]
    assert any("GET /v3/contacts -> 200 attempt=2" in line for line in lines)


async def test_pagination_follows_next_links(fake_sleep: Any) -> None:
    """iter_items walks every page through _links.next and structures the items."""
    pages = {
        "https://api.cc.email/v3/things?limit=2": {
            "things": [{"n": 1}, {"n": 2}],
            "_links": {"next": {"href": "/v3/things?cursor=c2&limit=2"}},
        },
        "https://api.cc.email/v3/things?cursor=c2&limit=2": {"things": [{"n": 3}]},
    }
    ft = FakeTransport(lambda r: json_response(pages[r.url]))
    async with _client(ft, fake_sleep) as cc:
        items = [
            i
            async for i in cc._requestor.iter_items(
                "/things", items_key="things", model=dict, params={"limit": 2}
            )
        ]
    assert items == [{"n": 1}, {"n": 2}, {"n": 3}]


async def test_pagination_stops_on_a_next_link_to_the_same_page(fake_sleep: Any) -> None:
    """A page whose next link is itself raises DecodeError instead of looping on the quota."""
    page = {"things": [{"n": 1}], "_links": {"next": {"href": "/v3/things?cursor=c1"}}}
    ft = FakeTransport(lambda r: json_response(page))
    async with _client(ft, fake_sleep) as cc:
        pages = cc._requestor.iter_pages("/things", params={"cursor": "c1"})
        with pytest.raises(DecodeError, match="leads back to a page read"):
            await _take(pages, 5)
    assert len(ft.requests) == 1


async def _take(pages: Any, n: int) -> list[Any]:
    """At most ``n`` items of an async iterator (so a looping pager cannot hang the test)."""
    taken: list[Any] = []
    async for page in pages:
        taken.append(page)
        if len(taken) == n:
            await pages.aclose()
            break
    return taken


async def test_foreign_next_link_is_refused(fake_sleep: Any) -> None:
    """A link on another origin is never followed with our token: ValidationError (url)."""
    ft = FakeTransport(lambda r: json_response({}))
    async with _client(ft, fake_sleep) as cc:
        with pytest.raises(ValidationError, match="another origin"):
            await cc._requestor.request("GET", "https://evil.example/v3/contacts")
    assert ft.requests == []


async def test_stream_yields_chunks_and_maps_errors(fake_sleep: Any) -> None:
    """stream() yields the body in chunks; an error status raises the mapped error."""
    ft = FakeTransport(
        lambda r: (
            HTTPResponse(200, {"Content-Type": "text/csv"}, b"email\na@b.c\n")
            if r.url.endswith("/ok")
            else json_response([{"error_key": "nf", "error_message": "gone"}], 404)
        )
    )
    async with _client(ft, fake_sleep) as cc:
        async with cc._requestor.stream("/contact_exports/ok") as chunks:
            body = b"".join([c async for c in chunks])
        assert body == b"email\na@b.c\n"
        with pytest.raises(Exception, match="gone"):
            async with cc._requestor.stream("/contact_exports/missing") as chunks:
                pass


async def test_stream_retries_before_the_body_and_feeds_the_limiter(fake_sleep: Any) -> None:
    """Until chunks flow, stream() retries like a GET and reports a throttle to the limiter."""
    limiter = RecordingLimiter()
    csv = HTTPResponse(200, {"Content-Type": "text/csv"}, b"email\na@b.c\n")
    ft = _sequence(json_response(THROTTLED, 429), json_response([], 503), csv)
    events: list[RequestEvent] = []
    async with _client(ft, fake_sleep, rate_limiter=limiter, on_event=events.append) as cc:
        async with cc._requestor.stream("/contact_exports/x") as chunks:
            body = b"".join([c async for c in chunks])
    assert body == b"email\na@b.c\n"
    assert limiter.throttled == [RetryPolicy().throttle_pause]
    assert limiter.acquired == 3
    assert [e.status for e in events] == [429, 503, 200]
    assert cc.calls == 3


async def test_stream_refreshes_once_on_401(fake_sleep: Any) -> None:
    """A 401 before a download starts triggers one refresh and a retry with the new token."""
    tokens = RotatingTokens()

    def handler(req: HTTPRequest) -> HTTPResponse:
        if req.headers["Authorization"] == "Bearer tok-1":
            return json_response(
                {"error_key": "unauthorized", "error_message": "Unauthorized"}, 401
            )
        return HTTPResponse(200, {"Content-Type": "text/csv"}, b"a\n")

    ft = FakeTransport(handler)
    async with _client(ft, fake_sleep, access_token=None, token_provider=tokens) as cc:
        async with cc._requestor.stream("/contact_exports/x") as chunks:
            body = b"".join([c async for c in chunks])
    assert body == b"a\n"
    assert tokens.refreshes == 1


async def test_stream_error_inside_the_body_is_not_retried(fake_sleep: Any) -> None:
    """An exception raised while the caller reads the download propagates; nothing is resent."""
    ft = FakeTransport(lambda r: HTTPResponse(200, {"Content-Type": "text/csv"}, b"a\nb\nc\n"))
    async with _client(ft, fake_sleep) as cc:
        with pytest.raises(ConnectError):
            async with cc._requestor.stream("/contact_exports/x"):
                raise ConnectError("the caller's own failure")
    assert len(ft.requests) == 1


async def test_cancelled_attempt_is_reported_as_such(fake_sleep: Any) -> None:
    """A call cancelled mid-request emits an event naming CancelledError, and is not retried."""
    entered = asyncio.Event()

    async def hang(request: HTTPRequest) -> HTTPResponse:
        entered.set()
        await asyncio.Event().wait()
        raise AssertionError("unreachable")

    events: list[RequestEvent] = []
    ft = FakeTransport(hang)
    async with _client(ft, fake_sleep, on_event=events.append) as cc:
        call = asyncio.create_task(cc._requestor.request("GET", "/contacts"))
        await entered.wait()
        call.cancel()
        with pytest.raises(asyncio.CancelledError):
            await call
    assert [(e.status, e.error) for e in events] == [(None, "CancelledError")]
    assert len(ft.requests) == 1


async def test_broken_event_hook_does_not_fail_the_call(
    fake_sleep: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """An exception in the metrics hook is logged; the API call still succeeds, once."""

    def hook(event: RequestEvent) -> None:
        raise ZeroDivisionError("metrics bug")

    ft = _sequence(json_response({"ok": 1}))
    async with _client(ft, fake_sleep, on_event=hook) as cc:
        resp = await cc._requestor.request("POST", "/contacts", json={})
    assert resp.data == {"ok": 1}
    assert len(ft.requests) == 1
    assert any("on_event hook raised" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize(
    "url",
    [
        "https://api.cc.email/v3/contacts?email=a@b.c",
        "http://127.0.0.1:80/v3/x#frag",
        "https://h",
        "https://h/",
        "http://[::1]:9/v3/a?b=1#c",
        "https://h?q=1",
    ],
)
def test_logged_path_matches_urlsplit(url: str) -> None:
    """The fast path extraction used for logs and events agrees with urlsplit."""
    from urllib.parse import urlsplit

    from ccasync._requestor import _path

    assert _path(url) == urlsplit(url).path


async def test_pagination_detects_a_cycle_of_two_pages(fake_sleep: Any) -> None:
    """Next links A→B→A raise DecodeError after two GETs instead of looping forever."""
    base = "https://api.cc.email/v3/things"
    pages = {
        f"{base}?cursor=a": {"_links": {"next": {"href": "/v3/things?cursor=b"}}},
        f"{base}?cursor=b": {"_links": {"next": {"href": "/v3/things?cursor=a"}}},
    }
    ft = FakeTransport(lambda r: json_response(pages[r.url]))
    async with _client(ft, fake_sleep) as cc:
        walk = cc._requestor.iter_pages("/things", params={"cursor": "a"})
        with pytest.raises(DecodeError, match="leads back"):
            await _take(walk, 10)
    assert len(ft.requests) == 2


async def test_pagination_stops_at_max_pages(fake_sleep: Any) -> None:
    """Endless fresh cursors stop at Client(max_pages=) pages with a DecodeError naming it."""

    def answer(request: Any) -> Any:
        cursor = int(query_of(request).get("cursor", "0"))
        return json_response({"_links": {"next": {"href": f"/v3/things?cursor={cursor + 1}"}}})

    ft = FakeTransport(answer)
    async with Client(access_token="t", transport=ft, sleep=fake_sleep, max_pages=7) as cc:
        walk = cc._requestor.iter_pages("/things")
        with pytest.raises(DecodeError, match="max_pages=7"):
            await _take(walk, 100)
    assert len(ft.requests) == 7


async def test_segment_pages_share_the_cycle_check(fake_sleep: Any) -> None:
    """A segment contacts page linking to itself stops after one GET (it made 4,062 in 3 s)."""
    href = "/v3/contacts?segment_id=5&limit=500"
    page = {"contacts": [], "_links": {"next": {"href": href}}}
    ft = FakeTransport(lambda r: json_response(page))
    async with _client(ft, fake_sleep) as cc:
        with pytest.raises(DecodeError, match="leads back"):
            async for _ in cc.contacts.iter_all(segment_id=5, limit=500):
                pass
    assert len(ft.requests) == 1


async def test_stream_error_body_is_bounded(fake_sleep: Any) -> None:
    """An error status on a download with an endless body keeps 1 MiB of it, then raises."""
    pulled = 0

    async def endless() -> Any:
        nonlocal pulled
        while True:
            pulled += 1
            yield b"x" * 65_536

    class Streaming(FakeTransport):
        @asynccontextmanager
        async def stream(self, request: HTTPRequest) -> Any:
            yield HTTPStream(404, {"Content-Type": "text/plain"}, endless())

    ft = Streaming(lambda r: json_response({}))
    async with _client(ft, fake_sleep) as cc:
        with pytest.raises(NotFoundError):
            async with cc._requestor.stream("/contact_exports/x"):
                pass
    assert pulled == 16


async def test_send_checked_reports_a_failed_check_on_the_original_error(fake_sleep: Any) -> None:
    """When the look-up itself fails, the POST's own error is raised, noted, caused by it."""
    ft = _sequence(
        json_response({"error_key": "x", "error_message": "down"}, 503),
        json_response({"error_key": "x", "error_message": "down"}, 503),
    )
    async with _client(ft, fake_sleep, retry=RetryPolicy(max_attempts=1)) as cc:
        requestor = cc._requestor

        async def send() -> object:
            return await requestor.request("POST", "/contact_tags", json={"name": "a"})

        async def landed() -> object:
            await requestor.request("GET", "/contact_tags")
            return None

        with pytest.raises(ServerError) as info:
            await requestor.send_checked(send, landed, what="tag 'a'")
    assert info.value.method == "POST"
    assert isinstance(info.value.__cause__, ServerError)
    assert any("could not check whether tag 'a' landed" in n for n in info.value.__notes__)
    assert [r.method for r in ft.requests] == ["POST", "GET"]


@pytest.mark.parametrize(
    "base_url", ["https://api.cc.email/v3", "https://api.cc.email/v3/", "http://127.0.0.1:8080"]
)
@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/contacts", None),
        ("contacts/x", {"email": "a@b.c"}),
        ("/contacts?email=a@b.c", {"limit": 5}),
        ("/emails/x#frag", None),
        ("//double", {"q": "1"}),
    ],
)
def test_logged_path_shortcut_equals_the_url_path(
    base_url: str, path: str, params: dict[str, Any] | None
) -> None:
    """Events and logs show the same path whether taken from the path or the whole URL."""
    from ccasync._requestor import _path

    requestor = Client(access_token="t", base_url=base_url)._requestor
    url = requestor._url(path, params)
    assert requestor._logged(path, url) == _path(url)
    assert "?" not in requestor._logged(path, url)
