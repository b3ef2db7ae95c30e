"""Peak memory of hostile inputs: a gzip bomb answer and a CSV line of millions of commas.

Each case runs in a fresh child process and prints its peak RSS (``ru_maxrss``), so the figures
do not mix. Run it against any checkout to compare (``PYTHONPATH=<checkout>``):

    python benchmarks/bench_bounds.py            # both cases
    python benchmarks/bench_bounds.py --case bomb

``bomb``: a loopback server answers one GET with a ~510 KiB gzip body that inflates to 512 MiB;
the client reads it with its default settings. ``commas``: ``read_batches`` reads a CSV whose one
data line is 30 MB of commas, with the default settings. Issue 12 item 8 and item 1.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import subprocess
import sys
import tempfile
import time
import zlib


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _gzip_of_spaces(mib: int) -> bytes:
    # Compressed piece by piece: the server's own memory stays out of the figure.
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)  # wbits 31: a gzip container
    block = b" " * (1024 * 1024)
    return b"".join([*(packer.compress(block) for _ in range(mib)), packer.flush()])


async def _bomb() -> str:
    from ccasync import Client, RateLimiter
    from ccasync.config import RetryPolicy

    body = _gzip_of_spaces(512)

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        head = (
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Encoding: gzip\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        )
        writer.write(head.encode() + body)
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with Client(
        access_token="t",
        base_url=f"http://127.0.0.1:{port}/v3",
        rate_limiter=RateLimiter.unlimited(),
        retry=RetryPolicy(max_attempts=1),
    ) as cc:
        try:
            await cc.account.get_summary()
            outcome = "read whole"
        except Exception as exc:  # the figure, not the type, is the point here
            outcome = f"{type(exc).__name__}: {str(exc)[:80]}"
    server.close()
    return f"gzip body {len(body) / 1024:.0f} KiB -> {outcome}"


async def _commas() -> str:
    from ccasync.ops.imports._source import read_batches

    with tempfile.NamedTemporaryFile("w", suffix=".csv", delete=False) as handle:
        handle.write("email,first_name\na@example.com,A\n" + "," * 30_000_000 + "\n")
        path = handle.name
    rows = 0
    try:
        async for batch in read_batches(path, {}):
            rows += len(batch)
        outcome = f"read {rows} rows"
    except Exception as exc:  # the figure, not the type, is the point here
        outcome = f"{type(exc).__name__} after {rows} rows: {str(exc)[:80]}"
    finally:
        os.unlink(path)
    return outcome


CASES = {"bomb": _bomb, "commas": _commas}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--case", choices=sorted(CASES))
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        started = time.perf_counter()
        outcome = asyncio.run(CASES[args.case]())
        took = time.perf_counter() - started
        print(f"{args.case}: peak RSS {_peak_mib():.0f} MiB, {took:.2f} s, {outcome}")
        return
    for case in [args.case] if args.case else sorted(CASES):
        command = [sys.executable, __file__, "--case", case, "--child"]
        subprocess.run(command, check=False, timeout=600)


if __name__ == "__main__":
    main()
