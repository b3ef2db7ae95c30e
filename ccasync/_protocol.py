"""Sans-I/O protocol: the request/response records and the pure rules of the API.

The records (:class:`HTTPRequest`, :class:`HTTPResponse`, :class:`HTTPStream`,
:class:`MultipartField`) describe one exchange as plain data; a
:class:`ccasync.transport.Transport` carries them. The rules are pure functions of
``(status, headers, body)`` or strings: URLs, query encoding, status → a specific
:mod:`ccasync.errors` exception, the next-page cursor, Retry-After. Nothing here touches the
network.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import functools
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from typing import Any
from urllib.parse import parse_qsl, quote_plus, urlencode, urlsplit

import attrs

from ccasync._record_decoder import decode_record
from ccasync._serde import format_datetime, loads, structure
from ccasync.errors import (
    APIError,
    APIErrorDetail,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    DecodeError,
    ForbiddenError,
    NotFoundError,
    RateLimitError,
    RateLimitKind,
    ServerError,
    UnsupportedMediaTypeError,
)


@attrs.frozen
class MultipartField:
    """One part of a multipart/form-data body (a plain value, or a file when ``filename``)."""

    name: str
    value: bytes | str
    filename: str | None = None
    content_type: str | None = None


def _headers_repr(headers: Mapping[str, str]) -> str:
    return repr({k: "***" if k.lower() == "authorization" else v for k, v in headers.items()})


def _body_repr(body: bytes | None) -> str:
    # Bodies carry refresh tokens and authorization codes (token endpoint): size only.
    return "None" if body is None else f"<{len(body)} bytes>"


@attrs.frozen
class HTTPRequest:
    """A fully built request: absolute URL, headers, and at most one of ``body``/``multipart``.

    ``repr`` masks the ``Authorization`` header and shows only the size of ``body``.
    """

    method: str
    url: str
    headers: Mapping[str, str] = attrs.field(factory=dict, repr=_headers_repr)
    body: bytes | None = attrs.field(default=None, repr=_body_repr)
    multipart: tuple[MultipartField, ...] | None = None


@attrs.frozen
class HTTPResponse:
    """A fully read response."""

    status: int
    headers: Mapping[str, str]
    body: bytes


@attrs.frozen
class HTTPStream:
    """A response whose body is read chunk by chunk (large CSV downloads)."""

    status: int
    headers: Mapping[str, str]
    chunks: AsyncIterator[bytes]


ParamValue = str | int | float | bool | dt.datetime | dt.date | Sequence[str] | None
Params = Mapping[str, ParamValue] | Sequence[tuple[str, str]]

# UNCONFIRMED: the API documents only the message of the queued-activity 429, not its
# error_key, so that kind is recognised by the message; any other 429 counts as a throttle.
_QUEUED_HINTS = ("queued activit", "1,000 queued", "1000 queued")


def _encode_value(value: ParamValue) -> str:
    if type(value) is str:
        return value
    if type(value) is list:
        try:
            return ",".join(value)  # a list of strings, the usual case: one C call
        except TypeError:
            pass  # other items: formatted one by one below
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        return format_datetime(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, str | int | float):
        return str(value)
    return ",".join(str(v) for v in value or ())


def encode_params(params: Params | None) -> list[tuple[str, str]]:
    """Query pairs: ``None`` dropped, bools as true/false, sequences as csv, datetimes ISO Z.

    A sequence of ``(key, value)`` pairs passes through unchanged (for repeatable keys such as
    ``bounce_code``).
    """
    if not params:
        return []
    if type(params) is not dict and not isinstance(params, Mapping):
        return [(k, v) for k, v in params]
    return [(k, _encode_value(v)) for k, v in params.items() if v is not None]


_UNQUOTED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-~")
"""What ``urlencode`` (``quote_plus``, no safe characters) leaves as it is."""
_UNQUOTED_AND_COMMA = _UNQUOTED | {","}


@functools.lru_cache(maxsize=4096)
def _quote(text: str) -> str:
    # urlencode's quoting, without its per-character work for the usual query values (ids,
    # numbers, names and csv lists of names): same output, a few microseconds less per call.
    # Cached: the same keys and include lists come back on every call of an endpoint.
    if _UNQUOTED.issuperset(text):
        return text
    if _UNQUOTED_AND_COMMA.issuperset(text):
        return text.replace(",", "%2C")
    return quote_plus(text)


def build_url(base_url: str, path: str, params: Params | None = None) -> str:
    """Join ``base_url`` (``…/v3``) and an API ``path`` (``/contacts``) with encoded params."""
    url = base_url.rstrip("/") + "/" + path.lstrip("/")
    return url + query_string(params) if params else url


def query_string(params: Params | None) -> str:
    """``?k=v&…`` for ``params`` encoded as :func:`encode_params` says; ``""`` when none."""
    pairs = encode_params(params)
    if not pairs:
        return ""
    return "?" + "&".join([f"{_quote(str(k))}={_quote(str(v))}" for k, v in pairs])


def origin(base_url: str) -> str:
    """``scheme://host[:port]`` of ``base_url``."""
    parts = urlsplit(base_url)
    return f"{parts.scheme}://{parts.netloc}"


def base_path(base_url: str) -> str:
    """The path prefix of ``base_url`` (``/v3``)."""
    return urlsplit(base_url).path.rstrip("/")


def parse_errors(body: bytes, *, quote: bool = True) -> list[APIErrorDetail]:
    """The API's error list from any of its body shapes (array, object, OAuth object).

    A body that is not JSON is quoted (its first 200 characters) unless ``quote`` is False: a
    token endpoint's page may echo the form it got, refresh token included.
    """
    try:
        data = loads(body) if body else None
    except DecodeError:  # a non-JSON error page (proxy, HTML) still deserves a readable error
        text = body[:200].decode("utf-8", "replace").strip() if quote else ""
        if not quote and body:
            text = f"<{len(body)} bytes that are not JSON, not shown>"
        return [APIErrorDetail("unparsed_body", text)] if text else []
    return _details(data)


def _details(data: Any) -> list[APIErrorDetail]:
    if isinstance(data, list):
        return [d for item in data for d in _details(item)]
    if not isinstance(data, dict):
        return []
    if "error_key" in data or "error_message" in data:
        return [_detail(data, "error_key", "error_message")]
    if "error" in data:
        return [_detail(data, "error", "error_description")]
    return []


def _detail(data: dict[str, Any], key: str, message: str) -> APIErrorDetail:
    # A null reads as "" (never the text "None"); keys beyond the pair are kept in ``extra``.
    extra = {k: v for k, v in data.items() if k not in (key, message)}
    return APIErrorDetail(_text(data.get(key)), _text(data.get(message)), extra)


def _text(value: Any) -> str:
    return "" if value is None else value if isinstance(value, str) else str(value)


def rate_limit_kind(
    errors: Sequence[APIErrorDetail], *, token_endpoint: bool = False, url: str = ""
) -> RateLimitKind:
    """Tell the kind of a 429 apart by ``error_key``, the message and the endpoint.

    ``throttled`` is the per-second limit and ``quota_exceeded`` the daily one (documented
    bodies). The queued-activities cap is recognised by its documented message. A 429 from
    ``POST …/emails/activities/{id}/tests`` that is not ``throttled`` is the 50-per-day test-send
    cap (its body is UNCONFIRMED). Anything else is treated as a per-second throttle.
    """
    keys = {e.error_key for e in errors}
    if "quota_exceeded" in keys:
        return RateLimitKind.DAILY_QUOTA
    if "throttled" in keys:
        return RateLimitKind.THROTTLED
    if any(h in e.error_message.lower() for e in errors for h in _QUEUED_HINTS):
        return RateLimitKind.QUEUED_ACTIVITIES
    if token_endpoint:
        return RateLimitKind.TOKEN_ENDPOINT
    if urlsplit(url).path.rstrip("/").endswith("/tests"):
        return RateLimitKind.TEST_SENDS
    return RateLimitKind.THROTTLED


def header(headers: Mapping[str, str], name: str) -> str | None:
    """The value of header ``name``, case-insensitively (aiohttp's proxy or a plain dict)."""
    value = headers.get(name)
    if value is not None:
        return value
    lowered = name.lower()
    return next((v for k, v in headers.items() if k.lower() == lowered), None)


def retry_after(headers: Mapping[str, str], *, now: dt.datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or HTTP-date), else None."""
    raw = header(headers, "Retry-After")
    if raw is None:
        return None
    raw = raw.strip()
    if raw.replace(".", "", 1).isdigit():
        return max(0.0, float(raw))
    try:
        when = email.utils.parsedate_to_datetime(raw)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:  # RFC 5322 "-0000": a UTC time of unknown origin
        when = when.replace(tzinfo=dt.UTC)
    current = now or dt.datetime.now(dt.UTC)
    return max(0.0, (when - current).total_seconds())


_STATUS_ERRORS: dict[int, type[APIError]] = {
    400: BadRequestError,
    403: ForbiddenError,
    404: NotFoundError,
    409: ConflictError,
    415: UnsupportedMediaTypeError,
}


def error_for(
    status: int,
    headers: Mapping[str, str],
    body: bytes,
    *,
    method: str,
    url: str,
    token_endpoint: bool = False,
) -> APIError:
    """Build the specific :class:`APIError` for an error response (pure)."""
    errors = parse_errors(body, quote=not token_endpoint)
    common: dict[str, Any] = {"method": method, "url": url, "headers": dict(headers)}
    if status == 429:
        kind = rate_limit_kind(errors, token_endpoint=token_endpoint, url=url)
        return RateLimitError(status, errors, kind=kind, retry_after=retry_after(headers), **common)
    if status == 401 or (token_endpoint and _is_invalid_grant(errors)):
        return AuthenticationError(status, errors, reauthorize=_is_invalid_grant(errors), **common)
    if status >= 500:
        return ServerError(status, errors, **common)
    return _STATUS_ERRORS.get(status, APIError)(status, errors, **common)


def _is_invalid_grant(errors: Iterable[APIErrorDetail]) -> bool:
    return any(e.error_key == "invalid_grant" for e in errors)


def decipher(
    status: int,
    headers: Mapping[str, str],
    body: bytes,
    *,
    method: str,
    url: str,
    token_endpoint: bool = False,
) -> Any:
    """Decoded JSON for a 2xx answer (``None`` when empty); raise the specific error otherwise.

    Non-JSON 2xx bodies (``text/csv``) are returned as ``bytes``. With ``token_endpoint`` a
    body that is not valid JSON raises a DecodeError that does not quote it (it holds tokens).
    """
    if status >= 300:
        raise error_for(
            status, headers, body, method=method, url=url, token_endpoint=token_endpoint
        )
    if token_endpoint:
        return _load_secret(body) if body and _is_json(headers) else decode_answer(headers, body)
    return decode_answer(headers, body)


def decode_answer(headers: Mapping[str, str], body: bytes, *, into: type | None = None) -> Any:
    """The data of a 2xx answer: decoded JSON, ``None`` when empty, ``bytes`` when not JSON.

    ``into`` (a record class) decodes the answer straight into that record, exactly as
    ``structure(data, into)`` would (the same DecodeError when it does not fit).
    """
    if not body:
        return None if into is None else structure(None, into)
    if not _is_json(headers):
        return body if into is None else structure(body, into)
    return loads(body) if into is None else decode_record(body, into)


def _is_json(headers: Mapping[str, str]) -> bool:
    content_type = header(headers, "Content-Type")
    return not content_type or "json" in content_type.lower()


def _load_secret(body: bytes) -> Any:
    # A token answer cut short still holds tokens: the error must not quote it, nor chain the
    # error that does (``from None`` inside the handler would still keep it as __context__).
    try:
        return loads(body)
    except DecodeError:
        pass
    raise DecodeError(f"token endpoint answer is not valid JSON ({len(body)} bytes)")


def next_page_url(body: Any, *, request_url: str, base_url: str) -> str | None:
    """Absolute URL of the next page, or None on the last page.

    Follows ``_links.next.href``. An href outside the API's base path (the documented internal
    ``/contacts-service/…`` path of ``GET /contact_tags``) is rebuilt from its ``cursor`` value on
    the endpoint that was requested, keeping that request's ``limit``.
    """
    href = _next_href(body)
    if not href:
        return None
    if href.startswith(("http://", "https://")):
        href = urlsplit(href).path + ("?" + urlsplit(href).query if urlsplit(href).query else "")
    if href.startswith(base_path(base_url) + "/"):
        return origin(base_url) + href
    return _rebuild_from_cursor(href, request_url)


def _next_href(body: Any) -> str | None:
    if not isinstance(body, dict):
        return None
    links = body.get("_links") or {}
    nxt = links.get("next") if isinstance(links, dict) else None
    href = nxt.get("href") if isinstance(nxt, dict) else None
    return href if isinstance(href, str) and href else None


def _rebuild_from_cursor(href: str, request_url: str) -> str | None:
    cursor = dict(parse_qsl(urlsplit(href).query)).get("cursor")
    if not cursor:
        return None
    req = urlsplit(request_url)
    kept = [(k, v) for k, v in parse_qsl(req.query) if k == "limit"]
    query = urlencode([*kept, ("cursor", cursor)])
    return f"{req.scheme}://{req.netloc}{req.path}?{query}"
