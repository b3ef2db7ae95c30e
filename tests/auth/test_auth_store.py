"""Token records and stores: JSON round trip, 0600 file mode, atomic replacement."""

from __future__ import annotations

import base64
import datetime as dt
import os
import stat
from pathlib import Path

import orjson
import pytest

from ccasync.auth import FileTokenStore, MemoryTokenStore, OAuth2Token
from ccasync.auth._token import jwt_expiry, token_from_response
from ccasync.errors import DecodeError

NOW = 1_800_000_000.0
EXP = dt.datetime(2027, 1, 15, 8, 0, tzinfo=dt.UTC)


def jwt(claims: dict[str, object]) -> str:
    """An unsigned JWT-shaped string carrying ``claims``."""
    payload = base64.urlsafe_b64encode(orjson.dumps(claims)).decode().rstrip("=")
    return f"eyJhbGciOiJub25lIn0.{payload}.sig"


def sample() -> OAuth2Token:
    """A complete token pair."""
    return OAuth2Token(
        access_token="access-abc",
        refresh_token="refresh-xyz",
        expires_at=EXP,
        scope="contact_data offline_access",
    )


def test_token_json_round_trip() -> None:
    """to_json/from_json preserve every field, expiry stays aware UTC."""
    token = sample()
    again = OAuth2Token.from_json(orjson.loads(orjson.dumps(token.to_json())))
    assert again == token
    assert again.expires_at is not None
    assert again.expires_at.tzinfo is dt.UTC


def test_malformed_stored_token_is_a_decode_error() -> None:
    """A stored dict without an access token raises DecodeError."""
    with pytest.raises(DecodeError):
        OAuth2Token.from_json({"refresh_token": "r"})


def test_jwt_exp_is_decoded_without_verification() -> None:
    """jwt_expiry reads exp from the payload; non-JWTs and bad payloads give None."""
    assert jwt_expiry(jwt({"exp": int(EXP.timestamp())})) == EXP
    assert jwt_expiry("opaque-token") is None
    assert jwt_expiry("a.!!!.c") is None
    assert jwt_expiry(jwt({"exp": "tomorrow"})) is None
    assert jwt_expiry(jwt({"exp": True})) is None


def test_jwt_exp_wins_over_expires_in() -> None:
    """The expires_in CONFLICT is settled by the JWT exp claim."""
    access = jwt({"exp": int(NOW + 100)})
    token = token_from_response({"access_token": access, "expires_in": 86_400}, now=NOW)
    assert token.expires_at == dt.datetime.fromtimestamp(NOW + 100, dt.UTC)


def test_expires_in_seconds_or_epoch() -> None:
    """Without a JWT, expires_in is seconds from now; an epoch-sized value is a timestamp."""
    relative = token_from_response({"access_token": "x", "expires_in": 3600}, now=NOW)
    absolute = token_from_response({"access_token": "x", "expires_in": NOW + 60}, now=NOW)
    none = token_from_response({"access_token": "x"}, now=NOW)
    assert relative.expires_at == dt.datetime.fromtimestamp(NOW + 3600, dt.UTC)
    assert absolute.expires_at == dt.datetime.fromtimestamp(NOW + 60, dt.UTC)
    assert none.expires_at is None


def test_response_without_refresh_token_keeps_the_previous() -> None:
    """A long-lived refresh token omitted from the answer is carried over, scope too."""
    new = token_from_response({"access_token": "new"}, now=NOW, previous=sample())
    assert new.refresh_token == "refresh-xyz"
    assert new.scope == "contact_data offline_access"


@pytest.mark.parametrize("body", [None, [], {"access_token": ""}, {"token_type": "Bearer"}])
def test_answer_without_access_token_is_a_decode_error(body: object) -> None:
    """A token-endpoint answer lacking access_token raises DecodeError."""
    with pytest.raises(DecodeError):
        token_from_response(body, now=NOW)


def test_expires_within() -> None:
    """expires_within compares the expiry with now + seconds; unknown expiry never expires."""
    token = sample()
    at = EXP.timestamp()
    assert token.expires_within(300, at - 200)
    assert not token.expires_within(300, at - 400)
    assert not OAuth2Token(access_token="a").expires_within(300, at)


async def test_memory_store_round_trip() -> None:
    """MemoryTokenStore returns what was saved and counts saves."""
    store = MemoryTokenStore()
    assert await store.load() is None
    await store.save(sample())
    assert await store.load() == sample()
    assert store.saves == 1


async def test_file_store_round_trip(tmp_path: Path) -> None:
    """FileTokenStore saves JSON and loads the same token; a missing file loads as None."""
    store = FileTokenStore(tmp_path / "token.json")
    assert await store.load() is None
    await store.save(sample())
    assert await store.load() == sample()
    assert orjson.loads((tmp_path / "token.json").read_bytes())["refresh_token"] == "refresh-xyz"


async def test_file_store_mode_is_0600_even_with_open_umask(tmp_path: Path) -> None:
    """The token file is created and replaced with mode 0600 whatever the umask."""
    path = tmp_path / "token.json"
    path.write_text("{}")
    path.chmod(0o644)
    old = os.umask(0)
    try:
        await FileTokenStore(path).save(sample())
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


async def test_file_store_replaces_atomically(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A failed write leaves the previous file intact and no temporary file behind."""
    path = tmp_path / "token.json"
    store = FileTokenStore(path)
    await store.save(sample())
    before = path.read_bytes()

    def broken_replace(src: str, dst: str) -> None:
        raise OSError("simulated crash before rename")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError, match="simulated crash"):
        await store.save(OAuth2Token(access_token="other"))
    assert path.read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == ["token.json"]


async def test_file_store_rejects_garbage(tmp_path: Path) -> None:
    """A file that is not a token object raises DecodeError (never returns a half token)."""
    path = tmp_path / "token.json"
    path.write_text("not json")
    with pytest.raises(DecodeError):
        await FileTokenStore(path).load()
    path.write_text("[1, 2]")
    with pytest.raises(DecodeError):
        await FileTokenStore(path).load()


def test_store_reprs_hold_no_token() -> None:
    """Store reprs show the path or presence, never the token."""
    assert "access-abc" not in repr(MemoryTokenStore(sample()))
    assert repr(FileTokenStore("/tmp/t.json")) == "FileTokenStore('/tmp/t.json')"


def test_file_store_expands_home(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A path starting with ~ is expanded to the user's home directory."""
    monkeypatch.setenv("HOME", str(tmp_path))
    assert FileTokenStore("~/token.json").path == tmp_path / "token.json"
