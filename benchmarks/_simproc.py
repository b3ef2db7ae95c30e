"""Run the simulator in a child process so that benchmarks measure only the client's CPU."""

from __future__ import annotations

import asyncio
import multiprocessing as mp
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


def _child(kwargs: dict[str, Any], conn: Any) -> None:
    from ccasync.sim import SimConfig, serve

    async def main() -> None:
        async with serve(SimConfig(**kwargs)) as sim:
            conn.send({"base_url": sim.base_url, "token": sim.token})
            stop = asyncio.Event()
            loop = asyncio.get_running_loop()
            loop.add_reader(conn.fileno(), stop.set)
            await stop.wait()

    asyncio.run(main())


@contextmanager
def simulator_process(**config: Any) -> Iterator[dict[str, str]]:
    """Start ``serve(SimConfig(**config))`` in a child process; yield its base_url and token."""
    ctx = mp.get_context("spawn")
    parent, child = ctx.Pipe()
    proc = ctx.Process(target=_child, args=(config, child), daemon=True)
    proc.start()
    try:
        if not parent.poll(30):
            raise RuntimeError("simulator process did not start within 30 s")
        yield parent.recv()
    finally:
        parent.send("stop")
        proc.join(10)
        if proc.is_alive():
            proc.kill()
