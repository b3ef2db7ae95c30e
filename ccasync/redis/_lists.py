"""List leases on Redis for :class:`~ccasync.ops.ListPool` across hosts.

One key per leased list, ``<ns>:{lp.<prefix>}:lease:<list_id>`` (one Cluster slot per pool),
set with ``SET NX PX`` to a random owner id. A batch can run for an hour, longer than any TTL
one would want a crashed holder to block a list, so a held lease is kept alive by a background
task that extends it (owner-checked, in Lua) every third of its TTL; a crashed holder's lease
lapses after at most one TTL. A holder that stalls past its TTL loses the lease: ``held()``
then answers False and ``send_to_audience`` refuses to send (and the membership count check
catches another batch's contacts on the list).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from typing import TYPE_CHECKING

from ccasync.errors import ConfigError, CoordinationError
from ccasync.ops import ListLease
from ccasync.redis._tokens import check_key_part, redis_call

if TYPE_CHECKING:
    from ccasync.redis._coordinator import RedisCoordinator

logger = logging.getLogger("ccasync")

_EXTEND = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
"""
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


class RedisListLeases:
    """:class:`~ccasync.ops.ListLeases` on Redis (get a pool with ``RedisCoordinator.list_pool``).

    ``lease_ttl``: seconds a lease outlives its holder's last heartbeat (default 30; the
    holder extends it every ``lease_ttl / 3``). Redis failures raise
    :class:`~ccasync.CoordinationError`.
    """

    def __init__(
        self, coordinator: RedisCoordinator, prefix: str, *, lease_ttl: float = 30.0
    ) -> None:
        if not (isinstance(lease_ttl, int | float) and 0.03 <= lease_ttl <= 86_400):
            raise ConfigError(f"lease_ttl must be within 0.03..86400 seconds, got {lease_ttl!r}")
        self._coordinator = coordinator
        self._tag = f"lp.{check_key_part(prefix, 'list pool prefix')}"
        self.lease_ttl = float(lease_ttl)
        self._extend = coordinator.client.register_script(_EXTEND)
        self._release = coordinator.client.register_script(_RELEASE)

    def __repr__(self) -> str:
        return f"RedisListLeases({self._tag!r}, lease_ttl={self.lease_ttl:g})"

    async def try_lease(self, list_id: str) -> ListLease | None:
        """Lease ``list_id`` now (None when another batch holds it); heartbeats until released."""
        key = self._coordinator.key(self._tag, "lease", list_id)
        owner = secrets.token_hex(12)
        ttl_ms = max(1, int(self.lease_ttl * 1000))
        client = self._coordinator.client
        taken = await redis_call("list lease", client.set(key, owner, nx=True, px=ttl_ms))
        if not taken:
            return None
        return _RedisListLease(self, list_id, key, owner)

    async def extend(self, key: str, owner: str) -> bool:
        """Push ``owner``'s lease on ``key`` out by a full TTL; False when it is not theirs."""
        ttl_ms = max(1, int(self.lease_ttl * 1000))
        kept = await redis_call("list lease extend", self._extend(keys=[key], args=[owner, ttl_ms]))
        return bool(kept)

    async def release(self, key: str, owner: str) -> None:
        """Delete ``owner``'s lease on ``key`` (nothing when another holds it now)."""
        await redis_call("list lease release", self._release(keys=[key], args=[owner]))


class _RedisListLease:
    def __init__(self, leases: RedisListLeases, list_id: str, key: str, owner: str) -> None:
        self.list_id = list_id
        self._leases = leases
        self._key = key
        self._owner = owner
        self._lost = False
        self._beat = asyncio.create_task(self._heartbeat())

    async def _heartbeat(self) -> None:
        while True:
            await asyncio.sleep(self._leases.lease_ttl / 3)
            try:
                kept = await self._leases.extend(self._key, self._owner)
            except CoordinationError as exc:
                # Keep trying: the lease may survive a short outage; held() checks for real.
                logger.warning("list lease heartbeat for %s failed: %s", self.list_id, exc)
                continue
            if not kept:
                self._lost = True
                return

    async def held(self) -> bool:
        if self._lost:
            return False
        # Owner-checked, on the server: a heartbeat that merely has not run yet cannot lie.
        self._lost = not await self._leases.extend(self._key, self._owner)
        return not self._lost

    async def release(self) -> None:
        if not self._beat.done():
            self._beat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._beat
        await self._leases.release(self._key, self._owner)
