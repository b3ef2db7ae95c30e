"""Coordination across processes and hosts on Redis (extra: ``pip install 'ccasync[redis]'``).

:class:`RedisCoordinator` owns one ``redis.asyncio`` connection pool and hands out the shared
objects that keep ccasync's promises when several processes or hosts use one API key: a rate
limiter, a token store, a token-endpoint pacer, a list pool and a job journal. Every clock these
objects agree on is the Redis server's (``TIME``), never a client's; every write that can race is
fenced inside one Lua script.
"""

from ccasync.redis._coordinator import RedisCoordinator

__all__ = ["RedisCoordinator"]
