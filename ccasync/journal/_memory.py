"""The journal in this process's memory (tests, one-shot scripts)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from ccasync.journal._claims import (
    check_claim_args,
    check_job_id,
    lost,
    next_token,
    refuse_if_running,
)
from ccasync.journal._contract import Claim, Step, StepWrite, encode_data


class MemoryJournal:
    """A :class:`Journal` in this process's memory (tests, one-shot scripts); lost on exit.

    Not shared with other processes (each has its own). Step data goes through a JSON round
    trip, as in the persistent journals: data that is not JSON (``NaN`` and infinities
    included) raises :class:`ValidationError`. ``clock`` (epoch seconds) is injectable to
    test claim expiry.
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

    async def forget(self, job_id: str) -> bool:
        """See :meth:`Journal.forget`."""
        check_job_id(job_id)
        job = self._jobs.get(job_id)
        if job is None:
            return False
        refuse_if_running(job_id, job["owner"], job["expires_at"], self._clock())
        del self._jobs[job_id]
        self._steps.pop(job_id, None)
        return True

    def _held(self, claim: Claim) -> dict[str, Any] | None:
        """The job's record while ``claim`` is its current claim, else None."""
        job = self._jobs.get(claim.job_id)
        if job is None or job["token"] != claim.token or job["owner"] != claim.owner:
            return None
        return job


def _frozen_data(data: Mapping[str, Any]) -> dict[str, Any]:
    # A JSON round trip: the same values (and the same refusals) as the persistent journals.
    loaded: dict[str, Any] = json.loads(encode_data(data))
    return loaded
