"""Request log of the simulator: what the server saw, for tests and benchmarks to assert on."""

from __future__ import annotations

import datetime as dt
import fnmatch
from collections.abc import Iterator

import attrs


@attrs.frozen(slots=True)
class LogEntry:
    """One request: simulated ``time``, wall ``wall``, key, account, method, path, status.

    ``client_id``/``account_id`` are None when the request was not authenticated; ``fault`` names
    an injected fault ("" when none).
    """

    time: dt.datetime
    wall: float
    client_id: str | None
    account_id: str | None
    method: str
    path: str
    query: str
    status: int
    fault: str = ""


class RequestLog:
    """Append-only list of :class:`LogEntry` with small query helpers."""

    def __init__(self, max_entries: int = 2_000_000) -> None:
        """Keep at most ``max_entries`` (oldest dropped first)."""
        self.entries: list[LogEntry] = []
        self.max_entries = max_entries

    def add(self, entry: LogEntry) -> None:
        """Record one request."""
        self.entries.append(entry)
        if len(self.entries) > self.max_entries:
            del self.entries[: len(self.entries) - self.max_entries]

    def __len__(self) -> int:
        """Number of recorded requests."""
        return len(self.entries)

    def __iter__(self) -> Iterator[LogEntry]:
        """Entries, oldest first."""
        return iter(self.entries)

    def filter(
        self,
        *,
        method: str | None = None,
        path: str | None = None,
        status: int | None = None,
        client_id: str | None = None,
        account_id: str | None = None,
    ) -> list[LogEntry]:
        """Entries matching every given criterion; ``path`` is an fnmatch glob ("/v3/contacts*")."""
        return [
            entry
            for entry in self.entries
            if (method is None or entry.method == method)
            and (path is None or fnmatch.fnmatchcase(entry.path, path))
            and (status is None or entry.status == status)
            and (client_id is None or entry.client_id == client_id)
            and (account_id is None or entry.account_id == account_id)
        ]

    def count(
        self,
        *,
        method: str | None = None,
        path: str | None = None,
        status: int | None = None,
        client_id: str | None = None,
        account_id: str | None = None,
    ) -> int:
        """How many entries match (same criteria as :meth:`filter`)."""
        return len(
            self.filter(
                method=method, path=path, status=status, client_id=client_id, account_id=account_id
            )
        )

    def max_in_window(
        self, seconds: float = 1.0, *, client_id: str | None = None, status: int | None = None
    ) -> int:
        """Most requests of ``client_id`` (all when None) with ``status`` in any ``seconds`` window.

        Uses simulated arrival times, i.e. what a strict server would count.
        """
        stamps = [
            e.time.timestamp()
            for e in self.entries
            if client_id in (None, e.client_id) and status in (None, e.status)
        ]
        best = start = 0
        for end, stamp in enumerate(stamps):
            while stamp - stamps[start] >= seconds:
                start += 1
            best = max(best, end - start + 1)
        return best

    def clear(self) -> None:
        """Forget every entry."""
        self.entries.clear()
