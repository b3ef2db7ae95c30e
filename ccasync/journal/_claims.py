"""The claim rules every journal implementation shares: owners, takeover, and their errors."""

from __future__ import annotations

import os
import socket
import uuid

from ccasync.errors import CoordinationError, ValidationError
from ccasync.journal._contract import Claim


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


def check_claim_args(job_id: str, fingerprint: str, owner: str, ttl: float) -> None:
    """Refuse an empty ``job_id``/``fingerprint``/``owner`` or a ``ttl`` that is not > 0."""
    for field, value in (("job_id", job_id), ("fingerprint", fingerprint), ("owner", owner)):
        if not isinstance(value, str) or not value or len(value) > 200:
            raise ValidationError(field, "must be a non-empty str of at most 200 characters")
    if not ttl > 0:
        raise ValidationError("ttl", "must be > 0 seconds", value=ttl)


def check_job_id(job_id: str) -> None:
    """Refuse a ``job_id`` that is not a non-empty str of at most 200 characters."""
    if not isinstance(job_id, str) or not job_id or len(job_id) > 200:
        raise ValidationError("job_id", "must be a non-empty str of at most 200 characters")


def refuse_if_running(job_id: str, holder: str | None, expires_at: float, now: float) -> None:
    """Raise :class:`CoordinationError` while ``holder``'s claim on the job is live (not
    expired, not a dead process of this host): the job is being run and cannot be forgotten."""
    if holder and expires_at > now and not owner_is_dead(holder):
        raise claimed_elsewhere(job_id, holder, expires_at, now)


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
