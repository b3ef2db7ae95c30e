"""FileTokenStore across real processes: 4 workers x 25 concurrent 401s cause one refresh."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from ccasync.auth import FileTokenStore, OAuth2Token
from ccasync.auth._token import token_from_response

WORKER = "tests.auth.refresh_worker"
TOKEN_PATH = "/oauth2/default/v1/token"


@pytest.fixture
async def osim() -> AsyncIterator[Any]:
    """The simulator with API limits off and its token endpoint at 1 request/second."""
    from ccasync.sim import SimConfig, serve

    async with serve(SimConfig(per_second=None, per_day=None)) as running:
        yield running


def rejected_pair(sim: Any) -> OAuth2Token:
    """A live refresh token with an access token the API rejects (401) but that looks fresh."""
    issued = token_from_response(sim.issue_tokens(sim.account_id), now=sim.clock.timestamp())
    return OAuth2Token(
        access_token="revoked-access-token",
        refresh_token=issued.refresh_token,
        expires_at=issued.expires_at,
        scope=issued.scope,
    )


def worker_spec(sim: Any, store: dict[str, Any], calls: int, **extra: Any) -> dict[str, Any]:
    """What one worker process needs: where the store, the token endpoint and the API are."""
    return {
        **store,
        "client_id": sim.client_id,
        "token_url": f"{sim.oauth_base}/token",
        "base_url": sim.base_url,
        "calls": calls,
        **extra,
    }


def token_answers(sim: Any) -> dict[int, int]:
    """Token-endpoint requests the simulator saw, by status."""
    counts: dict[int, int] = {}
    for entry in sim.log.filter(method="POST", path=TOKEN_PATH):
        counts[entry.status] = counts.get(entry.status, 0) + 1
    return counts


async def test_four_processes_refresh_once(osim: Any, tmp_path: Path) -> None:
    """4 processes x 25 concurrent 401s sharing a token file: 1 token request, 0 invalid_grant."""
    from tests.processes import run_workers

    path = tmp_path / "token.json"
    await FileTokenStore(path).save(rejected_pair(osim))
    spec = worker_spec(osim, {"file": str(path)}, calls=25)
    results = await run_workers(WORKER, [spec] * 4, deadline=90)
    assert token_answers(osim) == {200: 1}
    assert [r["ok"] for r in results] == [25] * 4
    assert sum(r["refreshes"] for r in results) == 1
    stored = await FileTokenStore(path).load()
    assert stored is not None
    assert stored.access_token != "revoked-access-token"
