"""The drift guard's mapping is true: each mapped method really sends its spec operation.

For every ``operationId`` of :data:`tests.spec.coverage.CLIENT_METHODS`, the mapped method is
called (with the arguments of :data:`ARGS`) on a fake transport that answers every request with
the spec's own 2xx example for the operation it matches; the test passes when the requests sent
include the operation's method and path. A method mapped to the wrong operation, or one that
sends another path than the spec's, fails here.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlsplit

import pytest

from ccasync import Client, PartnerClient, RateLimiter
from ccasync.errors import CCAsyncError, ValidationError
from ccasync.models.account import PhysicalAddress
from ccasync.models.automations import AutomationCampaign, TriggerDef
from ccasync.models.campaigns import ABTestData, CampaignActivity
from ccasync.models.contacts import Contact, EmailAddress, NewContact
from ccasync.models.custom_fields import CustomField
from ccasync.models.lists import ContactList
from ccasync.models.partner import Provision, SSOUser
from ccasync.models.social import PostProfile, ProfilePost, SocialPost
from ccasync.testing import FakeTransport, HTTPRequest, HTTPResponse, json_response
from tests.resources import test_spec_examples_core as core
from tests.spec import coverage
from tests.spec.coverage import Operation
from tests.spec.official_spec import load_spec

pytestmark = pytest.mark.spec

U = "3fa85f64-5717-4562-b3fc-2c963f66afa6"  # any UUID
LATER = dt.datetime.now(dt.UTC) + dt.timedelta(days=30)
EARLIER = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
SENDER = {
    "from_name": "Shop",
    "from_email": "owner@example.com",
    "reply_to_email": "owner@example.com",
    "subject": "Hello",
}
ADDRESS = PhysicalAddress(
    address_line1="1 Main St",
    city="Boston",
    state_code="MA",
    postal_code="02101",
    country_code="US",
)

ARGS: dict[str, tuple[tuple[Any, ...], dict[str, Any]]] = {
    "getUserPrivileges": ((), {}),
    "getAccountById": ((), {}),
    "putCustomerById": ((), {"organization_name": "Shop"}),
    "getPhysicalAddress": ((), {}),
    "addPhysicalAddress": ((ADDRESS,), {}),
    "putPhysicalAddress": ((ADDRESS,), {}),
    "retrieveEmailAddresses": ((), {}),
    "addAccountEmailAddress": (("new@example.com",), {}),
    "getActivityStatusCollection": ((), {}),
    "getActivity": ((U,), {}),
    "postContactsExport": ((), {"list_ids": [U]}),
    "getContactsExport": ((U,), {}),
    "postContactDelete": ((), {"contact_ids": [U]}),
    "contactsCSVImport": ((b"email\na@example.com\n", [U]), {}),
    "bulkImportContactsJSON": (([{"email": "a@example.com"}], [U]), {}),
    "postListRemoveContact": (([U],), {"contact_ids": [U]}),
    "postListAddContact": (([U],), {"contact_ids": [U]}),
    "postListDelete": (([U],), {}),
    "postTagRemoveContact": (([U],), {"contact_ids": [U]}),
    "postTagAddContact": (([U],), {"contact_ids": [U]}),
    "postTagDelete": (([U],), {}),
    "postCustomFieldDelete": (([U],), {}),
    "findEvents": ((), {}),
    "addDefaultEvent": (("Open day",), {}),
    "getEvent_2": ((U,), {}),
    "patchEvent": ((U,), {"title": "New"}),
    "copyEvent": ((U, "Copy"), {}),
    "checkInTickets": ((U, ["k1"]), {}),
    "undoCheckInTickets": ((U, ["k1"]), {}),
    "getRegistrationInfo": ((U, U, U), {}),
    "findRegistrationsUsingGET": ((U, U), {}),
    "updateRegistrationStatusUsingPUT": ((U, U, [U], "CANCELED"), {}),
    "updateRegistrationPaymentStatusUsingPUT": ((U, U, [U], "PAID"), {}),
    "getSocialProfilesUsingGET": ((), {}),
    "getSocialConnectionsUsingGET": ((), {}),
    "getSocialHashtagGroupsUsingGET": ((), {}),
    "createSocialPostUsingPOST": (
        (
            SocialPost(
                profile_posts=[ProfilePost(text="Hi", profiles=[PostProfile(profile_id="p")])]
            ),
        ),
        {},
    ),
    "getAccountSegments": ((), {}),
    "createSegment": (("Seg", {"version": "1.0.0"}), {}),
    "getSegmentDetail": ((14,), {}),
    "updateSegment": ((14, "Seg", {"version": "1.0.0"}), {}),
    "deleteSegment": ((14,), {}),
    "updateSegmentName": ((14, "Seg"), {}),
    "getContact": ((U,), {}),
    "putContact": (
        (
            Contact(
                contact_id=U,
                email_address=EmailAddress(address="a@example.com"),
                update_source="Account",
            ),
        ),
        {},
    ),
    "deleteContact": ((U,), {}),
    "getContacts": ((), {}),
    "createContact": (
        (NewContact(email_address=EmailAddress(address="a@example.com"), create_source="Account"),),
        {},
    ),
    "createOrUpdateContact": ((), {"list_memberships": [U], "email_address": "a@example.com"}),
    "getContactIdXrefs": ((["1"],), {}),
    "getSmsEngagementHistory": ((U,), {}),
    "countContact": ((), {}),
    "resubscribeContact": ((U, [U]), {}),
    "getCustomField": ((U,), {}),
    "putCustomField": ((CustomField(custom_field_id=U, label="Size", type="string"),), {}),
    "deleteCustomField": ((U,), {}),
    "getCustomFields": ((), {}),
    "postCustomFields": (("Size",), {}),
    "getList": ((U,), {}),
    "putList": ((ContactList(list_id=U, name="VIP"),), {}),
    "deleteListActivity": ((U,), {}),
    "getLists": ((), {}),
    "createList": (("VIP",), {}),
    "getListIdXrefs": ((["1"],), {}),
    "getTag": ((U,), {}),
    "putTag": ((U, "Gold"), {}),
    "deleteTag": ((U,), {}),
    "getTags": ((), {}),
    "postTag": (("Gold",), {}),
    "retrieveEmailCampaignsUsingGET": ((), {}),
    "createEmailCampaignUsingPOST": (
        (),
        {"name": "Spring", "html_content": "<html><body>[[trackingImage]]</body></html>", **SENDER},
    ),
    "retrieveEmailCampaignUsingGET": ((U,), {}),
    "removeEmailCampaignUsingDELETE": ((U,), {}),
    "renameEmailCampaignUsingPATCH": ((U, "Spring 2"), {}),
    "retrieveXrefMappingsUsingGET": ((["1"],), {}),
    "retrieveEmailCampaignActivityUsingGET": ((U,), {}),
    "updateEmailCampaignActivityUsingPUT": (
        (CampaignActivity(campaign_activity_id=U, **SENDER),),
        {},
    ),
    "retrieveEmailSchedulesUsingGET": ((U,), {}),
    "scheduleEmailCampaignActivityUsingPOST": ((U, LATER), {}),
    "unscheduleEmailCampaignActivityUsingDELETE": ((U,), {}),
    "testSendCampaignActivityUsingPOST": ((U, ["a@example.com"]), {}),
    "retrieveEmailCampaignActivityPreviewUsingGET": ((U,), {}),
    "retrieveEmailSendHistoryUsingGET": ((U,), {}),
    "retrieveResendToNonOpenersUsingGET": ((U,), {}),
    "createResendToNonOpenersUsingPOST": ((U,), {"resend_subject": "Again", "delay_days": 3}),
    "deleteResendToNonOpenersUsingDELETE": ((U, "DRAFT"), {}),
    "retrieveEmailCampaignABTestUsingGET": ((U,), {}),
    "createEmailCampaignABTestUsingPOST": (
        (U, ABTestData(alternative_subject="B", test_size=20, winner_wait_duration=24)),
        {},
    ),
    "deleteEmailCampaignABTestUsingDELETE": ((U,), {}),
    "listAutomations": ((), {}),
    "createAutomationCampaignUsingPost": ((TriggerDef.list_join([U]),), {}),
    "retrieveAutomationCampaignUsingGet": ((U,), {}),
    "updateAutomationCampaignUsingPut": ((AutomationCampaign(id=U, name="Flow"),), {}),
    "getContactTracking": ((U,), {}),
    "getContactOpenClickRate": ((U, EARLIER, LATER), {}),
    "getContactTrackingCount": ((U, EARLIER, LATER), {}),
    "getCampaignActivityLinkStats": ((U,), {}),
    "getSends": ((U,), {}),
    "getOpens": ((U,), {}),
    "getUniqueOpens": ((U,), {}),
    "getDidNotOpens": ((U,), {}),
    "getClicks": ((U,), {}),
    "getForwards": ((U,), {}),
    "getOptouts": ((U,), {}),
    "getBounces": ((U,), {}),
    "getAllBulkEmailCampaignSummaries": ((), {}),
    "getEmailSummary": (([U],), {}),
    "getEmailCampaignActivitySummary": (([U],), {}),
    "getUniqueContactClicks": ((U,), {}),
    "getUniqueContactOpens": ((U,), {}),
    "getContactOpens": ((U,), {}),
    "getUniqueContactUpdates": ((U,), {}),
    "getContactAdds": ((U,), {}),
    "getUniqueContactSMSOptIns": ((U,), {}),
    "getAllBulkSmsCampaignSummaries": ((EARLIER,), {}),
    "getPartnerSiteOwners": ((), {}),
    "provision": (
        (
            Provision(
                contact_email="o@example.com",
                country_code="US",
                state_code="MA",
                login_name="owner01",
            ),
        ),
        {},
    ),
    "getPlan": (("a07e1my9tbw0",), {}),
    "setPlan": (("a07e1my9tbw0", "GOLD"), {}),
    "cancelAccount": (("a07e1my9tbw0",), {}),
    "partnerAccountOperationsPostSync": (("a07e1my9tbw0", "GET", "/contacts"), {}),
    "createSSOUser": (
        (
            "a07e1my9tbw0",
            SSOUser(
                first_name="Ann",
                last_name="Lee",
                role_name="account_manager",
                contact_email="ann@example.com",
                login_name="annlee",
                external_id="1",
                external_provider="okta",
            ),
        ),
        {},
    ),
    "partnerUnsubscribeContacts": (("a07e1my9tbw0", ["a@example.com"]), {}),
    "getWebhooksCollection": ((), {}),
    "getWebhooksTopic": ((2,), {}),
    "putWebhooksTopic": ((2, "https://hooks.example/cc"), {}),
    "deleteWebhooksSubscriptions": ((2,), {}),
    "testSendWebhooksTopic": ((2,), {}),
}
"""How each mapped method is called in this test (valid arguments, nothing more)."""

FORCED: dict[str, dict[tuple[str, str], int]] = {
    # set_physical_address POSTs first and PUTs only when an address exists (409).
    "putPhysicalAddress": {("POST", "/account/summary/physical_address"): 409},
}
"""Statuses forced for some requests so that the mapped method reaches its operation."""


class SpecServer:
    """Answers each request with the 2xx example of the spec operation it matches."""

    def __init__(self, spec: dict[str, Any], forced: dict[tuple[str, str], int]) -> None:
        self.spec = spec
        self.forced = forced
        self.operations = _routes(coverage.spec_operations(spec))
        self.examples = core._operations(spec)
        self.sent: list[str] = []
        """The operation ids of the requests received (``METHOD path`` when none matched)."""

    def __call__(self, request: HTTPRequest) -> HTTPResponse:
        path = urlsplit(request.url).path
        key = coverage.route_key(request.method, path)
        operation = next(
            (
                op
                for pattern, op in self.operations
                if op.method == request.method and pattern.fullmatch(path)
            ),
            None,
        )
        self.sent.append(operation.operation_id if operation else f"{request.method} {path}")
        if key in self.forced:
            return json_response(
                [{"error_key": "conflict", "error_message": "exists"}], self.forced[key]
            )
        if operation is None:
            return json_response([{"error_key": "not_found", "error_message": path}], 404)
        return self._example(self.examples[operation.operation_id])

    def _example(self, operation: dict[str, Any]) -> HTTPResponse:
        codes = sorted(str(c) for c in operation.get("responses", {}) if str(c).startswith("2"))
        examples = core._examples(self.spec, operation)
        if not examples:
            return json_response(None, int(codes[0]) if codes else 204)
        label, body = examples[0]
        return json_response(body, int(label.split()[0]))


def _routes(operations: list[Operation]) -> list[tuple[re.Pattern[str], Operation]]:
    # Literal paths first, so /contacts/counts is not taken for /contacts/{contact_id}.
    ordered = sorted(operations, key=lambda op: op.path.count("{"))
    return [(re.compile("/v3" + re.sub(r"\{[^}]+\}", "[^/]+", op.path)), op) for op in ordered]


async def _exercise(target: Any) -> None:
    if hasattr(target, "__aenter__"):
        async with target as chunks:
            async for _ in chunks:
                break
    elif hasattr(target, "__anext__"):
        iterator: AsyncIterator[Any] = target
        with contextlib.suppress(StopAsyncIteration):
            await anext(iterator)
    else:
        await target


def test_every_mapped_operation_has_call_arguments() -> None:
    """ARGS covers exactly the mapped operations."""
    assert sorted(ARGS) == sorted(coverage.CLIENT_METHODS)


@pytest.mark.parametrize("operation_id", sorted(coverage.CLIENT_METHODS))
async def test_mapped_method_sends_its_operation(operation_id: str) -> None:
    """The mapped method, called with valid arguments, sends its operation's method and path."""
    spec = load_spec()
    server = SpecServer(spec, FORCED.get(operation_id, {}))
    ft = FakeTransport(server)
    root, resource, method = coverage.CLIENT_METHODS[operation_id].split(".")
    args, kwargs = ARGS[operation_id]
    async with _client(root, ft) as client:
        target = getattr(getattr(client, resource), method)(*args, **kwargs)
        try:
            await _exercise(target)
        except ValidationError:
            raise
        except CCAsyncError:
            pass  # an example that does not fit is the fidelity tests' business, not this one's
    assert operation_id in server.sent, f"{operation_id}: sent {server.sent}"


class _StaticToken:
    async def token(self) -> str:
        return "jwt"

    async def on_unauthorized(self, rejected: str) -> bool:
        return False

    def bind_transport(self, transport: Any) -> None:
        return None


def _client(root: str, ft: FakeTransport) -> Any:
    if root == "cc":
        return Client(access_token="t", transport=ft, rate_limiter=RateLimiter.unlimited())
    return PartnerClient(
        api_key="k",
        token_provider=_StaticToken(),
        transport=ft,
        rate_limiter=RateLimiter.unlimited(),
    )
