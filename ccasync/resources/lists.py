"""The contact lists API area (``/contact_lists``)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence

from ccasync import _checks
from ccasync._serde import structure, unstructure
from ccasync.errors import ConflictError
from ccasync.models.activities import Activity
from ccasync.models.contacts import XREF_MAX
from ccasync.models.lists import (
    LIST_STATUSES,
    MEMBERSHIP_COUNTS,
    ContactList,
    ListXref,
    check_list_input,
)
from ccasync.resources._base import Resource
from ccasync.resources.activities import activity_from_response

# UNCONFIRMED: the schema allows limit up to 1000, the text says 1-500; the schema is followed.
_MAX_PAGE = 1000


class ListsResource(Resource):
    """The contact list endpoints; reach it as ``cc.lists``."""

    async def create(
        self, name: str, description: str | None = None, favorite: bool = False
    ) -> ContactList:
        """Create a list (``POST /contact_lists``).

        ``name`` 1-255 chars, unique per account; ``description`` ≤255. An account holds at
        most 1,000 lists. One API call; after a 5xx, timeout or dropped connection the list is
        looked up by name (:meth:`find_by_name`, 1 call) and returned if the POST landed, else
        the POST is sent again (retry policy's ``max_attempts``). Raises ValidationError,
        ConflictError (name taken), other APIError subclasses.
        """
        check_list_input(name, description)
        body = {"name": name, "description": description, "favorite": favorite}

        async def send() -> ContactList:
            return await self._requestor.send_model(
                "POST",
                "/contact_lists",
                ContactList,
                json={k: v for k, v in body.items() if v is not None},
                expected=(201,),
            )

        return await self._requestor.send_checked(
            send, lambda: self.find_by_name(name), what=f"list {name!r}"
        )

    async def get(self, list_id: str, include_membership_count: str | None = None) -> ContactList:
        """Get one list (``GET /contact_lists/{id}``).

        ``include_membership_count``: ``all`` or ``active`` adds ``membership_count``. One API
        call. Raises ValidationError (malformed id or value), NotFoundError, other APIErrors.
        """
        _checks.check_uuid("list_id", list_id)
        _checks.check_enum("include_membership_count", include_membership_count, MEMBERSHIP_COUNTS)
        return await self._requestor.get_model(
            f"/contact_lists/{list_id}",
            ContactList,
            params={"include_membership_count": include_membership_count},
        )

    async def update(self, contact_list: ContactList) -> ContactList:
        """Replace a list's name, description and favorite flag (``PUT /contact_lists/{id}``).

        Send back a record read from the API (unknown fields are kept). One API call,
        retried safely. Raises ValidationError, NotFoundError, ConflictError (name taken),
        other APIError subclasses.
        """
        _checks.check_uuid("list_id", contact_list.list_id)
        check_list_input(contact_list.name, contact_list.description)
        body = unstructure(contact_list)
        body.pop("membership_count", None)
        return await self._requestor.send_model(
            "PUT", f"/contact_lists/{contact_list.list_id}", ContactList, json=body
        )

    async def delete(self, list_id: str) -> Activity:
        """Delete a list and its memberships (``DELETE /contact_lists/{id}``).

        The API answers 202 with an :class:`Activity` that finishes the job in the background
        (``cc.activities.wait`` it if needed). One API call. Raises ValidationError,
        NotFoundError, other APIError subclasses.
        """
        _checks.check_uuid("list_id", list_id)
        response = await self._requestor.request("DELETE", f"/contact_lists/{list_id}")
        return activity_from_response(response)

    def iter_all(
        self,
        name: str | None = None,
        status: str | None = None,
        include_membership_count: str | None = None,
        limit: int = 500,
        *,
        include_count: bool | None = None,
    ) -> AsyncIterator[ContactList]:
        """Iterate over the account's lists (``GET /contact_lists``), page by page.

        ``name`` matches the exact full name; ``status`` all, active or deleted;
        ``include_membership_count`` all or active; ``limit`` 1-1000 per page (one API call per
        page). Raises ValidationError, APIError subclasses.
        """
        _checks.check_enum("status", status, LIST_STATUSES)
        _checks.check_enum("include_membership_count", include_membership_count, MEMBERSHIP_COUNTS)
        _checks.check_range("limit", limit, low=1, high=_MAX_PAGE)
        params = {
            "name": name,
            "status": status,
            "include_membership_count": include_membership_count,
            "include_count": include_count,
            "limit": limit,
        }
        return self._requestor.iter_items(
            "/contact_lists", items_key="lists", model=ContactList, params=params
        )

    async def find_by_name(self, name: str, *, status: str | None = None) -> ContactList | None:
        """The list named exactly ``name``, or None (``GET /contact_lists?name=``).

        Use it to check whether a create landed before retrying it. One API call (per page).
        Raises ValidationError, APIError subclasses.
        """
        check_list_input(name, None)
        async for found in self.iter_all(name=name, status=status):
            if found.name == name:
                return found
        return None

    async def id_xrefs(self, sequence_ids: Sequence[str]) -> list[ListXref]:
        """Map V2 list ids to V3 ``list_id`` (``GET /contact_lists/list_id_xrefs``).

        For migrating stored V2 ids once (the API will remove it). 1-500 ids per call (one API
        call). Raises ValidationError, APIError subclasses.
        """
        _checks.check_v2_ids("sequence_ids", sequence_ids, max_items=XREF_MAX)
        response = await self._requestor.request(
            "GET", "/contact_lists/list_id_xrefs", params={"sequence_ids": ",".join(sequence_ids)}
        )
        return structure((response.data or {}).get("xrefs") or [], list[ListXref])

    async def get_or_create(
        self, name: str, description: str | None = None, favorite: bool = False
    ) -> ContactList:
        """The list named exactly ``name``, created (with ``description``, ``favorite``) if missing.

        Safe when several processes create the same name at once: the loser of the race gets
        a 409 and reads the winner's list instead. 1 call when the list exists, 2 when created,
        3 after a lost race. Raises ValidationError, APIError subclasses (ConflictError only if
        the conflicting list cannot be read back, e.g. it is deleted).
        """
        found = await self.find_by_name(name)
        if found is not None:
            return found
        try:
            return await self.create(name, description, favorite)
        except ConflictError:
            existing = await self.find_by_name(name)
            if existing is None:
                raise
            return existing
