"""Export contacts to a CSV file: start the export activity, wait for it, stream the file to disk.

API calls: 1 POST, the status polls of ``cc.activities.wait``, 1 streamed GET. The file is
written chunk by chunk to ``<path>.part`` (created exclusively, no-follow, mode 0600) and
renamed to ``path`` only once complete, so a failed or interrupted export never leaves a
truncated file under the final name. The whole export is bounded in time and size.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

import attrs

from ccasync.config import DEFAULT_WAIT_TIMEOUT, check_number
from ccasync.errors import BulkError, DecodeError, RequestTimeoutError, ValidationError
from ccasync.models.activities import Activity
from ccasync.ops._formulas import FormulaGuard

if TYPE_CHECKING:
    from ccasync.client import Client

__all__ = ["DEFAULT_MAX_EXPORT_BYTES", "ExportResult", "export_contacts"]

DEFAULT_MAX_EXPORT_BYTES = 4 * 1024**3
"""The default bound of one export download: 4 GiB (about ten million contacts of 400 bytes)."""


@attrs.frozen
class ExportResult:
    """A finished export: where it went, its activity, its size and the calls it cost.

    ``contacts`` is the activity's ``items_total_count`` (None when the API gave none).
    """

    path: Path
    activity_id: str
    bytes_written: int
    contacts: int | None
    calls: int


async def export_contacts(
    client: Client,
    path: str | os.PathLike[str],
    *,
    list_ids: Sequence[str] | None = None,
    contact_ids: Sequence[str] | None = None,
    tag_ids: Sequence[str] | None = None,
    status: str | None = None,
    fields: Sequence[str] | None = None,
    timeout: float = DEFAULT_WAIT_TIMEOUT,
    max_bytes: int = DEFAULT_MAX_EXPORT_BYTES,
    neutralize_formulas: bool = False,
) -> ExportResult:
    """Export contacts as CSV into ``path`` (replaced) and return what was written.

    At most one selector (``list_ids`` ≤ 50, ``contact_ids`` ≤ 500, ``tag_ids`` ≤ 50); none
    exports every contact. ``fields`` names the CSV columns. Memory stays flat (the body is
    streamed).

    Bounds: ``timeout`` is the most seconds for the whole export, waiting for the activity and
    downloading the file (default 3,600); ``max_bytes`` the most bytes the download may bring
    (default 4 GiB), so a server that trickles or never ends cannot hold the call or fill the
    disk.

    Files: the body goes to ``<path>.part``, created exclusively (never through an existing
    file or a planted symlink) with mode 0600 (it holds e-mail addresses), and is renamed to
    ``path`` only once complete; any failure removes it.

    ``neutralize_formulas``: prefix an apostrophe to every cell beginning with ``=``, ``+``,
    ``-``, ``@``, a tab or a carriage return, so a spreadsheet shows it as text instead of
    running it as a formula (CSV injection). Off by default: it changes cells (``-5`` becomes
    ``'-5``) and rewrites the file as RFC 4180 CSV.

    Raises ValidationError (bad selectors, before any call; ``<path>.part`` already exists:
    another export to ``path`` is running or one was killed, remove it), :class:`BulkError`
    (``.result`` = the activity) when the activity ends in any state but ``completed``,
    WaitTimeoutError when the activity outlasts ``timeout``, RequestTimeoutError when the
    download does, DecodeError past ``max_bytes`` (or invalid CSV with
    ``neutralize_formulas``), APIError subclasses.
    """
    check_number("max_bytes", max_bytes, low=0, high=2**50, integer=True)
    target = Path(path)
    started_at = time.monotonic()
    with client.count_calls() as count:
        started = await client.activities.export_contacts(
            list_ids=list_ids,
            contact_ids=contact_ids,
            tag_ids=tag_ids,
            status=status,
            fields=fields,
        )
        done = await client.activities.wait(started.activity_id, timeout=timeout)
        if done.state != "completed":
            errors = "; ".join(done.activity_errors[:5])
            raise BulkError(
                f"contact export {done.activity_id} ended {done.state}: {errors}", result=done
            )
        left = max(0.0, timeout - (time.monotonic() - started_at))
        limits = _Limits(seconds=left, max_bytes=max_bytes, guard=neutralize_formulas)
        written = await _download(client, done, target, limits)
    total = done.status.items_total_count if done.status is not None else None
    return ExportResult(
        path=target,
        activity_id=started.activity_id,
        bytes_written=written,
        contacts=total,
        calls=count.calls,
    )


@attrs.frozen
class _Limits:
    seconds: float
    max_bytes: int
    guard: bool


async def _download(client: Client, export: Activity, target: Path, limits: _Limits) -> int:
    partial = target.with_name(target.name + ".part")
    handle = _create_private(partial)
    try:
        with handle:
            written = await _copy(client, export, handle, limits)
        os.replace(partial, target)
    except BaseException:
        with contextlib.suppress(OSError):
            partial.unlink()
        raise
    return written


async def _copy(client: Client, export: Activity, handle: BinaryIO, limits: _Limits) -> int:
    guard = FormulaGuard() if limits.guard else None
    received = written = 0
    timed_out = False
    try:
        async with asyncio.timeout(limits.seconds):
            async with client.activities.download_export(export) as chunks:
                async for chunk in chunks:
                    received += len(chunk)
                    if received > limits.max_bytes:
                        raise DecodeError(
                            f"contact export {export.activity_id} is larger than "
                            f"max_bytes={limits.max_bytes:,}"
                        )
                    data = guard.feed(chunk) if guard is not None else chunk
                    written += handle.write(data)
            if guard is not None:
                written += handle.write(guard.close())
    except TimeoutError:
        timed_out = True
    if timed_out:  # raised outside the handler: nothing of the cancelled read is chained
        raise RequestTimeoutError(
            f"contact export {export.activity_id}: download not finished within the timeout"
        )
    return written


def _create_private(partial: Path) -> BinaryIO:
    """Open ``partial`` for writing: new (O_EXCL), not through a symlink, readable by us only."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW | _CLOEXEC
    try:
        fd = os.open(partial, flags, 0o600)
    except FileExistsError:
        raise ValidationError(
            "path",
            f"{partial} already exists: another export to this path is running, "
            "or one was killed (remove the file)",
        ) from None
    return os.fdopen(fd, "wb")


_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
