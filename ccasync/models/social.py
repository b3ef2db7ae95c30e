"""Social records (``/social``): profiles, network connections, hashtag groups and posts."""

from __future__ import annotations

import datetime as dt
from typing import Any

import attrs

from ccasync import _checks
from ccasync.errors import ValidationError

POST_STATUSES = frozenset({"DRAFT", "SCHEDULED"})
"""Values of ``status`` when creating a post."""
HASHTAG_PAGE_MAX = 5
"""Max ``limit`` of ``GET /social/hashtags/groups`` (also its default)."""


@attrs.define(kw_only=True)
class AccountInfo:
    """The social-network account behind a profile or connection (``AccountInfoDto``)."""

    network: str | None = None
    username: str | None = None
    display_name: str | None = None
    account_url: str | None = None
    image_url: str | None = None
    network_account_id: str | None = None
    extra: dict[str, Any] = attrs.field(factory=dict, repr=False)


@attrs.define(kw_only=True)
class SocialProfile:
    """A social profile posts can target (the spec's ``ProfileDto``).

    ``accessible`` and ``settings`` are set only when listed with ``include_accessible``.
    """

    profile_id: str | None = None
    network: str | None = None
    connected: bool = False
    accessible: bool | None = None
    name: str | None = None
    handle: str | None = None
    url: str | None = None
    image_url: str | None = None
    network_profile_id: str | None = None
    network_user_id: str | None = None
    account_info: AccountInfo | None = None
    settings: dict[str, Any] | None = None
    extra: dict[str, Any] = attrs.field(factory=dict, repr=False)


@attrs.define(kw_only=True)
class ConnectionStatus:
    """Health of a network connection (``ConnectionStatusDto``)."""

    status: int | None = None
    error: str | None = None
    has_token: bool | None = None
    is_active_user: bool | None = None
    rate_limited: bool | None = None
    token_has_scopes: bool | None = None
    token_is_valid: bool | None = None
    extra: dict[str, Any] = attrs.field(factory=dict, repr=False)


@attrs.define(kw_only=True)
class SocialConnection:
    """One connected social-network account and its status (``ConnectionDto``)."""

    account_info: AccountInfo | None = None
    connection_status: ConnectionStatus | None = None
    extra: dict[str, Any] = attrs.field(factory=dict, repr=False)


@attrs.define(kw_only=True)
class HashtagGroup:
    """A saved group of hashtags (names without ``#``) (``HashtagGroupDto``)."""

    hashtag_group_id: str | None = None
    hashtag_group_name: str | None = None
    hashtag_names: list[str] = attrs.field(factory=list)
    extra: dict[str, Any] = attrs.field(factory=dict, repr=False)


@attrs.define(kw_only=True)
class PostImage:
    """An image of a post, by public URL (``ImageDto``)."""

    url: str
    image_id: str | None = None
    extra: dict[str, Any] = attrs.field(factory=dict, repr=False)


@attrs.define(kw_only=True)
class PostProfile:
    """A profile a post goes to (``ProfilePostProfileDto``); only ``profile_id`` is yours to set.

    The server fills the rest (activity id and status, the post's URL once DONE).
    """

    profile_id: str | None = None
    network: str | None = None
    profile_name: str | None = None
    account_username: str | None = None
    image_url: str | None = None
    campaign_activity_id: str | None = None
    campaign_activity_status: str | None = None
    campaign_activity_status_date: dt.datetime | None = None
    campaign_activity_status_message: str | None = None
    network_post_id: str | None = None
    post_url: str | None = None
    extra: dict[str, Any] = attrs.field(factory=dict, repr=False)


@attrs.define(kw_only=True)
class ProfilePost:
    """The content posted to some profiles (``ProfilePostDto``): text, images, settings."""

    profiles: list[PostProfile] = attrs.field(factory=list)
    text: str | None = None
    images: list[PostImage] | None = None
    settings: dict[str, Any] | None = None
    post_content_id: str | None = None
    extra: dict[str, Any] = attrs.field(factory=dict, repr=False)


@attrs.define(kw_only=True)
class SocialPost:
    """A social post campaign (``PostCreateDto`` to create, ``PostDto`` back).

    ``status`` DRAFT (saved) or SCHEDULED (published at ``scheduled_time``).
    """

    profile_posts: list[ProfilePost] = attrs.field(factory=list)
    status: str = "DRAFT"
    name: str | None = None
    scheduled_time: dt.datetime | None = None
    campaign_id: str | None = None
    extra: dict[str, Any] = attrs.field(factory=dict, repr=False)


def check_post(post: SocialPost) -> None:
    """At least one profile post; profiles and ``scheduled_time`` as the status requires."""
    _checks.check_enum("status", post.status, POST_STATUSES)
    _checks.check_count("profile_posts", post.profile_posts, max_items=10_000, min_items=1)
    for index, item in enumerate(post.profile_posts):
        if post.status != "DRAFT" and not item.profiles:
            raise ValidationError(f"profile_posts[{index}].profiles", "required unless DRAFT")
        for at, profile in enumerate(item.profiles):
            _checks.check_required(
                f"profile_posts[{index}].profiles[{at}].profile_id", profile.profile_id
            )
        for at, image in enumerate(item.images or ()):
            _checks.check_required(f"profile_posts[{index}].images[{at}].url", image.url)
    _checks.check_aware("scheduled_time", post.scheduled_time)
    if post.status == "SCHEDULED" and post.scheduled_time is None:
        raise ValidationError("scheduled_time", "is required for a SCHEDULED post")
