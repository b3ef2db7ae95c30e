"""Bulk workflows built on the public client API; each returns a result object.

Every item a caller hands in ends up done or listed as failed, with why. Per-item records
(import payloads, membership calls, fan-out locations, pool accounts) follow one scheme,
described once in :class:`ItemOutcome`.
"""

from ccasync.errors import ListPoolExhaustedError, ScheduleTimeError
from ccasync.ops._common import ItemOutcome, Outcome, QuotaStop
from ccasync.ops.campaigns.audience import (
    AudienceResult,
    FileListLeases,
    ListLease,
    ListLeases,
    ListPool,
    send_to_audience,
)
from ccasync.ops.campaigns.fanout import (
    DEFAULT_MIN_LEAD,
    CampaignResult,
    CampaignTemplate,
    FanoutResult,
    Location,
    ScheduleItem,
    create_campaigns_for_locations,
    schedule_campaigns,
)
from ccasync.ops.campaigns.recurring import (
    schedule_next_occurrence,
)
from ccasync.ops.campaigns.scheduling import (
    GapPolicy,
    LocalTime,
    OverlapPolicy,
    WallClock,
    When,
    next_weekly_time,
    parse_when,
    resolve_local,
    resolve_when,
    zone_info,
)
from ccasync.ops.export import (
    ExportResult,
    export_contacts,
)
from ccasync.ops.imports import (
    API_MAX_PAYLOAD_BYTES,
    API_MAX_ROWS,
    DEFAULT_MAX_PAYLOAD_BYTES,
    ChunkOutcome,
    ImportProgress,
    ImportResult,
    RowIssue,
    import_contacts,
)
from ccasync.ops.memberships import (
    MAX_CONTACTS_PER_CALL,
    MAX_LISTS_PER_CALL,
    MembershipChunk,
    MembershipResult,
    add_to_lists,
    remove_from_lists,
)
from ccasync.ops.welcome import (
    WelcomeEmail,
    WelcomeFlow,
    ensure_welcome_flow,
    link_merge_tag,
)

__all__ = [
    "API_MAX_PAYLOAD_BYTES",
    "API_MAX_ROWS",
    "DEFAULT_MAX_PAYLOAD_BYTES",
    "DEFAULT_MIN_LEAD",
    "MAX_CONTACTS_PER_CALL",
    "MAX_LISTS_PER_CALL",
    "AudienceResult",
    "CampaignResult",
    "CampaignTemplate",
    "ChunkOutcome",
    "ExportResult",
    "FanoutResult",
    "FileListLeases",
    "GapPolicy",
    "ImportProgress",
    "ImportResult",
    "ItemOutcome",
    "ListLease",
    "ListLeases",
    "ListPool",
    "ListPoolExhaustedError",
    "LocalTime",
    "Location",
    "MembershipChunk",
    "MembershipResult",
    "Outcome",
    "OverlapPolicy",
    "QuotaStop",
    "RowIssue",
    "ScheduleItem",
    "ScheduleTimeError",
    "WallClock",
    "WelcomeEmail",
    "WelcomeFlow",
    "When",
    "add_to_lists",
    "create_campaigns_for_locations",
    "ensure_welcome_flow",
    "export_contacts",
    "import_contacts",
    "link_merge_tag",
    "next_weekly_time",
    "parse_when",
    "remove_from_lists",
    "resolve_local",
    "resolve_when",
    "schedule_campaigns",
    "schedule_next_occurrence",
    "send_to_audience",
    "zone_info",
]
