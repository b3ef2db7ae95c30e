"""Client CPU per request: ccasync against raw aiohttp, in interleaved rounds over loopback.

The simulator runs in a child process (limits off), so process CPU time measured here is the
client's alone. Each round runs every variant once, in rotating order, with the same number of
requests and the same concurrency; the ratio of medians is reported.

Variants:
  raw       aiohttp session.get + read + orjson.loads (the baseline)
  requestor ccasync end to end: limiter (unlimited), auth, retry loop, events, JSON decode
  model     ccasync cc.contacts.get(id): the same GET decoded into a typed Contact

Targets (issue 2): requestor <= 1.15x raw; model <= 1.35x raw.

Run:  python benchmarks/bench_overhead.py [--requests 2000] [--rounds 7] [--concurrency 8]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import aiohttp
import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _simproc import simulator_process

from ccasync import Client, RateLimiter

Call = Callable[[], Awaitable[object]]


async def _run(call: Call, requests: int, concurrency: int) -> float:
    """Process CPU seconds spent issuing ``requests`` calls with ``concurrency`` workers."""
    per_worker = requests // concurrency

    async def worker() -> None:
        for _ in range(per_worker):
            await call()

    start = time.process_time()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return time.process_time() - start


async def _create_contact(
    session: aiohttp.ClientSession, base: str, headers: dict[str, str]
) -> str:
    body = {
        "email_address": {"address": "bench@example.com", "permission_to_send": "implicit"},
        "first_name": "Bench",
        "last_name": "Mark",
        "create_source": "Account",
    }
    async with session.post(f"{base}/contacts", json=body, headers=headers) as resp:
        data = orjson.loads(await resp.read())
        if resp.status != 201:
            raise RuntimeError(f"could not create the benchmark contact: {resp.status} {data}")
        return str(data["contact_id"])


async def bench(requests: int, rounds: int, concurrency: int) -> dict[str, list[float]]:
    """Run the interleaved rounds; return CPU seconds per request for each variant."""
    with simulator_process(per_second=None, per_day=None) as sim:
        base, token = sim["base_url"], sim["token"]
        headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
        connector = aiohttp.TCPConnector(limit=32)
        async with aiohttp.ClientSession(connector=connector) as session:
            contact_id = await _create_contact(session, base, headers)
            url = f"{base}/contacts/{contact_id}"

            async def raw() -> object:
                async with session.get(url, headers=headers) as resp:
                    return orjson.loads(await resp.read())

            async with Client(
                access_token=token, base_url=base, rate_limiter=RateLimiter.unlimited()
            ) as cc:

                async def requestor() -> object:
                    return (await cc._requestor.request("GET", f"/contacts/{contact_id}")).data

                async def model() -> object:
                    return await cc.contacts.get(contact_id)

                variants: dict[str, Call] = {"raw": raw, "requestor": requestor, "model": model}
                for call in variants.values():  # warm up connections and code paths
                    await _run(call, concurrency * 20, concurrency)
                results: dict[str, list[float]] = {name: [] for name in variants}
                names = list(variants)
                for r in range(rounds):
                    order = names[r % len(names) :] + names[: r % len(names)]
                    for name in order:
                        cpu = await _run(variants[name], requests, concurrency)
                        results[name].append(cpu / requests)
    return results


def main() -> None:
    """Parse flags, run, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()
    results = asyncio.run(bench(args.requests, args.rounds, args.concurrency))
    base = statistics.median(results["raw"])
    print(f"{'variant':<10} {'median us/req':>14} {'ratio vs raw':>13}  target")
    targets = {"raw": "", "requestor": "<= 1.15", "model": "<= 1.35"}
    for name, values in results.items():
        med = statistics.median(values)
        print(f"{name:<10} {med * 1e6:>14.1f} {med / base:>13.3f}  {targets[name]}")
    print(
        f"({args.rounds} interleaved rounds x {args.requests} GETs, concurrency {args.concurrency})"
    )


if __name__ == "__main__":
    main()
