"""``ccasync import FILE --list NAME|--list-id ID``: a CSV of contacts into a list, accounted for.

Order of work: read and check the file (header, encoding, delimiter, the first 1,000 rows)
before any API call; only then resolve the list (``--list`` is created if missing, so a bad
file never leaves an empty list behind); then stream the rows through
:func:`ccasync.ops.imports.import_contacts` with a progress bar on stderr. The summary
(counts, the first rejected rows and why) is printed at the end, after Ctrl-C too (with what
was imported and how to resume). When every finished payload has failed (at least two), no
more rows are sent: the import ends early and says why.
"""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path
from typing import Any

from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from ccasync.cli._csvfile import CsvInput, check_rows, parse_maps
from ccasync.cli._output import Exit, Output, classify, plain, safe
from ccasync.cli._session import open_client
from ccasync.cli._settings import Settings
from ccasync.client import Client
from ccasync.errors import BulkError, ConfigError, NotFoundError, ValidationError
from ccasync.journal import SqliteJournal
from ccasync.ops.imports import API_MAX_ROWS, ImportProgress, ImportResult, import_contacts

SHOWN_PROBLEMS = 20
"""Rejected or failed rows listed in the summary."""
EARLY_STOP_PAYLOADS = 2
"""Finished payloads that must all have failed before the import stops sending."""


def add_parser(commands: Any, common: dict[str, Any]) -> None:
    """Add ``import`` to ``commands`` (an argparse subparsers object)."""
    imp = commands.add_parser(
        "import",
        help="import a CSV of contacts into a list",
        description=__doc__,
        **common,
    )
    imp.add_argument(
        "csv",
        metavar="FILE",
        help="CSV file; header: import keys (email, first_name, cf:<field>, ...) or the "
        "labels of a Constant Contact export (Email address, First name, ...)",
    )
    target = imp.add_mutually_exclusive_group(required=True)
    target.add_argument("--list-id", help="id of the list to add the contacts to")
    target.add_argument(
        "--list", dest="list_name", help="name of the list (created if missing, after the checks)"
    )
    imp.add_argument(
        "--encoding",
        default="auto",
        help="file encoding: auto (UTF-8, or UTF-16/32 with a BOM; default), cp1252, latin-1...",
    )
    imp.add_argument("--delimiter", default=",", help="cell separator (default ',')")
    imp.add_argument(
        "--map",
        dest="maps",
        action="append",
        default=[],
        metavar="COLUMN=KEY",
        help='map a column to an import key, e.g. --map "Email Address=email" or '
        '--map "Store=cf:store"; "Column=" drops it (repeatable)',
    )
    imp.add_argument(
        "--dry-run",
        action="store_true",
        help="check every row and print what would be rejected; no API call",
    )
    imp.add_argument(
        "--payload-rows",
        type=int,
        default=API_MAX_ROWS,
        help=f"contacts per import payload, 1-{API_MAX_ROWS} (default {API_MAX_ROWS}); "
        "smaller payloads show progress sooner",
    )
    imp.add_argument(
        "--journal",
        metavar="JOBS_DB",
        help="sqlite job journal (created if missing): a rerun of the same file into the same "
        "list resumes where it stopped instead of resending accepted payloads",
    )


def journal_options(args: argparse.Namespace, list_id: str) -> dict[str, Any]:
    """Keyword arguments of import_contacts for ``--journal`` (none without it).

    The job id names the file and the list, so rerunning the same command resumes the job; the
    journal refuses a changed file under the same id (payload by payload) with a clear error.
    """
    if args.journal is None:
        return {}
    job_id = f"import:{Path(args.csv).resolve()}:{list_id}"
    return {"journal": SqliteJournal(args.journal), "job_id": job_id}


async def run(args: argparse.Namespace, settings: Settings, out: Output) -> Exit:
    """Run ``import``."""
    if not 1 <= args.payload_rows <= API_MAX_ROWS:
        raise ConfigError(f"--payload-rows must be 1-{API_MAX_ROWS}, got {args.payload_rows}")
    source = CsvInput(
        Path(args.csv),
        encoding=args.encoding,
        delimiter=args.delimiter,
        maps=parse_maps(args.maps),
    )
    try:
        _check_sample(source)
        if source.columns.dropped:
            dropped = ", ".join(repr(c) for c in source.columns.dropped)
            out.note(f"columns not imported: {safe(dropped)}")
        if args.dry_run:
            return _dry_run(source, out)
        account = settings.account(args.account)
        async with open_client(settings, account) as cc:
            list_id = await _list_id(cc, args)
            options = {"max_rows": args.payload_rows, **journal_options(args, list_id)}
            try:
                return await _import(cc, source, list_id, options, out)
            finally:
                if "journal" in options:
                    await options["journal"].aclose()
    finally:
        source.close()


def _check_sample(source: CsvInput) -> None:
    problems = check_rows(source.sample, source.issues)
    if source.sample and len(problems) == len(source.sample):
        shown = "; ".join(f"row {row}: {reason}" for row, reason in problems[:3])
        raise ValidationError(
            "rows", f"none of the first {len(source.sample)} rows can be imported ({shown})"
        )


def _dry_run(source: CsvInput, out: Output) -> Exit:
    rows = list(source.rows())
    problems = check_rows(rows, source.issues)
    if source.failure:
        problems.append((source.row + 1, source.failure))
    document = {
        "ok": not problems,
        "dry_run": True,
        "file": str(source.path),
        "encoding": source.encoding,
        "rows_read": len(rows),
        "valid": len(rows) - len(problems),
        "rejected": len(problems),
        "columns": dict(zip(source.columns.header, source.columns.keys, strict=True)),
        "first_problems": [
            {"row": row, "field": None, "reason": plain(reason)}
            for row, reason in problems[:SHOWN_PROBLEMS]
        ],
    }
    if out.as_json:
        out.emit(document)
    else:
        out.line(
            f"dry run: {len(rows):,} rows read, {len(rows) - len(problems):,} valid, "
            f"{len(problems):,} would be rejected (no API call made)"
        )
        _print_problems(out, [(row, None, reason) for row, reason in problems])
    return Exit.OK if not problems else Exit.FAILED


async def _list_id(cc: Client, args: argparse.Namespace) -> str:
    if args.list_id is None:
        found = await cc.lists.get_or_create(args.list_name)
        return found.list_id
    try:
        return (await cc.lists.get(args.list_id)).list_id
    except NotFoundError:
        raise ValidationError("--list-id", "no list with this id in the account") from None


class _Tracker:
    """The progress bar (bytes of the file read) and the last snapshot of the import."""

    def __init__(self, source: CsvInput, out: Output) -> None:
        self.source = source
        self.last: ImportProgress | None = None
        self.bar = Progress(
            TextColumn("[bold]import[/bold]"),
            BarColumn(),
            TextColumn("{task.percentage:>3.0f}%"),
            TextColumn("{task.description}"),
            TimeElapsedColumn(),
            console=out.err,
            transient=False,
        )
        self.task: TaskID = self.bar.add_task("", total=max(1, source.size))

    def update(self, snapshot: ImportProgress) -> None:
        self.last = snapshot
        self.bar.update(
            self.task,
            completed=self.source.position(),
            description=f"read {snapshot.rows_read:,} imported {snapshot.rows_imported:,} "
            f"rejected {snapshot.rows_rejected:,} failed {snapshot.rows_failed:,}",
        )
        done = snapshot.chunks_done
        if done >= EARLY_STOP_PAYLOADS and snapshot.rows_imported == 0 and snapshot.rows_failed:
            self.source.stop(f"the first {done} payloads all failed")


async def _import(
    cc: Client, source: CsvInput, list_id: str, options: dict[str, Any], out: Output
) -> Exit:
    tracker = _Tracker(source, out)
    try:
        with tracker.bar:
            result = await import_contacts(
                cc, source.rows(), list_ids=[list_id], progress=tracker.update, **options
            )
    except asyncio.CancelledError:
        return _interrupted(tracker, list_id, out)
    except BulkError as exc:
        status, hint = classify(exc)
        out.error(str(exc), hint)
        if isinstance(exc.result, ImportResult):
            _summary(exc.result, source, list_id, out, status)
        return status
    status = Exit.OK if result.ok and source.failure is None else Exit.FAILED
    _summary(result, source, list_id, out, status)
    return status


def _problems(result: ImportResult, source: CsvInput) -> list[tuple[int, str | None, str]]:
    shown: list[tuple[int, str | None, str]] = []
    for issue in result.iter_failures():
        if len(shown) >= SHOWN_PROBLEMS:
            break
        reason = source.issues.get(issue.row)
        shown.append((issue.row, None if reason else issue.field, reason or issue.reason))
    return shown


def _summary(
    result: ImportResult, source: CsvInput, list_id: str, out: Output, status: Exit
) -> None:
    problems = _problems(result, source)
    reasons = {chunk.reason for chunk in result.failed_items if chunk.reason}
    stopped = result.stopped or source.stop_reason
    if source.stop_reason and len(reasons) == 1:
        stopped = f"{source.stop_reason} with: {next(iter(reasons))}"
    document = {
        "ok": status is Exit.OK,
        "exit_code": int(status),
        "file": str(source.path),
        "list_id": list_id,
        "rows_read": result.rows_read,
        "imported": result.imported,
        "rejected": result.rejected,
        "failed": result.failed,
        "merged": result.merged,
        "not_added_to_lists": result.not_added_to_lists,
        "calls": result.calls,
        "activity_ids": result.activity_ids,
        "stopped": plain(stopped) if stopped else None,
        "file_error": source.failure,
        "interrupted": False,
        "first_problems": [
            {"row": row, "field": field, "reason": plain(reason)} for row, field, reason in problems
        ],
    }
    if out.as_json:
        out.emit(document)
        return
    out.line(
        f"imported {result.imported:,}, rejected {result.rejected:,}, failed {result.failed:,} "
        f"of {result.rows_read:,} rows read ({result.calls:,} API calls)"
    )
    if stopped:
        out.line(f"[yellow]stopped early:[/yellow] {safe(stopped)}")
    if source.failure:
        out.line(f"[red]file error:[/red] {safe(source.failure)}")
    _print_problems(out, problems)


def _print_problems(out: Output, problems: list[tuple[int, str | None, str]]) -> None:
    if not problems:
        return
    out.line(f"first {min(len(problems), SHOWN_PROBLEMS)} rows that did not make it:")
    for row, field, reason in problems[:SHOWN_PROBLEMS]:
        where = f"{field}: " if field else ""
        out.line(f"  row {row}: {safe(where)}{safe(reason)}")


def _interrupted(tracker: _Tracker, list_id: str, out: Output) -> Exit:
    snap = tracker.last
    imported = snap.rows_imported if snap else 0
    read = snap.rows_read if snap else 0
    hint = (
        "run the same command again to finish: contacts are matched by email, so rows already "
        "imported are updated, not duplicated (with --journal, payloads already accepted are "
        "not sent again)"
    )
    out.error(
        f"interrupted after {read:,} rows read; {imported:,} contacts confirmed imported "
        "(payloads already sent may still complete)",
        hint,
    )
    if out.as_json:
        out.emit(
            {
                "ok": False,
                "exit_code": int(Exit.INTERRUPTED),
                "interrupted": True,
                "file": str(tracker.source.path),
                "list_id": list_id,
                "rows_read": read,
                "imported": imported,
                "rejected": snap.rows_rejected if snap else 0,
                "failed": snap.rows_failed if snap else 0,
                "resume": hint,
            }
        )
    return Exit.INTERRUPTED
