"""The command's configuration: ``ccasync.toml`` accounts and API keys, plus the environment.

File (``--config``, else ``$CCASYNC_CONFIG``, else ``./ccasync.toml``, else
``$XDG_CONFIG_HOME/ccasync/config.toml``; none at all is fine with ``CCASYNC_ACCESS_TOKEN``)::

    default_account = "shop"
    usage_file = "~/.local/state/ccasync/usage.json"   # optional: the daily call ledger

    [api_keys.main]
    client_id = "..."                 # the application's API key
    client_secret_env = "CC_SECRET"   # or client_secret = "..." ; none: a public (PKCE) client
    rate_share = 0.5                  # this host's share of the key's 4/s and 10,000/day
    per_second = 4                    # the key's limits (partner keys: 10 and 250,000)
    per_day = 10000
    oauth_base = "https://authz.constantcontact.com/oauth2/default/v1"   # optional
    scopes = ["contact_data", "campaign_data", "account_read", "offline_access"]
    redirect_port = 8765              # loopback port for `auth login --browser` (0: any)

    [accounts.shop]
    api_key = "main"
    token_store = "~/.config/ccasync/tokens/shop.json"   # default shown (a 0600 file)
    base_url = "https://api.cc.email/v3"                 # optional

The environment wins over the file: ``CCASYNC_ACCESS_TOKEN`` (a token to use as is) and
``CCASYNC_BASE_URL``. Environment variables are read here and nowhere else in ccasync.
"""

from __future__ import annotations

import math
import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import attrs

from ccasync.config import DEFAULT_BASE_URL, DEFAULT_OAUTH_BASE
from ccasync.errors import APIErrorDetail, AuthenticationError, ConfigError

DEFAULT_SCOPES = ("contact_data", "campaign_data", "account_read", "offline_access")
"""Scopes asked for at ``auth login`` when the key names none."""

ENV_ACCOUNT = "env"
"""The account name shown when the token comes from ``CCASYNC_ACCESS_TOKEN``."""


@attrs.frozen(kw_only=True)
class ApiKey:
    """One application (``client_id``) and the share of its limits this host may use."""

    name: str
    client_id: str
    client_secret: str | None = None
    per_second: float = 4.0
    per_day: int = 10_000
    rate_share: float = 1.0
    oauth_base: str = DEFAULT_OAUTH_BASE
    scopes: tuple[str, ...] = DEFAULT_SCOPES
    redirect_port: int = 0

    @property
    def share_per_second(self) -> float:
        """Requests per second this host may send for the key."""
        return self.per_second * self.rate_share

    @property
    def share_per_day(self) -> int:
        """Requests per UTC day this host may send for the key (at least 1)."""
        return max(1, math.floor(self.per_day * self.rate_share))


@attrs.frozen(kw_only=True)
class Account:
    """One Constant Contact account: its key, token store and API root."""

    name: str
    api_key: ApiKey | None
    token_store: Path
    base_url: str
    env_token: str | None = attrs.field(default=None, repr=False)


@attrs.frozen(kw_only=True)
class Settings:
    """Everything read from the file and the environment."""

    path: Path | None
    accounts: Mapping[str, Account]
    default_account: str | None
    usage_file: Path
    env_token: str | None = attrs.field(default=None, repr=False)
    env_base_url: str | None = None

    def account(self, name: str | None) -> Account:
        """The account ``name`` (default: the configured default, else the only one).

        With ``CCASYNC_ACCESS_TOKEN`` set and no account named, an ``env`` account using that
        token. Raises ConfigError naming the accounts that exist, AuthenticationError when
        there is neither an account nor a token.
        """
        if name is None and self.env_token is not None:
            return self._env_account()
        chosen = name or self.default_account
        if chosen is None and len(self.accounts) == 1:
            chosen = next(iter(self.accounts))
        if chosen is None:
            if not self.accounts:
                message = (
                    "no token: set CCASYNC_ACCESS_TOKEN, or configure an account in "
                    "ccasync.toml and run `ccasync auth login`"
                )
                detail = APIErrorDetail("unauthorized", message)
                raise AuthenticationError(401, [detail], reauthorize=True)
            raise ConfigError(f"pick an account with --account: {', '.join(sorted(self.accounts))}")
        if chosen not in self.accounts:
            known = ", ".join(sorted(self.accounts)) or "none"
            raise ConfigError(f"unknown account {chosen!r} (configured: {known})")
        found = self.accounts[chosen]
        return attrs.evolve(found, env_token=self.env_token)

    def _env_account(self) -> Account:
        return Account(
            name=ENV_ACCOUNT,
            api_key=None,
            token_store=_config_home() / "tokens" / f"{ENV_ACCOUNT}.json",
            base_url=self.env_base_url or DEFAULT_BASE_URL,
            env_token=self.env_token,
        )


def _config_home() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "ccasync"


def _state_home() -> Path:
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "ccasync"


def config_path(explicit: str | None) -> Path | None:
    """The configuration file to read: ``--config``, ``$CCASYNC_CONFIG``, ./ccasync.toml, XDG."""
    if explicit:
        return Path(explicit).expanduser()
    from_env = os.environ.get("CCASYNC_CONFIG")
    if from_env:
        return Path(from_env).expanduser()
    for candidate in (Path("ccasync.toml"), _config_home() / "config.toml"):
        if candidate.is_file():
            return candidate
    return None


def load_settings(explicit: str | None) -> Settings:
    """Read the configuration file (if any) and the environment.

    Raises ConfigError for a file that is missing (when named), unreadable, not TOML, or that
    breaks the layout above (the message names the table and key).
    """
    path = config_path(explicit)
    data: dict[str, Any] = {}
    if path is not None:
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConfigError(f"configuration file {path} does not exist") from None
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(f"configuration file {path}: {exc}") from None
    env_base = os.environ.get("CCASYNC_BASE_URL") or None
    keys = {
        name: _api_key(name, _table(body, f"api_keys.{name}"))
        for name, body in _table(data.get("api_keys", {}), "api_keys").items()
    }
    accounts = {
        name: _account(name, _table(body, f"accounts.{name}"), keys, env_base)
        for name, body in _table(data.get("accounts", {}), "accounts").items()
    }
    default = data.get("default_account")
    if default is not None and default not in accounts:
        raise ConfigError(f"default_account {default!r} is not an [accounts.*] table")
    usage = data.get("usage_file")
    return Settings(
        path=path,
        accounts=accounts,
        default_account=default,
        usage_file=Path(_text(usage, "usage_file")).expanduser()
        if usage is not None
        else _state_home() / "usage.json",
        env_token=os.environ.get("CCASYNC_ACCESS_TOKEN") or None,
        env_base_url=env_base,
    )


def _table(value: object, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ConfigError(f"[{where}] must be a table")
    return value


def _text(value: object, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{where} must be a non-empty string")
    return value


def _number(body: Mapping[str, Any], key: str, default: float, where: str) -> float:
    value = body.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
        raise ConfigError(f"{where}.{key} must be a number > 0, got {value!r}")
    if not math.isfinite(value):
        raise ConfigError(f"{where}.{key} must be finite, got {value!r}")
    return float(value)


def _api_key(name: str, body: Mapping[str, Any]) -> ApiKey:
    where = f"api_keys.{name}"
    secret = body.get("client_secret")
    secret_env = body.get("client_secret_env")
    if secret_env is not None:
        secret = os.environ.get(_text(secret_env, f"{where}.client_secret_env"))
        if not secret:
            raise ConfigError(f"{where}: environment variable {secret_env} is not set")
    share = _number(body, "rate_share", 1.0, where)
    if share > 1:
        raise ConfigError(f"{where}.rate_share is a fraction in (0, 1], got {share!r}")
    scopes = body.get("scopes", list(DEFAULT_SCOPES))
    if not isinstance(scopes, list) or not all(isinstance(s, str) and s for s in scopes):
        raise ConfigError(f"{where}.scopes must be a list of scope names")
    port = body.get("redirect_port", 0)
    if isinstance(port, bool) or not isinstance(port, int) or not 0 <= port <= 65535:
        raise ConfigError(f"{where}.redirect_port must be a port number, got {port!r}")
    return ApiKey(
        name=name,
        client_id=_text(body.get("client_id"), f"{where}.client_id"),
        client_secret=None if secret is None else _text(secret, f"{where}.client_secret"),
        per_second=_number(body, "per_second", 4.0, where),
        per_day=int(_number(body, "per_day", 10_000, where)),
        rate_share=share,
        oauth_base=_text(body.get("oauth_base", DEFAULT_OAUTH_BASE), f"{where}.oauth_base"),
        scopes=tuple(scopes),
        redirect_port=port,
    )


def _account(
    name: str, body: Mapping[str, Any], keys: Mapping[str, ApiKey], env_base: str | None
) -> Account:
    where = f"accounts.{name}"
    key_name = body.get("api_key")
    if key_name is None and len(keys) == 1:
        key_name = next(iter(keys))
    if key_name is not None and key_name not in keys:
        raise ConfigError(f"{where}.api_key {key_name!r} is not an [api_keys.*] table")
    store = body.get("token_store")
    return Account(
        name=name,
        api_key=keys[key_name] if key_name is not None else None,
        token_store=Path(_text(store, f"{where}.token_store")).expanduser()
        if store is not None
        else _config_home() / "tokens" / f"{name}.json",
        base_url=env_base or _text(body.get("base_url", DEFAULT_BASE_URL), f"{where}.base_url"),
    )
