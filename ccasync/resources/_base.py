"""The base of every resource class: it holds the requestor and nothing else."""

from __future__ import annotations

from ccasync._requestor import Requestor


class Resource:
    """One API area (path + params + (un)structure); all I/O goes through the requestor."""

    def __init__(self, requestor: Requestor) -> None:
        self._requestor = requestor
