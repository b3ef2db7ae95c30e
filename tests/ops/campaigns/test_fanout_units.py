"""Fan-out pieces without a server: template rendering, results, account grouping, lookups."""

from __future__ import annotations

import pytest

from ccasync import Client
from ccasync.errors import BulkError, CampaignActivityStateError, ValidationError
from ccasync.models.campaigns import ActivityReference, CampaignActivity, EmailCampaign
from ccasync.ops.campaigns._lookups import resolve_lists
from ccasync.ops.campaigns._send import SendPlan, StepFailed, finish
from ccasync.ops.campaigns._targets import group_by_account
from ccasync.ops.campaigns.fanout import CampaignResult, CampaignTemplate, FanoutResult, Location
from ccasync.pool import AccountPool, PoolAccount
from ccasync.testing import FakeTransport

TEMPLATE = CampaignTemplate(
    name="Offers $city",
    subject="Hi ${city}!",
    from_name="Acme",
    from_email="news@acme.example",
    html_content="<style>p {color: red}</style><p>$city costs $$5</p>",
)


def test_render_substitutes_and_defaults_reply_to() -> None:
    """$placeholders are filled, $$ is a literal $, braces in CSS survive, reply-to defaults."""
    fields = TEMPLATE.render({"city": "Paris"})
    assert fields["name"] == "Offers Paris"
    assert fields["subject"] == "Hi Paris!"
    assert fields["html_content"] == "<style>p {color: red}</style><p>Paris costs $5</p>"
    assert fields["reply_to_email"] == "news@acme.example"
    assert fields["preheader"] is None


def test_render_names_the_missing_placeholder() -> None:
    """A placeholder without a value raises ValidationError naming field and placeholder."""
    with pytest.raises(ValidationError) as info:
        TEMPLATE.render({})
    assert info.value.field == "name"
    assert "$city" in info.value.reason


def test_location_accepts_a_single_list_name() -> None:
    """A bare string for list_names is one name, not a sequence of characters."""
    loc = Location(key="a", timezone="UTC", list_names="Customers")
    assert loc.list_names == ("Customers",)


def test_resolve_lists_merges_ids_and_names() -> None:
    """Ids come first, then named lists, without repeats; unknown names raise."""
    known = {"A": "id-a", "B": "id-b"}
    assert resolve_lists(("id-b",), ("A", "B"), known) == ["id-b", "id-a"]
    with pytest.raises(ValidationError, match="no list"):
        resolve_lists((), ("C",), known)
    with pytest.raises(ValidationError, match="at least one"):
        resolve_lists((), (), known)


def test_primary_activity_is_found_by_role() -> None:
    """The primary_email activity id is picked, not the permalink."""
    campaign = EmailCampaign(
        campaign_id="c",
        campaign_activities=[
            ActivityReference(campaign_activity_id="p", role="permalink"),
            ActivityReference(campaign_activity_id="m", role="primary_email"),
        ],
    )
    assert campaign.primary_activity_id == "m"
    with pytest.raises(ValidationError):
        _ = EmailCampaign(campaign_id="c").primary_activity_id


def test_fanout_result_totals_and_failures() -> None:
    """Calls add item and setup calls; raise_for_failures carries the result."""
    ok = CampaignResult(key="a", outcome="scheduled", calls=5)
    bad = CampaignResult(key="b", step="time", error=ValueError("past"), calls=0)
    result = FanoutResult((ok, bad), {"": 2})
    assert result.calls == 7
    assert result.failed_items == [bad]
    assert list(result) == [ok, bad]
    assert len(result) == 2
    with pytest.raises(BulkError) as info:
        result.raise_for_failures()
    assert info.value.result is result
    assert "b at time" in str(info.value)


def test_grouping_needs_known_accounts_with_a_pool() -> None:
    """With a pool, a location needs a known account; a one-account pool takes the rest."""
    many = AccountPool(
        [
            PoolAccount(name="x", api_key="k", access_token="t"),
            PoolAccount(name="y", api_key="k", access_token="t"),
        ]
    )
    one = AccountPool([PoolAccount(name="x", api_key="k", access_token="t")])
    locations = [
        Location(key="1", timezone="UTC", account="x"),
        Location(key="2", timezone="UTC"),
        Location(key="3", timezone="UTC", account="zzz"),
    ]
    groups, orphans = group_by_account(many, locations, lambda loc: loc.account)
    assert {name: [loc.key for loc in locs] for name, locs in groups.items()} == {"x": ["1"]}
    assert [loc.key for loc, _ in orphans] == ["2", "3"]
    groups, orphans = group_by_account(one, locations, lambda loc: loc.account)
    assert [loc.key for loc in groups["x"]] == ["1", "2"]
    assert [loc.key for loc, _ in orphans] == ["3"]


async def test_too_many_test_addresses_are_refused_before_any_call() -> None:
    """More than 5 test recipients raise ValidationError before anything is sent."""
    from ccasync import Client
    from ccasync.ops.campaigns.fanout import create_campaigns_for_locations
    from ccasync.testing import FakeTransport

    transport = FakeTransport(responses=[])
    async with Client(access_token="t", transport=transport) as cc:
        with pytest.raises(ValidationError, match="1 to 5"):
            await create_campaigns_for_locations(
                cc,
                TEMPLATE,
                [Location(key="a", timezone="UTC", values={"city": "A"})],
                send_test_to=[f"qa{n}@acme.example" for n in range(6)],
            )
    assert transport.requests == []


@pytest.mark.parametrize(
    ("status", "lists", "step"),
    [("REMOVED", ["l1"], "status"), ("DRAFT", [], "recipients")],
)
async def test_activity_state_that_forbids_the_step(
    status: str, lists: list[str], step: str
) -> None:
    """A REMOVED activity, or a DRAFT one without lists, fails with CampaignActivityStateError."""
    activity = CampaignActivity(
        campaign_activity_id="a1", current_status=status, contact_list_ids=lists
    )
    transport = FakeTransport(responses=[])
    async with Client(access_token="t", transport=transport) as cc:
        with pytest.raises(StepFailed) as info:
            await finish(cc, activity, SendPlan(list_ids=None, at=None, tz=None, send_now=True))
    assert info.value.step == step
    assert isinstance(info.value.error, CampaignActivityStateError)
    assert transport.requests == []
