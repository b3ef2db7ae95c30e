"""cc.social, landing-page and SMS reports, and V2 xrefs against the simulator."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from ccasync.errors import BadRequestError
from ccasync.models.contacts import EmailAddress, NewContact
from ccasync.models.social import PostProfile, ProfilePost, SocialPost


async def test_social_profiles_and_a_scheduled_post(sim_client: Any) -> None:
    """A connected profile is listed and a scheduled post to it is created."""
    cc = sim_client
    profiles = await cc.social.profiles(include_accessible=True)
    connected = [p for p in profiles if p.connected]
    assert connected
    assert (await cc.social.connections())[0].connection_status is not None
    assert [g async for g in cc.social.iter_hashtag_groups()] == []
    when = dt.datetime.now(dt.UTC) + dt.timedelta(days=2)
    post = SocialPost(
        name="Spring",
        status="SCHEDULED",
        scheduled_time=when,
        profile_posts=[
            ProfilePost(text="Hello", profiles=[PostProfile(profile_id=connected[0].profile_id)])
        ],
    )
    made = await cc.social.create_post(post)
    assert made.status == "SCHEDULED"
    assert made.campaign_id


async def test_post_to_an_unknown_profile_is_refused(sim_client: Any) -> None:
    """A post to a profile the account does not have is a 400 from the server."""
    post = SocialPost(
        profile_posts=[ProfilePost(text="x", profiles=[PostProfile(profile_id="nope")])]
    )
    with pytest.raises(BadRequestError):
        await sim_client.social.create_post(post)


async def test_landing_page_and_sms_reports_answer(sim_client: Any) -> None:
    """The landing-page and SMS reports page through (empty in the simulator)."""
    cc = sim_client
    activity = "3fa85f64-5717-4562-b3fc-2c963f66afa6"
    opens = [e async for e in cc.landing_pages.iter_contact_opens(activity)]
    since = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    sms = [s async for s in cc.sms.iter_campaign_summaries(since)]
    assert (opens, sms) == ([], [])


async def test_v2_ids_map_to_v3_ids(sim_client: Any) -> None:
    """The first contact and list created map from their V2 sequence ids."""
    cc = sim_client
    lst = await cc.lists.create("Xref list")
    contact = await cc.contacts.create(
        NewContact(email_address=EmailAddress(address="x@example.com"), create_source="Account")
    )
    contact_pairs = await cc.contacts.id_xrefs(["1"])
    assert [p.contact_id for p in contact_pairs] == [contact.contact_id]
    list_pairs = await cc.lists.id_xrefs([str(n) for n in range(1, 5)])
    assert lst.list_id in [p.list_id for p in list_pairs]


async def test_sms_engagement_history_of_a_new_contact(sim_client: Any) -> None:
    """A contact without SMS consent events has an empty history."""
    cc = sim_client
    contact = await cc.contacts.create(
        NewContact(email_address=EmailAddress(address="s@example.com"), create_source="Account")
    )
    assert await cc.sms.engagement_history(contact.contact_id) == []
