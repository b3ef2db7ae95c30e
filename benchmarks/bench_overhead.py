"""Client CPU per request: ccasync against raw aiohttp, in interleaved rounds over loopback.

The simulator runs in a child process (limits off), so process CPU time measured here is the
client's alone. Each round runs every variant once, in rotating order, with the same number of
requests and the same concurrency; the ratio of medians is reported.

Variants:
  raw       aiohttp session.get + read + orjson.loads (the baseline)
  requestor ccasync end to end: limiter (unlimited), auth, retry loop, events, JSON decode
  model     ccasync cc.contacts.get(id): the same GET decoded into a typed Contact

Targets (issue 2): requestor <= 1.15x raw; model <= 1.35x raw.

``--full``: the contact carries every field and sub-resource (3 custom fields, 2 phones, 2
addresses, 3 list memberships, 2 tags, a note) and every variant GETs it with all of them
included: the simulator's full contact body (≈ 2.2 kB, 13 timestamps). Target (issue 15):
model <= 1.25x raw.

Run:  python benchmarks/bench_overhead.py [--requests 2000] [--rounds 7] [--concurrency 8]
                                          [--full]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

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


INCLUDE = (
    "custom_fields",
    "list_memberships",
    "phone_numbers",
    "street_addresses",
    "notes",
    "taggings",
)


async def _post(session: aiohttp.ClientSession, url: str, body: Any, headers: Any) -> Any:
    async with session.post(url, json=body, headers=headers) as resp:
        data = orjson.loads(await resp.read())
        if resp.status >= 300:
            raise RuntimeError(f"could not set up the benchmark: {url} {resp.status} {data}")
        return data


async def _full_fields(
    session: aiohttp.ClientSession, base: str, headers: dict[str, str]
) -> dict[str, Any]:
    """Every optional field and sub-resource of a contact (its lists, fields, tags created)."""

    async def ids(path: str, key: str, bodies: list[dict[str, str]]) -> list[str]:
        return [(await _post(session, base + path, b, headers))[key] for b in bodies]

    lists = await ids("/contact_lists", "list_id", [{"name": f"list {i}"} for i in range(3)])
    fields = await ids(
        "/contact_custom_fields",
        "custom_field_id",
        [{"label": f"field {i}", "type": "string"} for i in range(3)],
    )
    tags = await ids("/contact_tags", "tag_id", [{"name": f"tag {i}"} for i in range(2)])
    address = {"street": "12 Main Street, Suite 4", "city": "Boston", "state": "MA"}
    return {
        "job_title": "Director of Operations",
        "company_name": "Acme & Sons Trading Company",
        "birthday_month": 7,
        "birthday_day": 14,
        "anniversary": "2019-05-01",
        "custom_fields": [
            {"custom_field_id": f, "value": f"value {i}"} for i, f in enumerate(fields)
        ],
        "phone_numbers": [
            {"phone_number": "555-123-4567", "kind": "work"},
            {"phone_number": "555-765-4321", "kind": "mobile"},
        ],
        "street_addresses": [
            {"kind": "home", **address, "postal_code": "02110", "country": "United States"},
            {"kind": "work", **address, "postal_code": "73301", "country": "United States"},
        ],
        "list_memberships": lists,
        "taggings": tags,
        "notes": [
            {
                "note_id": "7f8ba6b2-1c8e-11ee-be56-0242ac120002",
                "created_at": "2026-01-01T00:00:00Z",
                "content": "Met at the fair",
            }
        ],
    }


async def _create_contact(
    session: aiohttp.ClientSession, base: str, headers: dict[str, str], full: bool
) -> str:
    body = {
        "email_address": {"address": "bench@example.com", "permission_to_send": "implicit"},
        "first_name": "Bench",
        "last_name": "Mark",
        "create_source": "Account",
    }
    if full:
        body |= await _full_fields(session, base, headers)
    return str((await _post(session, f"{base}/contacts", body, headers))["contact_id"])


async def bench(requests: int, rounds: int, concurrency: int, full: bool) -> dict[str, list[float]]:
    """Run the interleaved rounds; return CPU seconds per request for each variant."""
    with simulator_process(per_second=None, per_day=None) as sim:
        base, token = sim["base_url"], sim["token"]
        headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
        connector = aiohttp.TCPConnector(limit=32)
        async with aiohttp.ClientSession(connector=connector) as session:
            contact_id = await _create_contact(session, base, headers, full)
            include = INCLUDE if full else ()
            query = f"?include={','.join(include)}" if include else ""
            url = f"{base}/contacts/{contact_id}{query}"

            async def raw() -> object:
                async with session.get(url, headers=headers) as resp:
                    return orjson.loads(await resp.read())

            async with Client(
                access_token=token, base_url=base, rate_limiter=RateLimiter.unlimited()
            ) as cc:

                async def requestor() -> object:
                    path = f"/contacts/{contact_id}{query}"
                    return (await cc._requestor.request("GET", path)).data

                async def model() -> object:
                    return await cc.contacts.get(contact_id, include)

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
    parser.add_argument("--full", action="store_true", help="the full contact body (see above)")
    args = parser.parse_args()
    results = asyncio.run(bench(args.requests, args.rounds, args.concurrency, args.full))
    base = statistics.median(results["raw"])
    print(f"{'variant':<10} {'median us/req':>14} {'ratio vs raw':>13}  target")
    targets = {"raw": "", "requestor": "<= 1.15", "model": "<= 1.25" if args.full else "<= 1.35"}
    for name, values in results.items():
        med = statistics.median(values)
        print(f"{name:<10} {med * 1e6:>14.1f} {med / base:>13.3f}  {targets[name]}")
    print(
        f"({args.rounds} interleaved rounds x {args.requests} GETs, concurrency {args.concurrency})"
    )


if __name__ == "__main__":
    main()
