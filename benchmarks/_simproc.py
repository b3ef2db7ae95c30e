"""Run the simulator in a child process so that benchmarks measure only the client's CPU."""

from __future__ import annotations

import asyncio
import multiprocessing as mp
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


def _add_accounts(sim: Any, keys: int, per_key: int) -> list[dict[str, str]]:
    accounts = []
    for k in range(keys):
        key = f"key-{k}"
        sim.add_api_key(key)
        for n in range(per_key):
            handle = sim.add_account(key, name=f"{key}-acct-{n}")
            accounts.append({"name": f"{key}-{n}", "key": key, "token": handle.token})
    return accounts


def _child(kwargs: dict[str, Any], keys: int, per_key: int, conn: Any) -> None:
    from ccasync.sim import SimConfig, serve

    async def main() -> None:
        async with serve(SimConfig(**kwargs)) as sim:
            conn.send(
                {
                    "base_url": sim.base_url,
                    "token": sim.token,
                    "accounts": _add_accounts(sim, keys, per_key),
                }
            )
            stop = asyncio.Event()
            loop = asyncio.get_running_loop()
            loop.add_reader(conn.fileno(), stop.set)
            await stop.wait()

    asyncio.run(main())


@contextmanager
def simulator_process(
    *, keys: int = 0, per_key: int = 0, **config: Any
) -> Iterator[dict[str, Any]]:
    """Start ``serve(SimConfig(**config))`` in a child process.

    Yields its ``base_url``, the default account's ``token`` and ``accounts``: ``keys`` API keys
    with ``per_key`` accounts each (name, key, token), created before it answers.
    """
    ctx = mp.get_context("spawn")
    parent, child = ctx.Pipe()
    proc = ctx.Process(target=_child, args=(config, keys, per_key, child), daemon=True)
    proc.start()
    try:
        if not parent.poll(60):
            raise RuntimeError("simulator process did not start within 60 s")
        yield parent.recv()
    finally:
        parent.send("stop")
        proc.join(10)
        if proc.is_alive():
            proc.kill()
