"""The one mapping of each spec operation to the ccasync method that calls it; the coverage table.

:data:`CLIENT_METHODS` maps each ``operationId`` of the official spec to a dotted path on a client:
``cc.<resource>.<method>`` for :class:`ccasync.Client`, ``partner.<resource>.<method>`` for
:class:`ccasync.PartnerClient`. ``tests/spec/test_coverage.py`` fails when the spec holds an
operation missing here (a newer spec dropped into ``../shared/reference/`` then names exactly what
is new), when an entry names a method that does not exist, or when the simulator's router has no
route for an operation outside :data:`SIM_PENDING`. ``tests/spec/test_client_calls.py`` proves each
entry true: the mapped method, called on a fake transport that answers with the spec's examples,
must send its operation's method and path.

The README's "API coverage" table is generated from this module: ``python -m tests.spec.coverage``
prints it, ``python -m tests.spec.coverage --write`` rewrites the README between its markers.
"""

from __future__ import annotations

import re
import sys
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import attrs

CLIENT_METHODS: dict[str, str] = {
    # Account Services
    "getUserPrivileges": "cc.account.user_privileges",
    "getAccountById": "cc.account.get_summary",
    "putCustomerById": "cc.account.update_summary",
    "getPhysicalAddress": "cc.account.get_physical_address",
    "addPhysicalAddress": "cc.account.set_physical_address",
    "putPhysicalAddress": "cc.account.set_physical_address",
    "retrieveEmailAddresses": "cc.account.list_emails",
    "addAccountEmailAddress": "cc.account.add_email",
    # Bulk Activities
    "getActivityStatusCollection": "cc.activities.iter_all",
    "getActivity": "cc.activities.get",
    "postContactsExport": "cc.activities.export_contacts",
    "getContactsExport": "cc.activities.download_export",
    "postContactDelete": "cc.activities.delete_contacts",
    "contactsCSVImport": "cc.activities.import_csv",
    "bulkImportContactsJSON": "cc.activities.import_contacts",
    "postListRemoveContact": "cc.activities.remove_list_memberships",
    "postListAddContact": "cc.activities.add_list_memberships",
    "postListDelete": "cc.activities.delete_lists",
    "postTagRemoveContact": "cc.activities.remove_tags",
    "postTagAddContact": "cc.activities.add_tags",
    "postTagDelete": "cc.activities.delete_tags",
    "postCustomFieldDelete": "cc.activities.delete_custom_fields",
    # Events
    "findEvents": "cc.events.iter_all",
    "addDefaultEvent": "cc.events.create_default",
    "getEvent_2": "cc.events.get",
    "patchEvent": "cc.events.update",
    "copyEvent": "cc.events.copy",
    "checkInTickets": "cc.events.check_in",
    "undoCheckInTickets": "cc.events.undo_check_in",
    "getRegistrationInfo": "cc.events.get_registration",
    "findRegistrationsUsingGET": "cc.events.iter_registrations",
    "updateRegistrationStatusUsingPUT": "cc.events.set_registration_status",
    "updateRegistrationPaymentStatusUsingPUT": "cc.events.set_payment_status",
    # Social
    "getSocialProfilesUsingGET": "cc.social.profiles",
    "getSocialConnectionsUsingGET": "cc.social.connections",
    "getSocialHashtagGroupsUsingGET": "cc.social.iter_hashtag_groups",
    "createSocialPostUsingPOST": "cc.social.create_post",
    # Segments
    "getAccountSegments": "cc.segments.iter_all",
    "createSegment": "cc.segments.create",
    "getSegmentDetail": "cc.segments.get",
    "updateSegment": "cc.segments.update",
    "deleteSegment": "cc.segments.delete",
    "updateSegmentName": "cc.segments.rename",
    # Contacts
    "getContact": "cc.contacts.get",
    "putContact": "cc.contacts.update",
    "deleteContact": "cc.contacts.delete",
    "getContacts": "cc.contacts.iter_all",
    "createContact": "cc.contacts.create",
    "createOrUpdateContact": "cc.contacts.sign_up_form",
    "getContactIdXrefs": "cc.contacts.id_xrefs",
    "getSmsEngagementHistory": "cc.sms.engagement_history",
    "countContact": "cc.contacts.counts",
    "resubscribeContact": "cc.contacts.resubscribe",
    # Contacts Custom Fields
    "getCustomField": "cc.custom_fields.get",
    "putCustomField": "cc.custom_fields.update",
    "deleteCustomField": "cc.custom_fields.delete",
    "getCustomFields": "cc.custom_fields.iter_all",
    "postCustomFields": "cc.custom_fields.create",
    # Contact Lists
    "getList": "cc.lists.get",
    "putList": "cc.lists.update",
    "deleteListActivity": "cc.lists.delete",
    "getLists": "cc.lists.iter_all",
    "createList": "cc.lists.create",
    "getListIdXrefs": "cc.lists.id_xrefs",
    # Contact Tags
    "getTag": "cc.tags.get",
    "putTag": "cc.tags.rename",
    "deleteTag": "cc.tags.delete",
    "getTags": "cc.tags.iter_all",
    "postTag": "cc.tags.create",
    # Email Campaigns, Email Scheduling, A/B tests
    "retrieveEmailCampaignsUsingGET": "cc.campaigns.iter_all",
    "createEmailCampaignUsingPOST": "cc.campaigns.create",
    "retrieveEmailCampaignUsingGET": "cc.campaigns.get",
    "removeEmailCampaignUsingDELETE": "cc.campaigns.delete",
    "renameEmailCampaignUsingPATCH": "cc.campaigns.rename",
    "retrieveXrefMappingsUsingGET": "cc.campaigns.id_xrefs",
    "retrieveEmailCampaignActivityUsingGET": "cc.campaigns.get_activity",
    "updateEmailCampaignActivityUsingPUT": "cc.campaigns.update_activity",
    "retrieveEmailSchedulesUsingGET": "cc.campaigns.get_schedule",
    "scheduleEmailCampaignActivityUsingPOST": "cc.campaigns.schedule",
    "unscheduleEmailCampaignActivityUsingDELETE": "cc.campaigns.unschedule",
    "testSendCampaignActivityUsingPOST": "cc.campaigns.send_test",
    "retrieveEmailCampaignActivityPreviewUsingGET": "cc.campaigns.preview",
    "retrieveEmailSendHistoryUsingGET": "cc.campaigns.send_history",
    "retrieveResendToNonOpenersUsingGET": "cc.campaigns.get_resends",
    "createResendToNonOpenersUsingPOST": "cc.campaigns.create_resend",
    "deleteResendToNonOpenersUsingDELETE": "cc.campaigns.delete_resend",
    "retrieveEmailCampaignABTestUsingGET": "cc.campaigns.get_abtest",
    "createEmailCampaignABTestUsingPOST": "cc.campaigns.create_abtest",
    "deleteEmailCampaignABTestUsingDELETE": "cc.campaigns.delete_abtest",
    # Automations
    "listAutomations": "cc.automations.list_flows",
    "createAutomationCampaignUsingPost": "cc.automations.create",
    "retrieveAutomationCampaignUsingGet": "cc.automations.get",
    "updateAutomationCampaignUsingPut": "cc.automations.update",
    # Contacts Reporting
    "getContactTracking": "cc.reports.contact_activity",
    "getContactOpenClickRate": "cc.reports.contact_open_and_click_rates",
    "getContactTrackingCount": "cc.reports.contact_activity_summary",
    # Email Reporting
    "getCampaignActivityLinkStats": "cc.reports.links",
    "getSends": "cc.reports.iter_sends",
    "getOpens": "cc.reports.iter_opens",
    "getUniqueOpens": "cc.reports.iter_unique_opens",
    "getDidNotOpens": "cc.reports.iter_didnotopens",
    "getClicks": "cc.reports.iter_clicks",
    "getForwards": "cc.reports.iter_forwards",
    "getOptouts": "cc.reports.iter_optouts",
    "getBounces": "cc.reports.iter_bounces",
    "getAllBulkEmailCampaignSummaries": "cc.reports.iter_campaign_summaries",
    "getEmailSummary": "cc.reports.campaign_stats",
    "getEmailCampaignActivitySummary": "cc.reports.activity_stats",
    # Landing Pages Reporting
    "getUniqueContactClicks": "cc.landing_pages.iter_unique_contact_clicks",
    "getUniqueContactOpens": "cc.landing_pages.iter_unique_contact_opens",
    "getContactOpens": "cc.landing_pages.iter_contact_opens",
    "getUniqueContactUpdates": "cc.landing_pages.iter_unique_contact_updates",
    "getContactAdds": "cc.landing_pages.iter_unique_contact_adds",
    "getUniqueContactSMSOptIns": "cc.landing_pages.iter_unique_contact_sms_optins",
    # SMS Reporting
    "getAllBulkSmsCampaignSummaries": "cc.sms.iter_campaign_summaries",
    # Technology Partners
    "getPartnerSiteOwners": "partner.accounts.iter_all",
    "provision": "partner.accounts.provision",
    "getPlan": "partner.accounts.get_plan",
    "setPlan": "partner.accounts.set_plan",
    "cancelAccount": "partner.accounts.cancel",
    "partnerAccountOperationsPostSync": "partner.accounts.sync_operation",
    "createSSOUser": "partner.accounts.create_sso_user",
    "partnerUnsubscribeContacts": "partner.accounts.unsubscribe_contacts",
    # Technology Partners Webhooks
    "getWebhooksCollection": "partner.webhooks.subscriptions",
    "getWebhooksTopic": "partner.webhooks.get",
    "putWebhooksTopic": "partner.webhooks.subscribe",
    "deleteWebhooksSubscriptions": "partner.webhooks.delete",
    "testSendWebhooksTopic": "partner.webhooks.test_send",
}
"""``operationId`` → the method that calls it (``cc.``: Client, ``partner.``: PartnerClient)."""

CLIENT_PENDING: frozenset[str] = frozenset()
"""Mapped operations whose client method does not exist yet (must shrink to empty)."""

SIM_PENDING: frozenset[str] = frozenset()
"""Operations the simulator's router does not serve yet (the simulator's side of issue 14)."""

SDK_LACKS: frozenset[str] = frozenset(
    {"Automations", "Technology Partners", "Technology Partners Webhooks"}
)
"""Spec areas the official Python SDK 1.5.0 does not cover at all.

From issue 14: the SDK covers 111 of the 128 operations; it was generated from an older spec and
lacks the 4 automation and the 13 partner operations (8 accounts + 5 webhooks), and covers every
other operation.
"""

SDK_NAME = "official Python SDK 1.5.0"
BEGIN = "<!-- coverage:begin (generated by python -m tests.spec.coverage --write) -->"
END = "<!-- coverage:end -->"
README = Path(__file__).resolve().parents[2] / "README.md"
_PARAM = re.compile(r"\{[^}]*\}")


@attrs.frozen
class Operation:
    """One operation of the spec: its id, HTTP method, path (below ``/v3``) and area (tag)."""

    operation_id: str
    method: str
    path: str
    area: str


def spec_operations(spec: dict[str, Any]) -> list[Operation]:
    """Every operation of the parsed Swagger spec, in the spec's order."""
    found = []
    for path, methods in spec["paths"].items():
        for method, operation in methods.items():
            if isinstance(operation, dict) and "operationId" in operation:
                area = (operation.get("tags") or ["(untagged)"])[0]
                found.append(Operation(operation["operationId"], method.upper(), path, area))
    return found


def route_key(method: str, path: str) -> tuple[str, str]:
    """``(METHOD, path)`` with every path parameter written ``{}`` and ``/v3`` dropped."""
    if path.startswith("/v3/"):
        path = path[3:]
    return method.upper(), _PARAM.sub("{}", path.rstrip("/") or "/")


def sim_routes() -> set[tuple[str, str]]:
    """The ``(METHOD, path)`` pairs the simulator's router serves (see :func:`route_key`)."""
    from ccasync.sim import SimConfig, SimState
    from ccasync.sim._app import build_app

    app = build_app(SimState(SimConfig(per_second=None, per_day=None)))
    keys = set()
    for route in app.router.routes():
        info = route.resource.get_info() if route.resource is not None else {}
        path = info.get("formatter") or info.get("path")
        if path and route.method not in ("HEAD", "*"):
            keys.add(route_key(route.method, path))
    return keys


def sim_served(operations: Iterable[Operation], routes: set[tuple[str, str]]) -> set[str]:
    """Ids of the ``operations`` that have a route in ``routes``."""
    return {op.operation_id for op in operations if route_key(op.method, op.path) in routes}


def client_served() -> set[str]:
    """Ids of the mapped operations whose client method exists."""
    return {op for op, target in CLIENT_METHODS.items() if resolve(target) is not None}


def resolve(target: str) -> Any:
    """The callable a ``cc.x.y`` / ``partner.x.y`` target names, or None when it does not exist."""
    import ccasync
    from ccasync.testing import FakeTransport

    root, *names = target.split(".")
    # No request is sent: the clients are built only to look their resources up.
    transport = FakeTransport(responses=())
    if root == "cc":
        obj: Any = ccasync.Client(access_token="coverage-check", transport=transport)
    else:
        partner = getattr(ccasync, "PartnerClient", None)
        if partner is None:
            return None
        obj = partner(api_key="key", client_id="id", client_secret="secret", transport=transport)
    for name in names:
        obj = getattr(obj, name, None)
        if obj is None:
            return None
    return obj if callable(obj) else None


def render(operations: list[Operation], client: set[str], sim: set[str]) -> str:
    """The README's coverage table: per area, operations in the spec, the SDK, ccasync, the sim."""
    totals = Counter(op.area for op in operations)
    ours = Counter(op.area for op in operations if op.operation_id in client)
    served = Counter(op.area for op in operations if op.operation_id in sim)
    lines = [
        f"| Area (spec tag) | Operations | {SDK_NAME} | ccasync client | ccasync simulator |",
        "|---|---:|---:|---:|---:|",
    ]
    for area in sorted(totals):
        sdk = 0 if area in SDK_LACKS else totals[area]
        lines.append(f"| {area} | {totals[area]} | {sdk} | {ours[area]} | {served[area]} |")
    sdk_total = sum(n for area, n in totals.items() if area not in SDK_LACKS)
    lines.append(
        f"| **All** | **{len(operations)}** | **{sdk_total}** | **{sum(ours.values())}** "
        f"| **{sum(served.values())}** |"
    )
    return "\n".join(lines)


def current_table(spec: dict[str, Any]) -> str:
    """The table for ``spec``, this tree's client and this tree's simulator."""
    operations = spec_operations(spec)
    return render(operations, client_served(), sim_served(operations, sim_routes()))


def readme_table(text: str) -> str | None:
    """The table between the README's coverage markers, or None when the markers are missing."""
    if BEGIN not in text or END not in text:
        return None
    return text.split(BEGIN, 1)[1].split(END, 1)[0].strip()


def main(argv: list[str]) -> int:
    """Print the coverage table; with ``--write`` put it into the README between its markers."""
    from tests.spec.official_spec import load_spec

    table = current_table(load_spec())
    if "--write" not in argv:
        print(table)
        return 0
    text = README.read_text(encoding="utf-8")
    if readme_table(text) is None:
        print(f"README.md has no {BEGIN!r} … {END!r} markers", file=sys.stderr)
        return 1
    head, rest = text.split(BEGIN, 1)
    tail = rest.split(END, 1)[1]
    README.write_text(f"{head}{BEGIN}\n{table}\n{END}{tail}", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
