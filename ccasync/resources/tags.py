"""The tags API area (``/contact_tags``)."""

from __future__ import annotations

from collections.abc import AsyncIterator

from ccasync import _checks
from ccasync.errors import ConflictError
from ccasync.models.activities import Activity
from ccasync.models.tags import Tag, check_tag_name
from ccasync.resources._base import Resource
from ccasync.resources.activities import activity_from_response


class TagsResource(Resource):
    """The tag endpoints; reach it as ``cc.tags``."""

    async def create(self, name: str, tag_source: str | None = None) -> Tag:
        """Create a tag (``POST /contact_tags``).

        ``name`` 1-255 chars, unique per account; ``tag_source`` is a free label of where the
        tag comes from and cannot change later. One API call; after a 5xx, timeout or dropped
        connection the tag is looked up by name (:meth:`find_by_name`, 1 call per 500 tags) and
        returned if the POST landed, else sent again (retry policy's ``max_attempts``). Raises
        ValidationError, ConflictError (name taken), other APIErrors.
        """
        check_tag_name(name)
        body = {"name": name, "tag_source": tag_source}

        async def send() -> Tag:
            return await self._requestor.send_model(
                "POST",
                "/contact_tags",
                Tag,
                json={k: v for k, v in body.items() if v is not None},
                expected=(201,),
            )

        return await self._requestor.send_checked(
            send, lambda: self.find_by_name(name), what=f"tag {name!r}"
        )

    async def get(self, tag_id: str, include_count: bool = False) -> Tag:
        """Get one tag (``GET /contact_tags/{id}``); ``include_count`` adds ``contacts_count``.

        One API call. Raises ValidationError (malformed id), NotFoundError, other APIErrors.
        """
        _checks.check_uuid("tag_id", tag_id)
        return await self._requestor.get_model(
            f"/contact_tags/{tag_id}", Tag, params={"include_count": include_count or None}
        )

    async def rename(self, tag_id: str, name: str) -> Tag:
        """Rename a tag (``PUT /contact_tags/{id}``; only the name can change).

        ``name`` 1-255 chars. One API call, retried safely. Raises ValidationError,
        NotFoundError, ConflictError (name taken), other APIError subclasses.
        """
        _checks.check_uuid("tag_id", tag_id)
        check_tag_name(name)
        return await self._requestor.send_model(
            "PUT", f"/contact_tags/{tag_id}", Tag, json={"name": name}
        )

    async def delete(self, tag_id: str) -> Activity:
        """Untag every contact and delete the tag (``DELETE /contact_tags/{id}``).

        The API answers 202 with an :class:`Activity` that finishes in the background. One
        API call. Raises ValidationError, NotFoundError, other APIError subclasses.
        """
        _checks.check_uuid("tag_id", tag_id)
        response = await self._requestor.request("DELETE", f"/contact_tags/{tag_id}")
        return activity_from_response(response)

    def iter_all(self, include_count: bool = False, limit: int = 500) -> AsyncIterator[Tag]:
        """Iterate over the account's tags (``GET /contact_tags``), page by page.

        ``limit`` 1-500 per page (one API call per page). The API's next link is an internal
        path; the cursor is carried over to ``/contact_tags`` automatically. Raises
        ValidationError, APIError subclasses.
        """
        _checks.check_range("limit", limit, low=1, high=500)
        return self._requestor.iter_items(
            "/contact_tags",
            items_key="tags",
            model=Tag,
            params={"include_count": include_count or None, "limit": limit},
        )

    async def find_by_name(self, name: str) -> Tag | None:
        """The tag named exactly ``name``, or None (pages through: there is no name filter).

        Raises ValidationError, APIError subclasses.
        """
        check_tag_name(name)
        async for tag in self.iter_all():
            if tag.name == name:
                return tag
        return None

    async def get_or_create(self, name: str, tag_source: str | None = None) -> Tag:
        """The tag named exactly ``name``, created (with ``tag_source``) if missing.

        Safe when several processes create the same tag at once: the loser of the race gets a
        409 and reads the winner's tag instead. Pages through the tags (no name filter), plus
        one call to create. Raises ValidationError, APIError subclasses.
        """
        found = await self.find_by_name(name)
        if found is not None:
            return found
        try:
            return await self.create(name, tag_source)
        except ConflictError:
            existing = await self.find_by_name(name)
            if existing is None:
                raise
            return existing
