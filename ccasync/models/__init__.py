"""attrs records named as the API names them, one module per API area; no I/O.

Every record the user may read, edit and send back keeps unknown server fields in ``extra``.

**Ids.** A record the API returns types its own id as ``str`` (``send_id``: ``int``), so code
chaining calls needs no casts: ``Contact.contact_id``, ``ContactList.list_id``, ``Tag.tag_id``,
``CustomField.custom_field_id``, ``Activity.activity_id``, ``EmailCampaign.campaign_id`` (and
each ``ActivityReference.campaign_activity_id``), ``CampaignActivity.campaign_activity_id``,
``NonOpenerResend.resend_request_id``, ``SendHistoryEntry.send_id``,
``CampaignSummary.campaign_id``, ``CampaignStats.campaign_id``. An answer without one (or with
null) raises :class:`~ccasync.errors.DecodeError` naming the model and the field.
``EmailCampaign.primary_activity_id`` is a ``str`` too; asked of a ``GET /emails`` list item
(a valid answer that carries no activities) it raises :class:`~ccasync.errors.ValidationError`.

These records come from the API, not from you. The one record you build to create something is
:class:`NewContact`; :class:`Contact` extends it with ``contact_id`` and the other fields the
server sets, and ``cc.contacts.create`` sends only ``NewContact`` fields. Lists, tags, custom
fields and campaigns are created from keyword arguments, so they need no input record.

Ids stay optional where the API may omit them or where you build the record: the sub-records
inside a contact (``PhoneNumber.phone_number_id``, ``StreetAddress.street_address_id``,
``Note.note_id``), ``CustomFieldChoice.choice_id``, ``AccountEmail.email_id`` and the
``ActivityStats`` ids (the spec's examples leave them out), and the ids a report or preview
echoes or points to (``TrackingEvent``, ``CampaignPreview``, ``EmailLinks``, ``CampaignIdXref``,
the contact reports, ``CampaignActivity.campaign_id``).
"""

from ccasync.models.account import (
    AccountEmail,
    AccountSummary,
    CompanyLogo,
    PhysicalAddress,
    UserPrivilege,
)
from ccasync.models.activities import (
    Activity,
    ActivityStatus,
    JsonImportContact,
)
from ccasync.models.automations import (
    AutomationCampaign,
    AutomationFlowSummary,
    AutomationStructuredTag,
    AutomationTrigger,
    AutomationWorkflowDefinition,
    TriggerDef,
    TriggerParameter,
)
from ccasync.models.campaigns import (
    ABTestData,
    ActivityReference,
    CampaignActivity,
    CampaignIdXref,
    CampaignPreview,
    EmailCampaign,
    EmailCampaignActivity,
    NonOpenerResend,
    PhysicalAddressInFooter,
    ScheduleEntry,
    SendHistoryEntry,
)
from ccasync.models.contacts import (
    Contact,
    ContactCounts,
    ContactCustomField,
    ContactXref,
    EmailAddress,
    NewContact,
    Note,
    PhoneNumber,
    SignUpFormResult,
    StreetAddress,
)
from ccasync.models.custom_fields import (
    CustomField,
    CustomFieldChoice,
    CustomFieldMetadata,
)
from ccasync.models.events import (
    DetailedRegistration,
    Event,
    EventListing,
    EventRegistrationSummaryMetric,
    EventTrack,
    RegistrantInformationLite,
    RegistrationStatusUpdateResponse,
    RegistrationTicket,
)
from ccasync.models.landing_pages import (
    LandingPageTrackingActivity,
    TrackingActivitySmsChannel,
)
from ccasync.models.lists import (
    ContactList,
    ListXref,
)
from ccasync.models.partner import (
    AccountCancellation,
    PartnerSiteOwner,
    PartnerUnsubscribeResponse,
    PlanTiersObject,
    Provision,
    ProvisionResponse,
    SSOUser,
    TierObject,
    WebhooksSubscription,
)
from ccasync.models.reports import (
    ActivityStats,
    ActivityStatsReport,
    CampaignStats,
    CampaignStatsReport,
    CampaignSummariesPage,
    CampaignSummary,
    ContactActivity,
    ContactActivityCounts,
    ContactActivitySummary,
    ContactOpenAndClickRates,
    EmailLinks,
    LinkClickCount,
    PercentsEmail,
    StatsEmail,
    StatsEmailActivity,
    SummaryPercents,
    TrackingEvent,
    UniqueEmailCounts,
)
from ccasync.models.segments import (
    Segment,
)
from ccasync.models.sms import (
    BulkCampaignSummary,
    BulkSmsCampaignSummariesPercents,
    HistoryDetails,
    SmsCampaignSummariesPage,
    SmsEngagementHistory,
    UniqueSmsCounts,
)
from ccasync.models.social import (
    AccountInfo,
    ConnectionStatus,
    HashtagGroup,
    PostImage,
    PostProfile,
    ProfilePost,
    SocialConnection,
    SocialPost,
    SocialProfile,
)
from ccasync.models.tags import (
    Tag,
)

__all__ = [
    "ABTestData",
    "AccountCancellation",
    "AccountEmail",
    "AccountInfo",
    "AccountSummary",
    "Activity",
    "ActivityReference",
    "ActivityStats",
    "ActivityStatsReport",
    "ActivityStatus",
    "AutomationCampaign",
    "AutomationFlowSummary",
    "AutomationStructuredTag",
    "AutomationTrigger",
    "AutomationWorkflowDefinition",
    "BulkCampaignSummary",
    "BulkSmsCampaignSummariesPercents",
    "CampaignActivity",
    "CampaignIdXref",
    "CampaignPreview",
    "CampaignStats",
    "CampaignStatsReport",
    "CampaignSummariesPage",
    "CampaignSummary",
    "CompanyLogo",
    "ConnectionStatus",
    "Contact",
    "ContactActivity",
    "ContactActivityCounts",
    "ContactActivitySummary",
    "ContactCounts",
    "ContactCustomField",
    "ContactList",
    "ContactOpenAndClickRates",
    "ContactXref",
    "CustomField",
    "CustomFieldChoice",
    "CustomFieldMetadata",
    "DetailedRegistration",
    "EmailAddress",
    "EmailCampaign",
    "EmailCampaignActivity",
    "EmailLinks",
    "Event",
    "EventListing",
    "EventRegistrationSummaryMetric",
    "EventTrack",
    "HashtagGroup",
    "HistoryDetails",
    "JsonImportContact",
    "LandingPageTrackingActivity",
    "LinkClickCount",
    "ListXref",
    "NewContact",
    "NonOpenerResend",
    "Note",
    "PartnerSiteOwner",
    "PartnerUnsubscribeResponse",
    "PercentsEmail",
    "PhoneNumber",
    "PhysicalAddress",
    "PhysicalAddressInFooter",
    "PlanTiersObject",
    "PostImage",
    "PostProfile",
    "ProfilePost",
    "Provision",
    "ProvisionResponse",
    "RegistrantInformationLite",
    "RegistrationStatusUpdateResponse",
    "RegistrationTicket",
    "SSOUser",
    "ScheduleEntry",
    "Segment",
    "SendHistoryEntry",
    "SignUpFormResult",
    "SmsCampaignSummariesPage",
    "SmsEngagementHistory",
    "SocialConnection",
    "SocialPost",
    "SocialProfile",
    "StatsEmail",
    "StatsEmailActivity",
    "StreetAddress",
    "SummaryPercents",
    "Tag",
    "TierObject",
    "TrackingActivitySmsChannel",
    "TrackingEvent",
    "TriggerDef",
    "TriggerParameter",
    "UniqueEmailCounts",
    "UniqueSmsCounts",
    "UserPrivilege",
    "WebhooksSubscription",
]
