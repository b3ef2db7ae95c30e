"""The social API area (``/social``): profiles, connections, hashtag groups and posts."""

from __future__ import annotations

from collections.abc import AsyncIterator

from ccasync import _checks
from ccasync._serde import structure
from ccasync.models.social import (
    HASHTAG_PAGE_MAX,
    HashtagGroup,
    SocialConnection,
    SocialPost,
    SocialProfile,
    check_post,
)
from ccasync.resources._base import Resource


class SocialResource(Resource):
    """The social endpoints; reach it as ``cc.social``."""

    async def profiles(self, *, include_accessible: bool = False) -> list[SocialProfile]:
        """The account's social profiles (``GET /social/profiles``).

        ``include_accessible`` asks the networks whether each profile can be posted to now
        (fills ``accessible`` and ``settings``; slower). One API call. Raises APIErrors.
        """
        params = [("include", "accessible")] if include_accessible else []
        response = await self._requestor.request("GET", "/social/profiles", params=params)
        return structure(response.data or [], list[SocialProfile])

    async def connections(self) -> list[SocialConnection]:
        """The connected social-network accounts and their health (``GET /social/connections``).

        One API call. Raises APIError subclasses.
        """
        response = await self._requestor.request("GET", "/social/connections")
        return structure((response.data or {}).get("connections") or [], list[SocialConnection])

    def iter_hashtag_groups(self, *, limit: int = HASHTAG_PAGE_MAX) -> AsyncIterator[HashtagGroup]:
        """Iterate over the saved hashtag groups (``GET /social/hashtags/groups``).

        ``limit`` 1-5 per page (one API call per page; the API follows ``_links.next``).
        Raises ValidationError at once, APIError subclasses while iterating.
        """
        _checks.check_range("limit", limit, low=1, high=HASHTAG_PAGE_MAX)
        return self._requestor.iter_items(
            "/social/hashtags/groups",
            items_key="hashtag_groups",
            model=HashtagGroup,
            params={"limit": limit, "page": 0},
        )

    async def create_post(self, post: SocialPost) -> SocialPost:
        """Create a social post campaign, DRAFT or SCHEDULED (``POST /social/posts``).

        Each ``profile_posts`` entry needs its ``profiles`` (``profile_id`` from
        :meth:`profiles`) unless the post is a DRAFT; a SCHEDULED post needs an aware
        ``scheduled_time``. One API call (not repeated if it may have landed). Raises
        ValidationError, BadRequestError (e.g. text a network refuses), other APIErrors.
        """
        check_post(post)
        return await self._requestor.send_model(
            "POST", "/social/posts", SocialPost, json=post, expected=(200, 201)
        )
