"""Export contacts to a CSV file: start the export activity, wait for it, stream the file to disk.

API calls: 1 POST, the status polls of ``cc.activities.wait``, 1 streamed GET. The file is
written chunk by chunk to ``<path>.part`` and renamed to ``path`` only once complete, so a
failed or interrupted export never leaves a truncated file under the final name.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import attrs

from ccasync.errors import BulkError
from ccasync.models.activities import Activity

if TYPE_CHECKING:
    from ccasync.client import Client

__all__ = ["ExportResult", "export_contacts"]


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
    timeout: float | None = None,
) -> ExportResult:
    """Export contacts as CSV into ``path`` (overwritten) and return what was written.

    At most one selector (``list_ids`` ≤ 50, ``contact_ids`` ≤ 500, ``tag_ids`` ≤ 50); none
    exports every contact. ``fields`` names the CSV columns; ``timeout`` is the most seconds to
    wait for the export activity. Memory stays flat (the body is streamed). Raises
    ValidationError (bad selectors, before any call), :class:`BulkError` (``.result`` = the
    activity) when the activity ends in any state but ``completed``, WaitTimeoutError past
    ``timeout``, APIError subclasses.
    """
    target = Path(path)
    calls_before = client.calls
    started = await client.activities.export_contacts(
        list_ids=list_ids, contact_ids=contact_ids, tag_ids=tag_ids, status=status, fields=fields
    )
    done = await client.activities.wait(started.activity_id, timeout=timeout)
    if done.state != "completed":
        errors = "; ".join(done.activity_errors[:5])
        raise BulkError(
            f"contact export {done.activity_id} ended {done.state}: {errors}", result=done
        )
    written = await _download(client, done, target)
    total = done.status.items_total_count if done.status is not None else None
    return ExportResult(
        path=target,
        activity_id=started.activity_id,
        bytes_written=written,
        contacts=total,
        calls=client.calls - calls_before,
    )


async def _download(client: Client, export: Activity, target: Path) -> int:
    partial = target.with_name(target.name + ".part")
    written = 0
    try:
        with partial.open("wb") as handle:
            async with client.activities.download_export(export) as chunks:
                async for chunk in chunks:
                    handle.write(chunk)
                    written += len(chunk)
        os.replace(partial, target)
    except BaseException:
        with contextlib.suppress(OSError):
            partial.unlink()
        raise
    return written
