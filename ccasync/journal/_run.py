"""One run of a job as the bulk operations use it: a kept-alive claim and merged writes."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Mapping, Sequence
from types import TracebackType
from typing import Any, Self

from ccasync.errors import CoordinationError
from ccasync.journal._claims import new_owner
from ccasync.journal._contract import DEFAULT_CLAIM_TTL, Claim, Journal, Phase, Step, StepWrite


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
