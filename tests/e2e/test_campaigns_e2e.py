"""cc.campaigns end to end against the simulator on loopback: every method, real HTTP."""

from __future__ import annotations

import datetime as dt
from typing import Any

import attrs
import pytest

from ccasync import Client
from ccasync.errors import APIError, BadRequestError, ConflictError, NotFoundError, ValidationError
from ccasync.models.campaigns import EmailCampaign

SENDER = "owner@example.com"
HTML = '<html><body>[[trackingImage]] <a href="https://example.com/spring">Spring</a></body></html>'


async def new_campaign(cc: Client, name: str = "Spring news") -> EmailCampaign:
    """Create a campaign with the account's confirmed sender."""
    return await cc.campaigns.create(
        name=name,
        from_name="Shop",
        from_email=SENDER,
        reply_to_email=SENDER,
        subject="Spring is here",
        html_content=HTML,
    )


async def list_with(cc: Client, sim: Any, name: str, emails: list[str]) -> str:
    """A new list holding ``emails`` (imported, activity waited for); its id."""
    created = await cc.lists.create(name)
    assert created.list_id is not None
    if emails:
        activity = await cc.activities.import_contacts(
            [{"email": e} for e in emails], [created.list_id]
        )
        sim.clock.advance(5)
        done = await cc.activities.wait(activity, initial=0.05, timeout=10)
        assert done.state == "completed"
    return created.list_id


def primary(campaign: EmailCampaign) -> str:
    """The primary_email activity id of ``campaign``."""
    assert campaign.primary_activity_id is not None
    return campaign.primary_activity_id


@pytest.fixture
def cc(sim_client: Client, sim: Any) -> Client:
    """The simulator client with campaigns.clock on the simulator's virtual clock."""
    sim_client.campaigns.clock = sim.clock.now
    return sim_client


async def test_create_get_rename_find_delete(cc: Client) -> None:
    """A campaign is created (200), found by name, renamed, deleted, then skipped by name."""
    made = await new_campaign(cc)
    assert made.current_status == "Draft"
    assert made.activity_id("permalink") is not None
    got = await cc.campaigns.get(str(made.campaign_id))
    assert got.primary_activity_id == made.primary_activity_id
    found = await cc.campaigns.find_by_name("Spring news")
    assert found is not None
    assert found.campaign_id == made.campaign_id
    assert found.primary_activity_id == made.primary_activity_id
    renamed = await cc.campaigns.rename(str(made.campaign_id), "Spring news v2")
    assert renamed.name == "Spring news v2"
    await cc.campaigns.delete(str(made.campaign_id))
    assert (await cc.campaigns.get(str(made.campaign_id))).current_status == "Removed"
    assert await cc.campaigns.find_by_name("Spring news v2") is None
    removed = await cc.campaigns.find_by_name("Spring news v2", include_removed=True)
    assert removed is not None
    assert removed.removed


async def test_iter_all_pages_and_filters_by_updated_at(cc: Client, sim: Any) -> None:
    """iter_all follows pages (limit 2) and after_date filters on updated_at."""
    first = await new_campaign(cc, "One")
    sim.clock.advance(60)
    cut = sim.clock.now()
    sim.clock.advance(60)
    await new_campaign(cc, "Two")
    await new_campaign(cc, "Three")
    names = [c.name async for c in cc.campaigns.iter_all(limit=2)]
    assert sorted(names) == ["One", "Three", "Two"]
    recent = [c.name async for c in cc.campaigns.iter_all(after_date=cut)]
    assert sorted(recent) == ["Three", "Two"]
    older = [c.campaign_id async for c in cc.campaigns.iter_all(before_date=cut)]
    assert older == [first.campaign_id]


async def test_duplicate_name_conflict_and_return_existing(cc: Client) -> None:
    """A second create with the same name is a 409, or returns the first with return_existing."""
    made = await new_campaign(cc, "Dup")
    with pytest.raises(ConflictError):
        await new_campaign(cc, "Dup")
    again = await cc.campaigns.create(
        name="Dup",
        from_name="Shop",
        from_email=SENDER,
        reply_to_email=SENDER,
        subject="s",
        html_content=HTML,
        on_conflict="return_existing",
    )
    assert again.campaign_id == made.campaign_id


async def test_unconfirmed_sender_is_rejected_by_server(cc: Client) -> None:
    """An address that is not a confirmed account email earns a 400 from the server."""
    with pytest.raises(BadRequestError):
        await cc.campaigns.create(
            name="Bad sender",
            from_name="X",
            from_email="stranger@example.org",
            reply_to_email=SENDER,
            subject="s",
            html_content=HTML,
        )


async def test_activity_get_update_and_set_lists(cc: Client, sim: Any) -> None:
    """get_activity with include, update_activity (complete PUT) and set_lists round trip."""
    made = await new_campaign(cc)
    aid = primary(made)
    full = await cc.campaigns.get_activity(
        aid, include=["html_content", "physical_address_in_footer"]
    )
    assert full.html_content == HTML
    assert full.physical_address_in_footer is not None
    plain = await cc.campaigns.get_activity(aid)
    changed = attrs.evolve(plain, subject="New subject", preheader="Read me")
    updated = await cc.campaigns.update_activity(changed)
    assert updated.subject == "New subject"
    after = await cc.campaigns.get_activity(aid, include=["html_content"])
    assert after.html_content == HTML  # omitted sub-resources are kept by the PUT
    list_id = await list_with(cc, sim, "Readers", [])
    with_lists = await cc.campaigns.set_lists(aid, [list_id])
    assert with_lists.contact_list_ids == [list_id]
    assert (await cc.campaigns.get_activity(aid)).contact_list_ids == [list_id]


async def test_schedule_get_unschedule(cc: Client, sim: Any) -> None:
    """schedule (201) shows in get_schedule and blocks delete; unschedule (204) empties it."""
    made = await new_campaign(cc)
    aid = primary(made)
    list_id = await list_with(cc, sim, "Readers", ["a@example.com"])
    with pytest.raises(BadRequestError):
        await cc.campaigns.schedule(aid, sim.clock.now() + dt.timedelta(hours=1))
    await cc.campaigns.set_lists(aid, [list_id])
    when = (sim.clock.now() + dt.timedelta(days=1)).replace(microsecond=0)
    entries = await cc.campaigns.schedule(aid, when)
    assert [e.scheduled_date for e in entries] == [when]
    assert [e.scheduled_date for e in await cc.campaigns.get_schedule(aid)] == [when]
    assert (await cc.campaigns.get(str(made.campaign_id))).current_status == "Scheduled"
    with pytest.raises(APIError):
        await cc.campaigns.delete(str(made.campaign_id))  # unschedule first
    await cc.campaigns.unschedule(aid)
    assert await cc.campaigns.get_schedule(aid) == []
    assert (await cc.campaigns.get_activity(aid)).current_status == "DRAFT"
    with pytest.raises(ValidationError):
        await cc.campaigns.schedule(aid, sim.clock.now() - dt.timedelta(minutes=1))


async def test_send_test_and_preview(cc: Client, sim: Any) -> None:
    """send_test (204) is recorded by the server; preview renders the activity."""
    made = await new_campaign(cc)
    aid = primary(made)
    await cc.campaigns.send_test(aid, ["qa@example.com", "boss@example.com"], "Please check")
    recorded = sim.state.default_account.campaigns.test_sends
    assert [list(t.email_addresses) for t in recorded] == [["qa@example.com", "boss@example.com"]]
    shown = await cc.campaigns.preview(aid)
    assert shown.subject == "Spring is here"
    assert shown.preview_html_content


async def test_send_now_history_and_resend(cc: Client, sim: Any) -> None:
    """send_now ("0") sends; history shows the count; a resend is created, listed and deleted."""
    made = await new_campaign(cc)
    aid = primary(made)
    list_id = await list_with(cc, sim, "Readers", [f"r{i}@example.com" for i in range(3)])
    await cc.campaigns.set_lists(aid, [list_id])
    resend = await cc.campaigns.create_resend(aid, resend_subject="Did you see?", delay_days=2)
    assert resend.resend_request_id == "DRAFT"
    assert await cc.campaigns.send_now(aid) == []
    sim.clock.advance(10)
    history = await cc.campaigns.send_history(aid)
    assert [(h.send_id, h.count, h.send_status, h.reason_code) for h in history] == [
        (1, 3, "COMPLETED", 0)
    ]
    assert (await cc.campaigns.get_activity(aid)).current_status == "DONE"
    listed = await cc.campaigns.get_resends(aid)
    assert [r.resend_subject for r in listed] == ["Did you see?"]
    request_id = str(listed[0].resend_request_id)
    assert request_id != "DRAFT"
    await cc.campaigns.delete_resend(aid, request_id)
    assert await cc.campaigns.get_resends(aid) == []


async def test_unknown_activity_is_not_found(cc: Client) -> None:
    """A well-formed but unknown activity id is a 404."""
    with pytest.raises(NotFoundError):
        await cc.campaigns.get_activity("4c08372c-957a-48b5-bc45-72c7f00796cd")


async def test_id_xrefs_of_unknown_v2_ids_is_empty(cc: Client) -> None:
    """V2 ids the account never had map to nothing."""
    assert await cc.campaigns.id_xrefs(["1100567546598", "1604567396117"]) == []


async def test_documented_success_statuses(cc: Client, sim: Any) -> None:
    """The server answers POST /emails 200, schedules 201, unschedule/tests/delete 204."""
    made = await new_campaign(cc)
    aid = primary(made)
    list_id = await list_with(cc, sim, "Readers", ["a@example.com"])
    await cc.campaigns.set_lists(aid, [list_id])
    await cc.campaigns.send_test(aid, ["qa@example.com"])
    await cc.campaigns.schedule(aid, sim.clock.now() + dt.timedelta(hours=2))
    with pytest.raises(APIError):
        await cc.campaigns.set_lists(aid, [list_id])  # a SCHEDULED activity cannot be edited
    await cc.campaigns.unschedule(aid)
    await cc.campaigns.delete(str(made.campaign_id))
    statuses = {
        (e.method, e.path.rsplit("/", 1)[-1] if "activities" in e.path else e.path, e.status)
        for e in sim.log.filter(path="/v3/emails*")
        if e.status < 300
    }
    assert ("POST", "/v3/emails", 200) in statuses
    assert ("POST", "schedules", 201) in statuses
    assert ("DELETE", "schedules", 204) in statuses
    assert ("POST", "tests", 204) in statuses
    assert ("DELETE", f"/v3/emails/{made.campaign_id}", 204) in statuses
