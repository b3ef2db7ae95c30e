"""A partner-authenticated caller for simulator tests (token from the sim's partner endpoint)."""

from __future__ import annotations

import base64
from typing import Any

import aiohttp

from ccasync.sim import Sim

PROVISION = {
    "contact_email": "client@example.com",
    "login_name": "client_one",
    "country_code": "US",
    "state_code": "MA",
    "first_name": "Cleo",
    "last_name": "Client",
    "organization_name": "Cleo's Cakes",
}


def basic(client_id: str, secret: str) -> str:
    """An HTTP Basic ``Authorization`` value."""
    return "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()


class PartnerApi:
    """``await p.call("GET", "/partner/accounts")`` -> (status, body); token fetched once."""

    def __init__(self, session: aiohttp.ClientSession, sim: Sim) -> None:
        self.session = session
        self.sim = sim
        self.token = ""

    async def fetch_token(self) -> dict[str, Any]:
        headers = {
            "Authorization": basic(self.sim.partner_client_id, self.sim.partner_client_secret)
        }
        async with self.session.post(
            self.sim.partner_token_url, data={"grant_type": "client_credentials"}, headers=headers
        ) as resp:
            body: dict[str, Any] = await resp.json()
            assert resp.status == 200, body
        self.token = body["access_token"]
        return body

    async def call(self, method: str, path: str, **kwargs: Any) -> tuple[int, Any]:
        if not self.token:
            await self.fetch_token()
        headers = {
            "x-api-key": self.sim.partner_api_key,
            "Authorization": f"Bearer {self.token}",
            **kwargs.pop("headers", {}),
        }
        async with self.session.request(
            method, self.sim.base_url + path, headers=headers, **kwargs
        ) as resp:
            raw = await resp.read()
            body = await resp.json() if raw and resp.content_type == "application/json" else None
            return resp.status, body
