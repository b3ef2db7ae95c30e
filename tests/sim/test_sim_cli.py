"""Command line, determinism under a seed, and the request log."""

from __future__ import annotations

import asyncio
import signal
import sys
from typing import Any

import aiohttp
import pytest

from ccasync.sim import SimConfig, serve
from ccasync.sim.__main__ import config_from_args


def test_arguments_map_onto_the_config() -> None:
    """CLI flags become SimConfig fields; 0 switches a limit off."""
    config = config_from_args(
        [
            "--port",
            "0",
            "--access-token",
            "t",
            "--per-second",
            "0",
            "--per-day",
            "500",
            "--rate-rule",
            "bucket",
            "--faults",
            "500:0.1",
            "--seed",
            "3",
            "--time-scale",
            "60",
        ]
    )
    assert (config.port, config.access_token, config.per_second, config.per_day) == (
        0,
        "t",
        None,
        500,
    )
    assert (config.rate_rule, config.faults, config.seed, config.time_scale) == (
        "bucket",
        "500:0.1",
        3,
        60,
    )


def test_bad_fault_spec_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    """An unparsable --faults exits with status 2 and names the rule."""
    with pytest.raises(SystemExit) as exited:
        config_from_args(["--faults", "boom:1"])
    assert exited.value.code == 2
    assert "--faults" in capsys.readouterr().err


def test_help_documents_the_fault_grammar(capsys: pytest.CaptureFixture[str]) -> None:
    """--help prints the fault grammar."""
    with pytest.raises(SystemExit):
        config_from_args(["--help"])
    out = capsys.readouterr().out
    assert "429burst" in out
    assert "nth:" in out


async def test_module_serves_until_sigterm() -> None:
    """python -m ccasync.sim prints its base URL, answers requests and stops on SIGTERM."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "ccasync.sim",
        "--port",
        "0",
        "--access-token",
        "cli-token",
        stdout=asyncio.subprocess.PIPE,
    )
    assert proc.stdout is not None
    try:
        banner = (await asyncio.wait_for(proc.stdout.readline(), 20)).decode()
        base = banner.split()[2]
        async with aiohttp.ClientSession() as session:
            async with session.get(
                f"{base}/account/summary", headers={"Authorization": "Bearer cli-token"}
            ) as resp:
                assert resp.status == 200
    finally:
        proc.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(proc.wait(), 20) == 0


async def _ids(seed: int) -> list[str]:
    async with serve(SimConfig(per_second=None, per_day=None, seed=seed, time_scale=0)) as sim:
        headers = {"Authorization": f"Bearer {sim.token}"}
        ids = [sim.account_id]
        async with aiohttp.ClientSession(headers=headers) as session:
            for name in ("a", "b"):
                async with session.post(
                    f"{sim.base_url}/contact_lists", json={"name": name}
                ) as resp:
                    ids.append((await resp.json())["list_id"])
        return ids


async def test_same_seed_gives_the_same_ids() -> None:
    """Two runs with one seed create the same account and list ids; another seed differs."""
    assert await _ids(5) == await _ids(5)
    assert await _ids(5) != await _ids(6)


async def test_request_log_records_key_account_and_status(api: Any, fsim: Any) -> None:
    """The log has one entry per request with client_id, account_id, method, path and status."""
    await api.get("/contacts")
    await api.get("/contacts", token="wrong")
    first, second = fsim.log.entries[-2:]
    assert (first.client_id, first.account_id, first.method, first.path, first.status) == (
        fsim.client_id,
        fsim.account_id,
        "GET",
        "/v3/contacts",
        200,
    )
    assert (second.client_id, second.status) == (None, 401)
    assert fsim.log.count(path="/v3/contacts*", status=200) == 1
    assert fsim.log.max_in_window(1.0) == 2


@pytest.mark.parametrize("argv", [["--per-second", "-1"], ["--time-scale", "-2"]])
def test_bad_numbers_are_usage_errors(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    """A negative limit or time scale exits with a usage message, not a traceback."""
    with pytest.raises(SystemExit) as exited:
        config_from_args(argv)
    assert exited.value.code == 2
    assert argv[0] in capsys.readouterr().err


def test_help_explains_seed_and_time_scale(capsys: pytest.CaptureFixture[str]) -> None:
    """--help says what --seed drives and that --time-scale 0 freezes the clock."""
    with pytest.raises(SystemExit):
        config_from_args(["--help"])
    out = capsys.readouterr().out
    assert "opens and clicks" in out
    assert "0 = frozen" in out
