"""Fidelity for the areas issue 14 added: the spec's examples of each new operation fit our records.

Same method as :mod:`tests.resources.test_spec_examples_core` (whose example collection and key
comparison are reused): each 2xx example body structures into the record the client returns,
keeps every key through a structure/unstructure round trip, and fills the known attributes.
Operations answered without a body (204) have no example and are not listed.
"""

from __future__ import annotations

from typing import Any

import pytest

from ccasync._serde import structure, unstructure
from ccasync.models.account import UserPrivilege
from ccasync.models.automations import AutomationCampaign, AutomationFlowSummary
from ccasync.models.campaigns import ABTestData
from ccasync.models.contacts import ContactXref
from ccasync.models.events import (
    DetailedRegistration,
    Event,
    EventListing,
    RegistrantInformationLite,
    RegistrationStatusUpdateResponse,
)
from ccasync.models.landing_pages import LandingPageTrackingActivity
from ccasync.models.lists import ListXref
from ccasync.models.partner import (
    AccountCancellation,
    PartnerSiteOwner,
    PartnerUnsubscribeResponse,
    PlanTiersObject,
    ProvisionResponse,
    WebhooksSubscription,
)
from ccasync.models.segments import Segment
from ccasync.models.sms import SmsCampaignSummariesPage, SmsEngagementHistory
from ccasync.models.social import HashtagGroup, SocialConnection, SocialPost, SocialProfile
from tests.resources import test_spec_examples_core as core
from tests.spec import coverage
from tests.spec.official_spec import load_spec

pytestmark = pytest.mark.spec

# operationId -> (model, key holding the items of a page or None for a single record,
#                 True when the body is a JSON array of records)
OPERATIONS: dict[str, tuple[type[Any], str | None, bool]] = {
    "getAccountSegments": (Segment, "segments", False),
    "createSegment": (Segment, None, False),
    "getSegmentDetail": (Segment, None, False),
    "updateSegment": (Segment, None, False),
    "updateSegmentName": (Segment, None, False),
    "getContactIdXrefs": (ContactXref, "xrefs", False),
    "getListIdXrefs": (ListXref, "xrefs", False),
    "getUserPrivileges": (UserPrivilege, None, True),
    "retrieveEmailCampaignABTestUsingGET": (ABTestData, None, False),
    "createEmailCampaignABTestUsingPOST": (ABTestData, None, False),
    "getSmsEngagementHistory": (SmsEngagementHistory, None, True),
    "getAllBulkSmsCampaignSummaries": (SmsCampaignSummariesPage, None, False),
    "findEvents": (EventListing, "records", False),
    "addDefaultEvent": (Event, None, False),
    "getEvent_2": (Event, None, False),
    "copyEvent": (Event, None, False),
    "getRegistrationInfo": (DetailedRegistration, None, False),
    "findRegistrationsUsingGET": (RegistrantInformationLite, "records", False),
    "updateRegistrationStatusUsingPUT": (RegistrationStatusUpdateResponse, None, False),
    "updateRegistrationPaymentStatusUsingPUT": (RegistrationStatusUpdateResponse, None, False),
    "getSocialProfilesUsingGET": (SocialProfile, None, True),
    "getSocialConnectionsUsingGET": (SocialConnection, "connections", False),
    "getSocialHashtagGroupsUsingGET": (HashtagGroup, "hashtag_groups", False),
    "createSocialPostUsingPOST": (SocialPost, None, False),
    "getPartnerSiteOwners": (PartnerSiteOwner, "site_owner_list", False),
    "provision": (ProvisionResponse, None, False),
    "getPlan": (PlanTiersObject, None, False),
    "setPlan": (PlanTiersObject, None, False),
    "cancelAccount": (AccountCancellation, None, False),
    "partnerUnsubscribeContacts": (PartnerUnsubscribeResponse, None, False),
    "getWebhooksCollection": (WebhooksSubscription, None, True),
    "getWebhooksTopic": (WebhooksSubscription, None, False),
    "putWebhooksTopic": (WebhooksSubscription, None, False),
    "testSendWebhooksTopic": (WebhooksSubscription, None, False),
    "listAutomations": (AutomationFlowSummary, "flow_summaries", False),
    "createAutomationCampaignUsingPost": (AutomationCampaign, None, False),
    "retrieveAutomationCampaignUsingGet": (AutomationCampaign, None, False),
    "updateAutomationCampaignUsingPut": (AutomationCampaign, None, False),
    **{
        op: (LandingPageTrackingActivity, "tracking_activities", False)
        for op in (
            "getUniqueContactClicks",
            "getUniqueContactOpens",
            "getContactOpens",
            "getUniqueContactUpdates",
            "getContactAdds",
            "getUniqueContactSMSOptIns",
        )
    },
}


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    """The parsed official spec."""
    return load_spec()


@pytest.mark.parametrize("operation_id", sorted(OPERATIONS))
def test_spec_examples_structure_into_models(spec: dict[str, Any], operation_id: str) -> None:
    """Each 2xx example of the operation structures into our record and keeps every key."""
    model, items_key, is_array = OPERATIONS[operation_id]
    operations = core._operations(spec)
    assert operation_id in operations, f"{operation_id} vanished from the spec"
    examples = core._examples(spec, operations[operation_id])
    assert examples, f"{operation_id} has no example to check"
    for label, body in examples:
        for data in core._records(body, items_key, is_array):
            record = structure(data, model)
            core._check_filled(record, data)
            kept = core._kept(core._keys(unstructure(record)), core._keys(data))
            assert kept, f"{operation_id} {label}"


def test_every_operation_with_an_example_is_checked(spec: dict[str, Any]) -> None:
    """Each spec operation with a 2xx example is checked by one of the three fidelity tables.

    Operations the client does not call yet (``CLIENT_PENDING`` of the drift guard) are excused.
    """
    from tests.resources import test_spec_examples_campaigns as campaigns

    by_route = {(m, p) for m, p, _, _ in campaigns.CASES}
    unchecked = sorted(
        op_id
        for op_id, operation in core._operations(spec).items()
        if core._examples(spec, operation)
        and op_id not in core.OPERATIONS
        and op_id not in OPERATIONS
        and _route_of(spec, op_id) not in by_route
    )
    assert sorted(set(unchecked) - coverage.CLIENT_PENDING) == []


def _route_of(spec: dict[str, Any], operation_id: str) -> tuple[str, str]:
    for path, methods in spec["paths"].items():
        for method, operation in methods.items():
            if isinstance(operation, dict) and operation.get("operationId") == operation_id:
                return method, path
    raise AssertionError(operation_id)


@pytest.mark.parametrize(
    ("operation_id", "model", "items_key"),
    [
        ("getEvent_2", Event, None),
        ("retrieveAutomationCampaignUsingGet", AutomationCampaign, None),
        ("getSocialConnectionsUsingGET", SocialConnection, "connections"),
        ("getAllBulkSmsCampaignSummaries", SmsCampaignSummariesPage, None),
    ],
)
def test_new_records_keep_unknown_fields(
    spec: dict[str, Any], operation_id: str, model: type[Any], items_key: str | None
) -> None:
    """A spec example plus unknown keys (top level and nested) survives structure → unstructure."""
    example = core._examples(spec, core._operations(spec)[operation_id])[0][1]
    body = example[items_key][0] if items_key else example
    data = {**body, "added_later": {"nested": [1, 2]}}
    nested = next(k for k, v in body.items() if isinstance(v, dict))
    data[nested] = {**body[nested], "also_new": True}
    back = unstructure(structure(data, model))
    assert back["added_later"] == {"nested": [1, 2]}
    assert back[nested]["also_new"] is True
    assert core._kept(core._keys(back), core._keys(data))
