"""attrs records named as the API names them, one module per API area; no I/O.

Every record the user may read, edit and send back keeps unknown server fields in ``extra``.
"""

from ccasync.models.account import (
    AccountEmail,
    AccountSummary,
    CompanyLogo,
    PhysicalAddress,
)
from ccasync.models.activities import (
    Activity,
    ActivityStatus,
    JsonImportContact,
)
from ccasync.models.campaigns import (
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
    EmailAddress,
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
from ccasync.models.lists import (
    ContactList,
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
from ccasync.models.tags import (
    Tag,
)

__all__ = [
    "AccountEmail",
    "AccountSummary",
    "Activity",
    "ActivityReference",
    "ActivityStats",
    "ActivityStatsReport",
    "ActivityStatus",
    "CampaignActivity",
    "CampaignIdXref",
    "CampaignPreview",
    "CampaignStats",
    "CampaignStatsReport",
    "CampaignSummariesPage",
    "CampaignSummary",
    "CompanyLogo",
    "Contact",
    "ContactActivity",
    "ContactActivityCounts",
    "ContactActivitySummary",
    "ContactCounts",
    "ContactCustomField",
    "ContactList",
    "ContactOpenAndClickRates",
    "CustomField",
    "CustomFieldChoice",
    "CustomFieldMetadata",
    "EmailAddress",
    "EmailCampaign",
    "EmailCampaignActivity",
    "EmailLinks",
    "JsonImportContact",
    "LinkClickCount",
    "NonOpenerResend",
    "Note",
    "PercentsEmail",
    "PhoneNumber",
    "PhysicalAddress",
    "PhysicalAddressInFooter",
    "ScheduleEntry",
    "SendHistoryEntry",
    "SignUpFormResult",
    "StatsEmail",
    "StatsEmailActivity",
    "StreetAddress",
    "SummaryPercents",
    "Tag",
    "TrackingEvent",
    "UniqueEmailCounts",
]
