"""Run real worker processes together: start N, wait until each says ``ready``, release all.

Workers are ``python -m <module> <spec-json>`` processes that print ``ready``, wait for one line
on stdin, do their work and print one JSON line. Everything is bounded by ``deadline`` seconds;
a worker still running then is killed and the call fails.
"""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import orjson

ROOT = Path(__file__).resolve().parent.parent


async def _ready(proc: asyncio.subprocess.Process) -> None:
    assert proc.stdout is not None
    line = await proc.stdout.readline()
    if line.strip() != b"ready":
        rest = await proc.stdout.read()
        raise RuntimeError(f"worker did not get ready: {line!r} {rest[-2000:]!r}")


async def _finish(proc: asyncio.subprocess.Process) -> dict[str, Any]:
    out, _ = await proc.communicate()
    if proc.returncode != 0:
        raise RuntimeError(f"worker exited with {proc.returncode}: {out[-2000:]!r}")
    result: dict[str, Any] = orjson.loads(out.strip().splitlines()[-1])
    return result


async def run_workers(
    module: str, specs: Sequence[dict[str, Any]], *, deadline: float = 60.0
) -> list[dict[str, Any]]:
    """Run one ``module`` worker per spec, release them together, return their JSON results.

    ``deadline``: seconds for the whole run, after which every worker is killed.
    """
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    procs = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            module,
            orjson.dumps(spec).decode(),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            cwd=ROOT,
            env=env,
        )
        for spec in specs
    ]
    try:
        async with asyncio.timeout(deadline):
            await asyncio.gather(*(_ready(p) for p in procs))
            for proc in procs:
                assert proc.stdin is not None
                proc.stdin.write(b"go\n")
                await proc.stdin.drain()
            return list(await asyncio.gather(*(_finish(p) for p in procs)))
    finally:
        for proc in procs:
            if proc.returncode is None:
                proc.kill()
                await proc.wait()
