"""The segments API area (``/segments``); members: ``cc.contacts.iter_all(segment_id=)``."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from typing import Any

from ccasync import _checks
from ccasync.models.segments import (
    SORTS,
    Segment,
    check_segment_id,
    check_segment_name,
    criteria_text,
)
from ccasync.resources._base import Resource

_MAX_PAGE = 1000  # UNCONFIRMED: the spec gives only the default (1000); the simulator's max.


class SegmentsResource(Resource):
    """The segment endpoints; reach it as ``cc.segments``."""

    async def create(self, name: str, segment_criteria: str | Mapping[str, Any]) -> Segment:
        """Create a segment (``POST /segments``, 201).

        ``name`` 1-255 chars, unique per account; ``segment_criteria`` the query as JSON text or
        a mapping (encoded here), ≤20,000 characters. One API call (not repeated if it may have
        landed: look it up with :meth:`find_by_name`). Raises ValidationError, ConflictError
        (name taken), BadRequestError (criteria the API cannot evaluate), other APIErrors.
        """
        check_segment_name(name)
        body = {"name": name, "segment_criteria": criteria_text(segment_criteria)}
        return await self._requestor.send_model(
            "POST", "/segments", Segment, json=body, expected=(201,)
        )

    async def get(self, segment_id: int) -> Segment:
        """One segment with its criteria (``GET /segments/{segment_id}``); deleted ones too.

        One API call. Raises ValidationError (id not a positive integer), NotFoundError, other
        APIError subclasses.
        """
        check_segment_id(segment_id)
        return await self._requestor.get_model(f"/segments/{segment_id}", Segment)

    async def update(
        self, segment_id: int, name: str, segment_criteria: str | Mapping[str, Any]
    ) -> Segment:
        """Replace a segment's name and criteria (``PUT /segments/{segment_id}``; both required).

        Same rules as :meth:`create`. One API call, retried safely. Raises ValidationError,
        NotFoundError, ConflictError (name taken), other APIError subclasses.
        """
        check_segment_id(segment_id)
        check_segment_name(name)
        body = {"name": name, "segment_criteria": criteria_text(segment_criteria)}
        return await self._requestor.send_model(
            "PUT", f"/segments/{segment_id}", Segment, json=body
        )

    async def rename(self, segment_id: int, name: str) -> Segment:
        """Rename a segment (``PATCH /segments/{segment_id}/name``).

        One API call. Raises ValidationError, NotFoundError, ConflictError (name taken), other
        APIError subclasses.
        """
        check_segment_id(segment_id)
        check_segment_name(name)
        return await self._requestor.send_model(
            "PATCH", f"/segments/{segment_id}/name", Segment, json={"name": name}
        )

    async def delete(self, segment_id: int) -> None:
        """Delete a segment (``DELETE /segments/{segment_id}``, 204); it stays readable by id.

        Do not delete a segment a scheduled campaign uses (the API's advice). One API call.
        Raises ValidationError, NotFoundError, other APIError subclasses.
        """
        check_segment_id(segment_id)
        await self._requestor.request("DELETE", f"/segments/{segment_id}", expected=(200, 204))

    def iter_all(self, sort_by: str | None = None, limit: int = 1000) -> AsyncIterator[Segment]:
        """Iterate over the account's segments (``GET /segments``), page by page.

        ``sort_by`` ``date`` (newest edit first, the default) or ``name``; ``limit`` 1-1000 per
        page (one API call per page). Listed records carry no criteria (:meth:`get` them).
        Raises ValidationError, APIError subclasses.
        """
        _checks.check_enum("sort_by", sort_by, SORTS)
        _checks.check_range("limit", limit, low=1, high=_MAX_PAGE)
        return self._requestor.iter_items(
            "/segments",
            items_key="segments",
            model=Segment,
            params={"sort_by": sort_by, "limit": limit},
        )

    async def find_by_name(self, name: str) -> Segment | None:
        """The live segment named exactly ``name``, or None (pages through: no name filter).

        Raises ValidationError, APIError subclasses.
        """
        check_segment_name(name)
        async for segment in self.iter_all():
            if segment.name == name:
                return segment
        return None
