"""The Client: one pooled session, one requestor, and a resource object per API area."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from contextlib import AbstractContextManager

from ccasync._requestor import CallCount, ClientLifecycle, Limiter, Requestor, TokenSource
from ccasync._version import __version__
from ccasync.auth import StaticToken
from ccasync.config import (
    DEFAULT_BASE_URL,
    DEFAULT_MAX_PAGES,
    MAX_SECONDS,
    RetryPolicy,
    check_base_url,
    check_number,
)
from ccasync.errors import ConfigError
from ccasync.events import EventHook
from ccasync.limiter import RateLimiter
from ccasync.resources.account import AccountResource
from ccasync.resources.activities import ActivitiesResource
from ccasync.resources.automations import AutomationsResource
from ccasync.resources.campaigns import CampaignsResource
from ccasync.resources.contacts import ContactsResource
from ccasync.resources.custom_fields import CustomFieldsResource
from ccasync.resources.events import EventsResource
from ccasync.resources.landing_pages import LandingPagesResource
from ccasync.resources.lists import ListsResource
from ccasync.resources.reports import ReportsResource
from ccasync.resources.segments import SegmentsResource
from ccasync.resources.sms import SmsResource
from ccasync.resources.social import SocialResource
from ccasync.resources.tags import TagsResource
from ccasync.transport import (
    DEFAULT_MAX_BODY_BYTES,
    AiohttpSession,
    AiohttpTransport,
    Transport,
)


def _token_source(access_token: str | None, token_provider: TokenSource | None) -> TokenSource:
    if (access_token is None) == (token_provider is None):
        raise ConfigError("pass exactly one of access_token= or token_provider=")
    if token_provider is not None:
        return token_provider
    return StaticToken(access_token or "")


class Client(ClientLifecycle):
    """An async Constant Contact v3 client for one account (one access token).

    Use as ``async with Client(access_token=...) as cc:``; then ``cc.contacts``, ``cc.lists``,
    ``cc.activities``, ``cc.campaigns``, ``cc.reports``, ``cc.account``, ``cc.custom_fields``,
    ``cc.tags``, ``cc.segments``, ``cc.landing_pages``, ``cc.sms``,
    ``cc.automations``, ``cc.events``, ``cc.social``.

    - ``rate_limiter``: the limit belongs to the API key, so pass the SAME
      :class:`RateLimiter` (or any object with its ``acquire``/``on_throttled``/
      ``on_quota_exceeded`` methods) to every Client whose token comes from that key.
      ``None`` makes a private one with the API defaults (4/s, 10,000/day).
    - ``timeout``: seconds one HTTP exchange may go unanswered once it holds a connection
      (see :class:`~ccasync.transport.AiohttpTransport`); ``max_connections``: pool size
      (waiting for a free connection does not count against ``timeout``).
    - ``max_body_bytes``: the largest answer read whole, after decompression (default 64 MiB;
      a larger one raises :class:`DecodeError`); not applied with ``transport=``.
    - ``max_pages``: the most pages one listing follows (default 10,000); a next link back to
      a page already read, or more pages, raise :class:`DecodeError`.
    - ``session``: an aiohttp session to borrow (never closed here; its own connector sets
      the pool size, ``max_connections`` is not applied); ``transport``: any
      :class:`ccasync.testing.FakeTransport`-like object instead of aiohttp (not with
      ``session``).
    - ``on_event``: called with a :class:`RequestEvent` after every HTTP attempt (metrics).
    - ``sleep`` and ``jitter``: injectable for instant, deterministic tests.

    Raises :class:`ConfigError` for an empty token, both or neither of ``access_token`` and
    ``token_provider``, a non-https ``base_url`` to a non-loopback host, a non-positive
    timeout (or one that is not a finite number of seconds up to 86,400), or both ``session``
    and ``transport``. The client is one-shot: entering it twice
    raises ``RuntimeError``.
    """

    def __init__(
        self,
        *,
        access_token: str | None = None,
        token_provider: TokenSource | None = None,
        base_url: str = DEFAULT_BASE_URL,
        rate_limiter: Limiter | None = None,
        retry: RetryPolicy | None = None,
        timeout: float = 30.0,
        max_connections: int = 32,
        max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
        max_pages: int = DEFAULT_MAX_PAGES,
        session: AiohttpSession | None = None,
        transport: Transport | None = None,
        on_event: EventHook | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        tokens = _token_source(access_token, token_provider)
        check_number("timeout", timeout, low=0, high=MAX_SECONDS)
        check_number("max_connections", max_connections, low=0, high=100_000, integer=True)
        check_number("max_pages", max_pages, low=0, high=10**9, integer=True)
        if session is not None and transport is not None:
            raise ConfigError("pass session= or transport=, not both (the session would be unused)")
        # Own only what you open: a transport passed in is borrowed, like a session.
        self._owns_transport = transport is None
        self._transport = transport or AiohttpTransport(
            timeout=timeout,
            max_connections=max_connections,
            session=session,
            max_body_bytes=max_body_bytes,
        )
        tokens.bind_transport(self._transport)
        self._requestor = Requestor(
            transport=self._transport,
            base_url=check_base_url(base_url),
            tokens=tokens,
            limiter=rate_limiter if rate_limiter is not None else RateLimiter(),
            retry=retry or RetryPolicy(),
            user_agent=f"ccasync/{__version__}",
            sleep=sleep,
            draw=jitter,
            on_event=on_event,
            max_pages=max_pages,
        )
        self.account = AccountResource(self._requestor)
        self.contacts = ContactsResource(self._requestor)
        self.custom_fields = CustomFieldsResource(self._requestor)
        self.tags = TagsResource(self._requestor)
        self.lists = ListsResource(self._requestor)
        self.activities = ActivitiesResource(self._requestor)
        self.campaigns = CampaignsResource(self._requestor)
        self.reports = ReportsResource(self._requestor)
        self.segments = SegmentsResource(self._requestor)
        self.landing_pages = LandingPagesResource(self._requestor)
        self.sms = SmsResource(self._requestor)
        self.automations = AutomationsResource(self._requestor)
        self.events = EventsResource(self._requestor)
        self.social = SocialResource(self._requestor)

    def __repr__(self) -> str:
        return f"Client(base_url={self._requestor.base_url!r})"

    @property
    def base_url(self) -> str:
        """The API root this client talks to (``…/v3``)."""
        return self._requestor.base_url

    @property
    def calls(self) -> int:
        """HTTP exchanges sent so far, retries included (each one costs API budget)."""
        return self._requestor.calls

    def count_calls(self) -> AbstractContextManager[CallCount]:
        """Count the HTTP exchanges of one operation: ``with cc.count_calls() as count:``.

        ``count.calls`` grows with every exchange this client sends from the current task, or
        from tasks started inside the block, retries included; calls that other tasks make on
        the same client at the same time are not counted. Blocks nest (each counts).
        """
        return self._requestor.count_calls()
