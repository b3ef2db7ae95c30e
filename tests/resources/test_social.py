"""cc.social against a fake transport: profiles, connections, hashtag group pages, posts."""

from __future__ import annotations

import datetime as dt

import pytest

from ccasync.errors import ValidationError
from ccasync.models.social import PostImage, PostProfile, ProfilePost, SocialPost
from ccasync.testing import FakeTransport, query_of
from tests.resources.recorded import answers, body_of, client, line

WHEN = dt.datetime(2030, 3, 15, 14, 30, tzinfo=dt.UTC)


async def test_profiles_connections_and_hashtag_pages() -> None:
    """profiles asks include=accessible when wanted; hashtag groups follow _links.next."""
    ft = answers(
        (200, [{"profile_id": "p1", "network": "facebook", "connected": True, "accessible": True}]),
        (200, {"connections": [{"connection_status": {"token_is_valid": True}}]}),
        (
            200,
            {
                "hashtag_groups": [{"hashtag_names": ["a"]}],
                "_links": {"next": {"href": "/v3/social/hashtags/groups?limit=1&page=1"}},
            },
        ),
        (200, {"hashtag_groups": [{"hashtag_names": ["b"]}], "_links": {}}),
    )
    async with client(ft) as cc:
        profiles = await cc.social.profiles(include_accessible=True)
        connections = await cc.social.connections()
        groups = [g.hashtag_names async for g in cc.social.iter_hashtag_groups(limit=1)]
    assert query_of(ft.requests[0]) == {"include": "accessible"}
    assert profiles[0].accessible is True
    assert connections[0].connection_status is not None
    assert connections[0].connection_status.token_is_valid is True
    assert query_of(ft.requests[2]) == {"limit": "1", "page": "0"}
    assert query_of(ft.requests[3]) == {"limit": "1", "page": "1"}
    assert groups == [["a"], ["b"]]


async def test_create_scheduled_post() -> None:
    """create_post POSTs the post with the schedule as ISO UTC and reads the answer back."""
    post = SocialPost(
        name="Spring",
        status="SCHEDULED",
        scheduled_time=WHEN,
        profile_posts=[
            ProfilePost(
                text="Hello",
                profiles=[PostProfile(profile_id="p1")],
                images=[PostImage(url="https://example.com/a.png")],
            )
        ],
    )
    ft = answers((201, {"campaign_id": "c1", "status": "SCHEDULED", "profile_posts": []}))
    async with client(ft) as cc:
        made = await cc.social.create_post(post)
    assert line(ft.requests[0]) == "POST /social/posts"
    assert body_of(ft.requests[0]) == {
        "name": "Spring",
        "status": "SCHEDULED",
        "scheduled_time": "2030-03-15T14:30:00.000Z",
        "profile_posts": [
            {
                "text": "Hello",
                "profiles": [{"profile_id": "p1"}],
                "images": [{"url": "https://example.com/a.png"}],
            }
        ],
    }
    assert made.campaign_id == "c1"


@pytest.mark.parametrize(
    ("post", "field"),
    [
        (SocialPost(profile_posts=[]), "profile_posts"),
        (SocialPost(status="LIVE", profile_posts=[ProfilePost()]), "status"),
        (
            SocialPost(status="SCHEDULED", profile_posts=[ProfilePost()], scheduled_time=WHEN),
            "profile_posts[0].profiles",
        ),
        (
            SocialPost(
                status="SCHEDULED",
                profile_posts=[ProfilePost(profiles=[PostProfile(profile_id="p")])],
            ),
            "scheduled_time",
        ),
        (
            SocialPost(profile_posts=[ProfilePost(profiles=[PostProfile()])]),
            "profile_posts[0].profiles[0].profile_id",
        ),
    ],
)
async def test_post_rules_are_checked_before_sending(post: SocialPost, field: str) -> None:
    """Empty posts, bad status, missing profiles or schedule fail locally, naming the field."""
    ft = FakeTransport(responses=[])
    async with client(ft) as cc:
        with pytest.raises(ValidationError) as caught:
            await cc.social.create_post(post)
    assert caught.value.field == field


async def test_hashtag_limit_is_1_to_5() -> None:
    """A hashtag page limit over 5 is refused locally."""
    async with client(FakeTransport(responses=[])) as cc:
        with pytest.raises(ValidationError, match="limit"):
            cc.social.iter_hashtag_groups(limit=6)
