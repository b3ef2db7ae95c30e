"""A Client for the chosen account, paced to this host's share of its key, and the call ledger.

The API has no endpoint that tells how much of the day's budget is spent, so the command keeps
a ledger (``usage_file``, JSON, per API key and UTC day) of the calls it made: each run's
:class:`RateLimiter` starts from what earlier runs spent today (cron jobs of the same key
share the budget), and ``ccasync quota`` reads it. Writes are atomic and serialised with an
advisory lock, so runs that end together both count.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import json
import os
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from ccasync.auth import FileTokenStore, OAuth2Refresher, StaticToken
from ccasync.cli._settings import Account, Settings
from ccasync.client import Client
from ccasync.errors import APIErrorDetail, AuthenticationError
from ccasync.limiter import RateLimiter

ENV_KEY = "env-token"
"""The ledger's key for calls made with ``CCASYNC_ACCESS_TOKEN`` (its API key is unknown)."""


def key_id(account: Account) -> str:
    """The ledger key of ``account``: its API key's client_id, or ``env-token``."""
    if account.env_token is not None or account.api_key is None:
        return ENV_KEY
    return account.api_key.client_id


def limits(account: Account) -> tuple[float, int]:
    """(per_second, per_day) this host may use for ``account``'s key (API defaults: 4, 10,000)."""
    if account.api_key is None or account.env_token is not None:
        return 4.0, 10_000
    return account.api_key.share_per_second, account.api_key.share_per_day


def need_login(account: Account) -> AuthenticationError:
    """The error for an account without a usable token (exit status 3)."""
    message = (
        f"no token for account {account.name!r} in {account.token_store}: run "
        f"`ccasync auth login --account {account.name}` or set CCASYNC_ACCESS_TOKEN"
    )
    return AuthenticationError(401, [APIErrorDetail("unauthorized", message)], reauthorize=True)


def token_source(account: Account) -> StaticToken | OAuth2Refresher:
    """The token provider: the environment's token, else the account's stored pair."""
    if account.env_token is not None:
        return StaticToken(account.env_token)
    key = account.api_key
    if key is None or not account.token_store.is_file():
        raise need_login(account)
    return OAuth2Refresher(
        key.client_id,
        client_secret=key.client_secret,
        store=FileTokenStore(account.token_store),
        token_url=f"{key.oauth_base}/token",
    )


@contextlib.asynccontextmanager
async def open_client(settings: Settings, account: Account) -> AsyncIterator[Client]:
    """A Client for ``account``; its calls are added to the ledger when the block ends."""
    ledger = Ledger(settings.usage_file)
    per_second, per_day = limits(account)
    key = key_id(account)
    limiter = RateLimiter(per_second, per_day, used_today=min(ledger.used_today(key), per_day))
    client = Client(
        token_provider=token_source(account), base_url=account.base_url, rate_limiter=limiter
    )
    try:
        async with client:
            yield client
    finally:
        if client.calls:
            ledger.add(key, client.calls)


class Ledger:
    """Calls this host made per API key and UTC day, in one small JSON file."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def read(self) -> dict[str, dict[str, Any]]:
        """``{key: {"day": "YYYY-MM-DD", "calls": n}}`` (empty when the file does not exist)."""
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError):
            return {}  # a damaged ledger only loses the count; it must not stop the command
        return data if isinstance(data, dict) else {}

    def used_today(self, key: str, today: dt.date | None = None) -> int:
        """Calls recorded for ``key`` on ``today`` (UTC)."""
        entry = self.read().get(key) or {}
        day = (today or _utc_today()).isoformat()
        calls = entry.get("calls") if entry.get("day") == day else 0
        return calls if isinstance(calls, int) and calls > 0 else 0

    def add(self, key: str, calls: int) -> None:
        """Add ``calls`` to today's count of ``key`` (under an advisory lock; atomic replace)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path.with_suffix(".lock"), "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            data = self.read()
            today = _utc_today().isoformat()
            used = self.used_today(key)
            data[key] = {"day": today, "calls": used + calls}
            self._write(data)

    def _write(self, data: dict[str, Any]) -> None:
        fd, tmp = tempfile.mkstemp(prefix=".usage.", dir=self.path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(data, handle, indent=1, sort_keys=True)
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise


def _utc_today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()
