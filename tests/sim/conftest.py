"""Fixtures for simulator tests: a frozen-clock simulator and a tiny JSON client for it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from ccasync.sim import Sim, SimConfig, serve


class Api:
    """Minimal client: ``await api.call("GET", "/contacts")`` -> (status, parsed body, headers)."""

    def __init__(self, session: aiohttp.ClientSession, sim: Sim, token: str) -> None:
        self.session = session
        self.sim = sim
        self.token = token

    def url(self, path: str) -> str:
        if path.startswith("http"):
            return path
        if path.startswith(("/v3/", "/oauth2/", "/contacts-service/")):
            return self.sim.url + path
        return self.sim.base_url + path

    async def call(
        self, method: str, path: str, *, token: str | None = None, **kwargs: Any
    ) -> tuple[int, Any, Any]:
        headers = kwargs.pop("headers", {})
        bearer = self.token if token is None else token
        if bearer:
            headers.setdefault("Authorization", f"Bearer {bearer}")
        async with self.session.request(method, self.url(path), headers=headers, **kwargs) as resp:
            raw = await resp.read()
            body: Any = None
            if raw and resp.content_type == "application/json":
                body = await resp.json()
            elif raw:
                body = raw.decode()
            return resp.status, body, resp.headers

    async def get(self, path: str, **kwargs: Any) -> tuple[int, Any]:
        status, body, _ = await self.call("GET", path, **kwargs)
        return status, body

    async def post(self, path: str, json: Any = None, **kwargs: Any) -> tuple[int, Any]:
        status, body, _ = await self.call("POST", path, json=json, **kwargs)
        return status, body

    async def put(self, path: str, json: Any = None, **kwargs: Any) -> tuple[int, Any]:
        status, body, _ = await self.call("PUT", path, json=json, **kwargs)
        return status, body

    async def delete(self, path: str, **kwargs: Any) -> tuple[int, Any]:
        status, body, _ = await self.call("DELETE", path, **kwargs)
        return status, body

    async def finish(self, activity: dict[str, Any]) -> dict[str, Any]:
        """Step the (frozen) clock until ``activity`` ends (completed or failed); return it."""
        for _ in range(100):
            self.sim.clock.advance(1.0)
            status, body = await self.get(f"/activities/{activity['activity_id']}")
            assert status == 200, body
            if body["state"] in ("completed", "failed"):
                return body  # type: ignore[no-any-return]
        raise AssertionError(f"activity never completed: {body}")


@pytest.fixture
async def fsim() -> AsyncIterator[Sim]:
    """A simulator with limits off and a frozen clock (moves only through ``clock.advance``)."""
    async with serve(SimConfig(per_second=None, per_day=None, time_scale=0)) as running:
        yield running


@pytest.fixture
async def api(fsim: Sim) -> AsyncIterator[Api]:
    """An :class:`Api` on ``fsim`` with the default development token."""
    async with aiohttp.ClientSession() as session:
        yield Api(session, fsim, fsim.token)
