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
from ccasync.auth._lease import LeaseGuard, lease_needed, refresh_lease, refreshed_elsewhere
from ccasync.auth._stores import TokenLease, TokenStore
from ccasync.auth._token import OAuth2Token, salvaged_pair, token_from_response
from ccasync.errors import (
    APIErrorDetail,
    AuthenticationError,
    ConfigError,
    CoordinationError,
    DecodeError,
)
from ccasync.transport import Transport

logger = logging.getLogger("ccasync")

_REAUTHORIZE = "the user must authorize the application again"
_GRACE_POLL = 0.25  # seconds between store re-reads while a taken-over refresh may land
_LEASE_RESTARTS = 3  # new leases tried when one expires before the request leaves
_LEASE_LOST = object()  # _post_refresh's answer when the lease expired before sending


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
    - ``token_timeout``: seconds one token request may take (default 30); a refresh never starts
      with less lease than this left. ``max_retry_after``: a token-endpoint 429 asking to wait
      longer than this (default 120 s) fails at once instead. ``lease_wait``: seconds to wait
      for another process's refresh lease (default 60) before :class:`CoordinationError`.

    Refreshes are single-flight: concurrent callers share one refresh, and with a
    :class:`SharedTokenStore` (:class:`FileTokenStore`, ``RedisCoordinator.token_store``) so do
    processes: the pair is re-read under the store's lease and a pair another process already
    refreshed is adopted without calling the endpoint. Every new pair is saved to ``store``
    before it is used; if saving fails the error propagates, the new pair is not used, and the
    save is retried on the next call (without another token-endpoint request). A token-endpoint
    5xx, timeout or connection failure is retried (bounded) rather than failing the caller.
    ``invalid_grant`` first re-reads the store (and, when the previous lease holder vanished
    mid-refresh, keeps re-reading for as long as that holder's lease covered) and adopts a newer
    pair found there; only then does it raise ``AuthenticationError(reauthorize=True)``.

    One window no client can close: the endpoint answered a refresh (spending a rotating
    refresh token) and the process died before saving the answer. The stored refresh token is
    then dead and the user must authorize again. The save follows the answer at once, before any
    parsing that can fail, which keeps that window as short as one local write.
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
        token_timeout: float = 30.0,
        max_retry_after: float = 120.0,
        lease_wait: float = 60.0,
    ) -> None:
        _check_seconds(token_timeout=token_timeout, max_retry_after=max_retry_after)
        _check_seconds(lease_wait=lease_wait)
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
            timeout=float(token_timeout),
            max_retry_after=float(max_retry_after),
        )
        self._sleep = sleep
        self._token_timeout = float(token_timeout)
        self._lease_wait = float(lease_wait)
        self._transport = transport
        self._lock = asyncio.Lock()
        self._token: OAuth2Token | None = None
        self._refresh_at = math.inf
        self._unsaved: OAuth2Token | None = None
        self._unsaved_base: OAuth2Token | None = None
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
            return await self._save_unsaved()
        current = self._token
        if current is not None and self._usable(current, rejected):
            return current
        stored = await self._store.load()
        if stored is not None and self._usable(stored, rejected, loaded=True):
            self._adopt(stored, fresh=False)
            return stored
        for attempt in range(1, _LEASE_RESTARTS + 1):
            renewed = await self._leased_refresh(current or stored, rejected)
            if renewed is not None:
                return renewed
            logger.debug("token refresh lease expired before sending (try %d)", attempt)
        raise CoordinationError(
            f"the token refresh lease expired {_LEASE_RESTARTS} times before the request left"
        )

    def _usable(self, token: OAuth2Token, rejected: str | None, *, loaded: bool = False) -> bool:
        if token.access_token == rejected:
            return False
        if loaded:
            return self._clock() < refresh_time(
                token, now=self._clock(), margin=self._margin, fresh=False
            )
        return self._clock() < self._refresh_at

    async def _leased_refresh(
        self, known: OAuth2Token | None, rejected: str | None
    ) -> OAuth2Token | None:
        """Hold the store's refresh lease, re-read the pair, and refresh only if still needed.

        None: the lease expired before the request left (nothing sent; start over).
        """
        async with refresh_lease(self._store, wait=self._lease_wait) as lease:
            stored = await lease.load()
            if self._adoptable(stored, known, rejected):
                assert stored is not None
                self._adopt(stored, fresh=True)
                return stored
            base = stored or known
            if base is None:
                raise _reauthorize_error("no_token", "the token store holds no token")
            return await self._refresh(base, lease)

    def _adoptable(
        self, stored: OAuth2Token | None, known: OAuth2Token | None, rejected: str | None
    ) -> bool:
        # Refreshed by someone else since we last looked, or still good by the margin rule.
        if stored is None or stored.access_token == rejected:
            return False
        if refreshed_elsewhere(stored, known):
            return not stored.expires_within(0, self._clock())
        return self._usable(stored, rejected, loaded=True)

    async def _refresh(self, base: OAuth2Token, lease: TokenLease) -> OAuth2Token | None:
        if base.refresh_token is None:
            raise _reauthorize_error(
                "no_refresh_token", "the token has no refresh token (request offline_access)"
            )
        if base.refresh_token == self._dead_refresh_token:
            raise _reauthorize_error("invalid_grant", "the refresh token was already rejected")
        logger.debug("refreshing the OAuth2 access token for client_id %s", self.client_id)
        try:
            data = await self._post_refresh(base.refresh_token, lease)
        except AuthenticationError as exc:
            newer = await self._newer_after_invalid_grant(exc, lease, base)
            if newer is None:
                raise
            self._adopt(newer, fresh=True)
            return newer
        if data is _LEASE_LOST:
            return None
        # Total parse (an odd expiry reads as unknown): the answer is saved before anything else.
        self.refreshes += 1
        try:
            new = token_from_response(data, now=self._clock(), previous=base)
        except DecodeError as exc:
            await self._keep_new_refresh_token(data, base, lease, exc)
            raise
        self._unsaved, self._unsaved_base = new, base
        saved = await self._persist(new, lease)
        logger.debug("OAuth2 access token refreshed; expires at %s", saved.expires_at)
        return saved

    async def _keep_new_refresh_token(
        self, data: object, base: OAuth2Token, lease: TokenLease, exc: DecodeError
    ) -> None:
        """An answer without a usable access token may still carry the only live refresh token."""
        salvage = salvaged_pair(data, now=self._clock(), previous=base)
        if salvage is None:
            return
        await lease.save(salvage)
        self._adopt(salvage, fresh=False)
        exc.add_note("ccasync: the answer's new refresh token was saved; the next call refreshes")

    async def _newer_after_invalid_grant(
        self, exc: AuthenticationError, lease: TokenLease, base: OAuth2Token
    ) -> OAuth2Token | None:
        """After ``invalid_grant``: a pair someone else saved meanwhile, or None."""
        if not exc.reauthorize:
            return None
        # A previous holder whose lease expired may still save its answer: give it as long
        # again as its lease covered (request + save) before concluding the grant is dead.
        grace = lease_needed(self._token_timeout) if lease.took_over else 0.0
        polls = math.ceil(grace / _GRACE_POLL)
        for poll in range(polls + 1):
            stored = await lease.load()
            if stored is not None and refreshed_elsewhere(stored, base):
                logger.debug("invalid_grant, but the store holds a newer pair: adopting it")
                return stored
            if poll < polls:
                await self._sleep(_GRACE_POLL)
        return None

    async def _post_refresh(self, refresh_token: str, lease: TokenLease) -> object:
        if self._transport is None:
            raise RuntimeError(
                "OAuth2Refresher has no transport: use it in a Client or pass transport="
            )
        form = {"grant_type": "refresh_token", "refresh_token": refresh_token}
        guard = LeaseGuard(lease, self._token_timeout)
        try:
            return await self._endpoint.post(
                self._transport, form, retry_uncertain=True, before_send=guard
            )
        except CoordinationError:
            if guard.lost:
                return _LEASE_LOST
            raise
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

    async def _persist(self, token: OAuth2Token, lease: TokenLease) -> OAuth2Token:
        """Save ``token`` under ``lease``; the pair now current (another's if it was newer)."""
        try:
            stored = await lease.save(token)
        except Exception as exc:
            exc.add_note(
                "ccasync: the refreshed OAuth2 token was NOT used because saving it failed; "
                "the save is retried on the next call"
            )
            raise
        self._unsaved = self._unsaved_base = None
        winner = token if stored else await lease.load()
        if winner is None:
            raise CoordinationError("the token store refused the save but holds no token")
        self._adopt(winner, fresh=True)
        return winner

    async def _save_unsaved(self) -> OAuth2Token:
        """Retry saving a refreshed pair, unless the store moved on from the pair it replaced."""
        assert self._unsaved is not None
        async with refresh_lease(self._store, wait=self._lease_wait) as lease:
            stored = await lease.load()
            if stored is not None and refreshed_elsewhere(stored, self._unsaved_base):
                self._unsaved = self._unsaved_base = None
                self._adopt(stored, fresh=True)
                return stored
            return await self._persist(self._unsaved, lease)

    def _adopt(self, token: OAuth2Token, *, fresh: bool) -> None:
        self._token = token
        self._refresh_at = refresh_time(token, now=self._clock(), margin=self._margin, fresh=fresh)


def _check_seconds(**values: float) -> None:
    for name, value in values.items():
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ConfigError(f"{name} must be a number of seconds, got {value!r}")
        if not (0 < value < math.inf):
            raise ConfigError(f"{name} must be a positive finite number of seconds, got {value!r}")
