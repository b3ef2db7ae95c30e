"""Where OAuth2 token pairs live between runs: the TokenStore protocol and two stores.

Rotating refresh tokens are single use: once the token endpoint has answered, the previous
refresh token is dead. The refresher therefore saves the new pair BEFORE using it, and a store
must make ``save`` durable and atomic (a crash mid-write must leave the old file intact, never a
torn one).
"""

from __future__ import annotations

import asyncio
import os
import tempfile
from pathlib import Path
from typing import Protocol

import orjson

from ccasync.auth._token import OAuth2Token
from ccasync.errors import DecodeError


class TokenStore(Protocol):
    """Persistent storage for one account's token pair."""

    async def load(self) -> OAuth2Token | None:
        """The stored token, or None when nothing is stored yet."""
        ...

    async def save(self, token: OAuth2Token) -> None:
        """Store ``token`` durably, replacing the previous one; raise if that fails."""
        ...


class MemoryTokenStore:
    """A :class:`TokenStore` in process memory (tests, short scripts; lost on exit)."""

    def __init__(self, token: OAuth2Token | None = None) -> None:
        self._token = token
        self.saves = 0
        """How many times :meth:`save` ran (lets tests count refreshes)."""

    def __repr__(self) -> str:
        return f"MemoryTokenStore(has_token={self._token is not None})"

    async def load(self) -> OAuth2Token | None:
        """The token held, or None."""
        return self._token

    async def save(self, token: OAuth2Token) -> None:
        """Hold ``token`` instead of the previous one."""
        self._token = token
        self.saves += 1


class FileTokenStore:
    """A :class:`TokenStore` in one JSON file, readable by its owner only (mode 0600).

    ``save`` writes a temporary file in the same directory (created with mode 0600, so the
    secret is never world-readable even for an instant), fsyncs it and renames it over the
    target with ``os.replace`` (atomic on POSIX). ``load`` returns None when the file does not
    exist and raises :class:`DecodeError` when it is not a token file. ``~`` is expanded; the
    directory must exist.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path).expanduser()

    def __repr__(self) -> str:
        return f"FileTokenStore({str(self.path)!r})"

    async def load(self) -> OAuth2Token | None:
        """Read the stored token (None when the file does not exist)."""
        return await asyncio.to_thread(self._load)

    async def save(self, token: OAuth2Token) -> None:
        """Atomically replace the file with ``token`` (mode 0600); OSError when that fails."""
        await asyncio.to_thread(self._save, orjson.dumps(token.to_json()))

    def _load(self) -> OAuth2Token | None:
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return None
        try:
            data = orjson.loads(raw)
        except orjson.JSONDecodeError:
            raise DecodeError(f"token file {self.path} is not valid JSON") from None
        if not isinstance(data, dict):
            raise DecodeError(f"token file {self.path} does not hold a token object")
        return OAuth2Token.from_json(data)

    def _save(self, payload: bytes) -> None:
        directory = self.path.parent
        fd, tmp = tempfile.mkstemp(prefix=f".{self.path.name}.", suffix=".tmp", dir=directory)
        try:
            os.fchmod(fd, 0o600)  # mkstemp already uses 0600; be explicit, umask cannot widen it
            with os.fdopen(fd, "wb") as handle:
                handle.write(payload)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        _fsync_dir(directory)


def _fsync_dir(directory: Path) -> None:
    # Makes the rename itself durable; not every platform allows opening a directory.
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
