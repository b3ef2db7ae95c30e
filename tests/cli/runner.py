"""Run the ``ccasync`` command in a subprocess, the way cron or a shell runs it."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import attrs

REPO_ROOT = Path(__file__).resolve().parents[2]


@attrs.frozen
class Ran:
    """A finished run: exit status, stdout and stderr."""

    code: int
    out: str
    err: str

    def json(self) -> Any:
        """stdout parsed as ONE JSON document (fails if anything else was printed there)."""
        return json.loads(self.out)


def cli_env(home: Path, sim: Any | None = None, **extra: str) -> dict[str, str]:
    """An environment for the command: this tree's ccasync, private XDG dirs, the sim's token."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("CCASYNC_") and k not in ("XDG_CONFIG_HOME", "XDG_STATE_HOME")
    }
    env["PYTHONPATH"] = str(REPO_ROOT)
    env["XDG_CONFIG_HOME"] = str(home / "config")
    env["XDG_STATE_HOME"] = str(home / "state")
    env["COLUMNS"] = "200"
    if sim is not None:
        env["CCASYNC_ACCESS_TOKEN"] = sim.token
        env["CCASYNC_BASE_URL"] = sim.base_url
    env.update(extra)
    return env


async def start_cli(*args: str, cwd: Path, env: Mapping[str, str]) -> asyncio.subprocess.Process:
    """Start ``python -m ccasync.cli ARGS`` with pipes for stdout and stderr."""
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "ccasync.cli",
        *args,
        cwd=cwd,
        env=dict(env),
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def finish(proc: asyncio.subprocess.Process, limit: float = 60) -> Ran:
    """Wait at most ``limit`` seconds for ``proc`` and collect its output (killed past it)."""
    try:
        out, err = await asyncio.wait_for(proc.communicate(), limit)
    except TimeoutError:
        proc.kill()
        await proc.wait()
        raise
    assert proc.returncode is not None
    return Ran(proc.returncode, out.decode(), err.decode())


async def run_cli(*args: str, cwd: Path, env: Mapping[str, str], limit: float = 60) -> Ran:
    """Run the command to the end (at most ``limit`` seconds)."""
    return await finish(await start_cli(*args, cwd=cwd, env=env), limit)


def interrupt(proc: asyncio.subprocess.Process) -> None:
    """Send Ctrl-C (SIGINT) to ``proc``."""
    proc.send_signal(signal.SIGINT)
