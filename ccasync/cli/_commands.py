"""The ``ccasync`` command: ``demo`` (the main job on the embedded simulator) and ``import``.

Thin on purpose: parse arguments, build a Client, call an operation, print. Environment
variables are read here only: ``CCASYNC_ACCESS_TOKEN`` (the bearer token for ``import``) and
``CCASYNC_BASE_URL`` (default: the real API).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Sequence

from rich.console import Console

from ccasync.client import Client
from ccasync.config import DEFAULT_BASE_URL
from ccasync.errors import CCAsyncError

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ccasync", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    demo = commands.add_parser("demo", help="run the weekly multi-location job on the simulator")
    demo.add_argument("--locations", type=int, default=20, help="number of locations (20)")
    demo.add_argument("--contacts", type=int, default=200_000, help="contacts to import (200000)")
    demo.add_argument(
        "--rate", type=float, default=20.0, help="requests/s per key, simulator and client (20)"
    )
    imp = commands.add_parser("import", help="import a CSV of contacts into a list")
    imp.add_argument("csv", help="CSV file: header of import keys (email, first_name, cf:...)")
    target = imp.add_mutually_exclusive_group(required=True)
    target.add_argument("--list-id", help="id of the list to add the contacts to")
    target.add_argument("--list", dest="list_name", help="name of the list (created if missing)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the process exit status (0 ok, 1 failures, 2 usage)."""
    args = _parser().parse_args(argv)
    console = Console()
    try:
        if args.command == "demo":
            return asyncio.run(_demo(args, console))
        return asyncio.run(_import(args, console))
    except CCAsyncError as exc:
        console.print(f"[red]error:[/red] {exc}")
        return 1
    except KeyboardInterrupt:
        return 130


async def _demo(args: argparse.Namespace, console: Console) -> int:
    from ccasync.cli._demo import DemoConfig, run_demo
    from ccasync.sim import SimConfig, serve

    if args.locations < 1 or args.contacts < 1 or args.rate <= 0:
        console.print("[red]error:[/red] --locations, --contacts and --rate must be positive")
        return 2
    config = DemoConfig(locations=args.locations, contacts=args.contacts, per_second=args.rate)
    sim_config = SimConfig(
        per_second=config.per_second,
        per_day=config.per_day,
        rate_rule="sliding",
        time_scale=1.0,
        start_time=config.start,
    )
    async with serve(sim_config) as sim:
        report = await run_demo(sim, config, console)
    return 0 if not report.fanout.failed_items else 1


async def _import(args: argparse.Namespace, console: Console) -> int:
    from ccasync.ops.imports import import_contacts

    token = os.environ.get("CCASYNC_ACCESS_TOKEN")
    if not token:
        console.print("[red]error:[/red] set CCASYNC_ACCESS_TOKEN to an access token")
        return 2
    base_url = os.environ.get("CCASYNC_BASE_URL", DEFAULT_BASE_URL)
    async with Client(access_token=token, base_url=base_url) as cc:
        list_id = args.list_id or await _list_named(cc, args.list_name)
        result = await import_contacts(cc, args.csv, list_ids=[list_id])
    console.print(
        f"imported {result.imported:,}, rejected {result.rejected:,}, failed {result.failed:,} "
        f"({cc.calls} API calls)"
    )
    for issue in result.rejected_rows[:20]:
        console.print(f"  row {issue.row}: {issue.field}: {issue.reason}")
    return 0 if not (result.rejected or result.failed) else 1


async def _list_named(cc: Client, name: str) -> str:
    found = await cc.lists.find_by_name(name)
    if found is None:
        found = await cc.lists.create(name)
    return found.list_id


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
