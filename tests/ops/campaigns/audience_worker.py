"""A worker process for the cross-process ListPool tests: one-person batches through one pool.

``python -m tests.ops.campaigns.audience_worker SPEC_JSON`` prints ``ready``, waits for a line
on stdin, then sends ``batches`` one-person batches (``concurrency`` at a time) through a
:class:`ListPool` whose leases are a shared directory (``{"dir": path}``) or Redis
(``{"redis": url, "namespace": ns}``), and prints one JSON line: ``sent`` (recipients per
batch), ``errors`` (exception type names) and ``exhausted`` (acquire retries: pool busy).
Batch ``<worker>-<n>`` goes to ``<worker>-<n>@example.net``.
"""

from __future__ import annotations

import asyncio
import sys
from typing import Any

import orjson

from ccasync import Client, ListPoolExhaustedError, RateLimiter
from ccasync.ops import CampaignTemplate, FileListLeases, ListPool, send_to_audience

TEMPLATE = CampaignTemplate(
    name="Welcome $batch",
    subject="Your account",
    from_name="Acme",
    from_email="owner@example.com",
    html_content="<html><body>[[trackingImage]]<p>Hello [[first_name]]</p></body></html>",
)
_EXHAUSTED_RETRIES = 400  # bounded: 400 x 50 ms = 20 s of a busy pool per batch at most


async def _fast_sleep(seconds: float) -> None:
    # The simulator runs fast (time_scale): poll it often instead of the production pauses.
    await asyncio.sleep(min(seconds, 0.05))


async def _batch(cc: Client, pool: ListPool, name: str, counts: dict[str, int]) -> str | int:
    rows = [{"email": f"{name}@example.net", "first_name": name}]
    for _ in range(_EXHAUSTED_RETRIES):
        try:
            result = await send_to_audience(
                cc, rows, TEMPLATE, batch_id=name, pool=pool, poll_interval=0.05,
                sleep=_fast_sleep, timeout=120,
            )  # fmt: skip
        except ListPoolExhaustedError:
            counts["exhausted"] += 1
            await asyncio.sleep(0.05)
            continue
        except Exception as exc:
            return type(exc).__name__
        return result.sent
    return "ListPoolExhaustedError"


async def main(spec: dict[str, Any]) -> dict[str, Any]:
    """Run the worker described by ``spec``."""
    coord = None
    if "redis" in spec:
        from ccasync.redis import RedisCoordinator

        coord = RedisCoordinator.from_url(spec["redis"], namespace=spec["namespace"])
        pool = coord.list_pool(spec["prefix"], spec["size"])
    else:
        pool = ListPool(spec["prefix"], spec["size"], leases=FileListLeases(spec["dir"]))
    counts = {"exhausted": 0}
    gate = asyncio.Semaphore(spec["concurrency"])

    async def one(n: int) -> str | int:
        async with gate:
            return await _batch(cc, pool, f"{spec['worker']}-{n}", counts)

    try:
        async with Client(
            access_token=spec["token"], base_url=spec["base_url"],
            rate_limiter=RateLimiter.unlimited(), sleep=_fast_sleep,
        ) as cc:  # fmt: skip
            print("ready", flush=True)
            await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
            outcomes = await asyncio.gather(*(one(n) for n in range(spec["batches"])))
            # Give back the lists still being emptied and the spare, as a finished sender should.
            await pool.drain(cc, timeout=60, sleep=_fast_sleep)
    finally:
        if coord is not None:
            await coord.aclose()
    return {
        "sent": [o for o in outcomes if isinstance(o, int)],
        "errors": sorted(o for o in outcomes if isinstance(o, str)),
        "exhausted": counts["exhausted"],
    }


if __name__ == "__main__":
    result = asyncio.run(main(orjson.loads(sys.argv[1])))
    print(orjson.dumps(result).decode(), flush=True)
