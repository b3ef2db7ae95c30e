"""Rate benchmark: 200 concurrent callers against a strict sliding-window simulator.

For each limiter, a fresh in-process simulator (``SimConfig(per_second=RATE, per_day=None,
rate_rule="sliding")``: no more than RATE requests in any 1-second window, the rest answered
429 ``throttled``) and one ``ccasync.Client`` whose callers all run
``GET /account/summary`` in a loop for ``--duration`` seconds. Retries are off, so every 429 the
server sends is counted once and costs nothing extra.

Limiters compared:
- ``ccasync.RateLimiter(RATE)`` (default margin 2%);
- ``aiolimiter.AsyncLimiter(RATE, 1)``, the baseline, behind a 3-method adapter.

Target (issue 2, item 12): ccasync reaches >= 97.5% of RATE with zero 429s.

Run (from the repository root)::

    python benchmarks/bench_rate.py --duration 30
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import contextlib
import sys
import time
from typing import Any

import aiolimiter

from ccasync import Client, RateLimiter, RateLimitError
from ccasync.config import NO_RETRY
from ccasync.sim import SimConfig, serve

TARGET = 0.975


class AiolimiterAdapter:
    """aiolimiter.AsyncLimiter behind the three methods the ccasync requestor calls."""

    def __init__(self, rate: float) -> None:
        self._limiter = aiolimiter.AsyncLimiter(rate, 1)

    async def acquire(self) -> None:
        await self._limiter.acquire()

    def on_throttled(self, retry_after: float | None) -> None:
        """aiolimiter has no pause: nothing to do."""

    def on_quota_exceeded(self) -> None:
        """aiolimiter has no daily ledger: nothing to do."""


def max_in_any_window(stamps: list[float], width: float = 1.0) -> int:
    """The largest number of ``stamps`` in any half-open window (t - width, t]."""
    ordered = sorted(stamps)
    return max(
        (j + 1 - bisect.bisect_right(ordered, t - width) for j, t in enumerate(ordered)),
        default=0,
    )


async def _caller(cc: Client, deadline: float, tally: dict[str, int]) -> None:
    loop = asyncio.get_running_loop()
    while loop.time() < deadline:
        try:
            await cc._requestor.request("GET", "/account/summary")
            tally["ok"] += 1
        except RateLimitError:
            tally["throttled"] += 1


async def run_one(name: str, limiter: Any, args: argparse.Namespace) -> dict[str, Any]:
    """Drive ``args.callers`` tasks through ``limiter`` for ``args.duration`` s; the figures.

    With ``args.clients`` > 1 the callers are spread over that many accounts of the same API
    key, one Client each, all sharing ``limiter`` (the limit is per key, not per account).
    """
    rate, duration = args.rate, args.duration
    config = SimConfig(per_second=rate, per_day=None, rate_rule="sliding")
    tally = {"ok": 0, "throttled": 0}
    async with serve(config) as sim, contextlib.AsyncExitStack() as stack:
        tokens = [sim.token] + [sim.add_account().token for _ in range(args.clients - 1)]
        clients = [
            await stack.enter_async_context(
                Client(
                    access_token=token,
                    base_url=sim.base_url,
                    rate_limiter=limiter,
                    retry=NO_RETRY,
                )
            )
            for token in tokens
        ]
        loop = asyncio.get_running_loop()
        started = loop.time()
        deadline = started + duration
        tasks = [
            asyncio.create_task(_caller(clients[i % len(clients)], deadline, tally))
            for i in range(args.callers)
        ]
        await asyncio.sleep(duration)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        entries = [e for e in sim.state.log if e.path.endswith("/account/summary")]
        server_429 = sim.state.default_account.api_key.limits.throttled
    arrivals = [e.wall - started for e in entries]
    admitted = [e.wall - started for e in entries if e.status == 200]
    return {
        "name": name,
        "sent": len(entries),
        "ok": tally["ok"],
        "ok_per_s": tally["ok"] / duration,
        "pct": 100.0 * tally["ok"] / duration / rate,
        "server_429": server_429,
        "client_429": tally["throttled"],
        "first_second": sum(1 for t in arrivals if t < 1.0),
        "max_window_sent": max_in_any_window(arrivals),
        "max_window_ok": max_in_any_window(admitted),
        "steady_pct": 100.0 * _steady_rate(admitted) / rate,
    }


def _steady_rate(stamps: list[float]) -> float:
    """Admitted requests per second between the first and the last one (no edge effect)."""
    if len(stamps) < 2:
        return 0.0
    return (len(stamps) - 1) / (max(stamps) - min(stamps))


def print_table(rows: list[dict[str, Any]], rate: float, args: argparse.Namespace) -> None:
    """Print the comparison table and the command that produced it."""
    header = (
        f"{'limiter':34} {'sent':>6} {'ok':>6} {'ok/s':>6} {'% of rate':>9} {'429s':>5} "
        f"{'1st s':>5} {'max/1s':>6} {'steady %':>8}"
    )
    print(header)
    print("-" * len(header))
    for r in rows:
        print(
            f"{r['name']:34} {r['sent']:6d} {r['ok']:6d} {r['ok_per_s']:6.3f} {r['pct']:8.2f}% "
            f"{r['server_429']:5d} {r['first_second']:5d} {r['max_window_sent']:6d} "
            f"{r['steady_pct']:7.2f}%"
        )
    print()
    print(
        f"rate {rate:g}/s, {args.callers} callers on {args.clients} Client(s) of one API key, "
        f"{args.duration:g} s each; sliding-window "
        "simulator in process; retries off. '1st s' = requests sent in the first second, "
        "'max/1s' = most requests the server saw in any 1-s window, 'steady %' = admitted "
        "requests/s between the first and last admitted one, as % of the rate."
    )
    print("command: python benchmarks/bench_rate.py " + " ".join(sys.argv[1:]))


def parse_args() -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=30.0, help="seconds per limiter")
    parser.add_argument("--callers", type=int, default=200, help="concurrent callers")
    parser.add_argument(
        "--clients",
        type=int,
        default=1,
        help="accounts (Clients) of one API key sharing the limiter",
    )
    parser.add_argument("--rate", type=float, default=4.0, help="requests per second")
    parser.add_argument("--margin", type=float, default=0.02, help="ccasync safety margin")
    parser.add_argument(
        "--only", choices=("ccasync", "aiolimiter"), help="run one limiter (default: both)"
    )
    return parser.parse_args()


async def main() -> int:
    """Run the selected limiters one after the other; exit 1 if ccasync misses its target."""
    args = parse_args()
    rows = []
    if args.only in (None, "ccasync"):
        limiter = RateLimiter(args.rate, None, margin=args.margin)
        name = f"ccasync.RateLimiter({args.rate:g}, margin={args.margin:g})"
        rows.append(await run_one(name, limiter, args))
    if args.only in (None, "aiolimiter"):
        name = f"aiolimiter.AsyncLimiter({args.rate:g}, 1)"
        adapter = AiolimiterAdapter(args.rate)
        rows.append(await run_one(name, adapter, args))
    print_table(rows, args.rate, args)
    ours = [r for r in rows if r["name"].startswith("ccasync")]
    return int(any(r["server_429"] or r["steady_pct"] < 100 * TARGET for r in ours))


if __name__ == "__main__":
    started = time.perf_counter()
    code = asyncio.run(main())
    print(f"wall time {time.perf_counter() - started:.1f} s")
    sys.exit(code)
