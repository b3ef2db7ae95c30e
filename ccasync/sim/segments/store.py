"""Per-account segment store: records, name uniqueness, ordering and the computed results.

Results model (UNCONFIRMED: the API only says ``GET /contacts?segment_id=`` "may return 202" and
to retry): the first contacts request for a segment starts a computation that finishes
``compute_seconds`` of simulated time later; until then the request answers 202. The members are
taken when the first request after that point reads them, and stay valid for ``result_seconds``
of simulated time or until the segment's criteria change; a later request starts a new
computation. Campaign sends do not use these results: they evaluate the criteria at send time.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable

import attrs

from ..contacts.records import SimContact
from .criteria import Test

COMPUTE_SECONDS = 2.0
RESULT_SECONDS = 900.0


@attrs.define(slots=True, eq=False)
class Computation:
    """One run of a segment's results: when it is ready and, once read, the member ids."""

    ready_at: float
    members: tuple[str, ...] | None = None


@attrs.define(slots=True, eq=False)
class SimSegment:
    """A segment; ``deleted_at`` set = deleted (still readable by id, hidden from the listing)."""

    segment_id: int
    name: str
    criteria: str
    test: Test
    created_at: dt.datetime
    edited_at: dt.datetime
    deleted_at: dt.datetime | None = None
    computation: Computation | None = None

    def matches(self, contact: SimContact) -> bool:
        """True when ``contact`` is live (not deleted) and meets the criteria."""
        return contact.deleted_at is None and self.test(contact)


class SegmentBook:
    """The segments of one account; ids are 1, 2, 3, ... in creation order (never reused).

    ``compute_seconds`` (0 = results at once, no 202) and ``result_seconds`` are attributes so
    tests and demos can change them per account.
    """

    def __init__(self) -> None:
        """An empty store with the default computation timings."""
        self.segments: dict[int, SimSegment] = {}
        self.compute_seconds = COMPUTE_SECONDS
        self.result_seconds = RESULT_SECONDS

    def get(self, segment_id: int) -> SimSegment | None:
        """A segment by id (deleted ones included), or None."""
        return self.segments.get(segment_id)

    def live(self) -> list[SimSegment]:
        """Segments that are not deleted, in creation order."""
        return [s for s in self.segments.values() if s.deleted_at is None]

    def named(self, name: str) -> SimSegment | None:
        """The live segment called ``name`` (case-insensitive; UNCONFIRMED which the API uses)."""
        folded = name.casefold()
        return next((s for s in self.live() if s.name.casefold() == folded), None)

    def add(self, name: str, criteria: str, test: Test, now: dt.datetime) -> SimSegment:
        """A new segment; the caller checked the name is free and the criteria compile."""
        segment_id = max(self.segments, default=0) + 1
        segment = SimSegment(segment_id, name, criteria, test, now, now)
        self.segments[segment_id] = segment
        return segment

    def update(
        self, segment: SimSegment, name: str, criteria: str, test: Test, now: dt.datetime
    ) -> None:
        """Replace name and criteria; changed criteria drop the computed results."""
        if criteria != segment.criteria:
            segment.computation = None
        segment.name, segment.criteria, segment.test = name, criteria, test
        segment.edited_at = now

    def rename(self, segment: SimSegment, name: str, now: dt.datetime) -> None:
        """Change the name only (results stay)."""
        segment.name = name
        segment.edited_at = now

    def delete(self, segment: SimSegment, now: dt.datetime) -> None:
        """Mark deleted: gone from the listing and from contact searches, readable by id."""
        segment.deleted_at = now
        segment.computation = None

    def results(
        self,
        segment: SimSegment,
        now: float,
        contacts: Callable[[], Iterable[SimContact]],
    ) -> tuple[str, ...] | None:
        """The member ids, or None while computing (a missing or stale run is started now).

        ``now`` is the simulated POSIX time; ``contacts`` yields the account's contacts and is
        called only when a finished run is read for the first time.
        """
        run = segment.computation
        if run is None or now >= run.ready_at + self.result_seconds:
            run = segment.computation = Computation(now + self.compute_seconds)
        if now < run.ready_at:
            return None
        if run.members is None:
            run.members = tuple(c.contact_id for c in contacts() if segment.matches(c))
        return run.members
