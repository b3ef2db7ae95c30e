"""The ``ccasync`` command: parse arguments, build a Client, call an operation, print.

Commands: ``demo``, ``import``, ``auth``, ``campaigns``, ``reports``, ``optouts``, ``quota``
and ``sim``. Global options (before or after the command): ``--json`` (one JSON document on
stdout; progress and logs on stderr), ``--account NAME``, ``--config FILE``, ``--version``.
Environment variables are read here and in ``_settings`` only.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import os
import re
import sys
from collections.abc import Sequence
from typing import Any

from rich.console import Console

from ccasync._version import __version__
from ccasync.cli import _auth, _campaigns, _import, _reports
from ccasync.cli._output import EPILOG, Exit, Output
from ccasync.cli._settings import load_settings
from ccasync.errors import CCAsyncError

__all__ = ["main"]

_ROLE = re.compile(r":[a-z]+:`")


class _Formatter(argparse.RawDescriptionHelpFormatter):
    """Help text as plain text: reST roles and double backticks become single backticks."""

    def _format_text(self, text: str) -> str:
        return super()._format_text(_plain(text))

    def _expand_help(self, action: argparse.Action) -> str:
        return _plain(super()._expand_help(action))


def _plain(text: str) -> str:
    return _ROLE.sub("`", text).replace("``", "`")


def _globals(suppress: bool) -> argparse.ArgumentParser:
    """The global options; on subcommands their defaults are suppressed (the main's win)."""
    parser = argparse.ArgumentParser(add_help=False)

    def default(value: Any) -> Any:
        return argparse.SUPPRESS if suppress else value

    parser.add_argument(
        "--json",
        action="store_true",
        default=default(False),
        help="print one JSON document on stdout (progress and logs go to stderr)",
    )
    parser.add_argument(
        "--account", default=default(None), metavar="NAME", help="account of the config file"
    )
    parser.add_argument(
        "--config",
        default=default(None),
        metavar="FILE",
        help="configuration file (default: $CCASYNC_CONFIG, ./ccasync.toml, "
        "$XDG_CONFIG_HOME/ccasync/config.toml)",
    )
    return parser


def build_parser() -> argparse.ArgumentParser:
    """The whole command line (every ``--help`` ends with the exit statuses and environment)."""
    common: dict[str, Any] = {
        "parents": [_globals(suppress=True)],
        "epilog": EPILOG,
        "formatter_class": _Formatter,
    }
    parser = argparse.ArgumentParser(
        prog="ccasync",
        description="Constant Contact v3 from the command line: imports, campaigns, reports.",
        parents=[_globals(suppress=False)],
        epilog=EPILOG,
        formatter_class=_Formatter,
    )
    parser.add_argument("--version", action="version", version=f"ccasync {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    demo = commands.add_parser(
        "demo", help="run the weekly multi-location job on the embedded simulator", **common
    )
    demo.add_argument("--locations", type=int, default=20, help="number of locations (20)")
    demo.add_argument("--contacts", type=int, default=200_000, help="contacts to import (200000)")
    demo.add_argument(
        "--rate", type=float, default=20.0, help="requests/s per key, simulator and client (20)"
    )
    _import.add_parser(commands, common)
    _auth.add_parsers(commands, common)
    _campaigns.add_parsers(commands, common)
    _reports.add_parsers(commands, common)
    commands.add_parser(
        "sim",
        help="run the API simulator (same options as `python -m ccasync.sim`; see `sim --help`)",
        add_help=False,
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status (0, 1, 2, 3, 4 or 130: see ``--help``)."""
    try:
        return _main(list(sys.argv[1:] if argv is None else argv))
    except BrokenPipeError:
        # stdout closed early (`ccasync ... | head`): silence the flush at exit, no traceback
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return Exit.FAILED


def _main(arguments: list[str]) -> int:
    rest = _sim_arguments(arguments)
    if rest is not None:
        return _run_sim(rest)
    args = build_parser().parse_args(arguments)
    out = Output(as_json=args.json)
    try:
        return int(asyncio.run(_dispatch(args, out)))
    except KeyboardInterrupt:
        out.error("interrupted")
        return Exit.INTERRUPTED
    except (CCAsyncError, OSError, UnicodeDecodeError) as exc:
        return out.fail(exc)


async def _dispatch(args: argparse.Namespace, out: Output) -> Exit:
    if args.command == "demo":
        return await _demo(args, out)
    settings = load_settings(args.config)
    if args.command == "import":
        return await _import.run(args, settings, out)
    if args.command == "auth":
        return await _auth.run(args, settings, out)
    if args.command == "campaigns":
        return await _campaigns.run(args, settings, out)
    if args.command == "reports":
        return await _reports.run_report(args, settings, out)
    if args.command == "optouts":
        return await _reports.run_optouts(args, settings, out)
    return _reports.run_quota(args, settings, out)


def _sim_arguments(arguments: list[str]) -> list[str] | None:
    """The arguments after ``sim`` when ``sim`` is the command, else None."""
    index = 0
    while index < len(arguments) and arguments[index].startswith("-"):
        flag = arguments[index]
        takes_value = flag in ("--account", "--config")
        index += 2 if takes_value else 1
    if index < len(arguments) and arguments[index] == "sim":
        return arguments[index + 1 :]
    return None


def _run_sim(rest: list[str]) -> int:
    from ccasync.sim.__main__ import config_from_args, run

    if "-h" in rest or "--help" in rest:
        text = io.StringIO()
        with contextlib.suppress(SystemExit), contextlib.redirect_stdout(text):
            config_from_args(["--help"])  # the simulator's own options
        usage = text.getvalue().replace("python -m ccasync.sim", "ccasync sim")
        print(_plain(usage) + "\n" + EPILOG)
        return Exit.OK
    try:
        config = config_from_args(rest)
    except SystemExit as exc:
        return Exit.USAGE if exc.code else Exit.OK
    try:
        asyncio.run(run(config))
    except KeyboardInterrupt:
        return Exit.INTERRUPTED
    except OSError as exc:
        return Output(as_json=False).fail(exc)
    return Exit.OK


async def _demo(args: argparse.Namespace, out: Output) -> Exit:
    from ccasync.cli._demo import DemoConfig, run_demo
    from ccasync.sim import SimConfig, serve

    if args.locations < 1 or args.contacts < 1 or args.rate <= 0:
        out.error("--locations, --contacts and --rate must be positive")
        return Exit.USAGE
    config = DemoConfig(locations=args.locations, contacts=args.contacts, per_second=args.rate)
    sim_config = SimConfig(
        per_second=config.per_second,
        per_day=config.per_day,
        rate_rule="sliding",
        time_scale=1.0,
        start_time=config.start,
    )
    console = out.err if args.json else Console()
    async with serve(sim_config) as sim:
        report = await run_demo(sim, config, console)
    if args.json:
        out.emit(
            {
                "ok": not report.fanout.failed_items,
                "imported": report.imported,
                "calls": report.calls,
                "seconds": round(report.seconds, 1),
                "locations": report.stats,
            }
        )
    return Exit.OK if not report.fanout.failed_items else Exit.FAILED


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
