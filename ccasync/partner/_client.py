"""PartnerClient: the technology-partner endpoints, on the same requestor and transport layers."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable

from ccasync._requestor import ClientLifecycle, Limiter, Requestor, TokenSource
from ccasync._version import __version__
from ccasync.config import (
    DEFAULT_BASE_URL,
    MAX_SECONDS,
    RetryPolicy,
    check_base_url,
    check_number,
)
from ccasync.errors import ConfigError
from ccasync.events import EventHook
from ccasync.limiter import RateLimiter
from ccasync.partner._keyed import KeyedTransport
from ccasync.partner._token import DEFAULT_PARTNER_TOKEN_URL, PartnerToken
from ccasync.resources.partner import PartnerAccountsResource, PartnerWebhooksResource
from ccasync.transport import AiohttpTransport, Transport


class PartnerClient(ClientLifecycle):
    """An async client for the technology-partner endpoints (``/partner/…``).

    Use as ``async with PartnerClient(api_key=..., client_id=..., client_secret=...) as
    partner:``; then ``partner.accounts`` (client accounts, plans, SSO users, unsubscribes,
    calls on a client account's behalf) and ``partner.webhooks`` (topic subscriptions).

    Every request carries the partner's ``x-api-key`` header and a partner JWT as bearer token;
    the JWT is fetched with ``client_id``/``client_secret`` and renewed ``token_margin``
    seconds before it expires (:class:`PartnerToken`; its URL, grant and scope are UNCONFIRMED
    and configurable), or comes from ``token_provider`` (any object with ``token``,
    ``on_unauthorized`` and ``bind_transport``). The key never goes to the token endpoint.
    Retries, the rate limiter (partner keys get 4/s and 10,000/day unless raised on request),
    events and error mapping are those of :class:`ccasync.Client`.

    Raises :class:`ConfigError` for an empty ``api_key``, neither credentials nor
    ``token_provider``, a non-https URL, a timeout that is not a finite number of seconds in
    (0, 86,400]. One-shot like ``Client``.
    """

    def __init__(
        self,
        *,
        api_key: str,
        client_id: str | None = None,
        client_secret: str | None = None,
        token_provider: TokenSource | None = None,
        token_url: str = DEFAULT_PARTNER_TOKEN_URL,
        token_margin: float = 300.0,
        base_url: str = DEFAULT_BASE_URL,
        rate_limiter: Limiter | None = None,
        retry: RetryPolicy | None = None,
        timeout: float = 30.0,
        transport: Transport | None = None,
        on_event: EventHook | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        if not api_key or any(c.isspace() for c in api_key):
            raise ConfigError("api_key must be a non-empty string without whitespace")
        check_number("timeout", timeout, low=0, high=MAX_SECONDS)  # the Client's rule
        tokens = token_provider or _credentials(
            client_id, client_secret, token_url, token_margin, sleep
        )
        self._owns_transport = transport is None
        self._transport = transport or AiohttpTransport(timeout=timeout, max_connections=8)
        tokens.bind_transport(self._transport)
        self._requestor = Requestor(
            transport=KeyedTransport(self._transport, api_key),
            base_url=check_base_url(base_url),
            tokens=tokens,
            limiter=rate_limiter if rate_limiter is not None else RateLimiter(),
            retry=retry or RetryPolicy(),
            user_agent=f"ccasync/{__version__}",
            sleep=sleep,
            draw=jitter,
            on_event=on_event,
        )
        self.accounts = PartnerAccountsResource(self._requestor)
        self.webhooks = PartnerWebhooksResource(self._requestor)

    def __repr__(self) -> str:
        return f"PartnerClient(base_url={self._requestor.base_url!r})"

    @property
    def calls(self) -> int:
        """API exchanges sent so far, retries included (token requests not counted)."""
        return self._requestor.calls


def _credentials(
    client_id: str | None,
    client_secret: str | None,
    token_url: str,
    margin: float,
    sleep: Callable[[float], Awaitable[None]],
) -> PartnerToken:
    if not client_id or not client_secret:
        raise ConfigError("pass client_id= and client_secret=, or token_provider=")
    return PartnerToken(
        client_id=client_id,
        client_secret=client_secret,
        token_url=token_url,
        margin=margin,
        sleep=sleep,
    )
