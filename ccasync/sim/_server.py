"""Running the simulator: the in-process ``serve()`` context manager and its ``Sim`` handle."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Sequence
from typing import Any

import attrs
from aiohttp import web

from ._app import build_app
from ._clock import VirtualClock
from ._config import SimConfig
from ._identity import ApiKey
from ._log import RequestLog
from ._state import SLICE_UNITS, Account, SimState
from .oauth.tokens import DEFAULT_SCOPES
from .outbox.records import Outbox


@attrs.frozen
class AccountHandle:
    """An account added with :meth:`Sim.add_account`: its id and a never-expiring dev token."""

    account_id: str
    token: str
    account: Account


class Sim:
    """A running simulator: URLs, default credentials, state, clock, log and test controls."""

    def __init__(self, state: SimState, base: str) -> None:
        """Wrap ``state`` served at ``base`` ("http://host:port")."""
        self.state = state
        self.url = base
        self.base_url = f"{base}/v3"
        self.oauth_base = f"{base}/oauth2/default/v1"

    @property
    def config(self) -> SimConfig:
        """The configuration the simulator runs with."""
        return self.state.config

    @property
    def token(self) -> str:
        """The default account's development access token (never expires)."""
        return self.state.config.access_token

    @property
    def client_id(self) -> str:
        """The default API key (client_id)."""
        return self.state.config.client_id

    @property
    def client_secret(self) -> str:
        """The default API key's secret."""
        return self.state.config.client_secret

    @property
    def account_id(self) -> str:
        """The default account's id."""
        return self.state.default_account.account_id

    @property
    def partner_token_url(self) -> str:
        """The partner token endpoint (client credentials -> a partner JWT, 1 h by default)."""
        return f"{self.url}/partner/oauth2/token"

    @property
    def partner_api_key(self) -> str:
        """The default partner's ``x-api-key`` value."""
        return self.state.config.partner_api_key

    @property
    def partner_client_id(self) -> str:
        """The default partner's client id for the token endpoint."""
        return self.state.config.partner_client_id

    @property
    def partner_client_secret(self) -> str:
        """The default partner's client secret for the token endpoint."""
        return self.state.config.partner_client_secret

    @property
    def outbox(self) -> Outbox:
        """Every message delivered (campaign sends, resends, tests, automations), rendered.

        ``sim.outbox.find(to="a@example.com")`` gives :class:`OutboxMessage` records with the
        recipient, the activity, and the subject and HTML with merge tags filled in.
        """
        return self.state.outbox

    @property
    def clock(self) -> VirtualClock:
        """The virtual clock (``now()``, ``advance(seconds)``, ``set_scale(x)``)."""
        return self.state.clock

    @property
    def log(self) -> RequestLog:
        """Every request the server saw."""
        return self.state.log

    def add_api_key(
        self,
        client_id: str,
        *,
        client_secret: str | None = None,
        refresh_tokens: str = "rotating",
        per_second: float | str | None = "config",
        per_day: int | str | None = "config",
    ) -> ApiKey:
        """Register another API key; limits default to the config's (``None`` = off)."""
        return self.state.add_api_key(
            client_id,
            client_secret=client_secret,
            refresh_tokens=refresh_tokens,
            per_second=per_second,
            per_day=per_day,
        )

    def add_account(
        self, client_id: str | None = None, *, name: str = "Sim Account"
    ) -> AccountHandle:
        """A new account under ``client_id`` (default key) with its own dev token."""
        account = self.state.add_account(client_id, name=name)
        token = f"dev-{account.account_id}"
        self.state.tokens.add_dev_token(token, account.account_id, account.api_key.client_id)
        return AccountHandle(account.account_id, token, account)

    def issue_tokens(
        self,
        account_id: str,
        *,
        scopes: Sequence[str] = DEFAULT_SCOPES,
        client_id: str | None = None,
    ) -> dict[str, Any]:
        """Tokens as the token endpoint would return them (access token valid 24 h simulated)."""
        account = self.state.accounts[account_id]
        key = self.state.keys[client_id] if client_id else account.api_key
        return self.state.tokens.issue(
            account_id, key.client_id, frozenset(scopes), self.state.now(), key.refresh_tokens
        )

    def revoke_tokens(self, account_id: str) -> None:
        """Make every token of ``account_id`` answer 401 from now on."""
        self.state.tokens.revoke_account(account_id)

    def authorize(
        self,
        account_id: str,
        *,
        client_id: str,
        redirect_uri: str,
        scope: str | Sequence[str],
        code_challenge: str | None = None,
        state: str | None = None,
    ) -> str:
        """Stand in for the browser consent: a 5-minute single-use authorization code."""
        del state  # the browser would echo it to the redirect_uri; nothing to keep here
        scopes = scope.replace("+", " ").split() if isinstance(scope, str) else list(scope)
        if client_id not in self.state.keys:
            raise KeyError(f"unknown client_id {client_id!r}")
        return self.state.tokens.new_code(
            account_id, client_id, redirect_uri, frozenset(scopes), code_challenge, self.state.now()
        )

    def approve_device(self, user_code: str, account_id: str) -> None:
        """Stand in for the user approving a device-flow ``user_code``."""
        self.state.tokens.approve_device(user_code, account_id)


async def _ticker(state: SimState) -> None:
    """Run due work every ``tick_interval`` wall seconds so time passes without requests.

    While a bulk activity has more rows due than one slice, it comes straight back (after
    letting waiting requests run) instead of sleeping, so imports keep their pace.
    """
    backlog = False
    while True:
        await asyncio.sleep(0 if backlog else state.config.tick_interval)
        backlog = state.clock.scale > 0 and state.tick(SLICE_UNITS)


@contextlib.asynccontextmanager
async def serve(config: SimConfig | None = None) -> AsyncIterator[Sim]:
    """Run a simulator on ``config.host:config.port`` (port 0 = ephemeral) until the block exits.

    Raises ``FaultSpecError`` (a ValueError) when ``config.faults`` does not parse.
    """
    state = SimState(config or SimConfig())
    runner = web.AppRunner(build_app(state), access_log=None, shutdown_timeout=1.0)
    await runner.setup()
    ticker: asyncio.Task[None] | None = None
    try:
        site = web.TCPSite(runner, state.config.host, state.config.port)
        await site.start()
        host, port = runner.addresses[0][:2]
        ticker = asyncio.create_task(_ticker(state))
        yield Sim(state, f"http://{host}:{port}")
    finally:
        state.shutdown.set()
        if ticker is not None:
            ticker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await ticker
        await runner.cleanup()
