"""Explicit, immutable configuration: the retry policy and client settings.

Nothing here reads environment variables; only the CLI does.
"""

from __future__ import annotations

import ipaddress
import math
from urllib.parse import SplitResult, urlsplit, urlunsplit

import attrs

from ccasync.errors import ConfigError

DEFAULT_BASE_URL = "https://api.cc.email/v3"
"""The production API root."""

DEFAULT_OAUTH_BASE = "https://authz.constantcontact.com/oauth2/default/v1"
"""The production OAuth2 root (``/authorize``, ``/token``, ``/device/authorize``)."""


MAX_SECONDS = 86_400.0
"""The longest duration (seconds) any setting accepts: one day. Longer waits are mistakes, and
``inf`` or ``1e308`` would overflow the event loop's clock arithmetic."""

DEFAULT_WAIT_TIMEOUT = 3600.0
"""The default bound (seconds) of every wait for server-side work (activities, exports,
membership calls): a job stuck in ``processing`` fails clearly instead of being polled forever."""

DEFAULT_MAX_PAGES = 10_000
"""The default bound of the pages one paginated listing follows (a day's API budget)."""

MAX_ATTEMPTS = 10_000
"""The most tries a :class:`RetryPolicy` may allow for one call."""


def check_number(
    name: str, value: object, *, low: float, high: float, integer: bool = False
) -> None:
    """The one rule for numeric settings: a finite ``int``/``float`` in ``(low, high]``.

    ``integer`` demands an ``int``. ``bool``, strings, ``None``, NaN and infinities are refused.
    Raises :class:`ConfigError` naming ``name``.
    """
    kinds = int if integer else (int, float)
    if (
        isinstance(value, bool)
        or not isinstance(value, kinds)
        or not math.isfinite(value)
        or not low < value <= high
    ):
        kind = "an integer" if integer else "a finite number"
        raise ConfigError(f"{name} must be {kind} in ({low:g}, {high:g}], got {value!r}")


def _seconds(_: object, attribute: attrs.Attribute[float], value: float) -> None:
    check_number(attribute.name, value, low=0, high=MAX_SECONDS)


def _attempts(_: object, attribute: attrs.Attribute[int], value: int) -> None:
    check_number(attribute.name, value, low=0, high=MAX_ATTEMPTS, integer=True)


@attrs.frozen(kw_only=True)
class RetryPolicy:
    """What is safe to repeat, as data, and how long to wait between tries.

    - ``safe_methods`` (GET, PUT, DELETE) retry on ``retry_statuses`` (5xx), transport errors and
      throttled 429s.
    - POST retries only when the request surely did not reach the server (connection refused,
      throttled 429) or when the endpoint is an upsert (the resource says so per call).
    - A daily-quota 429 is never retried.
    - Backoff: capped exponential with full jitter, ``uniform(0, min(max_delay, base_delay *
      2**(attempt-1)))`` seconds; a ``Retry-After`` header wins when present (capped at
      ``max_retry_after``).
    - ``max_attempts`` counts the first try: 5 means up to 4 retries (an integer, 1..10,000).
    - Every duration is a finite number of seconds in (0, 86,400] (:data:`MAX_SECONDS`);
      anything else is a :class:`ConfigError` (see :func:`check_number`).
    - ``throttle_pause`` is how long (seconds) a throttled 429 without ``Retry-After`` pauses
      the shared limiter (every caller of that API key waits, not only the retry).
    """

    max_attempts: int = attrs.field(default=5, validator=_attempts)
    base_delay: float = attrs.field(default=0.5, validator=_seconds)
    max_delay: float = attrs.field(default=20.0, validator=_seconds)
    max_retry_after: float = attrs.field(default=120.0, validator=_seconds)
    throttle_pause: float = attrs.field(default=1.0, validator=_seconds)
    safe_methods: frozenset[str] = frozenset({"GET", "HEAD", "PUT", "DELETE"})
    retry_statuses: frozenset[int] = frozenset({500, 502, 503, 504})

    def backoff(self, attempt: int, draw: float) -> float:
        """Full-jitter delay before retry number ``attempt`` (1-based); ``draw`` is in [0, 1)."""
        ceiling: float = min(self.max_delay, self.base_delay * 2.0 ** (attempt - 1))
        return draw * ceiling


NO_RETRY = RetryPolicy(max_attempts=1)
"""A policy that never retries."""


def check_base_url(base_url: str) -> str:
    """Return ``base_url`` without a trailing slash; refuse non-https unless the host is loopback.

    Raises :class:`ConfigError` for an unparsable URL, credentials in it (``user:pw@``), or
    plain http to a non-loopback host (a bearer token must never cross a network in clear
    text). Messages show the URL through :func:`redact_url`.
    """
    try:
        parts = urlsplit(base_url)
        valid = parts.scheme in ("http", "https") and bool(parts.hostname) and _valid_port(parts)
    except (TypeError, ValueError, AttributeError):
        valid = False
    if not valid:
        raise ConfigError(f"base_url must be an absolute http(s) URL, got {_shown(base_url)!r}")
    if parts.username is not None or parts.password is not None:
        # The token travels in the Authorization header; credentials in the URL would clash
        # with it (aiohttp refuses the pair) and end up in logs.
        raise ConfigError(f"base_url {redact_url(base_url)!r} must not carry user:password@")
    if parts.scheme == "http" and not _is_loopback(parts.hostname or ""):
        raise ConfigError(
            f"base_url {redact_url(base_url)!r} is not https; "
            "plain http is allowed only for loopback hosts"
        )
    return base_url.rstrip("/")


def redact_url(url: str) -> str:
    """``url`` fit for messages and logs: a userinfo password masked, query and fragment cut.

    Queries carry e-mail addresses and a URL's userinfo may carry a password; neither may reach
    an exception or a log record.
    """
    try:
        parts = urlsplit(url)
    except ValueError:
        return url.split("?", 1)[0].split("#", 1)[0].split("@")[-1]
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, _, host = netloc.rpartition("@")
        user = userinfo.split(":", 1)[0]
        netloc = f"{user}:***@{host}" if ":" in userinfo else f"{user}@{host}"
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def _shown(value: object) -> str:
    return redact_url(value)[:200] if isinstance(value, str) else type(value).__name__


def _valid_port(parts: SplitResult) -> bool:
    try:
        parts.port  # noqa: B018 -- reading it validates it (ValueError when out of range)
    except ValueError:
        return False
    return True


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
