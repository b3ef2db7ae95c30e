"""Token records and stores: JSON round trip, 0600 file mode, atomic replacement."""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import logging
import os
import stat
from pathlib import Path

import orjson
import pytest

from ccasync.auth import FileTokenStore, MemoryTokenStore, OAuth2Token
from ccasync.auth._token import jwt_expiry, token_from_response
from ccasync.errors import ConfigError, CoordinationError, DecodeError

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
    path.chmod(0o600)
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


async def test_token_file_that_is_a_fifo_is_refused_without_hanging(tmp_path: Path) -> None:
    """A FIFO planted at the token path raises ConfigError at once (no blocking open or read)."""
    path = tmp_path / "token.json"
    os.mkfifo(path, 0o600)
    with pytest.raises(ConfigError, match="not a regular file"):
        await asyncio.wait_for(FileTokenStore(path).load(), timeout=10)


async def test_token_file_symlink_is_refused(tmp_path: Path) -> None:
    """A symlink at the token path is refused (it could point at another user's file)."""
    real = tmp_path / "real.json"
    await FileTokenStore(real).save(sample())
    link = tmp_path / "token.json"
    link.symlink_to(real)
    with pytest.raises(ConfigError, match="symlink"):
        await FileTokenStore(link).load()


@pytest.mark.parametrize("mode", [0o640, 0o604, 0o620, 0o666])
async def test_token_file_readable_or_writable_by_others_is_refused(
    tmp_path: Path, mode: int
) -> None:
    """A token file open to group or others is refused, naming the mode and the fix."""
    path = tmp_path / "token.json"
    await FileTokenStore(path).save(sample())
    path.chmod(mode)
    with pytest.raises(ConfigError, match="chmod 600"):
        await FileTokenStore(path).load()


@pytest.mark.skipif(os.geteuid() != 0, reason="only root can give a file to another user")
async def test_token_file_of_another_user_is_refused(tmp_path: Path) -> None:
    """A token file owned by another user is refused (it may be planted)."""
    path = tmp_path / "token.json"
    await FileTokenStore(path).save(sample())
    os.chown(path, 65534, 65534)
    with pytest.raises(ConfigError, match="owned by uid 65534"):
        await FileTokenStore(path).load()


async def test_world_writable_directory_is_warned_about(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A token file in a group/world-writable directory loads, with one logged warning."""
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o777)
    store = FileTokenStore(shared / "token.json")
    await store.save(sample())
    with caplog.at_level(logging.WARNING, logger="ccasync"):
        assert await store.load() == sample()
        await store.load()
    warnings = [r for r in caplog.records if "writable by group or others" in r.getMessage()]
    assert len(warnings) == 1


async def test_refresh_lease_excludes_a_second_holder(tmp_path: Path) -> None:
    """While one store instance holds the flock, another (another worker) waits, then times out."""
    path = tmp_path / "token.json"
    async with FileTokenStore(path).refresh_lease(wait=1) as lease:
        assert lease.remaining() == float("inf")
        with pytest.raises(CoordinationError, match="held the token lock"):
            async with FileTokenStore(path).refresh_lease(wait=0.05):
                pass
    async with FileTokenStore(path).refresh_lease(wait=0.05) as again:
        assert not again.took_over
    assert stat.S_IMODE(os.stat(str(path) + ".lock").st_mode) == 0o600


async def test_lease_saves_and_rereads_under_the_lock(tmp_path: Path) -> None:
    """Under the lease, load re-reads the file and save writes it (0600)."""
    path = tmp_path / "token.json"
    store = FileTokenStore(path)
    async with store.refresh_lease() as lease:
        assert await lease.load() is None
        assert await lease.save(sample())
        assert await lease.load() == sample()
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


@pytest.mark.parametrize(
    "answer",
    [
        {"access_token": jwt({"exp": 1e12})},
        {"access_token": jwt({"exp": -1e300})},
        {"access_token": "x", "expires_in": "nan"},
        {"access_token": "x", "expires_in": 1e300},
        {"access_token": "x", "expires_in": "-inf"},
        {"access_token": "x", "expires_in": 10**400},
    ],
    ids=["jwt-1e12", "jwt-neg", "nan", "1e300", "-inf", "huge-int"],
)
def test_expiry_parsing_is_total(answer: dict[str, object]) -> None:
    """An expiry no datetime can hold means 'unknown' (None), never an exception."""
    token = token_from_response(answer, now=NOW)
    assert token.expires_at is None
