"""Who may use a pooled send list right now: the lease seam of :class:`~ccasync.ops.ListPool`.

A pooled list is leased for the life of one batch (import → send → members removed), so two
batches never share a list, whatever process or host they run in. :class:`ListLeases` is the
seam; :class:`FileListLeases` (the default) holds one ``fcntl.flock`` per list on this host and
``RedisCoordinator.list_pool`` one Redis lease per list across hosts.

Why flock for the one-host default (and not a sqlite row): the kernel drops a flock the moment
its holder dies, so a crashed batch never leaves a stale lease to expire, and a live batch can
never lose its lease however long its send takes; a sqlite row would need a TTL and a heartbeat
to tell a dead holder from a slow one, i.e. the expiry problem the Redis lease has to fence.
"""

from __future__ import annotations

import asyncio
import errno
import fcntl
import os
import re
import stat
import tempfile
from pathlib import Path
from typing import Protocol

from ccasync.errors import CoordinationError

_LIST_ID = re.compile(r"[A-Za-z0-9_-]{1,128}")


class ListLease(Protocol):
    """One held list lease; release it when the batch's members are gone."""

    list_id: str

    async def held(self) -> bool:
        """True while the lease is still this holder's (checked with the shared state)."""
        ...

    async def release(self) -> None:
        """Give the list back (idempotent; owner-checked where leases can expire)."""
        ...


class ListLeases(Protocol):
    """Hands out exclusive leases on list ids, shared by every process of the deployment."""

    async def try_lease(self, list_id: str) -> ListLease | None:
        """Lease ``list_id`` now, or None when another batch holds it (never waits).

        Raises :class:`~ccasync.CoordinationError` when the shared state cannot be used.
        """
        ...


def default_lease_dir() -> Path:
    """``<tmp>/ccasync-<uid>-list-leases``: private to the user, shared by their processes.

    One level below the (sticky) temporary directory, so nobody else can rename it away.
    """
    return Path(tempfile.gettempdir()) / f"ccasync-{os.geteuid()}-list-leases"


def check_list_id(list_id: str) -> str:
    """``list_id`` safe as a file or key name (list ids are UUIDs); CoordinationError otherwise."""
    if not isinstance(list_id, str) or not _LIST_ID.fullmatch(list_id):
        raise CoordinationError(f"list id {list_id!r} cannot name a lease")
    return list_id


class FileListLeases:
    """:class:`ListLeases` on one host: an exclusive ``flock`` on ``<directory>/<list_id>.lock``.

    ``directory`` (default :func:`default_lease_dir`) is created mode 0700 and must belong to the
    user and not be group/world-writable; every process that sends through the same pool on this
    host must use the same directory (the default does, for one user). A lease lives until
    released or until its process exits. Not for network file systems. Raises
    :class:`~ccasync.CoordinationError` when the directory or a lock file is unusable (a
    symlink, another user's, writable by others).
    """

    def __init__(self, directory: str | os.PathLike[str] | None = None) -> None:
        self.directory = Path(directory) if directory is not None else default_lease_dir()

    def __repr__(self) -> str:
        return f"FileListLeases({str(self.directory)!r})"

    async def try_lease(self, list_id: str) -> ListLease | None:
        """Lease ``list_id`` now (None when another process holds it)."""
        path = self.directory / f"{check_list_id(list_id)}.lock"
        fd = await asyncio.to_thread(self._open, path)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return None
        except BaseException:
            os.close(fd)
            raise
        return _FileListLease(list_id, fd)

    def _open(self, path: Path) -> int:
        try:
            self.directory.mkdir(mode=0o700, exist_ok=True)
            self._check_directory()
            flags = os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
            fd = os.open(path, flags, 0o600)
        except OSError as exc:
            why = "is a symlink" if exc.errno == errno.ELOOP else exc.strerror
            raise CoordinationError(f"list lease file {path} cannot be opened: {why}") from None
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_uid != os.geteuid():
            os.close(fd)
            raise CoordinationError(f"list lease file {path} is not a regular file of this user")
        return fd

    def _check_directory(self) -> None:
        # Another user owning (or able to write) the directory could swap lock files under us.
        info = os.stat(self.directory, follow_symlinks=False)
        if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.geteuid():
            raise CoordinationError(
                f"list lease directory {self.directory} is not a directory of this user"
            )
        if info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
            raise CoordinationError(
                f"list lease directory {self.directory} is writable by group or others"
            )


class _FileListLease:
    def __init__(self, list_id: str, fd: int) -> None:
        self.list_id = list_id
        self._fd: int | None = fd

    async def held(self) -> bool:
        # A flock cannot be taken from a live holder.
        return self._fd is not None

    async def release(self) -> None:
        if self._fd is not None:
            fd, self._fd = self._fd, None
            os.close(fd)  # closing the descriptor drops the flock
