"""Benchmarks of ccasync.ops.import_contacts (run by hand; results go to benchmarks/RESULTS.md).

Commands (each prints one JSON line)::

    python benchmarks/bench_import.py gen 1000000 /tmp/contacts-1m.csv
    python benchmarks/bench_import.py encode /tmp/contacts-1m.csv [--repeat 5]
    python benchmarks/bench_import.py encoder /tmp/contacts-100k.csv
    python benchmarks/bench_import.py import /tmp/contacts-1m.csv \
        --base-url http://127.0.0.1:PORT/v3 --token T [--per-second 4]

``encode`` times the whole local pipeline: CSV → validated rows → finished payloads (no
network), through import_contacts' own per-row loop; ``--repeat N`` runs it N times, each in a
fresh child process (so each peak RSS is its own), and reports the best and the median of
wall-clock rows/s, and the median of rows per CPU second of the process (the machine is shared:
single runs vary by ±30%, and under load only the CPU figure compares). ``encoder`` times the
payload encoder alone on rows already read and validated.
``import`` runs the whole import against a simulator started in ANOTHER process (so the peak
RSS is the client's only):

    python -m ccasync.sim --port PORT --access-token T [limits off / on, see its --help]
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import time
from typing import Any

from ccasync.ops._common import RowIssue
from ccasync.ops.imports._encoder import Chunk, PayloadBuilder
from ccasync.ops.imports._pipeline import DEFAULT_MAX_PAYLOAD_BYTES, _pipeline, import_contacts
from ccasync.ops.imports._result import ImportResult
from ccasync.ops.imports._row_checks import RowChecker, row_key
from ccasync.ops.imports._source import open_source, read_batches

COLUMNS = [
    "email",
    "first_name",
    "last_name",
    "job_title",
    "company_name",
    "phone",
    "street",
    "city",
    "state",
    "zip",
    "country",
    "cf:plan",
]
FIRST = ["Ann", "Bob", "Chloé", "Dmitri", "Eve", "Farah", "Giulia", "Hiro", "Ines", "José"]
LAST = ["Smith", "Johnson", "Nguyen", "García", "Müller", "Rossi", "Kowalski", "Tanaka"]
STREETS = ["Main", "Oak", "Maple"]
DOMAINS = ["gmail.com", "yahoo.com", "outlook.com", "example.org", "acme-corp.com", "mail.de"]


def peak_rss_mib() -> float:
    """Peak resident set size of this process in MiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def cpu_seconds(pid: int | None) -> float | None:
    """User + system CPU seconds used so far by process ``pid`` (Linux /proc), None if unknown."""
    if pid is None:
        return None
    with open(f"/proc/{pid}/stat", encoding="ascii") as handle:
        fields = handle.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def generate(count: int, path: str) -> dict[str, Any]:
    """Write a realistic CSV of ``count`` unique contacts (about 350 JSON bytes each)."""
    rng = random.Random(7)
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS)
        for i in range(count):
            first, last = rng.choice(FIRST), rng.choice(LAST)
            writer.writerow(
                [
                    f"{first.lower()}.{last.lower()}.{i}@{rng.choice(DOMAINS)}",
                    first,
                    last,
                    rng.choice(["Engineer", "Sales Manager", "Director of Operations", ""]),
                    f"{last} & Sons Trading Company {i % 997}",
                    f"555-{rng.randrange(1000):03d}-{rng.randrange(10000):04d}",
                    f"{rng.randrange(1, 9999)} {rng.choice(STREETS)} Street, Suite {i % 500}",
                    rng.choice(["Boston", "Springfield", "San Francisco", "Austin"]),
                    rng.choice(["MA", "IL", "CA", "TX"]),
                    f"{rng.randrange(100000):05d}",
                    "United States",
                    rng.choice(["free", "pro", "enterprise"]),
                ]
            )
    return {"bench": "gen", "rows": count, "path": path}


class LocalRun:
    """Stands in for import_contacts' submitter: closed payloads are counted, never sent."""

    def __init__(self) -> None:
        self.result = ImportResult()
        self.payloads = 0
        self.biggest = 0

    def reject(self, issue: RowIssue) -> None:
        """Count a row rejected locally, as the real run does."""
        self.result.rejected += 1
        self.result.rejected_rows.append(issue)

    def unsent(self, row: int, key: str) -> None:
        """Never called: nothing is sent, so nothing can stop the run."""
        raise AssertionError(f"row {row} ({key}) unsent")

    def report(self) -> None:
        """No progress callback in the benchmark."""

    async def flush(self) -> None:
        """Nothing is being sent."""

    async def send(self, chunk: Chunk) -> None:
        """Count the closed payload instead of sending it."""
        self.payloads += 1
        self.biggest = max(self.biggest, chunk.size)


async def encode(path: str) -> dict[str, Any]:
    """CSV → validated rows → closed payloads, no network: rows per second and payload stats.

    Runs import_contacts' own per-row loop (``_pipeline``: read, validate, key, offer, cut)
    with the submission replaced by a counter, so the figure is the production code path.
    """
    run = LocalRun()
    builder = PayloadBuilder(
        ["00000000-0000-0000-0000-000000000001"],
        max_bytes=DEFAULT_MAX_PAYLOAD_BYTES,
        max_rows=40_000,
        merge_duplicates=True,
    )
    checker = RowChecker({"plan": "plan"})
    started, cpu = time.perf_counter(), time.process_time()
    source = open_source(path, encoding=None, columns=None)
    try:
        await _pipeline(run, source, {}, checker, None, builder)  # type: ignore[arg-type]
    finally:
        source.close()
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    rows = run.result.rows_read
    return {
        "bench": "encode",
        "rows": rows,
        "rejected": run.result.rejected,
        "payloads": run.payloads,
        "largest_payload_bytes": run.biggest,
        "seconds": round(seconds, 2),
        "rows_per_second": round(rows / seconds),
        "rows_per_cpu_second": round(rows / cpu),
        "peak_rss_mib": round(peak_rss_mib(), 1),
    }


def encode_best(path: str, repeat: int) -> dict[str, Any]:
    """:func:`encode` ``repeat`` times: the fastest run, the median, every run's rows/s and RSS.

    Each run is in a fresh child process, so each peak RSS is that run's own.
    """
    runs = [_encode_in_child(path) for _ in range(max(1, repeat))]
    best = max(runs, key=lambda run: run["rows_per_second"])
    return {
        **best,
        "median_rows_per_second": round(statistics.median(r["rows_per_second"] for r in runs)),
        "median_rows_per_cpu_second": round(
            statistics.median(r["rows_per_cpu_second"] for r in runs)
        ),
        "runs": [run["rows_per_second"] for run in runs],
        "peak_rss_runs_mib": [run["peak_rss_mib"] for run in runs],
    }


def _encode_in_child(path: str) -> dict[str, Any]:
    argv = [sys.executable, __file__, "encode", path, "--repeat", "0"]
    out = subprocess.run(argv, check=True, capture_output=True, text=True).stdout
    return dict(json.loads(out))


async def encoder_only(path: str) -> dict[str, Any]:
    """The payload encoder alone: rows read and validated first, then only encoding is timed."""
    checker = RowChecker({"plan": "plan"})
    rows = []
    async for batch in read_batches(path, {}):
        for row, record in batch:
            clean = checker.check(row, record)
            if isinstance(clean, dict):
                rows.append((row, clean, row_key(clean)))
    builder = PayloadBuilder(
        ["00000000-0000-0000-0000-000000000001"],
        max_bytes=DEFAULT_MAX_PAYLOAD_BYTES,
        max_rows=40_000,
        merge_duplicates=True,
    )
    payloads = 0
    started = time.perf_counter()
    for row, clean, key in rows:
        closed, _ = builder.add(row, clean, key)
        payloads += len(closed)
    payloads += builder.close() is not None
    seconds = time.perf_counter() - started
    return {
        "bench": "encoder",
        "rows": len(rows),
        "payloads": payloads,
        "seconds": round(seconds, 3),
        "rows_per_second": round(len(rows) / seconds),
    }


async def run_import(
    path: str, base_url: str, token: str, per_second: float | None, sim_pid: int | None
) -> dict[str, Any]:
    """The whole import into a simulator in another process; calls, payloads, time, peak RSS."""
    from ccasync import Client, RateLimiter

    limiter = RateLimiter(per_second=per_second) if per_second else RateLimiter.unlimited()
    async with Client(access_token=token, base_url=base_url, rate_limiter=limiter) as cc:
        names = {f.name async for f in cc.custom_fields.iter_all()}
        if "plan" not in names:
            await cc.custom_fields.create("plan")
        target = await cc.lists.create(f"bench {time.time_ns()}")
        calls_before = cc.calls
        sim_cpu = cpu_seconds(sim_pid)
        started = time.perf_counter()
        result = await import_contacts(cc, path, list_ids=[target.list_id])
        seconds = time.perf_counter() - started
        if sim_cpu is not None:
            sim_cpu = cpu_seconds(sim_pid) - sim_cpu  # type: ignore[operator]
        processing = 0.0
        for activity_id in result.activity_ids:
            done = await cc.activities.get(activity_id)
            if done.started_at and done.completed_at:
                processing += (done.completed_at - done.started_at).total_seconds()
    polls = sum(c.polls for c in result.chunks)
    return {
        "bench": "import",
        "rows": result.rows_read,
        "imported": result.imported,
        "rejected": result.rejected,
        "failed": result.failed,
        "payloads": result.payloads,
        "calls": result.calls,
        "calls_per_million_rows": round(result.calls * 1_000_000 / max(1, result.rows_read), 1),
        "polls": polls,
        "calls_budget": 3 * result.payloads,
        "calls_check": cc.calls - calls_before,
        "seconds": round(seconds, 2),
        "sim_processing_s": round(processing, 2),
        "sim_cpu_s": None if sim_cpu is None else round(sim_cpu, 2),
        "client_cpu_s": round(time.process_time(), 2),
        "calls_div_rate_s": round(result.calls / per_second, 2) if per_second else None,
        "peak_rss_mib": round(peak_rss_mib(), 1),
    }


def main(argv: list[str]) -> None:
    """Parse the command line and print the benchmark's JSON line."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", required=True)
    gen = sub.add_parser("gen")
    gen.add_argument("count", type=int)
    gen.add_argument("path")
    enc = sub.add_parser("encode")
    enc.add_argument("path")
    enc.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="runs, each in a child process; best and median reported (0: one, in-process)",
    )
    only = sub.add_parser("encoder")
    only.add_argument("path")
    imp = sub.add_parser("import")
    imp.add_argument("path")
    imp.add_argument("--base-url", required=True)
    imp.add_argument("--token", required=True)
    imp.add_argument("--per-second", type=float, default=None)
    imp.add_argument("--sim-pid", type=int, default=None, help="to measure the simulator's CPU")
    args = parser.parse_args(argv)
    if args.command == "gen":
        out = generate(args.count, args.path)
    elif args.command == "encode" and args.repeat == 0:  # one run, in this process
        out = asyncio.run(encode(args.path))
    elif args.command == "encode":
        out = encode_best(args.path, args.repeat)
    elif args.command == "encoder":
        out = asyncio.run(encoder_only(args.path))
    else:
        out = asyncio.run(
            run_import(args.path, args.base_url, args.token, args.per_second, args.sim_pid)
        )
    print(json.dumps(out))


if __name__ == "__main__":
    main(sys.argv[1:])
