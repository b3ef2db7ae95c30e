"""Token refresh and list leases across real processes (issue 10, items 2, 3 and 5).

Scenarios, each against an in-process simulator (token endpoint at 1 request/second, rotating
refresh tokens) and real worker processes (this script re-run with ``--worker``):

- ``refresh``: 4 processes x 25 concurrent calls that all get a 401 (the stored access token is
  dead, its refresh token live), on one ``FileTokenStore`` and on one Redis token store, over
  ``--rounds`` rounds. Counted from the simulator's log: token-endpoint requests by status
  (400 = ``invalid_grant``), and the calls that failed or were told to re-authorize.
  Target: exactly 1 token request and 0 ``invalid_grant`` per round, for both stores.
- ``baseline``: the ``refresh`` scenario with the file store seen as a plain ``TokenStore``
  (no lease: single-flight inside each process only, the behaviour before issue 10).
- ``short-lease``: 2 processes, Redis store with a 50 ms lease, ``token_timeout`` 1 s (the lease
  is kept 2 s before the request leaves) and the first saver frozen 2.5 s between the answer and
  the save, so its lease expires and the other process takes over mid-refresh. A watcher reads
  the stored pair every 5 ms. Target: the stored version never goes back, the final pair is the
  one the endpoint issued, nobody is told to re-authorize.
- ``listpool``: 4 processes x 50 one-person batches (5 at a time each, a 20-list pool), with the
  default file leases and with Redis leases; the simulator clock runs 20x. Checked in the
  simulator's send records: every campaign was delivered to its own batch's customer only.

Needs ``redis-server`` on PATH (or ``--redis-url``). Run from the repository root::

    PYTHONPATH=$PWD python benchmarks/bench_distributed_auth.py --rounds 5
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import orjson

from ccasync import Client, ListPoolExhaustedError, RateLimiter
from ccasync.auth import (
    FileTokenStore,
    OAuth2Refresher,
    OAuth2Token,
    SharedTokenStore,
)
from ccasync.auth._token import token_from_response
from ccasync.ops import CampaignTemplate, FileListLeases, ListPool, send_to_audience
from ccasync.redis import RedisCoordinator
from ccasync.sim import SimConfig, serve

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
# The refresh workers of the tests and of this benchmark share one stalling store and one way
# to classify a call's outcome.
shared_worker = importlib.import_module("tests.auth.refresh_worker")
redis_server = importlib.import_module("tests.redis_server").redis_at
StallingStore = shared_worker.StallingStore
TOKEN_PATH = "/oauth2/default/v1/token"
DEAD = "revoked-access-token"
TEMPLATE = CampaignTemplate(
    name="Welcome $batch",
    subject="Your account",
    from_name="Acme",
    from_email="owner@example.com",
    html_content="<html><body>[[trackingImage]]<p>Hello [[first_name]]</p></body></html>",
)


# ---------------------------------------------------------------- worker side (child processes)


class PlainStore:
    """A shared store seen as a plain TokenStore (no lease): the before-picture baseline."""

    def __init__(self, inner: SharedTokenStore) -> None:
        self.inner = inner

    async def load(self) -> OAuth2Token | None:
        return await self.inner.load()

    async def save(self, token: OAuth2Token) -> None:
        await self.inner.save(token)


async def _release_gate() -> None:
    print("ready", flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)


async def refresh_worker(spec: dict[str, Any]) -> dict[str, Any]:
    """``calls`` concurrent GETs through one refresher on the shared store."""
    coord = None
    if "file" in spec:
        store: SharedTokenStore = FileTokenStore(spec["file"])
    else:
        coord = RedisCoordinator.from_url(spec["redis"], namespace=spec["namespace"])
        store = coord.token_store("acct", lease_ttl=spec.get("lease_ttl", 60.0))
    if spec.get("stall"):
        store = StallingStore(store, spec["stall"])
    refresher = OAuth2Refresher(
        spec["client_id"],
        store=PlainStore(store) if spec.get("no_lease") else store,
        token_url=spec["token_url"],
        token_timeout=spec.get("token_timeout", 30.0),
    )

    try:
        async with Client(
            token_provider=refresher,
            base_url=spec["base_url"],
            rate_limiter=RateLimiter.unlimited(),
        ) as cc:
            await _release_gate()
            outcomes = await asyncio.gather(
                *(shared_worker.call_outcome(cc) for _ in range(spec["calls"]))
            )
    finally:
        if coord is not None:
            await coord.aclose()
    return {"outcomes": outcomes, "refreshes": refresher.refreshes}


async def _fast_sleep(seconds: float) -> None:
    await asyncio.sleep(min(seconds, 0.05))  # the simulator runs 20x: poll it often


async def audience_worker(spec: dict[str, Any]) -> dict[str, Any]:
    """``batches`` one-person batches, ``concurrency`` at a time, through one pool."""
    coord = None
    if "redis" in spec:
        coord = RedisCoordinator.from_url(spec["redis"], namespace=spec["namespace"])
        pool = coord.list_pool("welcome", spec["size"])
    else:
        pool = ListPool("welcome", spec["size"], leases=FileListLeases(spec["dir"]))
    gate = asyncio.Semaphore(spec["concurrency"])
    busy = 0

    async def batch(cc: Client, n: int) -> str:
        nonlocal busy
        name = f"{spec['worker']}-{n}"
        rows = [{"email": f"{name}@example.net", "first_name": name}]
        async with gate:
            for _ in range(2000):  # bounded: 2000 x 50 ms of a busy pool at most
                try:
                    result = await send_to_audience(
                        cc, rows, TEMPLATE, batch_id=name, pool=pool,
                        poll_interval=0.05, sleep=_fast_sleep, timeout=300,
                    )  # fmt: skip
                except ListPoolExhaustedError:
                    busy += 1
                    await asyncio.sleep(0.05)
                    continue
                except Exception as exc:
                    return type(exc).__name__
                return f"sent:{result.sent}"
        return "ListPoolExhaustedError"

    try:
        async with Client(
            access_token=spec["token"], base_url=spec["base_url"],
            rate_limiter=RateLimiter.unlimited(), sleep=_fast_sleep,
        ) as cc:  # fmt: skip
            await _release_gate()
            outcomes = await asyncio.gather(*(batch(cc, n) for n in range(spec["batches"])))
    finally:
        if coord is not None:
            await coord.aclose()
    return {"outcomes": outcomes, "busy": busy}


# ---------------------------------------------------------------- parent side


async def run_workers(kind: str, specs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Start one worker per spec, release them together, collect their JSON lines (bounded)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    procs = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            __file__,
            "--worker",
            kind,
            orjson.dumps(spec).decode(),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            env=env,
        )
        for spec in specs
    ]
    try:
        async with asyncio.timeout(600):
            for proc in procs:
                assert proc.stdout is not None
                line = await proc.stdout.readline()
                assert line.strip() == b"ready", line
            for proc in procs:
                assert proc.stdin is not None
                proc.stdin.write(b"go\n")
                await proc.stdin.drain()
            outs = [(await p.communicate())[0] for p in procs]
    finally:
        for proc in procs:
            if proc.returncode is None:
                proc.kill()
                await proc.wait()
    return [orjson.loads(out.strip().splitlines()[-1]) for out in outs]


def dead_access_pair(sim: Any) -> OAuth2Token:
    """A live refresh token with an access token the API answers 401 to (looks fresh)."""
    issued = token_from_response(sim.issue_tokens(sim.account_id), now=sim.clock.timestamp())
    return OAuth2Token(
        access_token=DEAD,
        refresh_token=issued.refresh_token,
        expires_at=issued.expires_at,
        scope=issued.scope,
    )


def token_statuses(sim: Any) -> dict[int, int]:
    """Token-endpoint requests the simulator answered, by status."""
    counts: dict[int, int] = {}
    for entry in sim.log.filter(method="POST", path=TOKEN_PATH):
        counts[entry.status] = counts.get(entry.status, 0) + 1
    return counts


def tally(results: list[dict[str, Any]]) -> dict[str, int]:
    """Outcomes over every worker."""
    counts: dict[str, int] = {}
    for result in results:
        for outcome in result["outcomes"]:
            counts[outcome] = counts.get(outcome, 0) + 1
    return counts


def worker_base(sim: Any) -> dict[str, Any]:
    """What every refresh worker needs to reach the simulator."""
    return {
        "client_id": sim.client_id,
        "token_url": f"{sim.oauth_base}/token",
        "base_url": sim.base_url,
    }


async def refresh_round(
    store_kind: str, redis_url: str, workdir: Path, *, no_lease: bool = False
) -> dict[str, Any]:
    """One round of 4 x 25 concurrent 401s on a fresh simulator and a fresh store.

    ``no_lease``: the refreshers see the store as a plain TokenStore (the behaviour before
    issue 10: single-flight inside each process only).
    """
    async with serve(SimConfig(per_second=None, per_day=None)) as sim:
        pair = dead_access_pair(sim)
        if store_kind == "file":
            path = workdir / f"token-{uuid.uuid4().hex[:8]}.json"
            await FileTokenStore(path).save(pair)
            where: dict[str, Any] = {"file": str(path)}
        else:
            namespace = f"bench{uuid.uuid4().hex[:8]}"
            async with RedisCoordinator.from_url(redis_url, namespace=namespace) as coord:
                await coord.token_store("acct").save(pair)
            where = {"redis": redis_url, "namespace": namespace}
        started = time.perf_counter()
        results = await run_workers(
            "refresh",
            [{**where, **worker_base(sim), "calls": 25, "no_lease": no_lease} for _ in range(4)],
        )
        return {
            "wall": time.perf_counter() - started,
            "token": token_statuses(sim),
            "outcomes": tally(results),
            "refreshes": sum(r["refreshes"] for r in results),
        }


async def short_lease(redis_url: str) -> dict[str, Any]:
    """The too-short lease with a frozen holder; a watcher checks the store never goes back."""
    async with serve(SimConfig(per_second=None, per_day=None, token_per_second=None)) as sim:
        namespace = f"bench{uuid.uuid4().hex[:8]}"
        async with RedisCoordinator.from_url(redis_url, namespace=namespace) as coord:
            store = coord.token_store("acct")
            await store.save(dead_access_pair(sim))
            seen: list[tuple[int, str]] = []
            stop = asyncio.Event()

            async def watch() -> None:
                while not stop.is_set():
                    token, version = await store.read_versioned()
                    if not seen or seen[-1][0] != version:
                        seen.append((version, token.access_token if token else ""))
                    await asyncio.sleep(0.005)

            watcher = asyncio.create_task(watch())
            spec = {
                "redis": redis_url, "namespace": namespace, "lease_ttl": 0.05,
                "token_timeout": 1.0, "stall": 2.5, "calls": 5, **worker_base(sim),
            }  # fmt: skip
            results = await run_workers("refresh", [spec, spec])
            stop.set()
            await watcher
            final = await store.load()
        versions = [v for v, _ in seen]
        accesses = [a for _, a in seen]
        return {
            "token": token_statuses(sim),
            "outcomes": tally(results),
            "versions": versions,
            "monotonic": versions == sorted(versions) and len(set(accesses)) == len(accesses),
            "final_is_issued": final is not None and final.access_token not in ("", DEAD),
        }


async def listpool(leases: str, redis_url: str, workdir: Path, batches: int) -> dict[str, Any]:
    """4 processes x ``batches`` one-person batches through one pool; deliveries checked."""
    config = SimConfig(per_second=None, per_day=None, time_scale=20)
    async with serve(config) as sim:
        if leases == "file":
            where: dict[str, Any] = {"dir": str(workdir / f"leases-{uuid.uuid4().hex[:8]}")}
        else:
            where = {"redis": redis_url, "namespace": f"bench{uuid.uuid4().hex[:8]}"}
        specs = [
            {
                **where,
                "worker": f"p{w}",
                "token": sim.token,
                "base_url": sim.base_url,
                "size": 20,
                "batches": batches,
                "concurrency": 5,
            }
            for w in range(4)
        ]
        started = time.perf_counter()
        results = await run_workers("audience", specs)
        wall = time.perf_counter() - started
        campaigns = list(sim.state.default_account.campaigns.campaigns.values())
        wrong = 0
        for campaign in campaigns:
            own = {f"{campaign.name.removeprefix('Welcome ')}@example.net"}
            if {d.email for d in campaign.primary.tracking.deliveries.values()} != own:
                wrong += 1
        return {
            "wall": wall,
            "campaigns": len(campaigns),
            "wrong_recipients": wrong,
            "outcomes": tally(results),
            "pool_busy_retries": sum(r["busy"] for r in results),
        }


async def main(args: argparse.Namespace) -> None:
    """Run the scenarios and print one line per run."""
    with redis_server(args.redis_url) as url, tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        if "baseline" in args.scenarios:
            for n in range(args.rounds):
                result = await refresh_round("file", url, workdir, no_lease=True)
                print(f"baseline (file, no lease) round {n + 1}:", result)
        if "refresh" in args.scenarios:
            for kind in ("file", "redis"):
                for n in range(args.rounds):
                    print(f"refresh {kind} round {n + 1}:", await refresh_round(kind, url, workdir))
        if "short-lease" in args.scenarios:
            for n in range(args.rounds):
                print(f"short-lease round {n + 1}:", await short_lease(url))
        if "listpool" in args.scenarios:
            for kind in ("file", "redis"):
                print(f"listpool {kind}:", await listpool(kind, url, workdir, args.batches))


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        worker = {"refresh": refresh_worker, "audience": audience_worker}[sys.argv[2]]
        print(orjson.dumps(asyncio.run(worker(orjson.loads(sys.argv[3])))).decode(), flush=True)
        sys.exit(0)
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--batches", type=int, default=50, help="one-person batches per process")
    parser.add_argument("--redis-url", default=None)
    parser.add_argument(
        "--scenarios", nargs="+", default=["refresh", "short-lease", "listpool"],
        choices=["baseline", "refresh", "short-lease", "listpool"],
    )  # fmt: skip
    asyncio.run(main(parser.parse_args()))
