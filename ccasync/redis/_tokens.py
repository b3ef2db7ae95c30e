"""One account's OAuth2 token pair in Redis, with a refresh lease and a version-fenced save.

Keys (one Cluster slot per account: the hash tag is the account name):

- ``<ns>:{tok.<name>}:state``: a hash with ``pair`` (the token JSON), ``version`` (bumped by
  every save) and ``holder`` (the lease owner that has not released yet);
- ``<ns>:{tok.<name>}:lease``: the refresh lease, ``SET NX PX`` with a random owner id.

The lease makes refreshes single-flight; the fence makes them safe when a lease expires during a
slow refresh: a save under the lease names the version it read, and the script refuses it when
another save came first, so an older pair never overwrites a newer one. The save is fenced by
version only, not by lease ownership: a holder whose lease ran out but whose answer is the only
valid pair (nobody saved since) must still be able to save it. A lease acquired while ``holder``
still names someone else was taken over from a holder that vanished mid-refresh
(``took_over``): its refresh may yet land, which the refresher waits out on ``invalid_grant``.
"""

from __future__ import annotations

import asyncio
import re
import secrets
import time
from collections.abc import AsyncIterator, Awaitable
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, TypeVar

import orjson
import redis.exceptions

from ccasync.auth import OAuth2Token, TokenLease
from ccasync.errors import ConfigError, CoordinationError, DecodeError

if TYPE_CHECKING:
    from ccasync.redis._coordinator import RedisCoordinator

_T = TypeVar("_T")
_NAME = re.compile(r"[A-Za-z0-9_.@-]{1,128}")
_POLL = (0.005, 0.05)  # first and longest pause between lease attempts, seconds

_ACQUIRE = """
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  local previous = redis.call('HGET', KEYS[2], 'holder')
  redis.call('HSET', KEYS[2], 'holder', ARGV[1])
  if previous then return 2 end
  return 1
end
return 0
"""
_EXTEND = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[2]) then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 1
"""
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
if redis.call('HGET', KEYS[2], 'holder') == ARGV[1] then redis.call('HDEL', KEYS[2], 'holder') end
return 1
"""
_FENCED_SAVE = """
local version = tonumber(redis.call('HGET', KEYS[1], 'version') or '0')
if ARGV[1] ~= '' and version ~= tonumber(ARGV[1]) then return {0, version} end
redis.call('HSET', KEYS[1], 'pair', ARGV[2], 'version', version + 1)
return {1, version + 1}
"""


def check_key_part(name: object, what: str) -> str:
    """``name`` as a safe key part; :class:`ConfigError` naming ``what`` otherwise."""
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise ConfigError(f"{what} must be 1-128 letters, digits or '_.@-', got {name!r}")
    return name


async def redis_call(what: str, call: Awaitable[_T]) -> _T:
    """Await a Redis call; a Redis failure becomes :class:`CoordinationError` naming ``what``."""
    try:
        return await call
    except redis.exceptions.RedisError as exc:
        # The message names the failure (refused, timeout, NOAUTH, script error), never a secret.
        message = f"Redis {what} failed: {type(exc).__name__}: {exc}"
    # Raised outside the except block: no __context__ keeps redis-py's exception and its locals.
    raise CoordinationError(message)


_INVALID = object()


def _json_or_invalid(raw: bytes | str) -> object:
    # _INVALID for invalid JSON, so the caller raises outside any except block and no
    # exception chain keeps the token text (orjson's error carries the whole document).
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        return _INVALID


class RedisTokenStore:
    """A :class:`~ccasync.auth.SharedTokenStore` for one account's pair on Redis.

    Get one with ``RedisCoordinator.token_store(name)``. ``load`` returns None when nothing is
    stored; ``save`` replaces the pair unconditionally (use it for the first pair from
    :func:`~ccasync.auth.exchange_code`); :meth:`refresh_lease` is what
    :class:`~ccasync.auth.OAuth2Refresher` uses. ``lease_ttl``: seconds a lease lives unless
    extended (the refresher extends it to cover its token request). Redis failures raise
    :class:`~ccasync.CoordinationError`; a stored value that is not a token raises
    :class:`~ccasync.DecodeError`. Redis holds the refresh token in clear: protect it (ACL,
    TLS with ``rediss://``) like the token file it replaces.
    """

    def __init__(
        self, coordinator: RedisCoordinator, name: str, *, lease_ttl: float = 60.0
    ) -> None:
        if not (isinstance(lease_ttl, int | float) and 0.001 <= lease_ttl <= 86_400):
            raise ConfigError(f"lease_ttl must be within 0.001..86400 seconds, got {lease_ttl!r}")
        self.name = check_key_part(name, "token store name")
        self.lease_ttl = float(lease_ttl)
        client = coordinator.client
        tag = f"tok.{self.name}"
        self._client = client
        self._state = coordinator.key(tag, "state")
        self._lease = coordinator.key(tag, "lease")
        self._acquire = client.register_script(_ACQUIRE)
        self._extend = client.register_script(_EXTEND)
        self._release = client.register_script(_RELEASE)
        self._save = client.register_script(_FENCED_SAVE)

    def __repr__(self) -> str:
        return f"RedisTokenStore({self.name!r})"

    async def load(self) -> OAuth2Token | None:
        """The stored pair, or None."""
        return (await self.read_versioned())[0]

    async def save(self, token: OAuth2Token) -> None:
        """Replace the stored pair (and bump its version) whatever was there."""
        await self.save_fenced(token, None)

    @asynccontextmanager
    async def refresh_lease(self, *, wait: float = 60.0) -> AsyncIterator[TokenLease]:
        """Hold this account's refresh lease for the block (see :class:`~ccasync.auth.TokenLease`).

        Waits at most ``wait`` seconds for another holder, then raises
        :class:`~ccasync.CoordinationError`. Released (owner-checked) when the block ends.
        """
        lease = await self._take(wait)
        try:
            yield lease
        finally:
            await redis_call(
                "token lease release",
                self._release(keys=[self._lease, self._state], args=[lease.owner]),
            )

    async def _take(self, wait: float) -> _RedisLease:
        owner = secrets.token_hex(12)
        ttl_ms = max(1, int(self.lease_ttl * 1000))
        deadline = time.monotonic() + wait
        pause = _POLL[0]
        while True:
            sent_at = time.monotonic()
            taken = await redis_call(
                "token lease",
                self._acquire(keys=[self._lease, self._state], args=[owner, ttl_ms]),
            )
            if taken:
                return _RedisLease(self, owner, sent_at + self.lease_ttl, took_over=taken == 2)
            if sent_at >= deadline:
                raise CoordinationError(
                    f"another process held the token lease of {self.name!r} for over {wait:g} s"
                )
            await asyncio.sleep(pause)
            pause = min(pause * 2, _POLL[1])

    async def read_versioned(self) -> tuple[OAuth2Token | None, int]:
        """The stored pair (or None) and its version (0 before the first save)."""
        raw, version = await redis_call(
            "token load", self._client.hmget(self._state, ["pair", "version"])
        )
        number = int(version) if version is not None else 0
        if raw is None:
            return None, number
        data = _json_or_invalid(raw)
        if data is _INVALID:
            raise DecodeError(f"token store {self.name!r} holds invalid JSON")
        if not isinstance(data, dict):
            raise DecodeError(f"token store {self.name!r} does not hold a token object")
        return OAuth2Token.from_json(data), number

    async def save_fenced(self, token: OAuth2Token, version: int | None) -> bool:
        """Store ``token`` if the version is still ``version`` (None: unconditionally).

        True when stored; False when another save came first (nothing was written).
        """
        expected = "" if version is None else str(version)
        stored, _ = await redis_call(
            "token save",
            self._save(keys=[self._state], args=[expected, orjson.dumps(token.to_json())]),
        )
        return bool(stored)

    async def extend_lease(self, owner: str, seconds: float) -> bool:
        """Make at least ``seconds`` of ``owner``'s lease remain; False when it is not theirs."""
        kept = await redis_call(
            "token lease extend",
            self._extend(keys=[self._lease], args=[owner, max(1, int(seconds * 1000))]),
        )
        return bool(kept)


class _RedisLease:
    """A held lease: remembers the version it read so that its save is fenced."""

    def __init__(
        self, store: RedisTokenStore, owner: str, expires: float, *, took_over: bool
    ) -> None:
        self._store = store
        self.owner = owner
        self._expires = expires  # local monotonic; counted from before the request: conservative
        self.took_over = took_over
        self._version: int | None = None

    def remaining(self) -> float:
        return max(0.0, self._expires - time.monotonic())

    async def extend(self, seconds: float) -> bool:
        sent_at = time.monotonic()
        if not await self._store.extend_lease(self.owner, seconds):
            return False
        self._expires = max(self._expires, sent_at + seconds)
        return True

    async def load(self) -> OAuth2Token | None:
        token, self._version = await self._store.read_versioned()
        return token

    async def save(self, token: OAuth2Token) -> bool:
        # Without a load first, the version is unknown: read it now (the fence then only
        # guards against saves from here on).
        if self._version is None:
            _, self._version = await self._store.read_versioned()
        return await self._store.save_fenced(token, self._version)
