"""Explicit, immutable configuration: the retry policy and client settings.

Nothing here reads environment variables; only the CLI does.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import SplitResult, urlsplit

import attrs

from ccasync.errors import ConfigError

DEFAULT_BASE_URL = "https://api.cc.email/v3"
"""The production API root."""

DEFAULT_OAUTH_BASE = "https://authz.constantcontact.com/oauth2/default/v1"
"""The production OAuth2 root (``/authorize``, ``/token``, ``/device/authorize``)."""


def _positive(_: object, attribute: attrs.Attribute[float], value: float) -> None:
    if not value > 0:
        raise ConfigError(f"{attribute.name} must be > 0, got {value!r}")


def _at_least_one(_: object, attribute: attrs.Attribute[int], value: int) -> None:
    if value < 1:
        raise ConfigError(f"{attribute.name} must be >= 1, got {value!r}")


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
    - ``max_attempts`` counts the first try: 5 means up to 4 retries.
    - ``throttle_pause`` is how long (seconds) a throttled 429 without ``Retry-After`` pauses
      the shared limiter (every caller of that API key waits, not only the retry).
    """

    max_attempts: int = attrs.field(default=5, validator=_at_least_one)
    base_delay: float = attrs.field(default=0.5, validator=_positive)
    max_delay: float = attrs.field(default=20.0, validator=_positive)
    max_retry_after: float = attrs.field(default=120.0, validator=_positive)
    throttle_pause: float = attrs.field(default=1.0, validator=_positive)
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

    Raises :class:`ConfigError` for an unparsable URL or plain http to a non-loopback host
    (a bearer token must never cross a network in clear text).
    """
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.hostname or not _valid_port(parts):
        raise ConfigError(f"base_url must be an absolute http(s) URL, got {base_url!r}")
    if parts.scheme == "http" and not _is_loopback(parts.hostname):
        raise ConfigError(
            f"base_url {base_url!r} is not https; plain http is allowed only for loopback hosts"
        )
    return base_url.rstrip("/")


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
