"""What a journal is: the :class:`Journal` protocol and the records it reads and writes."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any, Literal, Protocol, runtime_checkable

import attrs

from ccasync.errors import ValidationError

Phase = Literal["intent", "done"]
"""``intent``: written before a side effect (it may have happened); ``done``: it happened."""
DEFAULT_CLAIM_TTL = 120.0
"""Seconds a claim lasts without renewal; :class:`JobRun` renews it every third of that."""


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
    """Where jobs keep their steps; every implementation keeps the rules in
    :mod:`ccasync.journal`'s doc (claims, fenced writes, one fingerprint per job)."""

    async def claim(self, job_id: str, fingerprint: str, *, owner: str, ttl: float) -> Claim:
        """Take (or renew, same ``owner``) the job for ``ttl`` seconds; create it if new.

        A takeover (another owner's claim expired, or its owner is a dead process of this
        host) gets the next fencing ``token``; a renewal keeps it. Raises
        :class:`ValidationError` for an empty ``job_id``/``fingerprint``/``owner`` (or one over
        200 characters), a ``ttl`` not > 0, or a job that exists with another fingerprint, and
        :class:`CoordinationError` while another owner's claim has not expired.
        """

    async def release(self, claim: Claim) -> None:
        """Give the job up (a no-op if the claim was lost); its steps stay."""

    async def write(self, claim: Claim, steps: Sequence[StepWrite]) -> None:
        """Write ``steps`` in one transaction, fenced: raises :class:`CoordinationError` when
        ``claim`` is no longer the job's current claim (nothing is written then)."""

    async def steps(self, job_id: str) -> dict[str, Step]:
        """Every step of the job by name (empty for an unknown job)."""

    async def forget(self, job_id: str) -> bool:
        """Delete the job: its claim and every step (retention; a rerun then starts afresh).

        True when the job existed. Raises :class:`CoordinationError` while another owner's
        claim has not expired (a run in progress; a dead process of this host does not count)
        and :class:`ValidationError` for an empty ``job_id`` or one over 200 characters.
        """


def encode_data(data: Mapping[str, Any]) -> str:
    """A step's ``data`` as compact JSON; :class:`ValidationError` when it is not JSON-able."""
    try:
        return json.dumps(dict(data), separators=(",", ":"), allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise ValidationError("data", f"step data must be JSON: {exc}") from exc
