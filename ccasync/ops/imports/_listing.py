"""Find the activity of an import POST whose answer was lost, in ``GET /activities``."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ccasync.client import Client
    from ccasync.models.activities import Activity

LISTING_PAGES = 2
"""Pages of ``GET /activities`` (50 newest each) searched for a payload whose POST was lost."""
CLOCK_SKEW = dt.timedelta(minutes=2)
"""How far the server's clock may be behind this machine's (``created_at`` vs the client)."""


async def find_accepted(
    client: Client, rows: int, known: set[str], anchor: str | None, since: dt.datetime
) -> Activity | None:
    """The import activity a lost POST created, found in ``GET /activities``, or None.

    Candidates are import activities (their status has ``person_count``) holding ``rows``
    items, created at or after ``since`` (the client's clock before the POST, less
    ``CLOCK_SKEW``), newer than ``anchor`` (the job's previous payload) and unknown to the job; the
    oldest wins, since one job POSTs its payloads one after another. UNCONFIRMED for the real
    API: that the listing shows a JSON import's ``items_total_count`` as its contact count (the
    simulator does). Another job importing a payload of the same size into the same account
    at the same moment could be taken for this one; the import is an upsert, so the cost of
    that mistake is rows reported from the other payload's activity.
    """
    found: list[Activity] = []
    seen = 0
    async for activity in client.activities.iter_all(limit=50):
        seen += 1
        if activity.activity_id == anchor or seen > 50 * LISTING_PAGES:
            break
        status = activity.status
        if (
            status is not None
            and status.person_count is not None
            and status.items_total_count == rows
            and activity.activity_id not in known
            and (activity.created_at is None or activity.created_at >= since - CLOCK_SKEW)
        ):
            found.append(activity)
    return found[-1] if found else None
