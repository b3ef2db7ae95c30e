"""The job journal on Redis (``RedisCoordinator.journal()``): jobs that move between hosts.

Keys, with the job id as Cluster hash tag so one job's keys share a slot:
``<ns>:{job:<job_id>}:job`` (hash: fingerprint, owner, token, expires_at) and
``<ns>:{job:<job_id>}:steps`` (hash: step name → JSON ``[phase, data, at]``). Claims, releases
and writes are Lua scripts: the fence check and the write are one atomic step, and expiry is
judged by the Redis server's clock (``TIME``), never a client's.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import redis.exceptions

from ccasync.errors import CoordinationError
from ccasync.journal import (
    Claim,
    Step,
    StepWrite,
    check_claim_args,
    check_job_id,
    claimed_elsewhere,
    encode_data,
    lost,
    mismatch,
    owner_is_dead,
    refuse_if_running,
)

if TYPE_CHECKING:
    from ccasync.redis._coordinator import RedisCoordinator

_NOW = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1e6
"""

# KEYS[1] job hash; ARGV fingerprint, owner, ttl, a holder known dead ('' if none).
# Returns {status, token|owner, expires_at, now}.
_CLAIM = (
    _NOW
    + """
local job = redis.call('HMGET', KEYS[1], 'fingerprint', 'owner', 'token', 'expires_at')
if not job[1] then
  redis.call('HSET', KEYS[1], 'fingerprint', ARGV[1], 'token', 0, 'expires_at', 0)
  job = {ARGV[1], false, '0', '0'}
end
if job[1] ~= ARGV[1] then return {'mismatch', '', '0', tostring(now)} end
local owner = job[2]
if owner and owner ~= '' and owner ~= ARGV[2] and owner ~= ARGV[4] and tonumber(job[4]) > now then
  return {'held', owner, job[4], tostring(now)}
end
local token = tonumber(job[3])
if owner ~= ARGV[2] then token = token + 1 end
local expires = now + tonumber(ARGV[3])
redis.call('HSET', KEYS[1], 'owner', ARGV[2], 'token', token, 'expires_at', tostring(expires))
return {'ok', tostring(token), tostring(expires), tostring(now)}
"""
)

# KEYS[1] job hash; ARGV owner, token.
_RELEASE = """
local job = redis.call('HMGET', KEYS[1], 'owner', 'token')
if job[1] == ARGV[1] and job[2] == ARGV[2] then
  redis.call('HSET', KEYS[1], 'owner', '', 'expires_at', 0)
end
return 1
"""

# KEYS[1] job hash, KEYS[2] steps hash; ARGV owner, token, then name, phase, data triples.
_WRITE = (
    _NOW
    + """
local job = redis.call('HMGET', KEYS[1], 'owner', 'token')
if job[1] ~= ARGV[1] or job[2] ~= ARGV[2] then return 0 end
for i = 3, #ARGV, 3 do
  redis.call('HSET', KEYS[2], ARGV[i],
    '[' .. cjson.encode(ARGV[i + 1]) .. ',' .. ARGV[i + 2] .. ',' .. tostring(now) .. ']')
end
return 1
"""
)


# KEYS[1] job hash, KEYS[2] steps hash; ARGV a holder known dead ('' if none).
# Returns {status, owner, expires_at, now}.
_FORGET = (
    _NOW
    + """
if redis.call('EXISTS', KEYS[1]) == 0 then return {'none', '', '0', tostring(now)} end
local job = redis.call('HMGET', KEYS[1], 'owner', 'expires_at')
local owner = job[1]
if owner and owner ~= '' and owner ~= ARGV[1] and tonumber(job[2]) > now then
  return {'held', owner, job[2], tostring(now)}
end
redis.call('DEL', KEYS[1], KEYS[2])
return {'ok', '', '0', tostring(now)}
"""
)


class RedisJournal:
    """A :class:`ccasync.journal.Journal` on Redis (build it with ``coord.journal()``).

    Steps never expire by themselves (a job may be resumed days later). Raises
    :class:`CoordinationError` when Redis cannot be reached or a write's claim was taken over.
    """

    def __init__(self, coordinator: RedisCoordinator) -> None:
        self._coord = coordinator
        client = coordinator.client
        self._claim = client.register_script(_CLAIM)
        self._release = client.register_script(_RELEASE)
        self._write = client.register_script(_WRITE)
        self._forget = client.register_script(_FORGET)

    def _keys(self, job_id: str) -> list[str]:
        tag = f"job:{job_id}"
        return [self._coord.key(tag, "job"), self._coord.key(tag, "steps")]

    async def claim(self, job_id: str, fingerprint: str, *, owner: str, ttl: float) -> Claim:
        """See :meth:`ccasync.journal.Journal.claim` (expiry on the Redis server's clock)."""
        check_claim_args(job_id, fingerprint, owner, ttl)
        keys = self._keys(job_id)[:1]
        dead = ""
        while True:
            status, who, expires, now = await self._call(
                self._claim(keys=keys, args=[fingerprint, owner, repr(float(ttl)), dead])
            )
            status, who = _text(status), _text(who)
            if status == "mismatch":
                raise mismatch(job_id)
            if status == "ok":
                return Claim(job_id, owner, int(who), float(expires))
            if dead or not owner_is_dead(who):
                raise claimed_elsewhere(job_id, who, float(expires), float(now))
            dead = who  # a crashed process of this host: take over if it still holds the job

    async def release(self, claim: Claim) -> None:
        """See :meth:`ccasync.journal.Journal.release`."""
        keys = self._keys(claim.job_id)[:1]
        await self._call(self._release(keys=keys, args=[claim.owner, str(claim.token)]))

    async def write(self, claim: Claim, steps: Sequence[StepWrite]) -> None:
        """See :meth:`ccasync.journal.Journal.write` (one script: fence check + all steps)."""
        args: list[str] = [claim.owner, str(claim.token)]
        for step in steps:
            args += [step.name, step.phase, encode_data(step.data)]
        if not await self._call(self._write(keys=self._keys(claim.job_id), args=args)):
            raise lost(claim)

    async def forget(self, job_id: str) -> bool:
        """See :meth:`ccasync.journal.Journal.forget` (one script, on Redis' clock)."""
        check_job_id(job_id)
        dead = ""
        while True:
            status, who, expires, now = await self._call(
                self._forget(keys=self._keys(job_id), args=[dead])
            )
            status, who = _text(status), _text(who)
            if status != "held":
                return status == "ok"
            if dead or not owner_is_dead(who):
                refuse_if_running(job_id, who, float(expires), float(now))
            dead = who  # a crashed process of this host: its claim does not hold the job

    async def steps(self, job_id: str) -> dict[str, Step]:
        """See :meth:`ccasync.journal.Journal.steps`."""
        raw = await self._call(self._coord.client.hgetall(self._keys(job_id)[1]))
        out: dict[str, Step] = {}
        for name, value in raw.items():
            phase, data, at = json.loads(value)
            out[_text(name)] = Step(_text(name), phase, data, float(at))
        return out

    @staticmethod
    async def _call(awaitable: Any) -> Any:
        try:
            return await awaitable
        except redis.exceptions.RedisError as exc:
            raise CoordinationError(f"Redis journal: {type(exc).__name__}: {exc}") from exc


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)
