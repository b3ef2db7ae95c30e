"""Simulator speed: simple requests per second (limits off) and 40,000-contact import time.

Run: ``python benchmarks/bench_sim.py [--requests 6000] [--concurrency 32]``.
The server runs in a child process (``python -m ccasync.sim``) so that it has a core of its own,
as in a real benchmark of the client; ``--in-process`` runs it in this process instead.
Every loop is bounded in count and in time.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import os
import socket
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import orjson

from ccasync.sim import SimConfig, serve

TOKEN = "bench-token"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _cpu_seconds(pid: int) -> float | None:
    """User + system CPU seconds used so far by process ``pid`` (None where /proc is missing)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@contextlib.asynccontextmanager
async def _server(in_process: bool) -> AsyncIterator[tuple[str, int | None]]:
    """(base URL, server pid or None when in process)."""
    if in_process:
        async with serve(SimConfig(per_second=None, per_day=None, access_token=TOKEN)) as sim:
            yield sim.base_url, None
        return
    port = _free_port()
    args = [
        sys.executable,
        "-m",
        "ccasync.sim",
        "--port",
        str(port),
        "--access-token",
        TOKEN,
        "--per-second",
        "0",
        "--per-day",
        "0",
    ]
    proc = await asyncio.create_subprocess_exec(*args, stdout=asyncio.subprocess.PIPE)
    try:
        assert proc.stdout is not None
        await asyncio.wait_for(proc.stdout.readline(), 30)  # the banner: the server is up
        yield f"http://127.0.0.1:{port}/v3", proc.pid
    finally:
        proc.terminate()
        await asyncio.wait_for(proc.wait(), 10)


async def _requests_per_second(base: str, total: int, concurrency: int) -> float:
    headers = {"Authorization": f"Bearer {TOKEN}"}
    connector = aiohttp.TCPConnector(limit=concurrency)
    remaining = total
    async with aiohttp.ClientSession(connector=connector, headers=headers) as session:

        async def one() -> None:
            async with session.get(f"{base}/contacts/counts") as resp:
                assert resp.status == 200
                await resp.read()

        async def worker() -> None:
            nonlocal remaining
            while remaining > 0:
                remaining -= 1
                await one()

        async with asyncio.timeout(120):
            await asyncio.gather(*(one() for _ in range(concurrency)))  # warm the connection pool
            started = time.perf_counter()
            await asyncio.gather(*(worker() for _ in range(concurrency)))
            elapsed = time.perf_counter() - started
    return total / elapsed


async def _import_seconds(base: str, rows: int) -> tuple[float, float]:
    """(seconds until the 201, seconds until 'completed') for one JSON import of ``rows``."""
    headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
    async with aiohttp.ClientSession(headers=headers) as session:
        async with session.post(
            f"{base}/contact_lists", data=orjson.dumps({"name": "bench"})
        ) as resp:
            list_id = (await resp.json())["list_id"]
        body = orjson.dumps(
            {
                "import_data": [
                    {"email": f"c{i}@example.org", "first_name": "C"} for i in range(rows)
                ],
                "list_ids": [list_id],
            }
        )
        started = time.perf_counter()
        async with session.post(
            f"{base}/activities/contacts_json_import", data=io.BytesIO(body)
        ) as resp:
            activity = await resp.json()
        accepted = time.perf_counter() - started
        async with asyncio.timeout(60):
            while True:
                async with session.get(f"{base}/activities/{activity['activity_id']}") as resp:
                    state = (await resp.json())["state"]
                if state == "completed":
                    return accepted, time.perf_counter() - started
                await asyncio.sleep(0.02)


async def main() -> None:
    """Run both measurements and print them."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=6000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--rows", type=int, default=40_000)
    parser.add_argument("--in-process", action="store_true")
    args = parser.parse_args()
    async with _server(args.in_process) as (base, pid):
        cpu_before = _cpu_seconds(pid) if pid else None
        rate = await _requests_per_second(base, args.requests, args.concurrency)
        cpu_after = _cpu_seconds(pid) if pid else None
        accepted, completed = await _import_seconds(base, args.rows)
    where = (
        "in-process (client and server share the core)" if args.in_process else "separate process"
    )
    print(
        f"server {where}: {rate:,.0f} simple requests/s of wall time "
        f"({args.requests} x GET /v3/contacts/counts, {args.concurrency} concurrent)"
    )
    if cpu_before is not None and cpu_after is not None and cpu_after > cpu_before:
        per_cpu = args.requests / (cpu_after - cpu_before)
        print(
            f"server CPU: {cpu_after - cpu_before:.2f} s -> {per_cpu:,.0f} requests per CPU-second"
        )
    print(
        f"{args.rows:,}-contact JSON import: 201 after {accepted:.2f} s, "
        f"completed after {completed:.2f} s"
    )


if __name__ == "__main__":
    asyncio.run(main())
