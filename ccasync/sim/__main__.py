"""Command line: ``python -m ccasync.sim --host 127.0.0.1 --port 8080 --access-token TOKEN ...``."""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from collections.abc import Sequence

from ._config import SimConfig
from ._faults import FaultSpecError, parse_spec
from ._faults import __doc__ as FAULT_GRAMMAR
from ._server import serve


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m ccasync.sim",
        description=(
            "Offline Constant Contact v3 simulator (API under /v3, OAuth under /oauth2/default/v1)."
        ),
        epilog=FAULT_GRAMMAR,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=8080, help="0 = any free port")
    parser.add_argument(
        "--access-token", default="dev-token", help="development token (never expires)"
    )
    parser.add_argument("--client-id", default="sim-client")
    parser.add_argument("--client-secret", default="sim-secret")
    parser.add_argument(
        "--per-second", type=float, default=4.0, help="requests/s per API key; 0 = off"
    )
    parser.add_argument(
        "--per-day", type=int, default=10_000, help="requests/day per API key; 0 = off"
    )
    parser.add_argument(
        "--rate-rule",
        choices=("sliding", "fixed", "bucket"),
        default="sliding",
        help="per-second rule: no 1-s window over the limit (sliding, default), per calendar "
        "second (fixed), or a token bucket allowing a burst (bucket)",
    )
    parser.add_argument(
        "--refresh-tokens",
        choices=("rotating", "long_lived"),
        default="rotating",
        help="rotating: single-use refresh tokens (default); long_lived: the same one each time",
    )
    parser.add_argument("--faults", default=None, help="fault spec, grammar below")
    parser.add_argument(
        "--seed",
        type=int,
        default=0,
        help="drives ids, faults and the generated opens and clicks (same seed, same run)",
    )
    parser.add_argument(
        "--time-scale",
        type=float,
        default=1.0,
        help="simulated seconds per wall second (0 = frozen)",
    )
    return parser


def config_from_args(argv: Sequence[str] | None = None) -> SimConfig:
    """Parse the command line into a ``SimConfig`` (exits with usage on bad input)."""
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        parse_spec(args.faults)
    except FaultSpecError as exc:
        parser.error(f"--faults: {exc}")
    try:
        return _config(args)
    except ValueError as exc:
        parser.error(str(exc))


def _config(args: argparse.Namespace) -> SimConfig:
    """The ``SimConfig`` of parsed arguments; ValueError names a value it refuses."""
    return SimConfig(
        host=args.host,
        port=args.port,
        access_token=args.access_token,
        client_id=args.client_id,
        client_secret=args.client_secret,
        per_second=args.per_second or None,
        per_day=args.per_day or None,
        rate_rule=args.rate_rule,
        refresh_tokens=args.refresh_tokens,
        faults=args.faults,
        seed=args.seed,
        time_scale=args.time_scale,
    )


async def run(config: SimConfig) -> None:
    """Serve until SIGINT or SIGTERM."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with serve(config) as sim:
        print(
            f"ccasync simulator: {sim.base_url} (token {sim.token}, client_id {sim.client_id})",
            flush=True,
        )
        await stop.wait()


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``python -m ccasync.sim``."""
    asyncio.run(run(config_from_args(argv)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
