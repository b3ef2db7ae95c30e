"""The outbox over HTTP: sends, A/B halves, resends and test sends, rendered per recipient."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ccasync.sim import Outbox, OutboxMessage, Sim
from ccasync.sim.outbox.records import Template
from tests.sim.campaigns.test_campaign_routes import campaign_json, put_json
from tests.sim.conftest import Api

T0 = dt.datetime(2026, 1, 5, tzinfo=dt.UTC)
HTML = (
    '<html><body>[[trackingImage]]<p>Hello [[FirstName OR "friend"]],</p>'
    '<a href="[[Activation_Link]]">Activate</a></body></html>'
)


async def _people(api: Api) -> tuple[str, dict[str, str]]:
    """A list with three contacts, two with a first name, each with its own activation link."""
    status, field = await api.post(
        "/contact_custom_fields", {"label": "Activation Link", "type": "string"}
    )
    assert status == 201, field
    status, created = await api.post("/contact_lists", {"name": "Welcome"})
    list_id = created["list_id"]
    ids = {}
    for email, first in (
        ("ann@example.org", "Ann"),
        ("bo@example.org", "Bo"),
        ("cy@example.org", None),
    ):
        body: dict[str, Any] = {
            "email_address": {"address": email},
            "create_source": "Account",
            "list_memberships": [list_id],
            "custom_fields": [
                {
                    "custom_field_id": field["custom_field_id"],
                    "value": f"https://x.example/a/{email}",
                }
            ],
        }
        if first:
            body["first_name"] = first
        status, contact = await api.post("/contacts", body)
        assert status == 201, contact
        ids[email] = contact["contact_id"]
    return list_id, ids


async def _campaign(api: Api, list_id: str, subject: str) -> str:
    status, created = await api.post(
        "/emails", campaign_json("Outbox " + subject, subject=subject, html_content=HTML)
    )
    assert status == 200, created
    activity_id: str = created["campaign_activities"][0]["campaign_activity_id"]
    body = put_json([list_id], subject=subject)
    assert (await api.put(f"/emails/activities/{activity_id}", body))[0] == 200
    return activity_id


async def _send_now(api: Api, fsim: Sim, activity_id: str) -> None:
    path = f"/emails/activities/{activity_id}/schedules"
    assert (await api.post(path, {"scheduled_date": "0"}))[0] == 201
    fsim.clock.advance(60)


async def test_send_renders_each_recipient(api: Api, fsim: Sim) -> None:
    """A campaign send puts one message per recipient, tags filled from that contact's data."""
    list_id, ids = await _people(api)
    activity_id = await _campaign(api, list_id, 'Hi [[FirstName OR "there"]]')
    send_time = fsim.clock.now()
    await _send_now(api, fsim, activity_id)
    sent = fsim.outbox.find(activity_id=activity_id)
    assert sorted(m.to for m in sent) == sorted(ids)
    ann = fsim.outbox.find(to="ANN@example.org")
    assert len(ann) == 1
    message: OutboxMessage = ann[0]
    assert (message.kind, message.contact_id, message.subject) == (
        "send",
        ids["ann@example.org"],
        "Hi Ann",
    )
    assert "Hello Ann," in message.html
    assert 'href="https://x.example/a/ann@example.org"' in message.html
    assert "[[" not in message.html
    cy = fsim.outbox.find(to="cy@example.org")[0]
    assert cy.subject == "Hi there"
    assert "Hello friend," in cy.html
    assert message.account_id == fsim.account_id
    assert message.sent_at == send_time


async def test_test_send_uses_owner_details(api: Api) -> None:
    """A test send is recorded per address with the owner's details and the personal message."""
    list_id, _ = await _people(api)
    activity_id = await _campaign(api, list_id, "For [[FirstName]]")
    body = {"email_addresses": ["qa@example.net", "qa2@example.net"], "personal_message": "Look"}
    assert (await api.post(f"/emails/activities/{activity_id}/tests", body))[0] == 204
    tests = api.sim.outbox.find(kind="test")
    assert [m.to for m in tests] == ["qa@example.net", "qa2@example.net"]
    assert {(m.subject, m.contact_id, m.personal_message) for m in tests} == {
        ("For Sam", None, "Look")
    }


async def test_resend_to_non_openers_is_recorded(api: Api, fsim: Sim) -> None:
    """A non-opener resend is in the outbox with its own subject, only for non-openers."""
    list_id, _ = await _people(api)
    activity_id = await _campaign(api, list_id, "First")
    resend = {"resend_subject": 'Again, [[FirstName OR "you"]]', "delay_days": 1}
    assert (await api.post(f"/emails/activities/{activity_id}/non_opener_resends", resend))[
        0
    ] == 201
    await _send_now(api, fsim, activity_id)
    fsim.clock.advance(2 * 86_400)
    resent = fsim.outbox.find(kind="resend")
    assert resent
    assert all(m.activity_id != activity_id for m in resent)
    assert {m.subject for m in resent} <= {"Again, Ann", "Again, Bo", "Again, you"}
    assert len(fsim.outbox) == 3 + len(resent)


async def test_abtest_halves_get_their_subjects(api: Api, fsim: Sim) -> None:
    """With an A/B test the B group gets the alternative subject; everyone gets one first mail."""
    status, created = await api.post("/contact_lists", {"name": "AB"})
    assert status == 201, created
    list_id = created["list_id"]
    account = fsim.state.default_account
    for n in range(200):
        contact = account.create_contact(f"ab{n}@example.net", fsim.clock.now())
        contact.first_name = f"P{n}"
        account.add_membership(contact, list_id)
    activity_id = await _campaign(api, list_id, "A [[FirstName]]")
    ab = {"alternative_subject": "B [[FirstName]]", "test_size": 10, "winner_wait_duration": 6}
    assert (await api.post(f"/emails/activities/{activity_id}/abtest", ab))[0] == 201
    await _send_now(api, fsim, activity_id)
    first = fsim.outbox.find(activity_id=activity_id)
    assert len(first) == 40
    assert sum(m.subject.startswith("B ") for m in first) == 20
    assert all(m.subject.endswith(f" {m.to.split('@')[0].replace('ab', 'P')}") for m in first)
    fsim.clock.advance(7 * 3600)
    assert len(fsim.outbox.find(activity_id=activity_id)) == 200
    assert len({m.to for m in fsim.outbox}) == 200


async def test_preview_fills_tags_with_owner_details(api: Api) -> None:
    """``GET …/previews`` renders personalization tags with the account owner's details."""
    list_id, _ = await _people(api)
    activity_id = await _campaign(api, list_id, "For [[FirstName]]")
    status, preview = await api.get(f"/emails/activities/{activity_id}/previews")
    assert status == 200, preview
    assert preview["subject"] == "For Sam"
    assert "Hello Sam," in preview["preview_html_content"]
    assert 'href=""' in preview["preview_html_content"]  # the owner has no custom field value
    assert preview["preview_text_content"].startswith("Hello Sam,")


async def test_rendering_uses_send_time_values(api: Api, fsim: Sim) -> None:
    """A contact changed after the send does not change the message it received."""
    list_id, ids = await _people(api)
    activity_id = await _campaign(api, list_id, "Hi [[FirstName]]")
    await _send_now(api, fsim, activity_id)
    contact = fsim.state.default_account.contacts[ids["ann@example.org"]]
    contact.first_name = "Changed"
    assert fsim.outbox.find(to="ann@example.org")[0].subject == "Hi Ann"


def test_outbox_keeps_the_newest_messages() -> None:
    """Past its limit the outbox lets the oldest message go and counts it."""
    template = Template("s", None, "<p>[[FirstName]]</p>")
    outbox = Outbox(limit=2)
    for n in range(3):
        outbox.add(
            OutboxMessage(
                kind="send",
                account_id="a",
                activity_id="x",
                campaign_id=None,
                contact_id=str(n),
                to=f"{n}@example.org",
                from_name="f",
                from_email="f@example.org",
                reply_to_email="f@example.org",
                sent_at=T0,
                template=template,
                values={"firstname": str(n)},
            )
        )
    assert [m.html for m in outbox] == ["<p>1</p>", "<p>2</p>"]
    assert (len(outbox), outbox.dropped) == (2, 1)
    outbox.clear()
    assert (len(outbox), outbox.dropped) == (0, 0)
