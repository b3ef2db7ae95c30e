"""The whole ccasync exception tree.

::

    CCAsyncError
    ├── ConfigError              bad configuration (negative rate, empty token, http base_url…)
    ├── ValidationError          bad input caught locally, before any request (field, row, reason)
    │   └── ScheduleTimeError    a send time that cannot be used: past, or a DST gap/overlap
    ├── TransportError           the request did not complete at the HTTP level
    │   ├── ConnectError         could not connect: the request surely did not reach the server
    │   └── RequestTimeoutError  no answer in time: the request may or may not have landed
    ├── WaitTimeoutError         server work outlasted the caller's time limit (a TimeoutError too)
    ├── DecodeError              a body that does not fit the expected model (cattrs message)
    ├── QuotaExhaustedError      the local daily ledger is spent; nothing was sent
    ├── AcquireTimeoutError      no rate-limit slot within the caller's limit; nothing was sent
    ├── BulkError                a bulk operation finished with failed items (carries the result)
    │   └── ListMembershipError  a pooled send list does not hold exactly the batch; not sent
    ├── CampaignActivityStateError  a campaign activity's status forbids the step (e.g. REMOVED)
    ├── ListPoolExhaustedError   every list of a send pool still holds an unfinished batch
    ├── CoordinationError        shared state (Redis, a lock file) failed; nothing was sent
    └── APIError                 the API answered with an error status
        ├── BadRequestError          400
        ├── AuthenticationError      401, and OAuth failures such as invalid_grant
        ├── ForbiddenError           403
        ├── NotFoundError            404
        ├── ConflictError            409 (``existing_id`` when the API names the existing record)
        ├── UnsupportedMediaTypeError 415
        ├── RateLimitError           429, ``kind`` tells which limit
        └── ServerError              5xx

No token ever appears in a message: errors carry method, URL path and the API's own error list.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Sequence
from typing import Any

import attrs

__all__ = [
    "APIError",
    "APIErrorDetail",
    "AcquireTimeoutError",
    "AuthenticationError",
    "BadRequestError",
    "BulkError",
    "CCAsyncError",
    "CampaignActivityStateError",
    "ConfigError",
    "ConflictError",
    "ConnectError",
    "CoordinationError",
    "DecodeError",
    "ForbiddenError",
    "ListMembershipError",
    "ListPoolExhaustedError",
    "NotFoundError",
    "QuotaExhaustedError",
    "RateLimitError",
    "RateLimitKind",
    "RequestTimeoutError",
    "ScheduleTimeError",
    "ServerError",
    "TransportError",
    "UnsupportedMediaTypeError",
    "ValidationError",
    "WaitTimeoutError",
]


class CCAsyncError(Exception):
    """Root of every error ccasync raises on purpose."""


class ConfigError(CCAsyncError, ValueError):
    """A configuration value is invalid (raised at construction, before any request)."""


class ValidationError(CCAsyncError, ValueError):
    """Input that breaks a known API rule, caught before sending.

    ``field`` names the offending field (dotted path), ``reason`` the rule, ``row`` the 1-based
    input row for bulk inputs (``None`` otherwise), ``value`` the rejected value when safe to show.
    """

    def __init__(
        self,
        field: str,
        reason: str,
        *,
        row: int | None = None,
        value: object = None,
    ) -> None:
        self.field = field
        self.reason = reason
        self.row = row
        self.value = value
        where = f"row {row}, " if row is not None else ""
        super().__init__(f"{where}{field}: {reason}")


class ScheduleTimeError(ValidationError):
    """A requested send time cannot be used: in the past, nonexistent or ambiguous (by policy).

    ``field`` is ``when``; the message names the local and the UTC time.
    """


class TransportError(CCAsyncError):
    """The HTTP exchange failed below the API level (connection, timeout, broken body)."""

    def __init__(self, message: str, *, method: str = "", url: str = "") -> None:
        self.method = method
        self.url = url
        super().__init__(f"{method} {url}: {message}" if method else message)


class ConnectError(TransportError):
    """Could not connect; the request certainly did not reach the server (safe to retry)."""


class RequestTimeoutError(TransportError):
    """The server did not answer one request in time; a POST may or may not have been processed.

    A transport timeout of a single HTTP exchange: the retry policy decides whether to send again.
    Not a :class:`WaitTimeoutError`, which means the server answered every poll but its work
    was still unfinished when the caller's time limit ran out.
    """


class WaitTimeoutError(CCAsyncError, TimeoutError):
    """The server's work (an activity, a segment, a send) outlasted the caller's time limit.

    Every request was answered; the work was still unfinished when the seconds the caller
    allowed, or the bounded number of tries, ran out. The work may still finish later: look it
    up again rather than starting it twice. Unlike :class:`RequestTimeoutError` (one HTTP
    exchange got no answer, so a POST may or may not have landed), nothing is in doubt about
    what was sent.

    It is also a builtin ``TimeoutError`` on purpose, as :class:`ValidationError` is a
    ``ValueError``: these waits raised a plain ``TimeoutError`` before, and callers' ``except
    TimeoutError`` keeps catching them.
    """


class DecodeError(CCAsyncError):
    """A response body could not be parsed or does not fit the expected model."""


class QuotaExhaustedError(CCAsyncError):
    """The daily request budget is spent; raised before sending. ``resets_at`` is 00:00 UTC."""

    def __init__(self, message: str, *, resets_at: Any = None) -> None:
        self.resets_at = resets_at
        super().__init__(message)


class AcquireTimeoutError(CCAsyncError, TimeoutError):
    """No request slot of the rate limiter came free within the caller's limit; nothing was sent.

    Raised by ``RateLimiter.acquire(timeout=...)`` and inside
    :func:`ccasync.limiter.acquire_timeout`, so that a request handler answers (e.g. 503) instead
    of queueing behind a bulk job. ``timeout`` is the limit in seconds, ``queued`` how many
    callers were still waiting. A builtin ``TimeoutError`` too.
    """

    def __init__(self, message: str, *, timeout: float, queued: int) -> None:
        self.timeout = timeout
        self.queued = queued
        super().__init__(message)


class BulkError(CCAsyncError):
    """A bulk operation finished with failures; ``result`` holds every item's outcome."""

    def __init__(self, message: str, *, result: Any) -> None:
        self.result = result
        super().__init__(message)


class ListMembershipError(BulkError):
    """A pooled send list does not hold exactly the batch's contacts, so nothing was sent.

    Raised by ``send_to_audience`` right before sending when the list's membership count differs
    from the batch's distinct addresses, or its lease was lost: another batch may share the list,
    and sending would mail one customer's data to another. ``result`` (an ``AudienceResult``)
    reports every item failed with this reason. The list keeps its members: check it, then
    ``pool.release`` it.
    """


class CampaignActivityStateError(CCAsyncError):
    """A campaign activity's status forbids the step asked of it.

    Raised by the campaign fan-out (carried in the per-location result, not raised out) for an
    activity that is REMOVED or in another status that can be neither scheduled nor sent, or
    that has no recipients (no list and no segment) to schedule for.
    """


class ListPoolExhaustedError(CCAsyncError):
    """Every list of a :class:`~ccasync.ops.ListPool` still holds an unfinished batch's contacts."""


class CoordinationError(CCAsyncError):
    """Shared coordination state (Redis, a lock file, sqlite) could not be used.

    Raised instead of acting without it: a limiter that cannot reach its shared ledger refuses
    the grant, so nothing is ever sent beyond the shared limit because of this error.
    """


_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


@attrs.frozen
class APIErrorDetail:
    """One entry of the API's error list: ``error_key`` and ``error_message``.

    The same record lists the partial failures inside a 200 stats answer (an id without stats,
    ``CampaignStatsReport.errors``): there a key the server left out, or sent as null, reads as
    ``""``, and keys the record does not know (such as the id concerned) are kept in ``extra``.
    """

    error_key: str = ""
    error_message: str = ""
    # Compared, but not hashed: a dict cannot be, and equal records still hash alike.
    extra: dict[str, Any] = attrs.field(factory=dict, repr=False, hash=False)


class RateLimitKind(enum.Enum):
    """Which limit a 429 reports, told apart by ``error_key``."""

    THROTTLED = "throttled"
    """Per-second limit (``throttled``): safe to retry after a short pause."""
    DAILY_QUOTA = "quota_exceeded"
    """Daily limit (``quota_exceeded``): never retried; resets at 00:00 UTC."""
    QUEUED_ACTIVITIES = "queued_activities"
    """The 1,000 queued bulk activities per account cap: wait for running jobs."""
    TOKEN_ENDPOINT = "token_endpoint"
    """The OAuth token endpoint's 1 request/second limit."""
    TEST_SENDS = "test_sends"
    """The 50 test-email recipients per account per day (``POST …/tests``): never retried;
    resets at 00:00 UTC. The body of this 429 is UNCONFIRMED; it is told apart by the endpoint."""


class APIError(CCAsyncError):
    """The API answered with an error status.

    Attributes: ``status`` (int), ``method``, ``url`` (no query secrets, no token), ``errors``
    (list of :class:`APIErrorDetail`), ``headers`` (response headers, a plain dict).
    """

    def __init__(
        self,
        status: int,
        errors: Sequence[APIErrorDetail] = (),
        *,
        method: str = "",
        url: str = "",
        headers: dict[str, str] | None = None,
    ) -> None:
        self.status = status
        self.errors = list(errors)
        self.method = method
        self.url = url
        self.headers = dict(headers or {})
        detail = "; ".join(f"{e.error_key}: {e.error_message}" for e in self.errors)
        where = f"{method} {url} -> " if method else ""
        super().__init__(f"{where}{status}" + (f" ({detail})" if detail else ""))

    @property
    def error_keys(self) -> list[str]:
        """The ``error_key`` of every error the API listed."""
        return [e.error_key for e in self.errors]


class BadRequestError(APIError):
    """400: malformed JSON or a validation failure on the server side. Not retried."""


class AuthenticationError(APIError):
    """401 or an OAuth failure; ``reauthorize`` is True when the user must consent again."""

    def __init__(
        self,
        status: int,
        errors: Sequence[APIErrorDetail] = (),
        *,
        method: str = "",
        url: str = "",
        headers: dict[str, str] | None = None,
        reauthorize: bool = False,
    ) -> None:
        self.reauthorize = reauthorize
        super().__init__(status, errors, method=method, url=url, headers=headers)


class ForbiddenError(APIError):
    """403: missing scope, missing user privilege, or a deactivated application."""


class NotFoundError(APIError):
    """404: no such resource, or a malformed id in the path."""


class ConflictError(APIError):
    """409: a unique value already exists; ``existing_id`` when the API names the record."""

    @property
    def existing_id(self) -> str | None:
        """The id of the existing record, parsed from the API's message when present."""
        return existing_id_from_errors(self.errors)


class UnsupportedMediaTypeError(APIError):
    """415: wrong or missing Content-Type."""


class RateLimitError(APIError):
    """429; ``kind`` is a :class:`RateLimitKind`, ``retry_after`` seconds when the API sent it."""

    def __init__(
        self,
        status: int,
        errors: Sequence[APIErrorDetail] = (),
        *,
        kind: RateLimitKind,
        retry_after: float | None = None,
        method: str = "",
        url: str = "",
        headers: dict[str, str] | None = None,
    ) -> None:
        self.kind = kind
        self.retry_after = retry_after
        super().__init__(status, errors, method=method, url=url, headers=headers)


class ServerError(APIError):
    """5xx: the server failed; GET/PUT/DELETE and upserts are retried."""


def existing_id_from_errors(errors: Sequence[APIErrorDetail]) -> str | None:
    """The UUID a 409 message names (``Email already exists for contact <uuid>``), if any."""
    for e in errors:
        found = _UUID.search(e.error_message)
        if found:
            return found.group(0)
    return None
