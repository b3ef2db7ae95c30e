"""Ids of records the API returns are ``str``: refused when absent, never sent on create, typed.

Three promises: (1) an answer without the id of such a record raises DecodeError naming the
model and the field; (2) what the user builds for a create call carries no id; (3) user code
like the README's Quick start passes ``mypy --strict`` without casts or asserts.
"""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import orjson
import pytest

from ccasync import Client, RateLimiter
from ccasync._serde import structure
from ccasync.errors import DecodeError, ValidationError
from ccasync.models import (
    Activity,
    CampaignActivity,
    CampaignStats,
    CampaignSummary,
    Contact,
    ContactList,
    CustomField,
    EmailAddress,
    EmailCampaign,
    NewContact,
    NonOpenerResend,
    SendHistoryEntry,
    Tag,
)
from ccasync.testing import FakeTransport, HTTPRequest, json_response

REPO = Path(__file__).resolve().parents[2]
CID = "1618ae62-4752-11e9-9c8a-fa163e6b01c1"
LID = "06526938-56dd-11e9-932a-fa163ea075fa"
AID = "04fa57a7-cf55-4185-cc1a-58ed29bf0a6a"
CAMPAIGN = "8987dc1a-48ef-433a-b836-7ca4f9aa3481"
ACTIVITY = "4c08372c-957a-48b5-bc45-72c7f00796cd"

# (model, a minimal answer, the id field): every record whose id the API always sends.
RECORDS: list[tuple[type[Any], dict[str, Any], str]] = [
    (Contact, {"contact_id": CID, "first_name": "Ada"}, "contact_id"),
    (ContactList, {"list_id": LID, "name": "VIP"}, "list_id"),
    (Tag, {"tag_id": LID, "name": "Gold"}, "tag_id"),
    (CustomField, {"custom_field_id": LID, "label": "Shoe size"}, "custom_field_id"),
    (Activity, {"activity_id": AID, "state": "initialized"}, "activity_id"),
    (EmailCampaign, {"campaign_id": CAMPAIGN, "name": "Spring"}, "campaign_id"),
    (
        CampaignActivity,
        {"campaign_activity_id": ACTIVITY, "role": "primary_email"},
        "campaign_activity_id",
    ),
    (NonOpenerResend, {"resend_request_id": "DRAFT", "delay_days": 2}, "resend_request_id"),
    (SendHistoryEntry, {"send_id": 1, "count": 3}, "send_id"),
    (CampaignSummary, {"campaign_id": CAMPAIGN, "campaign_type": "Newsletter"}, "campaign_id"),
    (CampaignStats, {"campaign_id": CAMPAIGN}, "campaign_id"),
]


def client(ft: FakeTransport) -> Client:
    """A Client on ``ft`` without limiting."""
    return Client(access_token="t", transport=ft, rate_limiter=RateLimiter.unlimited())


def body_of(request: HTTPRequest) -> Any:
    """The decoded JSON body of a recorded request."""
    assert request.body is not None
    return orjson.loads(request.body)


# --- (1) an answer without the id is refused --------------------------------------------------


@pytest.mark.parametrize(
    ("model", "answer", "field"), RECORDS, ids=lambda v: getattr(v, "__name__", None)
)
def test_answer_with_id_gives_a_str_id(
    model: type[Any], answer: dict[str, Any], field: str
) -> None:
    """The minimal answer structures, and its id is the value sent (the control case)."""
    assert getattr(structure(answer, model), field) == answer[field]


@pytest.mark.parametrize(
    ("model", "answer", "field"), RECORDS, ids=lambda v: getattr(v, "__name__", None)
)
def test_answer_without_id_raises_decode_error(
    model: type[Any], answer: dict[str, Any], field: str
) -> None:
    """An answer lacking the id raises DecodeError naming the model and the field."""
    missing = {k: v for k, v in answer.items() if k != field}
    with pytest.raises(
        DecodeError, match=rf"{model.__name__}: required field missing @ \$\.{field}$"
    ):
        structure(missing, model)


@pytest.mark.parametrize(
    ("model", "answer", "field"), RECORDS, ids=lambda v: getattr(v, "__name__", None)
)
def test_answer_with_null_id_raises_decode_error(
    model: type[Any], answer: dict[str, Any], field: str
) -> None:
    """A null id is refused too: never a record holding None or the text "None"."""
    with pytest.raises(DecodeError, match=rf"{model.__name__}: .* @ \$\.{field}$"):
        structure({**answer, field: None}, model)


def test_campaign_activity_reference_without_id_is_refused() -> None:
    """Each campaign_activities item must carry its campaign_activity_id (path named)."""
    answer = {"campaign_id": CAMPAIGN, "campaign_activities": [{"role": "primary_email"}]}
    with pytest.raises(DecodeError, match=r"\$\.campaign_activities\[0\]\.campaign_activity_id"):
        structure(answer, EmailCampaign)


def test_primary_activity_id_is_a_str_or_a_clear_error() -> None:
    """primary_activity_id gives the primary_email id; on a list item it is a usage error."""
    refs = [
        {"campaign_activity_id": AID, "role": "permalink"},
        {"campaign_activity_id": ACTIVITY, "role": "primary_email"},
    ]
    full = structure({"campaign_id": CAMPAIGN, "campaign_activities": refs}, EmailCampaign)
    assert full.primary_activity_id == ACTIVITY
    # A GET /emails list item is a valid answer without activities: not a DecodeError.
    listed = structure({"campaign_id": CAMPAIGN, "name": "Spring"}, EmailCampaign)
    with pytest.raises(
        ValidationError, match=r"no primary_email activity.*cc\.campaigns\.get\(campaign_id\)"
    ) as info:
        _ = listed.primary_activity_id
    assert info.value.field == "campaign_activities"
    assert info.value.value == CAMPAIGN


async def test_created_contact_without_id_raises_decode_error() -> None:
    """cc.contacts.create answered without contact_id raises DecodeError, not a half record."""
    ft = FakeTransport(lambda r: json_response({"first_name": "Ada"}, 201))
    async with client(ft) as cc:
        with pytest.raises(DecodeError, match=r"Contact: required field missing @ \$\.contact_id"):
            await cc.contacts.create(NewContact(first_name="Ada", create_source="Account"))
    assert len(ft.requests) == 1


async def test_list_delete_activity_id_comes_from_location_when_the_body_has_none() -> None:
    """A 202 body without activity_id or self link takes the id from the Location header."""
    ft = FakeTransport(
        lambda r: json_response(
            {"state": "initialized"}, 202, {"Location": f"/v3/activities/{AID}"}
        )
    )
    async with client(ft) as cc:
        job = await cc.lists.delete(LID)
    assert job.activity_id == AID


async def test_list_delete_activity_naming_no_id_raises_decode_error() -> None:
    """A 202 body naming its activity nowhere raises DecodeError naming activity_id."""
    ft = FakeTransport(lambda r: json_response({"state": "initialized"}, 202))
    async with client(ft) as cc:
        with pytest.raises(
            DecodeError, match=r"Activity: required field missing @ \$\.activity_id"
        ):
            await cc.lists.delete(LID)


# --- (2) a create call sends no id ------------------------------------------------------------


async def test_new_contact_is_sent_without_any_id() -> None:
    """A NewContact has no id field, and the POST body carries none."""
    answer = {"contact_id": CID, "first_name": "Ada", "create_source": "Account"}
    ft = FakeTransport(lambda r: json_response(answer, 201))
    async with client(ft) as cc:
        made = await cc.contacts.create(
            NewContact(
                email_address=EmailAddress(address="ada@example.com"),
                first_name="Ada",
                create_source="Account",
                list_memberships=[LID],
            )
        )
    assert not hasattr(NewContact(), "contact_id")
    assert body_of(ft.requests[0]) == {
        "email_address": {"address": "ada@example.com"},
        "first_name": "Ada",
        "create_source": "Account",
        "list_memberships": [LID],
    }
    assert made.contact_id == CID


async def test_a_contact_read_elsewhere_is_created_without_its_server_fields() -> None:
    """A Contact passed to create sends its NewContact fields only: no id, source or times."""
    read = structure(
        {
            "contact_id": CID,
            "first_name": "Ada",
            "create_source": "Contact",
            "update_source": "Account",
            "created_at": "2016-01-23T13:48:44.108Z",
            "updated_at": "2016-01-23T13:48:44.108Z",
            "loyalty_tier": "gold",
        },
        Contact,
    )
    ft = FakeTransport(lambda r: json_response({"contact_id": LID, "first_name": "Ada"}, 201))
    async with client(ft) as cc:
        copy = await cc.contacts.create(read)
    assert body_of(ft.requests[0]) == {
        "first_name": "Ada",
        "create_source": "Contact",
        "loyalty_tier": "gold",
    }
    assert copy.contact_id == LID


async def test_keyword_creates_send_no_id() -> None:
    """Lists, tags, custom fields and campaigns are created from keywords; no id is sent."""
    answers = {
        "/contact_lists": {"list_id": LID, "name": "VIP"},
        "/contact_tags": {"tag_id": LID, "name": "Gold"},
        "/contact_custom_fields": {"custom_field_id": LID, "label": "Size"},
        "/emails": {"campaign_id": CAMPAIGN, "name": "Spring"},
    }

    def handler(request: HTTPRequest) -> Any:
        path = request.url.removeprefix("https://api.cc.email/v3")
        return json_response(answers[path], 200 if path == "/emails" else 201)

    ft = FakeTransport(handler)
    async with client(ft) as cc:
        await cc.lists.create("VIP")
        await cc.tags.create("Gold")
        await cc.custom_fields.create("Size", "single_select", ["S", "M"])
        await cc.campaigns.create(
            name="Spring",
            from_name="Shop",
            from_email="owner@example.com",
            reply_to_email="owner@example.com",
            subject="Hello",
            html_content="<html><body>Hi</body></html>",
        )
    sent = [orjson.dumps(body_of(r)).decode() for r in ft.requests]
    assert len(sent) == 4
    for body, field in zip(
        sent, ("list_id", "tag_id", "custom_field_id", "campaign_id"), strict=True
    ):
        assert f'"{field}"' not in body
        assert '_activity_id"' not in body


# --- (3) user code type-checks under mypy --strict ---------------------------------------------

TYPED = """
import datetime as dt

import ccasync
from ccasync import EmailAddress, NewContact


async def main(cc: ccasync.Client) -> None:
    vip = await cc.lists.find_by_name("VIP") or await cc.lists.create("VIP")
    ada = await cc.contacts.create(
        NewContact(
            email_address=EmailAddress(address="ada@example.com"),
            create_source="Account",
            list_memberships=[vip.list_id],
        )
    )
    ada = await cc.contacts.get(ada.contact_id)
    campaign = await cc.campaigns.create(
        name="Spring sale",
        from_name="Shop",
        from_email="owner@example.com",
        reply_to_email="owner@example.com",
        subject="Spring is here",
        html_content="<html><body>[[trackingImage]] Hello!</body></html>",
    )
    activity_id = campaign.primary_activity_id
    await cc.campaigns.set_lists(activity_id, [vip.list_id])
    await cc.campaigns.send_test(activity_id, ["qa@example.com"])
    await cc.campaigns.schedule(activity_id, dt.datetime.now(dt.UTC) + dt.timedelta(hours=2))
    again = await cc.campaigns.get(campaign.campaign_id)
    activity = await cc.campaigns.get_activity(again.primary_activity_id)
    await cc.reports.campaign_stats([activity.campaign_activity_id])
    resend = await cc.campaigns.create_resend(activity_id, resend_subject="Again", delay_days=2)
    await cc.campaigns.delete_resend(activity_id, resend.resend_request_id)
    tag = await cc.tags.create("Gold")
    await cc.tags.rename(tag.tag_id, "Platinum")
    size = await cc.custom_fields.create("Shoe size")
    await cc.custom_fields.delete(size.custom_field_id)
    job = await cc.lists.delete(vip.list_id)
    await cc.activities.get(job.activity_id)
    async for summary in cc.reports.iter_campaign_summaries():
        stats = await cc.reports.campaign_stats([summary.campaign_id])
        await cc.campaigns.get(stats[0].campaign_id)
"""

MISTYPED = """
import ccasync


async def main(cc: ccasync.Client) -> int:
    return (await cc.lists.create("VIP")).list_id
"""


def test_user_code_type_checks_without_casts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """mypy --strict accepts the ids as str, and (control) rejects a str id used as an int."""
    api = pytest.importorskip("mypy.api")
    (tmp_path / "quick_start.py").write_text(textwrap.dedent(TYPED))
    (tmp_path / "control.py").write_text(textwrap.dedent(MISTYPED))
    # This tree's ccasync, whatever an editable install elsewhere points to.
    monkeypatch.setenv("MYPYPATH", str(REPO))
    out, err, _ = api.run(
        [
            "--strict",
            # The cache `mypy --strict ccasync` keeps (git-ignored): seconds instead of ~15 s.
            "--cache-dir",
            str(REPO / ".mypy_cache"),
            str(tmp_path / "quick_start.py"),
            str(tmp_path / "control.py"),
        ]
    )
    errors = [line for line in out.splitlines() if ": error:" in line]
    assert [e for e in errors if "quick_start.py" in e] == [], out + err
    assert len(errors) == 1, out + err
    assert "control.py" in errors[0]
    assert 'Incompatible return value type (got "str", expected "int")' in errors[0]
