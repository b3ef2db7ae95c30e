"""Where OAuth2 token pairs live between runs: the TokenStore protocol and two stores.

Rotating refresh tokens are single use: once the token endpoint has answered, the previous
refresh token is dead. The refresher therefore saves the new pair BEFORE using it, and a store
must make ``save`` durable and atomic (a crash mid-write must leave the old file intact, never a
torn one).

Several processes (web workers, overlapping cron runs) sharing one account's pair must not
refresh it concurrently: the second refresh would spend an already spent refresh token and get
``invalid_grant``. A store shared that way also implements :class:`SharedTokenStore`: its
:meth:`~SharedTokenStore.refresh_lease` gives one process at a time the right to refresh, and
the refresher re-reads the pair under that lease, so a pair another process already refreshed is
adopted without calling the endpoint. :class:`FileTokenStore` does this on one host with
``fcntl.flock``; ``RedisCoordinator.token_store`` across hosts.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import fcntl
import logging
import os
import stat
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Protocol, runtime_checkable

import orjson

from ccasync.auth._token import OAuth2Token
from ccasync.errors import ConfigError, CoordinationError, DecodeError

logger = logging.getLogger("ccasync")

_MAX_TOKEN_FILE = 64 * 1024  # a token pair is ~2 KiB; anything far larger is not a token file
_LOCK_POLL = (0.005, 0.05)  # first and longest pause between flock attempts, seconds


class TokenStore(Protocol):
    """Persistent storage for one account's token pair."""

    async def load(self) -> OAuth2Token | None:
        """The stored token, or None when nothing is stored yet."""
        ...

    async def save(self, token: OAuth2Token) -> None:
        """Store ``token`` durably, replacing the previous one; raise if that fails."""
        ...


class TokenLease(Protocol):
    """The right, held by one process at a time, to refresh one account's token pair.

    ``took_over`` is True when the previous holder's lease expired instead of being released:
    its refresh may still be in flight, so an ``invalid_grant`` is worth waiting out briefly.
    """

    took_over: bool

    def remaining(self) -> float:
        """Seconds of lease left, measured conservatively (``inf`` when it cannot expire)."""
        ...

    async def extend(self, seconds: float) -> bool:
        """Make at least ``seconds`` of lease remain; False when the lease was lost meanwhile."""
        ...

    async def load(self) -> OAuth2Token | None:
        """Re-read the stored pair under the lease (and remember its version for :meth:`save`)."""
        ...

    async def save(self, token: OAuth2Token) -> bool:
        """Store ``token`` unless a newer pair was saved since :meth:`load`; True when stored.

        False means another process saved a newer pair (re-read it with :meth:`load`).
        """
        ...


@runtime_checkable
class SharedTokenStore(TokenStore, Protocol):
    """A :class:`TokenStore` several processes share, with a lease for single-flight refresh."""

    def refresh_lease(self, *, wait: float) -> AbstractAsyncContextManager[TokenLease]:
        """Hold the refresh lease for the ``async with`` block.

        Waits at most ``wait`` seconds for another holder; raises
        :class:`~ccasync.CoordinationError` past that or when the shared state is unusable.
        """
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
    """A :class:`SharedTokenStore` in one JSON file, readable by its owner only (mode 0600).

    ``save`` writes a temporary file in the same directory (created with mode 0600, so the
    secret is never world-readable even for an instant), fsyncs it and renames it over the
    target with ``os.replace`` (atomic on POSIX). ``~`` is expanded; the directory must exist.

    ``load`` returns None when the file does not exist; raises :class:`ConfigError` when the
    path is a symlink, not a regular file (a FIFO would hang a plain read), not owned by the
    current user, or readable/writable by group or others (another user could plant or read a
    pair), and :class:`DecodeError` when it is not a token file (not JSON, not an object, or
    over 64 KiB). A group/world-writable directory is logged as a warning (others could
    replace the file). File work runs in a thread, never on the event loop.

    Several processes on one host may share the file: :meth:`refresh_lease` takes an advisory
    ``fcntl.flock`` on ``<path>.lock``, so N workers hitting a 401 together cause one refresh.
    The kernel drops the lock when its holder dies, so the lease never expires under a live
    holder (``remaining()`` is ``inf``). Not for network file systems (flock may be local only).
    ``path`` and ``lock_path`` are the two files.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path).expanduser()
        self.lock_path = self.path.with_name(self.path.name + ".lock")
        self._warned = False

    def __repr__(self) -> str:
        return f"FileTokenStore({str(self.path)!r})"

    async def load(self) -> OAuth2Token | None:
        """Read the stored token (None when the file does not exist); see the class for errors."""
        return await asyncio.to_thread(self._load)

    async def save(self, token: OAuth2Token) -> None:
        """Atomically replace the file with ``token`` (mode 0600); OSError when that fails."""
        await asyncio.to_thread(self._save, orjson.dumps(token.to_json()))

    @contextlib.asynccontextmanager
    async def refresh_lease(self, *, wait: float = 60.0) -> AsyncIterator[TokenLease]:
        """Hold an exclusive ``flock`` on ``<path>.lock`` for the block (see :class:`TokenLease`).

        Waits at most ``wait`` seconds; raises :class:`CoordinationError` past that or when the
        lock file cannot be opened (a symlink, not a regular file, another user's).
        """
        fd = await _flock(self.lock_path, wait)
        try:
            yield HeldLease(self)
        finally:
            os.close(fd)  # closing the last descriptor releases the flock

    def _load(self) -> OAuth2Token | None:
        self._check_directory()
        try:
            fd = os.open(self.path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW | os.O_CLOEXEC)
        except FileNotFoundError:
            return None
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                raise ConfigError(f"token file {self.path} is a symlink; refusing it") from None
            raise
        try:
            _check_private_file(fd, self.path, "token file")
            raw = os.read(fd, _MAX_TOKEN_FILE + 1)
        finally:
            os.close(fd)
        return _decode(raw, self.path)

    def _check_directory(self) -> None:
        if self._warned:
            return
        try:
            mode = os.stat(self.path.parent).st_mode
        except OSError:
            return
        if mode & (stat.S_IWGRP | stat.S_IWOTH):
            self._warned = True
            logger.warning(
                "token file directory %s is writable by group or others: another user could "
                "replace the token file; use a private directory",
                self.path.parent,
            )

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


class HeldLease:
    """A lease its holder has to itself (a held flock, or the refresher's own lock in one
    process): it never expires, and :meth:`save` needs no fence because nobody else writes."""

    took_over = False

    def __init__(self, store: TokenStore) -> None:
        self._store = store

    def remaining(self) -> float:
        """Never expires: the lock is held for the whole refresh."""
        return float("inf")

    async def extend(self, seconds: float) -> bool:
        """Nothing to extend."""
        return True

    async def load(self) -> OAuth2Token | None:
        """The store's pair."""
        return await self._store.load()

    async def save(self, token: OAuth2Token) -> bool:
        """Save unconditionally (the holder is the only writer)."""
        await self._store.save(token)
        return True


def _decode(raw: bytes, path: Path) -> OAuth2Token:
    if len(raw) > _MAX_TOKEN_FILE:
        raise DecodeError(f"token file {path} is larger than {_MAX_TOKEN_FILE} bytes")
    valid = True
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError:
        valid = False  # raised below, outside the except: its chain would carry the file text
    if not valid:
        raise DecodeError(f"token file {path} is not valid JSON")
    if not isinstance(data, dict):
        raise DecodeError(f"token file {path} does not hold a token object")
    return OAuth2Token.from_json(data)


def _check_private_file(fd: int, path: Path, what: str) -> None:
    """Raise ConfigError unless ``fd`` is a regular file of this user, private to them."""
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        raise ConfigError(f"{what} {path} is not a regular file")
    if info.st_uid != os.geteuid():
        raise ConfigError(f"{what} {path} is owned by uid {info.st_uid}, not by this user")
    if info.st_mode & 0o077:
        raise ConfigError(
            f"{what} {path} has mode {stat.S_IMODE(info.st_mode):04o}; it must be private to "
            f"its owner (chmod 600)"
        )


def _open_lock_file(path: Path) -> int:
    flags = os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
    try:
        fd = os.open(path, flags, 0o600)
    except OSError as exc:
        raise CoordinationError(
            f"cannot open the lock file {path}: {exc.strerror or type(exc).__name__}"
        ) from None
    try:
        _check_private_file(fd, path, "lock file")
    except ConfigError as exc:
        os.close(fd)
        raise CoordinationError(str(exc)) from None
    return fd


async def _flock(path: Path, wait: float) -> int:
    """An open descriptor of ``path`` holding an exclusive flock; waits at most ``wait`` s."""
    fd = _open_lock_file(path)
    deadline = time.monotonic() + wait
    pause = _LOCK_POLL[0]
    try:
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return fd
            except BlockingIOError:
                pass
            if time.monotonic() >= deadline:
                raise CoordinationError(
                    f"another process held the token lock {path} for over {wait:g} s"
                )
            # Polling, not a blocking flock in a thread: cancellation stays prompt.
            await asyncio.sleep(pause)
            pause = min(pause * 2, _LOCK_POLL[1])
    except BaseException:
        os.close(fd)
        raise


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
