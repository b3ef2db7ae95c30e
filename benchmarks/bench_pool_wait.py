"""Many tasks on one Client with hung requests: waiting for a pooled connection is not a timeout.

1,000 tasks share one ``Client`` (default settings: 32 pooled connections, 30 s timeout,
``RetryPolicy()``), each making ``--calls`` calls one after another (10,000 calls), against
the simulator (child process, limits off) answering 1% of requests never (``hang:0.01``). Hung
requests hold a connection until the client gives up, so most tasks wait for a free
connection. That wait must not count against the request timeout, and an attempt that never got
a connection must be a ConnectError (never sent, so safe to retry), not a RequestTimeoutError
("may have landed").

Reported: failed calls (target 0), attempts, attempts that ended in RequestTimeoutError /
ConnectError, wall time. ``--kind get`` calls ``GET /account/summary``; ``--kind post`` creates a
tag per call (``POST /contact_tags``, check-then-retry by name after a lost answer).

Run:  python benchmarks/bench_pool_wait.py [--tasks 1000] [--calls 10] [--hang 0.01] [--seed 1]
                                           [--kind get|post] [--max-connections 32]
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _simproc import simulator_process

from ccasync import Client, RateLimiter, RequestEvent


async def run(tasks: int, calls: int, hang: float, seed: int, kind: str, connections: int) -> None:
    """One run; prints the figures."""
    with simulator_process(per_second=None, per_day=None, faults=f"hang:{hang}", seed=seed) as sim:
        errors: collections.Counter[str] = collections.Counter()

        def seen(event: RequestEvent) -> None:
            errors[event.error or str(event.status)] += 1

        async with Client(
            access_token=sim["token"],
            base_url=sim["base_url"],
            rate_limiter=RateLimiter.unlimited(),
            max_connections=connections,
            on_event=seen,
        ) as cc:
            failed: collections.Counter[str] = collections.Counter()

            async def one(n: int) -> None:
                for k in range(calls):
                    try:
                        if kind == "get":
                            await cc.account.get_summary()
                        else:
                            await cc.tags.create(f"bench tag {n:05d}-{k:03d}")
                    except Exception as exc:  # counted: the figure this benchmark reports
                        failed[type(exc).__name__] += 1

            start = time.monotonic()
            await asyncio.gather(*(one(n) for n in range(tasks)))
            wall = time.monotonic() - start
            print(
                f"{tasks} tasks x {calls} calls ({kind}), hang {hang:g}, seed {seed}, "
                f"{connections} connections: "
                f"failed calls {sum(failed.values())} {dict(failed)}; attempts {cc.calls}; "
                f"attempt outcomes {dict(errors)}; wall {wall:.1f} s"
            )


def main() -> None:
    """Parse flags, run once."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=1000)
    parser.add_argument("--calls", type=int, default=10)
    parser.add_argument("--hang", type=float, default=0.01)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--kind", choices=("get", "post"), default="get")
    parser.add_argument("--max-connections", type=int, default=32)
    args = parser.parse_args()
    asyncio.run(run(args.tasks, args.calls, args.hang, args.seed, args.kind, args.max_connections))


if __name__ == "__main__":
    main()
