"""Import resume: the journal steps of one import job, and finding a POST whose answer was lost.

Steps (names in the job's journal):

- ``fields``: the account's custom fields as the first run read them, so that every rerun
  checks rows against the same names (and rows land in the same payloads) without a call;
- ``payload/<k>``: ``intent`` before payload ``k``'s POST (its row range, row count and a
  digest of its bytes), ``done`` with its ``activity_id`` after the 201, and, once the
  activity ended, its outcome (``final``: counts, reason and the rows the API named).

Chunking is deterministic for a given input and options, so a rerun rebuilds payload ``k``
with the same rows; its digest is checked against the journal before anything is skipped,
and a different payload raises :class:`ValidationError` (the input changed under the job id).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from ccasync.errors import ValidationError
from ccasync.journal import JobRun, fingerprint
from ccasync.ops._common import RowIssue
from ccasync.ops.imports._encoder import Chunk
from ccasync.ops.imports._result import ChunkOutcome, ImportResult
from ccasync.ops.imports._submit import fail_whole


def import_fingerprint(source: Any, options: Mapping[str, Any]) -> str:
    """The job fingerprint: the file (size + first/last blocks) when ``source`` is a path, and
    every option that shapes the payloads. Other sources are checked payload by payload."""
    if isinstance(source, str | os.PathLike):
        return fingerprint("import_contacts", Path(source), dict(options))
    return fingerprint("import_contacts", "stream", dict(options))


def digest(payload: bytes) -> str:
    """A short digest of a payload's bytes."""
    return hashlib.blake2b(payload, digest_size=12).hexdigest()


def _name(chunk: Chunk | ChunkOutcome) -> str:
    return f"payload/{chunk.index}"


class ImportSteps:
    """The import's view of a :class:`JobRun`: what to skip, what to poll, what to record."""

    def __init__(self, run: JobRun) -> None:
        self.run = run

    def fields(self) -> tuple[dict[str, str], dict[str, str]] | None:
        """The custom fields recorded by the first run (by folded name, by id), or None."""
        data = self.run.data("fields")
        if not self.run.is_done("fields"):
            return None
        return dict(data["by_name"]), dict(data["by_id"])

    async def record_fields(self, by_name: dict[str, str], by_id: dict[str, str]) -> None:
        """Keep the custom fields this run checks rows against."""
        await self.run.record("fields", by_name=by_name, by_id=by_id)

    def earlier(self, chunk: Chunk) -> Mapping[str, Any] | None:
        """The journal's data for ``chunk`` after checking it is the same payload, or None."""
        step = self.run.get(_name(chunk))
        if step is None:
            return None
        assert chunk.payload is not None
        if step.data.get("digest") != digest(chunk.payload):
            raise ValidationError(
                "job_id",
                f"payload {chunk.index} (rows {min(chunk.rows)}..{max(chunk.rows)}) differs "
                "from the one this job sent before: the input changed; use a new job_id",
                value=self.run.job_id,
            )
        return step.data

    def finished_before(self, index: int) -> bool:
        """True when the journal holds payload ``index``'s final outcome."""
        return self.run.data(f"payload/{index}").get("final") is not None

    def known_ids(self) -> set[str]:
        """Every activity id this job recorded."""
        return {
            str(step.data["activity_id"])
            for step in self.run.steps.values()
            if step.name.startswith("payload/") and step.data.get("activity_id")
        }

    def anchor(self, index: int) -> str | None:
        """The activity id of the closest earlier payload with one (listing search bound)."""
        for k in range(index - 1, -1, -1):
            found = self.run.data(f"payload/{k}").get("activity_id")
            if found:
                return str(found)
        return None

    async def before_post(self, chunk: Chunk, outcome: ChunkOutcome, now: dt.datetime) -> None:
        """Record the payload's rows durably before its POST (``now``: the client's clock)."""
        assert chunk.payload is not None
        await self.run.intend(
            _name(chunk),
            posted_at=now.isoformat(),
            first_row=outcome.first_row,
            last_row=outcome.last_row,
            rows=chunk.count,
            digest=digest(chunk.payload),
        )

    async def accepted(self, chunk: Chunk | ChunkOutcome, activity_id: str) -> None:
        """Record the activity the API created for the payload."""
        await self.run.record(_name(chunk), activity_id=activity_id)

    async def finished(self, outcome: ChunkOutcome, named: Sequence[RowIssue]) -> None:
        """Record a payload whose activity reached a terminal state: a rerun needs no call."""
        await self.run.record(
            _name(outcome),
            final={
                "outcome": outcome.outcome,
                "imported": outcome.imported,
                "failed": outcome.failed,
                "unmapped": outcome.unmapped_failures,
                "not_added": outcome.not_added_to_lists,
                "reason": outcome.reason,
                "rows": [[issue.row, issue.reason] for issue in named],
                "whole": outcome.whole_chunk_rows is not None,
            },
        )


def replay_final(
    result: ImportResult, chunk: Chunk, outcome: ChunkOutcome, final: Mapping[str, Any]
) -> None:
    """Fill ``outcome`` (and the result's counts) from a recorded final outcome."""
    if final.get("whole"):
        fail_whole(result, chunk, outcome, final["outcome"], str(final["reason"]))
        return
    outcome.outcome = final["outcome"]
    outcome.imported = int(final["imported"])
    outcome.failed = int(final["failed"])
    outcome.unmapped_failures = int(final["unmapped"])
    outcome.not_added_to_lists = int(final["not_added"])
    outcome.reason = final["reason"]
    result.failed_rows += [RowIssue(int(row), None, str(reason)) for row, reason in final["rows"]]
    result.imported += outcome.imported
    result.failed += outcome.failed
    result.not_added_to_lists += outcome.not_added_to_lists


def posted_at(data: Mapping[str, Any]) -> dt.datetime:
    """When the payload's POST was about to go out (client clock), from its intent step."""
    return dt.datetime.fromisoformat(str(data["posted_at"]))
