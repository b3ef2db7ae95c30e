"""For the resource tests of the newer areas: a Client on a FakeTransport answering in order."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import orjson

from ccasync import Client, RateLimiter
from ccasync.testing import FakeTransport, HTTPRequest, HTTPResponse, json_response

BASE = "https://api.cc.email/v3"


def client(ft: FakeTransport) -> Client:
    """A Client on ``ft`` without limiting."""
    return Client(access_token="t", transport=ft, rate_limiter=RateLimiter.unlimited())


def answers(*replies: tuple[int, Any]) -> FakeTransport:
    """A FakeTransport answering ``(status, json body or None)`` pairs in order."""
    return FakeTransport(responses=[json_response(body, status) for status, body in replies])


def body_of(request: HTTPRequest) -> Any:
    """The decoded JSON body of a recorded request (None without one)."""
    return None if request.body is None else orjson.loads(request.body)


def line(request: HTTPRequest) -> str:
    """``METHOD /path`` of a recorded request (below ``/v3``, query left out)."""
    path = urlsplit(request.url).path
    return f"{request.method} {path.removeprefix('/v3')}"


def empty(status: int = 204) -> HTTPResponse:
    """An answer without a body."""
    return HTTPResponse(status=status, headers={}, body=b"")
