"""The default journal: one sqlite file (stdlib ``sqlite3``, WAL), group-committed writes."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import json
import os
import sqlite3
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any, Literal, Self

from ccasync.errors import CoordinationError, ValidationError
from ccasync.journal._claims import (
    check_claim_args,
    check_job_id,
    lost,
    next_token,
    refuse_if_running,
)
from ccasync.journal._contract import Claim, Step, StepWrite, encode_data

_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS ccasync_jobs (job_id TEXT PRIMARY KEY, fingerprint TEXT NOT NULL,"
    " owner TEXT, token INTEGER NOT NULL, expires_at REAL NOT NULL, created_at REAL NOT NULL)",
    "CREATE TABLE IF NOT EXISTS ccasync_steps (job_id TEXT NOT NULL, name TEXT NOT NULL,"
    " phase TEXT NOT NULL, data TEXT NOT NULL, at REAL NOT NULL, PRIMARY KEY (job_id, name))"
    " WITHOUT ROWID",
)

_Batch = list[tuple[Claim, Sequence[StepWrite], "asyncio.Future[None]"]]


class SqliteJournal:
    """A :class:`Journal` in one sqlite file (stdlib ``sqlite3``, WAL): the default.

    Several processes of one host may share the file; claims keep them off each other's jobs.
    Writes are committed before :meth:`write` returns, with ``synchronous=NORMAL``: a step
    survives SIGKILL of the process (the WAL is in the OS's hands), not necessarily a power
    cut (``synchronous="FULL"`` adds an fsync per commit for that). All sqlite calls run on
    one worker thread, never on the event loop; writes that arrive while one commits go
    together in the next transaction (group commit), so concurrent steps cost one commit.
    ``clock`` (epoch seconds) is injectable to test claim expiry. Close with :meth:`aclose`
    (or ``async with``).

    The file and its tables are created on first use, not here. Raises
    :class:`ValidationError` for a ``synchronous`` other than ``"NORMAL"``/``"FULL"`` and, in
    the writing task, for step data that is not JSON (``NaN`` and infinities included);
    :class:`CoordinationError` when the file cannot be used (a missing directory, not a
    database, locked by another process's transaction for over 10 s) or after :meth:`aclose`.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        synchronous: Literal["NORMAL", "FULL"] = "NORMAL",
        clock: Callable[[], float] = time.time,
    ) -> None:
        if synchronous not in ("NORMAL", "FULL"):
            raise ValidationError("synchronous", "must be 'NORMAL' or 'FULL'", value=synchronous)
        self.path = Path(path)
        self._synchronous = synchronous
        self._clock = clock
        self._pool = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="ccasync-journal")
        self._db: sqlite3.Connection | None = None
        self._pending: _Batch = []
        self._flusher: asyncio.Task[None] | None = None
        self._closed = False

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Finish pending writes and close the file (idempotent)."""
        if self._closed:
            return
        if self._flusher is not None:
            await asyncio.shield(self._flusher)
        self._closed = True
        await self._run(self._close_db)
        self._pool.shutdown(wait=False)

    async def claim(self, job_id: str, fingerprint: str, *, owner: str, ttl: float) -> Claim:
        """See :meth:`Journal.claim`."""
        check_claim_args(job_id, fingerprint, owner, ttl)
        claim: Claim = await self._run(self._claim, job_id, fingerprint, owner, ttl)
        return claim

    async def release(self, claim: Claim) -> None:
        """See :meth:`Journal.release`."""
        await self._run(self._release, claim)

    async def write(self, claim: Claim, steps: Sequence[StepWrite]) -> None:
        """See :meth:`Journal.write` (group-committed with concurrent writes)."""
        for step in steps:
            encode_data(step.data)  # refuse non-JSON data here, in the caller's task
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._pending.append((claim, steps, future))
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._flush())
        await future

    async def steps(self, job_id: str) -> dict[str, Step]:
        """See :meth:`Journal.steps`."""
        steps: dict[str, Step] = await self._run(self._read_steps, job_id)
        return steps

    async def forget(self, job_id: str) -> bool:
        """See :meth:`Journal.forget` (one transaction)."""
        check_job_id(job_id)
        if self._flusher is not None and not self._flusher.done():
            await asyncio.shield(self._flusher)  # writes already handed in land first
        existed: bool = await self._run(self._forget, job_id)
        return existed

    async def _flush(self) -> None:
        while self._pending:
            batch, self._pending = self._pending, []
            try:
                errors = await self._run(self._write_batch, batch)
            except Exception as exc:
                errors = [exc] * len(batch)
            for (_, _, future), error in zip(batch, errors, strict=True):
                if future.done():
                    continue
                if error is None:
                    future.set_result(None)
                else:
                    future.set_exception(error)

    async def _run(self, fn: Callable[..., Any], *args: Any) -> Any:
        if self._closed and fn != self._close_db:
            raise CoordinationError(f"journal {self.path} is closed")
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(self._pool, fn, *args)
        except sqlite3.Error as exc:
            raise CoordinationError(f"journal {self.path}: {exc}") from exc

    # -- on the worker thread -----------------------------------------------------------------

    def _conn(self) -> sqlite3.Connection:
        if self._db is None:
            db = sqlite3.connect(self.path, timeout=10.0, isolation_level=None)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute(f"PRAGMA synchronous={self._synchronous}")
            for statement in _SCHEMA:
                db.execute(statement)
            self._db = db
        return self._db

    def _close_db(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

    @contextlib.contextmanager
    def _transaction(self) -> Any:
        db = self._conn()
        db.execute("BEGIN IMMEDIATE")
        try:
            yield db
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")

    def _claim(self, job_id: str, fingerprint: str, owner: str, ttl: float) -> Claim:
        with self._transaction() as db:
            now = self._clock()
            row = db.execute(
                "SELECT fingerprint, owner, token, expires_at FROM ccasync_jobs WHERE job_id = ?",
                (job_id,),
            ).fetchone()
            if row is None:
                row = (fingerprint, None, 0, 0.0)
                db.execute(
                    "INSERT INTO ccasync_jobs VALUES (?, ?, NULL, 0, 0, ?)",
                    (job_id, fingerprint, now),
                )
            token = next_token(job_id, fingerprint, owner, row, now)
            db.execute(
                "UPDATE ccasync_jobs SET owner = ?, token = ?, expires_at = ? WHERE job_id = ?",
                (owner, token, now + ttl, job_id),
            )
        return Claim(job_id, owner, token, now + ttl)

    def _forget(self, job_id: str) -> bool:
        with self._transaction() as db:
            row = db.execute(
                "SELECT owner, expires_at FROM ccasync_jobs WHERE job_id = ?", (job_id,)
            ).fetchone()
            if row is None:
                return False
            refuse_if_running(job_id, row[0], row[1], self._clock())
            db.execute("DELETE FROM ccasync_steps WHERE job_id = ?", (job_id,))
            db.execute("DELETE FROM ccasync_jobs WHERE job_id = ?", (job_id,))
        return True

    def _release(self, claim: Claim) -> None:
        with self._transaction() as db:
            db.execute(
                "UPDATE ccasync_jobs SET owner = NULL, expires_at = 0"
                " WHERE job_id = ? AND owner = ? AND token = ?",
                (claim.job_id, claim.owner, claim.token),
            )

    def _write_batch(self, batch: _Batch) -> list[Exception | None]:
        errors: list[Exception | None] = []
        with self._transaction() as db:
            now = self._clock()
            for claim, steps, _ in batch:
                errors.append(self._write_one(db, claim, steps, now))
        return errors

    @staticmethod
    def _write_one(
        db: sqlite3.Connection, claim: Claim, steps: Iterable[StepWrite], now: float
    ) -> Exception | None:
        current = db.execute(
            "SELECT 1 FROM ccasync_jobs WHERE job_id = ? AND owner = ? AND token = ?",
            (claim.job_id, claim.owner, claim.token),
        ).fetchone()
        if current is None:
            return lost(claim)
        db.executemany(
            "INSERT OR REPLACE INTO ccasync_steps VALUES (?, ?, ?, ?, ?)",
            [(claim.job_id, s.name, s.phase, encode_data(s.data), now) for s in steps],
        )
        return None

    def _read_steps(self, job_id: str) -> dict[str, Step]:
        rows = (
            self._conn()
            .execute("SELECT name, phase, data, at FROM ccasync_steps WHERE job_id = ?", (job_id,))
            .fetchall()
        )
        return {name: Step(name, phase, json.loads(data), at) for name, phase, data, at in rows}
