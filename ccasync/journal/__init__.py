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

Modules: ``_contract`` (the protocol and its records), ``_claims`` (the claim rules every
implementation keeps), ``_fingerprint``, ``_memory``, ``_sqlite``, ``_run`` (:class:`JobRun`).
"""

# Explicit re-exports (``as``) outside ``__all__``: the claim rules, for the implementations
# of Journal in other packages (``ccasync.redis``).
from ccasync.journal._claims import check_claim_args as check_claim_args
from ccasync.journal._claims import check_job_id as check_job_id
from ccasync.journal._claims import claimed_elsewhere as claimed_elsewhere
from ccasync.journal._claims import lost as lost
from ccasync.journal._claims import mismatch as mismatch
from ccasync.journal._claims import new_owner
from ccasync.journal._claims import next_token as next_token
from ccasync.journal._claims import owner_is_dead as owner_is_dead
from ccasync.journal._claims import refuse_if_running as refuse_if_running
from ccasync.journal._contract import (
    DEFAULT_CLAIM_TTL,
    Claim,
    Journal,
    Phase,
    Step,
    StepWrite,
)
from ccasync.journal._contract import encode_data as encode_data
from ccasync.journal._fingerprint import fingerprint
from ccasync.journal._memory import MemoryJournal
from ccasync.journal._run import JobRun
from ccasync.journal._sqlite import SqliteJournal

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
