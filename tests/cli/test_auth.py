"""`ccasync auth login|status|logout` against the simulator's OAuth endpoints, in a subprocess."""

from __future__ import annotations

import asyncio
import re
import stat
from pathlib import Path
from typing import Any

import aiohttp

from ccasync.sim import SimConfig, serve
from tests.cli.runner import cli_env, finish, run_cli, start_cli


def write_config(tmp_path: Path, sim: Any) -> Path:
    """A ccasync.toml with the simulator's key (a public PKCE client) and one account."""
    path = tmp_path / "ccasync.toml"
    path.write_text(
        f"""
default_account = "shop"

[api_keys.sim]
client_id = "{sim.client_id}"
oauth_base = "{sim.oauth_base}"

[accounts.shop]
api_key = "sim"
base_url = "{sim.base_url}"
token_store = "{tmp_path / "tokens" / "shop.json"}"
""",
        encoding="utf-8",
    )
    return path


async def consent_url(proc: asyncio.subprocess.Process) -> str:
    """The authorization URL the command prints on stderr (read line by line, bounded)."""
    assert proc.stderr is not None
    async with asyncio.timeout(30):
        while line := (await proc.stderr.readline()).decode():
            if line.startswith("http") and "/authorize?" in line:
                return line.strip()
    raise AssertionError("no authorization URL printed")


async def test_browser_login_with_pkce_then_status_use_and_logout(sim: Any, tmp_path: Path) -> None:
    """Login over a loopback redirect stores a 0600 token pair that later commands use."""
    write_config(tmp_path, sim)
    env = cli_env(tmp_path)
    proc = await start_cli("auth", "login", "--no-browser", cwd=tmp_path, env=env)
    url = await consent_url(proc)
    async with aiohttp.ClientSession() as session:
        async with session.get(url, allow_redirects=False) as consent:
            assert consent.status == 302
            redirect = consent.headers["Location"]
        assert redirect.startswith("http://127.0.0.1:")
        async with session.get(redirect) as callback:
            assert callback.status == 200
    ran = await finish(proc, limit=30)
    assert ran.code == 0, ran.err
    store = tmp_path / "tokens" / "shop.json"
    assert stat.S_IMODE(store.stat().st_mode) == 0o600

    status = await run_cli("--json", "auth", "status", cwd=tmp_path, env=env)
    assert status.code == 0, status.err
    assert status.json()["refresh_token"] is True
    used = await run_cli("--json", "optouts", "--since-file", "s.json", cwd=tmp_path, env=env)
    assert used.code == 0, used.err

    out = await run_cli("auth", "logout", cwd=tmp_path, env=env)
    assert out.code == 0
    assert not store.exists()
    gone = await run_cli("auth", "status", cwd=tmp_path, env=env)
    assert gone.code == 3
    assert "auth login" in gone.err


async def test_a_revoked_token_is_exit_3(sim: Any, tmp_path: Path) -> None:
    """A token the API refuses (401) exits 3 with the login hint, no traceback."""
    env = cli_env(tmp_path, sim, CCASYNC_ACCESS_TOKEN="not-a-token")
    ran = await run_cli("campaigns", "status", "x", cwd=tmp_path, env=env)
    assert ran.code == 3
    assert "auth login" in ran.err
    assert "Traceback" not in ran.err


async def test_device_login(sim: Any, tmp_path: Path) -> None:
    """--device prints a user code; once the user approves it the token pair is stored."""
    write_config(tmp_path, sim)
    proc = await start_cli("auth", "login", "--device", cwd=tmp_path, env=cli_env(tmp_path))
    assert proc.stderr is not None
    async with asyncio.timeout(30):
        while line := (await proc.stderr.readline()).decode():
            found = re.search(r"enter the code (\S+)", line)
            if found:
                break
    assert found is not None
    sim.approve_device(found.group(1), sim.account_id)
    ran = await finish(proc, limit=30)  # the simulator asks for 5 s between polls
    assert ran.code == 0, ran.err
    assert (tmp_path / "tokens" / "shop.json").is_file()


async def test_daily_quota_answer_is_exit_4(tmp_path: Path) -> None:
    """The API's quota_exceeded 429 exits 4 and names the reset time (00:00 UTC)."""
    async with serve(SimConfig(per_second=None, per_day=1)) as sim:
        env = cli_env(tmp_path, sim)
        first = await run_cli("campaigns", "status", "Nope", cwd=tmp_path, env=env)
        assert first.code == 2, first.err
        spent = await run_cli("campaigns", "status", "Nope", cwd=tmp_path, env=env)
    assert spent.code == 4, spent.err
    assert "00:00 UTC" in spent.err
