"""ccasync.toml and the environment: accounts, keys, rate share, errors naming the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from ccasync.cli._settings import load_settings
from ccasync.errors import AuthenticationError, ConfigError

CONFIG = """
default_account = "shop"

[api_keys.main]
client_id = "key-1"
client_secret_env = "TEST_CC_SECRET"
rate_share = 0.5

[accounts.shop]
api_key = "main"

[accounts.other]
api_key = "main"
token_store = "~/tokens/other.json"
base_url = "http://127.0.0.1:9/v3"
"""


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No CCASYNC_* variables, XDG dirs under tmp_path, a secret in the environment."""
    for name in ("CCASYNC_ACCESS_TOKEN", "CCASYNC_BASE_URL", "CCASYNC_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "cfg"))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    monkeypatch.setenv("TEST_CC_SECRET", "s3cret")
    monkeypatch.chdir(tmp_path)
    (tmp_path / "ccasync.toml").write_text(CONFIG, encoding="utf-8")
    return tmp_path


def test_accounts_keys_and_shares(clean_env: Path) -> None:
    """The default account, its key's secret from the environment and this host's share."""
    settings = load_settings(None)
    shop = settings.account(None)
    assert shop.name == "shop"
    assert shop.api_key is not None
    assert shop.api_key.client_secret == "s3cret"
    assert (shop.api_key.share_per_second, shop.api_key.share_per_day) == (2.0, 5000)
    assert shop.token_store == clean_env / "cfg" / "ccasync" / "tokens" / "shop.json"
    assert settings.usage_file == clean_env / "state" / "ccasync" / "usage.json"
    other = settings.account("other")
    assert other.base_url == "http://127.0.0.1:9/v3"
    assert other.token_store == Path("~/tokens/other.json").expanduser()


def test_environment_wins(clean_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """CCASYNC_ACCESS_TOKEN and CCASYNC_BASE_URL override the file."""
    monkeypatch.setenv("CCASYNC_ACCESS_TOKEN", "tok")
    monkeypatch.setenv("CCASYNC_BASE_URL", "http://127.0.0.1:8/v3")
    settings = load_settings(None)
    assert settings.account(None).env_token == "tok"
    assert settings.account("other").base_url == "http://127.0.0.1:8/v3"


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (("rate_share = 0.5", "rate_share = 2"), "rate_share"),
        (('client_secret_env = "TEST_CC_SECRET"', 'client_secret_env = "NOPE_UNSET"'), "NOPE"),
        (('default_account = "shop"', 'default_account = "ghost"'), "ghost"),
        (('api_key = "main"\n\n[accounts.other]', 'api_key = "x"\n\n[accounts.other]'), "'x'"),
    ],
)
def test_bad_values_name_the_key(clean_env: Path, edit: tuple[str, str], message: str) -> None:
    """A refused value is a ConfigError naming what to fix."""
    path = clean_env / "ccasync.toml"
    path.write_text(CONFIG.replace(*edit), encoding="utf-8")
    with pytest.raises(ConfigError, match=message):
        load_settings(None).account(None)


def test_unknown_account_and_no_account(clean_env: Path) -> None:
    """--account must name a table; no file and no token means authorization is needed."""
    with pytest.raises(ConfigError, match="other, shop"):
        load_settings(None).account("nope")
    (clean_env / "ccasync.toml").unlink()
    with pytest.raises(AuthenticationError, match="CCASYNC_ACCESS_TOKEN"):
        load_settings(None).account(None)
