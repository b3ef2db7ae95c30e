"""The job journal: what a bulk job did, step by step, so a rerun resumes instead of redoing.

A *job* is a ``job_id`` plus a *fingerprint* of its input (see :func:`fingerprint`). A job's
journal holds *steps*, each named (``"payload/3"``, ``"loc/nyc/schedule"``) and in one of two
phases: ``intent`` (written **before** a side effect: the effect may or may not have happened)
and ``done`` (written after it, with what it produced: an activity id, a campaign id, a time).

One process at a time runs a job: :meth:`Journal.claim` gives a :class:`Claim` (an owner, an
expiry and a fencing ``token``; a claim whose owner is a dead process of this host counts as
expired, so a rerun after a crash starts at once); every write names its claim and is refused with
:class:`~ccasync.errors.CoordinationError` once another owner has taken the job over (after the
claim expired), so a stalled process can never overwrite a newer one's steps. Claiming a job
again with another fingerprint raises :class:`~ccasync.errors.ValidationError`: a rerun never
silently mixes two inputs under one ``job_id``.

Implementations: :class:`SqliteJournal` (the default: one file, stdlib ``sqlite3`` in WAL mode,
durable across a crash of the process), :class:`MemoryJournal` (one process; tests) and, for jobs
that move between hosts, ``RedisCoordinator.journal()`` (``ccasync.redis``). :class:`JobRun` is
what the bulk operations use: a claim kept alive by a heartbeat, the steps read once, and
``intend``/``record`` that merge a step's data.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import hashlib
import json
import os
import socket
import sqlite3
import time
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any, Literal, Protocol, Self, runtime_checkable

import attrs

from ccasync.errors import CoordinationError, ValidationError

__all__ = [
    "DEFAULT_CLAIM_TTL",
    "Claim",
    "JobRun",
    "Journal",
    "MemoryJournal",
    "Phase",
    "SqliteJournal",
    "Step",
    "StepWrite",
    "fingerprint",
    "new_owner",
]

Phase = Literal["intent", "done"]
"""``intent``: written before a side effect (it may have happened); ``done``: it happened."""
DEFAULT_CLAIM_TTL = 120.0
"""Seconds a claim lasts without renewal; :class:`JobRun` renews it every third of that."""
_BLOCK = 65_536


@attrs.frozen
class Claim:
    """The right to write one job's steps: ``owner``, fencing ``token`` (grows on each takeover),
    ``expires_at`` (seconds since the epoch, on the journal's clock)."""

    job_id: str
    owner: str
    token: int
    expires_at: float


@attrs.frozen
class Step:
    """One recorded step: ``name``, ``phase``, JSON-able ``data``, ``at`` (epoch seconds)."""

    name: str
    phase: Phase
    data: Mapping[str, Any]
    at: float


@attrs.frozen
class StepWrite:
    """One step to write: ``name``, ``phase`` and its whole ``data`` (replaces what was there)."""

    name: str
    phase: Phase
    data: Mapping[str, Any]


@runtime_checkable
class Journal(Protocol):
    """Where jobs keep their steps; every implementation keeps the rules of this module's doc."""

    async def claim(self, job_id: str, fingerprint: str, *, owner: str, ttl: float) -> Claim:
        """Take (or renew, same ``owner``) the job for ``ttl`` seconds; create it if new.

        Raises :class:`ValidationError` when the job exists with another fingerprint and
        :class:`CoordinationError` while another owner's claim has not expired.
        """

    async def release(self, claim: Claim) -> None:
        """Give the job up (a no-op if the claim was lost); its steps stay."""

    async def write(self, claim: Claim, steps: Sequence[StepWrite]) -> None:
        """Write ``steps`` in one transaction, fenced: raises :class:`CoordinationError` when
        ``claim`` is no longer the job's current claim (nothing is written then)."""

    async def steps(self, job_id: str) -> dict[str, Step]:
        """Every step of the job by name (empty for an unknown job)."""


def new_owner() -> str:
    """A unique owner name for this process: ``host:pid:random``."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def owner_is_dead(owner: str) -> bool:
    """True when ``owner`` (a :func:`new_owner` name) is a process of this host that has ended.

    Lets a rerun on the same host take over at once after a crash (SIGKILL) instead of waiting
    for the dead run's claim to expire. A pid reused by another process keeps the claim until
    it expires (the safe side).
    """
    host, _, rest = owner.partition(":")
    pid_text = rest.partition(":")[0]
    if host != socket.gethostname() or not pid_text.isdigit() or int(pid_text) == os.getpid():
        return False
    try:
        os.kill(int(pid_text), 0)
    except ProcessLookupError:
        return True
    except OSError:
        return False
    return False


def fingerprint(*parts: object) -> str:
    """A short stable digest of ``parts`` (JSON-able values, or a :class:`~pathlib.Path`).

    A path counts as its size plus a hash of its first and last 64 KiB, so a file edited or
    swapped under the same name gives another fingerprint without reading it whole.
    """
    digest = hashlib.blake2b(digest_size=16)
    for part in parts:
        digest.update(_part_bytes(part))
        digest.update(b"\x00")
    return digest.hexdigest()


def _part_bytes(part: object) -> bytes:
    if isinstance(part, Path):
        return _file_digest(part)
    return json.dumps(part, sort_keys=True, separators=(",", ":"), default=str).encode()


def _file_digest(path: Path) -> bytes:
    digest = hashlib.blake2b(digest_size=16)
    with path.open("rb") as handle:
        size = os.fstat(handle.fileno()).st_size
        digest.update(str(size).encode())
        digest.update(handle.read(_BLOCK))
        if size > _BLOCK:
            handle.seek(max(_BLOCK, size - _BLOCK))
            digest.update(handle.read(_BLOCK))
    return digest.digest()


def check_claim_args(job_id: str, fingerprint: str, owner: str, ttl: float) -> None:
    """Refuse an empty ``job_id``/``fingerprint``/``owner`` or a ``ttl`` that is not > 0."""
    for field, value in (("job_id", job_id), ("fingerprint", fingerprint), ("owner", owner)):
        if not isinstance(value, str) or not value or len(value) > 200:
            raise ValidationError(field, "must be a non-empty str of at most 200 characters")
    if not ttl > 0:
        raise ValidationError("ttl", "must be > 0 seconds", value=ttl)


def next_token(
    job_id: str,
    fingerprint: str,
    owner: str,
    stored: tuple[str, str | None, int, float],
    now: float,
) -> int:
    """The fencing token ``owner`` claims the job with, given its stored ``(fingerprint,
    holder, token, expires_at)``: the same token on a renewal, the next one on a takeover.

    Raises :class:`ValidationError` for another fingerprint and :class:`CoordinationError`
    while another live holder's claim has not expired.
    """
    known, holder, token, expires_at = stored
    if known != fingerprint:
        raise mismatch(job_id)
    if holder not in (None, owner) and expires_at > now and not owner_is_dead(holder):
        raise claimed_elsewhere(job_id, holder, expires_at, now)
    return token if holder == owner else token + 1


def mismatch(job_id: str) -> ValidationError:
    """The error for a job rerun with another input."""
    return ValidationError(
        "job_id",
        "this job was started with another input (or other options); use a new job_id "
        "for a new input",
        value=job_id,
    )


def claimed_elsewhere(job_id: str, owner: str, expires_at: float, now: float) -> CoordinationError:
    """The error for a job another owner holds."""
    return CoordinationError(
        f"job {job_id!r} is being run by {owner} (claim expires in {max(0.0, expires_at - now):.0f}"
        " s); two processes never run one job"
    )


def lost(claim: Claim) -> CoordinationError:
    """The error for a fenced write whose claim was taken over."""
    return CoordinationError(
        f"job {claim.job_id!r}: claim of {claim.owner} (token {claim.token}) was taken over; "
        "this process stops writing"
    )


class MemoryJournal:
    """A :class:`Journal` in this process's memory (tests, one-shot scripts); lost on exit.

    ``clock`` (epoch seconds) is injectable to test claim expiry.
    """

    def __init__(self, *, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._jobs: dict[str, dict[str, Any]] = {}
        self._steps: dict[str, dict[str, Step]] = {}

    async def claim(self, job_id: str, fingerprint: str, *, owner: str, ttl: float) -> Claim:
        """See :meth:`Journal.claim`."""
        check_claim_args(job_id, fingerprint, owner, ttl)
        now = self._clock()
        job = self._jobs.setdefault(
            job_id, {"fingerprint": fingerprint, "owner": None, "token": 0, "expires_at": 0.0}
        )
        stored = (job["fingerprint"], job["owner"], job["token"], job["expires_at"])
        job.update(
            owner=owner,
            token=next_token(job_id, fingerprint, owner, stored, now),
            expires_at=now + ttl,
        )
        return Claim(job_id, owner, job["token"], job["expires_at"])

    async def release(self, claim: Claim) -> None:
        """See :meth:`Journal.release`."""
        job = self._held(claim)
        if job is not None:
            job.update(owner=None, expires_at=0.0)

    async def write(self, claim: Claim, steps: Sequence[StepWrite]) -> None:
        """See :meth:`Journal.write`."""
        if self._held(claim) is None:
            raise lost(claim)
        now = self._clock()
        book = self._steps.setdefault(claim.job_id, {})
        for step in steps:
            book[step.name] = Step(step.name, step.phase, _frozen_data(step.data), now)

    async def steps(self, job_id: str) -> dict[str, Step]:
        """See :meth:`Journal.steps`."""
        return dict(self._steps.get(job_id, {}))

    def _held(self, claim: Claim) -> dict[str, Any] | None:
        """The job's record while ``claim`` is its current claim, else None."""
        job = self._jobs.get(claim.job_id)
        if job is None or job["token"] != claim.token or job["owner"] != claim.owner:
            return None
        return job


def _frozen_data(data: Mapping[str, Any]) -> dict[str, Any]:
    # A JSON round trip: the same values (and the same refusals) as the persistent journals.
    loaded: dict[str, Any] = json.loads(_dumps(data))
    return loaded


def _dumps(data: Mapping[str, Any]) -> str:
    try:
        return json.dumps(dict(data), separators=(",", ":"), allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise ValidationError("data", f"step data must be JSON: {exc}") from exc


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
    (or ``async with``). Raises :class:`CoordinationError` when the file cannot be used.
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
            _dumps(step.data)  # refuse non-JSON data here, in the caller's task
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._pending.append((claim, steps, future))
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._flush())
        await future

    async def steps(self, job_id: str) -> dict[str, Step]:
        """See :meth:`Journal.steps`."""
        steps: dict[str, Step] = await self._run(self._read_steps, job_id)
        return steps

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
            [(claim.job_id, s.name, s.phase, _dumps(s.data), now) for s in steps],
        )
        return None

    def _read_steps(self, job_id: str) -> dict[str, Step]:
        rows = (
            self._conn()
            .execute("SELECT name, phase, data, at FROM ccasync_steps WHERE job_id = ?", (job_id,))
            .fetchall()
        )
        return {name: Step(name, phase, json.loads(data), at) for name, phase, data, at in rows}


class JobRun:
    """One run of a job: its claim (renewed by a heartbeat task), its steps, fenced writes.

    Use as ``async with JobRun(journal, job_id, fingerprint) as run:``; entering claims the
    job and reads its steps (:attr:`steps`, kept up to date by this run's writes); leaving
    releases the claim. :meth:`intend` and :meth:`record` merge the new data over the step's
    earlier data. A lost claim makes the next write raise :class:`CoordinationError`.
    """

    def __init__(
        self,
        journal: Journal,
        job_id: str,
        fingerprint: str,
        *,
        owner: str | None = None,
        ttl: float = DEFAULT_CLAIM_TTL,
    ) -> None:
        self.journal = journal
        self.job_id = job_id
        self.fingerprint = fingerprint
        self.owner = owner or new_owner()
        self.ttl = ttl
        self.steps: dict[str, Step] = {}
        self.writes = 0
        self._claim: Claim | None = None
        self._heartbeat: asyncio.Task[None] | None = None

    async def __aenter__(self) -> Self:
        self._claim = await self.journal.claim(
            self.job_id, self.fingerprint, owner=self.owner, ttl=self.ttl
        )
        self.steps = await self.journal.steps(self.job_id)
        self._heartbeat = asyncio.create_task(self._beat())
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._heartbeat is not None:
            self._heartbeat.cancel()
            with contextlib.suppress(asyncio.CancelledError, CoordinationError):
                await self._heartbeat
        if self._claim is not None:
            with contextlib.suppress(CoordinationError):
                await self.journal.release(self._claim)

    async def _beat(self) -> None:
        while self._claim is not None:
            await asyncio.sleep(self.ttl / 3)
            renewed = await self.journal.claim(
                self.job_id, self.fingerprint, owner=self.owner, ttl=self.ttl
            )
            if renewed.token != self._claim.token:
                # Another owner held the job meanwhile: this run's claim is lost for good.
                await self.journal.release(renewed)
                return
            self._claim = renewed

    def get(self, name: str) -> Step | None:
        """The step called ``name``, or None."""
        return self.steps.get(name)

    def data(self, name: str) -> Mapping[str, Any]:
        """The data of step ``name`` (empty when there is none)."""
        step = self.steps.get(name)
        return step.data if step is not None else {}

    def is_done(self, name: str) -> bool:
        """True when step ``name`` is recorded ``done``."""
        step = self.steps.get(name)
        return step is not None and step.phase == "done"

    async def intend(self, step: str, /, **data: Any) -> None:
        """Record, before a side effect, that ``step`` is about to happen (durably)."""
        await self.write([(step, "intent", data)])

    async def record(self, step: str, /, **data: Any) -> None:
        """Record that ``step`` happened, with what it produced."""
        await self.write([(step, "done", data)])

    async def write(self, entries: Sequence[tuple[str, Phase, Mapping[str, Any]]]) -> None:
        """Write several steps in one transaction (each merged over its earlier data)."""
        if self._claim is None:
            raise RuntimeError("JobRun used outside 'async with'")
        merged = [
            StepWrite(name, phase, {**self.data(name), **data}) for name, phase, data in entries
        ]
        await self.journal.write(self._claim, merged)
        self.writes += 1
        now = time.time()
        for step in merged:
            self.steps[step.name] = Step(step.name, step.phase, dict(step.data), now)
