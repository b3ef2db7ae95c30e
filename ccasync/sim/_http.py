"""HTTP helpers shared by every simulator handler: JSON bodies, error shapes, ids, cursors, dates.

Error shapes follow the reference: arrays of ``{error_key, error_message}`` for 400/404/409/415, a
single object for 401/403/429. Raise :class:`ApiFailure` anywhere in a handler; the app's middleware
turns it into the response.
"""

from __future__ import annotations

import base64
import binascii
import contextvars
import datetime as dt
import random
import uuid
from collections.abc import Mapping, Sequence
from typing import Any, Literal, TypeVar

import orjson
from aiohttp import web

T = TypeVar("T")
Shape = Literal["array", "object"]

_rng: contextvars.ContextVar[random.Random] = contextvars.ContextVar("ccasync_sim_rng")
_fallback_rng = random.Random(0)

_UUID4_CLEAR = ~((0xF000 << 64) | (0xC000 << 48))
_UUID4_SET = (0x4000 << 64) | (0x8000 << 48)
PAGE_OFFSET_KEY = "ccasync_sim_page_offset"
LOG_NOTES_KEY = "ccasync_sim_log_notes"


class ApiFailure(Exception):
    """An API error answer: ``status`` with ``[{error_key, error_message}]`` (or one object)."""

    def __init__(self, status: int, key: str, message: str, shape: Shape = "array") -> None:
        """Describe the answer; ``shape`` "object" gives the single-object body (401/403/429)."""
        super().__init__(f"{status} {key}: {message}")
        self.status = status
        self.key = key
        self.message = message
        self.shape: Shape = shape

    def response(self) -> web.Response:
        """The HTTP response this failure stands for."""
        if self.shape == "object":
            return error_object(self.status, self.key, self.message)
        return error_array(self.status, self.key, self.message)


def json_response(
    data: Any, status: int = 200, headers: Mapping[str, str] | None = None
) -> web.Response:
    """A JSON response serialized with orjson (non-str keys allowed)."""
    return web.Response(
        body=orjson.dumps(data, option=orjson.OPT_NON_STR_KEYS),
        status=status,
        headers=headers,
        content_type="application/json",
    )


def error_array(status: int, key: str, message: str) -> web.Response:
    """The usual error body: a one-element array of ``{error_key, error_message}``."""
    return json_response([{"error_key": key, "error_message": message}], status)


def error_object(status: int, key: str, message: str) -> web.Response:
    """The single-object error body used for 401, 403 and 429."""
    return json_response({"error_key": key, "error_message": message}, status)


def bad_request(message: str, key: str = "contacts.api.validation.error") -> ApiFailure:
    """A 400 naming the offending field in ``message`` (error keys are UNCONFIRMED per service)."""
    return ApiFailure(400, key, message)


def not_found(message: str, key: str = "contacts.api.not_found") -> ApiFailure:
    """A 404 with the array body."""
    return ApiFailure(404, key, message)


def conflict(message: str, key: str = "contacts.api.conflict") -> ApiFailure:
    """A 409 with the array body."""
    return ApiFailure(409, key, message)


async def read_json(request: web.Request) -> Any:
    """The request's JSON body; 415 unless ``Content-Type: application/json``, 400 if malformed."""
    if request.content_type != "application/json":
        raise ApiFailure(
            415,
            "unsupported_media_type",
            f"Content-Type {request.content_type!r} is not supported; use application/json.",
        )
    raw = await request.read()
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise bad_request(f"Malformed JSON body: {exc}", "json.parse.error") from exc


def read_object(body: Any) -> dict[str, Any]:
    """``body`` if it is a JSON object, else a 400."""
    if not isinstance(body, dict):
        raise bad_request("The request body must be a JSON object.")
    return body


def require_uuid(value: str, what: str) -> str:
    """``value`` in canonical lower-case form; else 404 "<what> is in an invalid format."."""
    try:
        parsed = uuid.UUID(value)
    except (ValueError, AttributeError, TypeError):
        raise not_found(f"{what} is in an invalid format.") from None
    if len(value) != 36:
        raise not_found(f"{what} is in an invalid format.")
    return str(parsed)


def is_uuid(value: object) -> bool:
    """True when ``value`` is a 36-character UUID string."""
    if not isinstance(value, str) or len(value) != 36:
        return False
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def bind_rng(rng: random.Random) -> None:
    """Make ``rng`` the source of :func:`new_id` in the current context (done per request/tick)."""
    _rng.set(rng)


def new_id() -> str:
    """A uuid4 string drawn from the bound seeded RNG, so runs with one seed get the same ids."""
    bits = _rng.get(_fallback_rng).getrandbits(128)
    bits = (bits & _UUID4_CLEAR) | _UUID4_SET  # version 4, RFC 4122 variant (as uuid.UUID does)
    h = f"{bits:032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def iso(moment: dt.datetime) -> str:
    """``2026-01-02T03:04:05.000Z`` (UTC, milliseconds)."""
    utc = moment.astimezone(dt.UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def parse_datetime(value: str, field: str) -> dt.datetime:
    """An ISO-8601 date or date-time (naive = UTC); 400 naming ``field`` when unparsable."""
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        parsed = dt.datetime.fromisoformat(text)
    except ValueError:
        raise bad_request(f"{field} is not a valid ISO-8601 date-time: {value!r}") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def parse_limit(raw: str | None, default: int, maximum: int) -> int:
    """The ``limit`` query value within ``1..maximum``; 400 otherwise."""
    if raw is None:
        return default
    try:
        limit = int(raw)
    except ValueError:
        raise bad_request(f"limit must be an integer between 1 and {maximum}.") from None
    if not 1 <= limit <= maximum:
        raise bad_request(f"limit must be an integer between 1 and {maximum}.")
    return limit


def encode_cursor(query: Sequence[tuple[str, str]], offset: int) -> str:
    """Opaque cursor carrying the original query (filters, limit) and the next offset."""
    raw = orjson.dumps({"q": list(query), "o": offset})
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[list[tuple[str, str]], int]:
    """Inverse of :func:`encode_cursor`; 400 when the cursor was not made here."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        data = orjson.loads(raw)
        pairs = [(str(k), str(v)) for k, v in data["q"]]
        offset = int(data["o"])
    except (binascii.Error, ValueError, KeyError, TypeError, orjson.JSONDecodeError):
        raise bad_request("cursor is invalid.", "pagination.invalid_cursor") from None
    if offset < 0:
        raise bad_request("cursor is invalid.", "pagination.invalid_cursor")
    return pairs, offset


def page(
    items: Sequence[T], request: web.Request, *, default_limit: int, max_limit: int, path: str
) -> tuple[list[T], dict[str, Any] | None]:
    """One page of ``items`` per the request's ``limit`` and cursor, and the ``_links`` (or None).

    The next href is ``<path>?cursor=<opaque>``; the cursor carries the original query so filters
    survive (the app middleware restores them before the handler runs). Bad limit -> 400.
    """
    limit = parse_limit(request.query.get("limit"), default_limit, max_limit)
    offset = int(request.get(PAGE_OFFSET_KEY, 0))
    chunk = list(items[offset : offset + limit])
    if offset + limit >= len(items):
        return chunk, None
    query = [(k, v) for k, v in request.query.items() if k != "cursor"]
    cursor = encode_cursor(query, offset + limit)
    return chunk, {"next": {"href": f"{path}?cursor={cursor}"}}


def query_flag(request: web.Request, name: str, default: bool = False) -> bool:
    """A boolean query parameter (``true``/``false``, any case); ``default`` when absent.

    Anything else (``-193``, ``null``, ``1``, an empty value, a repeated key) is a 400: the spec
    types these ``boolean`` and the simulator does not guess.
    """
    values = request.query.getall(name, [])
    if not values:
        return default
    if len(values) == 1 and values[0].lower() in ("true", "false"):
        return values[0].lower() == "true"
    raise bad_request(f"{name} does not have a valid value (true or false).")


def csv_param(request: web.Request, name: str) -> list[str]:
    """An array query parameter as a list (empty when absent), in both of the API's forms.

    Swagger 2's default ``collectionFormat`` is comma-separated (``a=x,y``); clients also send
    repeated keys (``a=x&a=y``, ``multi``): both, and mixtures, give ``[x, y]``.
    """
    values: list[str] = []
    for raw in request.query.getall(name, []):
        values.extend(part.strip() for part in raw.split(",") if part.strip())
    return values
