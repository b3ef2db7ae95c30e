"""Token providers: how a Client gets (and renews) its bearer token.

- :class:`StaticToken` wraps a token you already have; a 401 is final.
- :class:`OAuth2Refresher` keeps one account's OAuth2 token pair alive: it refreshes shortly
  before expiry and once after a 401, single-flight, and persists every new pair to a
  :class:`TokenStore` BEFORE using it.
- :func:`build_authorization_url`, :func:`pkce_pair`, :func:`exchange_code`,
  :func:`start_device_flow` and :func:`poll_device_token` obtain the first token pair.

Why single-flight and persist-before-use: with rotating refresh tokens (CC's recommended
setting) each refresh token works once. Two concurrent refreshes, or a crash between receiving a
new pair and saving it, leave the stored refresh token dead and the user must consent again in a
browser (reference §2.3). So one account's refreshes are serialised behind one lock, late
waiters reuse the winner's token, and a pair that could not be saved is never used.

No token value ever appears in ``repr``/``str``, exception messages or log records.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time

from ccasync.auth._endpoint import (
    Clock,
    Sleep,
    TokenEndpoint,
    TokenRequestPacer,
    check_oauth_url,
)
from ccasync.auth._grants import (
    DEFAULT_TOKEN_URL,
)
from ccasync.auth._stores import TokenStore
from ccasync.auth._token import OAuth2Token, token_from_response
from ccasync.errors import APIErrorDetail, AuthenticationError, ConfigError
from ccasync.transport import Transport

logger = logging.getLogger("ccasync")

_REAUTHORIZE = "the user must authorize the application again"


class StaticToken:
    """A fixed access token; a 401 is final (there is nothing to refresh).

    Raises :class:`ConfigError` for an empty token or one with inner whitespace or control
    characters (a bearer token has none; aiohttp would refuse the header only at send time).
    Surrounding whitespace is stripped. The token never appears in ``repr`` or errors.
    """

    def __init__(self, access_token: str) -> None:
        if not isinstance(access_token, str) or not access_token.strip():
            raise ConfigError("access_token must be a non-empty string")
        token = access_token.strip()
        if any(c.isspace() or not c.isprintable() for c in token):
            raise ConfigError("access_token contains whitespace or control characters")
        self._token = token

    def __repr__(self) -> str:
        return "StaticToken(access_token='***')"

    async def token(self) -> str:
        """Return the token."""
        return self._token

    async def on_unauthorized(self, rejected: str) -> bool:
        """Raise :class:`AuthenticationError`: a static token cannot be renewed."""
        raise AuthenticationError(
            401,
            [APIErrorDetail("unauthorized", "the static access token was rejected; get a new one")],
            reauthorize=True,
        )

    def bind_transport(self, transport: Transport) -> None:
        """Nothing to bind: a static token never calls the token endpoint."""


def refresh_time(token: OAuth2Token, *, now: float, margin: float, fresh: bool) -> float:
    """Epoch seconds after which ``token`` should be refreshed proactively (``inf``: never).

    A stored token refreshes ``margin`` seconds before it expires. A token the endpoint has
    just issued refreshes at the earlier of that and half its remaining life, so a lifetime
    shorter than the margin cannot trigger a refresh before every call; if it already looks
    expired on arrival (a skewed local clock) only a 401 renews it.
    """
    if token.expires_at is None:
        return math.inf
    expires = token.expires_at.timestamp()
    if not fresh:
        return expires - margin
    remaining = expires - now
    if remaining <= 0:
        return math.inf
    return expires - min(margin, remaining / 2)


def _retrieve_exception(task: asyncio.Future[OAuth2Token]) -> None:
    # The caller that started the renewal may be gone; its failure is seen by the next caller.
    if not task.cancelled():
        task.exception()


def _reauthorize_error(key: str, reason: str) -> AuthenticationError:
    return AuthenticationError(
        401, [APIErrorDetail(key, f"{reason}; {_REAUTHORIZE}")], reauthorize=True
    )


class OAuth2Refresher:
    """A token source for one account that refreshes its OAuth2 token pair when needed.

    - ``client_id``: the application's API key. ``client_secret``: None for a public (PKCE or
      device) client, which sends ``client_id`` in the form; otherwise HTTP Basic is used.
    - ``store``: where the pair lives (:class:`FileTokenStore`, :class:`MemoryTokenStore`, or
      yours); it must already hold a token (from :func:`exchange_code` or the device flow).
    - ``token_url``: https, or http on a loopback host (the simulator); else ConfigError.
    - ``refresh_margin``: seconds before expiry (JWT ``exp``, else ``expires_in``) at which
      :meth:`token` refreshes; between those times no refresh happens (the token endpoint
      allows 1 request/second).
    - ``transport``: for use without a Client; a Client binds its own transport.
    - ``pacer``: a :class:`TokenRequestPacer` shared by the refreshers of every account of this
      application (the token endpoint allows 1 request/second); default: a private one.
    - ``clock`` (epoch seconds) and ``sleep`` are injectable for tests.

    Refreshes are single-flight: concurrent callers share one refresh. Every new pair is saved
    to ``store`` before it is used; if saving fails the error propagates, the new pair is not
    used, and the save is retried on the next call (without another token-endpoint request).
    Rotating refresh tokens work: each refresh uses the latest saved refresh token, re-read
    from the store so another process's refresh is picked up. ``invalid_grant`` raises
    ``AuthenticationError(reauthorize=True)`` saying the user must authorize again.
    """

    def __init__(
        self,
        client_id: str,
        *,
        client_secret: str | None = None,
        store: TokenStore,
        token_url: str = DEFAULT_TOKEN_URL,
        refresh_margin: float = 300.0,
        transport: Transport | None = None,
        pacer: TokenRequestPacer | None = None,
        clock: Clock = time.time,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        if not isinstance(client_id, str) or not client_id.strip():
            raise ConfigError("client_id must be a non-empty string")
        if client_secret is not None and not client_secret:
            raise ConfigError("client_secret must be None (public client) or non-empty")
        if not refresh_margin >= 0:
            raise ConfigError(f"refresh_margin must be >= 0 seconds, got {refresh_margin!r}")
        self.client_id = client_id
        self._store = store
        self._margin = float(refresh_margin)
        self._clock = clock
        self._endpoint = TokenEndpoint(
            check_oauth_url("token_url", token_url),
            client_id=client_id,
            client_secret=client_secret,
            clock=clock,
            sleep=sleep,
            pacer=pacer,
        )
        self._transport = transport
        self._lock = asyncio.Lock()
        self._token: OAuth2Token | None = None
        self._refresh_at = math.inf
        self._unsaved: OAuth2Token | None = None
        self._dead_refresh_token: str | None = None
        self.refreshes = 0
        """Token-endpoint refreshes this provider performed (for metrics and tests)."""

    def __repr__(self) -> str:
        return (
            f"OAuth2Refresher(client_id={self.client_id!r}, token_url={self._endpoint.url!r}, "
            f"store={self._store!r})"
        )

    def bind_transport(self, transport: Transport) -> None:
        """Use ``transport`` (the Client's) for token-endpoint calls."""
        self._transport = transport

    async def token(self) -> str:
        """A valid access token; refreshes first only when it is within the refresh margin.

        Raises ``AuthenticationError(reauthorize=True)`` when the store is empty, there is no
        refresh token or the grant is dead; the store's error when the new pair cannot be saved.
        """
        current = self._token
        if current is not None and self._unsaved is None and self._clock() < self._refresh_at:
            return current.access_token
        return (await self._shielded_renew(rejected=None)).access_token

    async def on_unauthorized(self, rejected: str) -> bool:
        """After a 401 for ``rejected``: make a different token available; True when there is one.

        When another task already replaced ``rejected``, no request is made. Raises like
        :meth:`token` when no new token can be had.
        """
        renewed = await self._shielded_renew(rejected=rejected)
        return renewed.access_token != rejected

    async def _shielded_renew(self, *, rejected: str | None) -> OAuth2Token:
        # A rotating refresh token dies once the endpoint has answered; if a cancelled caller
        # (a timeout, a TaskGroup) dropped that answer, the user would have to consent again.
        # So the renewal runs to completion (saved) in its own task, holding the lock.
        task = asyncio.ensure_future(self._locked_renew(rejected))
        task.add_done_callback(_retrieve_exception)
        return await asyncio.shield(task)

    async def _locked_renew(self, rejected: str | None) -> OAuth2Token:
        async with self._lock:
            return await self._renew(rejected=rejected)

    async def _renew(self, *, rejected: str | None) -> OAuth2Token:
        """Under the lock: a usable token from memory, then the store, then the endpoint."""
        if self._unsaved is not None:
            await self._persist(self._unsaved)
        current = self._token
        if current is not None and self._usable(current, rejected):
            return current
        stored = await self._store.load()
        if stored is not None and self._usable(stored, rejected, loaded=True):
            self._adopt(stored, fresh=False)
            return stored
        base = stored or current
        if base is None:
            raise _reauthorize_error("no_token", "the token store holds no token")
        return await self._refresh(base)

    def _usable(self, token: OAuth2Token, rejected: str | None, *, loaded: bool = False) -> bool:
        if token.access_token == rejected:
            return False
        if loaded:
            return self._clock() < refresh_time(
                token, now=self._clock(), margin=self._margin, fresh=False
            )
        return self._clock() < self._refresh_at

    async def _refresh(self, base: OAuth2Token) -> OAuth2Token:
        if base.refresh_token is None:
            raise _reauthorize_error(
                "no_refresh_token", "the token has no refresh token (request offline_access)"
            )
        if base.refresh_token == self._dead_refresh_token:
            raise _reauthorize_error("invalid_grant", "the refresh token was already rejected")
        logger.debug("refreshing the OAuth2 access token for client_id %s", self.client_id)
        data = await self._post_refresh(base.refresh_token)
        new = token_from_response(data, now=self._clock(), previous=base)
        self.refreshes += 1
        self._unsaved = new
        await self._persist(new)
        logger.debug("OAuth2 access token refreshed; expires at %s", new.expires_at)
        return new

    async def _post_refresh(self, refresh_token: str) -> object:
        if self._transport is None:
            raise RuntimeError(
                "OAuth2Refresher has no transport: use it in a Client or pass transport="
            )
        form = {"grant_type": "refresh_token", "refresh_token": refresh_token}
        try:
            return await self._endpoint.post(self._transport, form)
        except AuthenticationError as exc:
            if not exc.reauthorize:
                raise
            self._dead_refresh_token = refresh_token
            details = [
                APIErrorDetail(e.error_key, f"{e.error_message} ({_REAUTHORIZE})")
                for e in exc.errors
            ]
            raise AuthenticationError(
                exc.status,
                details,
                method=exc.method,
                url=exc.url,
                headers=exc.headers,
                reauthorize=True,
            ) from exc

    async def _persist(self, token: OAuth2Token) -> None:
        try:
            await self._store.save(token)
        except Exception as exc:
            exc.add_note(
                "ccasync: the refreshed OAuth2 token was NOT used because saving it failed; "
                "the save is retried on the next call"
            )
            raise
        self._unsaved = None
        self._adopt(token, fresh=True)

    def _adopt(self, token: OAuth2Token, *, fresh: bool) -> None:
        self._token = token
        self._refresh_at = refresh_time(token, now=self._clock(), margin=self._margin, fresh=fresh)
