"""What the command prints and how it ends: exit codes, safe text, JSON or rich output.

Results go to stdout (one JSON document with ``--json``); progress, notes and errors go to
stderr. Text that comes from outside (the server, a CSV file, an exception) goes through
:func:`safe` before rich sees it: control characters are removed and rich markup is escaped,
so an error message holding ``[/red]`` or ``[link=...]`` prints as written.
"""

from __future__ import annotations

import datetime as dt
import enum
import json
import re
import sys
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from ccasync.errors import (
    AuthenticationError,
    BulkError,
    CCAsyncError,
    ConfigError,
    QuotaExhaustedError,
    RateLimitError,
    RateLimitKind,
    ValidationError,
)


class Exit(enum.IntEnum):
    """The command's exit statuses (stable: scripts and cron rely on them)."""

    OK = 0
    FAILED = 1
    USAGE = 2
    AUTH = 3
    QUOTA = 4
    INTERRUPTED = 130


EPILOG = """\
exit status:
  0    done
  1    some items failed (they are listed)
  2    usage or configuration error (bad option, missing or unreadable file, bad header)
  3    authorization needed (no token, or the token was refused): run `ccasync auth login`
  4    daily API quota exhausted (the reset time is printed)
  130  interrupted (Ctrl-C); what was done so far is printed

environment:
  CCASYNC_ACCESS_TOKEN  access token to use instead of the configured account's token store
  CCASYNC_BASE_URL      API root (default https://api.cc.email/v3; the simulator's /v3 URL)
  CCASYNC_CONFIG        configuration file (default ./ccasync.toml, else
                        $XDG_CONFIG_HOME/ccasync/config.toml)
  XDG_CONFIG_HOME       default token stores: $XDG_CONFIG_HOME/ccasync/tokens/ACCOUNT.json
  XDG_STATE_HOME        daily call ledger: $XDG_STATE_HOME/ccasync/usage.json
"""
"""Appended to every ``--help``: the exit statuses and the environment variables."""

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def safe(value: object) -> str:
    """``value`` as text that rich prints literally: no control characters, markup escaped."""
    return escape(_CONTROL.sub("", str(value)))


def plain(value: object) -> str:
    """``value`` as text without control characters (for JSON and plain stdout)."""
    return _CONTROL.sub("", str(value))


class Output:
    """Where a command writes: ``result`` to stdout (JSON or rich), the rest to stderr."""

    def __init__(self, *, as_json: bool, out: Console | None = None, err: Console | None = None):
        self.as_json = as_json
        self.out = out or Console(file=sys.stdout, highlight=False)
        self.err = err or Console(file=sys.stderr, highlight=False)
        self._emitted = False

    def note(self, text: str) -> None:
        """A progress or information line on stderr (``text`` is rich markup: escape values)."""
        self.err.print(text)

    def error(self, message: object, hint: str | None = None) -> None:
        """``error: message`` on stderr, with an optional hint line (both escaped)."""
        self.err.print(f"[red]error:[/red] {safe(message)}")
        if hint:
            self.err.print(f"  {safe(hint)}")

    def emit(self, document: dict[str, Any]) -> None:
        """The JSON document on stdout (once per run; later calls are ignored)."""
        if self._emitted:
            return
        self._emitted = True
        sys.stdout.write(json.dumps(document, default=_json_default, ensure_ascii=False) + "\n")
        sys.stdout.flush()

    def table(self, title: str, columns: list[str], rows: list[list[object]]) -> None:
        """A rich table on stdout (human mode only); every cell escaped."""
        table = Table(title=safe(title))
        for column in columns:
            table.add_column(column)
        for row in rows:
            table.add_row(*(safe("-" if cell is None else cell) for cell in row))
        self.out.print(table)

    def line(self, text: str) -> None:
        """A result line on stdout (human mode; ``text`` is rich markup: escape values)."""
        self.out.print(text)

    def fail(self, exc: BaseException) -> Exit:
        """Print ``exc`` as the command's failure (never a traceback) and return its exit status."""
        status, hint = classify(exc)
        self.error(describe(exc), hint)
        if self.as_json:
            self.emit(
                {
                    "ok": False,
                    "exit_code": int(status),
                    "error": {"type": type(exc).__name__, "message": plain(describe(exc))},
                    "hint": hint,
                }
            )
        return status


def _json_default(value: object) -> object:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return plain(value)


def describe(exc: BaseException) -> str:
    """A one-line message for ``exc`` (OS and decode errors say which file and where)."""
    if isinstance(exc, UnicodeDecodeError):
        return (
            f"the file is not valid {exc.encoding} (byte 0x{exc.object[exc.start]:02x} "
            f"at offset {exc.start} of the block read)"
        )
    if isinstance(exc, OSError) and exc.filename is not None:
        return f"{exc.filename}: {exc.strerror or exc}"
    return str(exc) or type(exc).__name__


def classify(exc: BaseException) -> tuple[Exit, str | None]:
    """The exit status for ``exc`` and a hint of what to do."""
    cause = exc.__cause__ if isinstance(exc, BulkError) else None
    for error in (exc, cause):
        if isinstance(error, AuthenticationError):
            return Exit.AUTH, "run `ccasync auth login` (or set CCASYNC_ACCESS_TOKEN)"
        if isinstance(error, QuotaExhaustedError):
            return Exit.QUOTA, _reset_hint(error.resets_at)
        if isinstance(error, RateLimitError) and error.kind is RateLimitKind.DAILY_QUOTA:
            return Exit.QUOTA, _reset_hint(None)
    if isinstance(exc, UnicodeDecodeError):
        return Exit.USAGE, "pass --encoding (cp1252 for Excel files, latin-1, utf-16)"
    if isinstance(exc, ConfigError | ValidationError | OSError):
        return Exit.USAGE, None
    if isinstance(exc, CCAsyncError):
        return Exit.FAILED, None
    return Exit.FAILED, None


def _reset_hint(resets_at: object) -> str:
    if isinstance(resets_at, dt.datetime):
        return f"the daily quota resets at {resets_at.isoformat()} (00:00 UTC)"
    return "the daily quota resets at 00:00 UTC"
