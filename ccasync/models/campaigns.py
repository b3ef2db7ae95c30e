"""Email campaign records (``/emails*``) and the local rules checked before sending them.

A campaign (:class:`EmailCampaign`, ``campaign_id``) owns activities referenced by role:
``primary_email`` (the sendable email: everything you update, test, schedule and resend targets
its ``campaign_activity_id``), ``permalink`` and ``resend``. :class:`CampaignActivity` is the
full activity; read it, change it, PUT the complete record back (``extra`` keeps unknown keys).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import attrs
import email_validator

from ccasync import _checks
from ccasync.errors import ValidationError

NAME_MAX = 80
"""Max characters of a campaign name (unique per account)."""
FROM_NAME_MAX = 100
"""Max characters of ``from_name``."""
EMAIL_MAX = 80
"""Max characters of ``from_email`` and ``reply_to_email``."""
PREHEADER_MAX = 200
"""Max characters of ``preheader``."""
HTML_MAX = 150_000
"""Max characters of ``html_content`` (the spec's limit; the docs' 400 KB is looser)."""
FORBIDDEN_HTML_SEQUENCES = ("[#", "${", "<@")
"""Template-engine sequences custom-code email must not contain."""
TEST_ADDRESSES_MAX = 5
"""Recipients per test send (the account may send 50 test recipients a day)."""
PERSONAL_MESSAGE_MAX = 1000
"""Max characters of a test send's ``personal_message``.

UNCONFIRMED: the spec gives no limit; 1,000 is a conservative local bound.
"""
RESEND_DAYS = (1, 10)
"""Inclusive range of ``delay_days`` for a non-opener resend."""
RESEND_MINUTES = (720, 14_400)
"""Inclusive range of ``delay_minutes`` for a non-opener resend (12 hours to 10 days)."""
MAX_LISTS_PER_ACTIVITY = 1000
"""Upper bound on ``contact_list_ids`` of an activity.

UNCONFIRMED: the API documents no per-activity cap; an account holds at most 1,000 lists.
"""
ACTIVITY_INCLUDES = frozenset(
    {"physical_address_in_footer", "permalink_url", "html_content", "document_properties"}
)
"""Values of ``include`` on ``GET /emails/activities/{id}``."""
CAMPAIGN_STATUSES = frozenset({"Draft", "Scheduled", "Executing", "Done", "Error", "Removed"})
"""Documented campaign ``current_status`` values (title case)."""
ACTIVITY_STATUSES = frozenset({"DRAFT", "SCHEDULED", "EXECUTING", "DONE", "ERROR", "REMOVED"})
"""Documented activity ``current_status`` values (upper case)."""
ROLES = frozenset({"primary_email", "permalink", "resend"})
"""Documented activity roles."""

_RESEND_ID = re.compile(r"[A-Za-z0-9-]{1,64}")

if TYPE_CHECKING:
    _Minutes = int | None
else:
    # The spec's own example sends ``"10,080"`` (a string with a thousands separator).
    _Minutes = Any


def _lenient_int(value: Any) -> int | None:
    if value is None or isinstance(value, int):
        return value
    return int(str(value).replace(",", "").strip())


@attrs.define(kw_only=True)
class PhysicalAddressInFooter:
    """The postal address printed in the email footer (spec ``EmailPhysicalAddress``).

    Required when sent: ``address_line1``, ``country_code`` (ISO-3166 alpha-2, upper case) and
    ``organization_name``; ``state_code`` is required for US addresses. ``country_name`` and
    ``state_name`` are read-only.
    """

    address_line1: str | None = None
    address_line2: str | None = None
    address_line3: str | None = None
    address_optional: str | None = None
    city: str | None = None
    country_code: str | None = None
    country_name: str | None = None
    organization_name: str | None = None
    postal_code: str | None = None
    state_code: str | None = None
    state_name: str | None = None
    state_non_us_name: str | None = None
    extra: dict[str, Any] = attrs.field(factory=dict, repr=False)


@attrs.define(kw_only=True)
class ActivityReference:
    """One activity of a campaign: its id (always set) and ``role`` (primary_email, …)."""

    campaign_activity_id: str
    role: str | None = None
    document_id: str | None = None
    extra: dict[str, Any] = attrs.field(factory=dict, repr=False)


@attrs.define(kw_only=True)
class EmailCampaign:
    """An email campaign; ``campaign_id`` is always set.

    ``campaign_activities`` is empty in ``GET /emails`` list items. ``current_status`` is one
    of Draft, Scheduled, Executing, Done, Error, Removed.
    """

    campaign_id: str
    name: str | None = None
    current_status: str | None = None
    type: str | None = None
    type_code: int | None = None
    created_at: dt.datetime | None = None
    updated_at: dt.datetime | None = None
    campaign_activities: list[ActivityReference] = attrs.field(factory=list)
    extra: dict[str, Any] = attrs.field(factory=dict, repr=False)

    def activity_id(self, role: str) -> str | None:
        """The ``campaign_activity_id`` of the first activity with ``role``, or None."""
        for ref in self.campaign_activities:
            if ref.role == role:
                return ref.campaign_activity_id
        return None

    @property
    def primary_activity_id(self) -> str:
        """The id of the ``primary_email`` activity (the one to update, test and schedule).

        The API creates that activity with the campaign, so ``create``, ``get`` and ``rename``
        answers carry it. ``GET /emails`` list items carry no activities: asking one for it
        raises :class:`ValidationError` (field ``campaign_activities``); read the campaign with
        ``cc.campaigns.get(campaign_id)`` first.
        """
        found = self.activity_id("primary_email")
        if found is None:
            raise ValidationError(
                "campaign_activities",
                f"campaign {self.campaign_id} has no primary_email activity here (GET /emails"
                " list items carry none): read it with cc.campaigns.get(campaign_id)",
                value=self.campaign_id,
            )
        return found

    @property
    def removed(self) -> bool:
        """True when the campaign was deleted (``current_status`` is ``Removed``)."""
        return self.current_status == "Removed"


@attrs.define(kw_only=True)
class CampaignActivity:
    """An email campaign activity (spec ``EmailCampaignActivity``), read-modify-write.

    Recipients are ``contact_list_ids`` (list UUIDs) or ``segment_ids`` (one integer), never
    both. ``html_content``, ``physical_address_in_footer``, ``permalink_url`` and
    ``document_properties`` come back only when asked with ``include``; a PUT that omits them
    keeps the stored values. ``current_status``: DRAFT, SCHEDULED, EXECUTING, DONE, ERROR,
    REMOVED. ``document_properties`` (legacy formats 1-2 only) stays a plain dict.
    ``campaign_activity_id`` is always set.
    """

    campaign_activity_id: str
    campaign_id: str | None = None
    role: str | None = None
    contact_list_ids: list[str] = attrs.field(factory=list)
    segment_ids: list[int] = attrs.field(factory=list)
    current_status: str | None = None
    format_type: int | None = None
    from_email: str | None = None
    from_name: str | None = None
    reply_to_email: str | None = None
    subject: str | None = None
    html_content: str | None = None
    permalink_url: str | None = None
    preheader: str | None = None
    physical_address_in_footer: PhysicalAddressInFooter | None = None
    document_id: str | None = None
    document_properties: dict[str, Any] | None = None
    extra: dict[str, Any] = attrs.field(factory=dict, repr=False)


EmailCampaignActivity = CampaignActivity
"""The spec's name for :class:`CampaignActivity`."""


@attrs.define(kw_only=True)
class ScheduleEntry:
    """One entry of an activity's schedule: when it will be sent."""

    scheduled_date: dt.datetime | None = None
    extra: dict[str, Any] = attrs.field(factory=dict, repr=False)


@attrs.define(kw_only=True)
class SendHistoryEntry:
    """One send of an activity (spec ``EmailSendHistory`` item), oldest first.

    ``send_status`` is COMPLETED or ERRORED; ``reason_code`` 0 means sent, 12 means no eligible
    contacts (``count`` 0), other codes are account or content problems (reference 9.5).
    """

    send_id: int
    contact_list_ids: list[str] = attrs.field(factory=list)
    segment_ids: list[int] = attrs.field(factory=list)
    count: int | None = None
    run_date: dt.datetime | None = None
    send_status: str | None = None
    reason_code: int | None = None
    extra: dict[str, Any] = attrs.field(factory=dict, repr=False)


@attrs.define(kw_only=True)
class CampaignPreview:
    """The rendered preview of an activity; merge tags are filled with account owner data."""

    campaign_activity_id: str | None = None
    from_email: str | None = None
    from_name: str | None = None
    preheader: str | None = None
    preview_html_content: str | None = None
    preview_text_content: str | None = None
    reply_to_email: str | None = None
    subject: str | None = None
    extra: dict[str, Any] = attrs.field(factory=dict, repr=False)


@attrs.define(kw_only=True)
class NonOpenerResend:
    """A resend to non-openers. ``resend_request_id`` (always set) is ``"DRAFT"`` while a draft.

    ``delay_days`` (1-10) or ``delay_minutes`` (720-14,400) after the first send;
    ``resend_status`` is only sent by GET.
    """

    resend_subject: str | None = None
    delay_days: int | None = None
    delay_minutes: _Minutes = attrs.field(default=None, converter=_lenient_int)
    resend_date: dt.datetime | None = None
    resend_request_id: str
    resend_status: str | None = None
    extra: dict[str, Any] = attrs.field(factory=dict, repr=False)


@attrs.define(kw_only=True)
class CampaignIdXref:
    """A V2 email campaign id mapped to its V3 campaign and activity ids."""

    v2_email_campaign_id: str | None = None
    campaign_id: str | None = None
    campaign_activity_id: str | None = None
    extra: dict[str, Any] = attrs.field(factory=dict, repr=False)


@attrs.define(kw_only=True)
class ABTestData:
    """A subject-line A/B test of a draft email activity (the spec's ``ABTestData``).

    ``test_size``: percent of the recipients receiving each subject (5-50);
    ``winner_wait_duration``: hours before the subject with most opens goes to the rest
    (6, 12, 24 or 48).
    """

    alternative_subject: str
    test_size: int
    winner_wait_duration: int
    extra: dict[str, Any] = attrs.field(factory=dict, repr=False)


ABTEST_WAITS = frozenset({6, 12, 24, 48})
"""Valid ``winner_wait_duration`` hours of an A/B test."""


# --- local rules --------------------------------------------------------------------------------


def check_campaign_name(name: object) -> None:
    """A campaign name: a non-blank string of at most 80 characters."""
    if not isinstance(name, str) or not name.strip():
        raise ValidationError("name", "is required (a non-blank string)", value=name)
    _checks.check_length("name", name, max_len=NAME_MAX)


def check_html_content(html: object) -> None:
    """``html_content``: non-empty, ≤150,000 characters, without ``[#``, ``${`` or ``<@``."""
    if not isinstance(html, str) or not html:
        raise ValidationError("html_content", "is required (a non-empty string)")
    _checks.check_length("html_content", html, max_len=HTML_MAX)
    for sequence in FORBIDDEN_HTML_SEQUENCES:
        if sequence in html:
            raise ValidationError("html_content", f"must not contain the sequence {sequence!r}")


def check_sender(
    *, from_name: object, from_email: object, reply_to_email: object, subject: object
) -> None:
    """The four header fields an activity needs: present, with their length limits.

    ``from_name`` ≤100 characters, the two addresses ≤80 (they must also be CONFIRMED account
    emails, which only the server can check), ``subject`` non-blank.
    """
    fields = {
        "from_name": (from_name, FROM_NAME_MAX),
        "from_email": (from_email, EMAIL_MAX),
        "reply_to_email": (reply_to_email, EMAIL_MAX),
        "subject": (subject, None),
    }
    for field, (value, max_len) in fields.items():
        if not isinstance(value, str) or not value.strip():
            raise ValidationError(field, "is required (a non-blank string)")
        if max_len is not None:
            _checks.check_length(field, value, max_len=max_len)


def check_footer(address: PhysicalAddressInFooter | None) -> None:
    """A footer address has address_line1, organization_name and an alpha-2 country code."""
    if address is None:
        return
    where = "physical_address_in_footer"
    _checks.check_required(f"{where}.address_line1", address.address_line1)
    _checks.check_required(f"{where}.organization_name", address.organization_name)
    code = address.country_code
    if not (isinstance(code, str) and len(code) == 2 and code.isalpha() and code.isupper()):
        raise ValidationError(
            f"{where}.country_code", "must be an upper-case ISO-3166 alpha-2 code", value=code
        )
    if code == "US":
        _checks.check_required(f"{where}.state_code", address.state_code)


def check_content(
    html_content: object, preheader: str | None, footer: PhysicalAddressInFooter | None
) -> None:
    """The content of a new activity: html rules, preheader ≤200 characters, footer fields."""
    check_html_content(html_content)
    _checks.check_length("preheader", preheader, max_len=PREHEADER_MAX)
    check_footer(footer)


def check_activity_for_update(activity: CampaignActivity) -> None:
    """What a PUT of an activity needs: its id, the sender fields, valid recipients and content."""
    _checks.check_uuid("campaign_activity_id", activity.campaign_activity_id)
    check_sender(
        from_name=activity.from_name,
        from_email=activity.from_email,
        reply_to_email=activity.reply_to_email,
        subject=activity.subject,
    )
    _checks.check_length("preheader", activity.preheader, max_len=PREHEADER_MAX)
    if activity.html_content is not None:
        check_html_content(activity.html_content)
    check_footer(activity.physical_address_in_footer)
    check_recipients(activity.contact_list_ids, activity.segment_ids)


def check_recipients(list_ids: Sequence[str], segment_ids: Sequence[int]) -> None:
    """``contact_list_ids`` are UUIDs, ``segment_ids`` holds at most one id, never both kinds."""
    _checks.check_uuids("contact_list_ids", list_ids, max_items=MAX_LISTS_PER_ACTIVITY)
    _checks.check_count("segment_ids", segment_ids, max_items=1)
    if list_ids and segment_ids:
        raise ValidationError(
            "contact_list_ids | segment_ids", "are mutually exclusive (set only one)"
        )


def check_resend_delay(delay_days: int | None, delay_minutes: int | None) -> None:
    """Exactly one of ``delay_days`` (1-10) and ``delay_minutes`` (720-14,400)."""
    _checks.check_exactly_one(
        ("delay_days", "delay_minutes"), (delay_days is not None, delay_minutes is not None)
    )
    _checks.check_range("delay_days", delay_days, low=RESEND_DAYS[0], high=RESEND_DAYS[1])
    _checks.check_range(
        "delay_minutes", delay_minutes, low=RESEND_MINUTES[0], high=RESEND_MINUTES[1]
    )


def check_test_send(emails: Sequence[str], personal_message: str | None) -> None:
    """1 to 5 syntactically valid addresses and a personal message of ≤1,000 characters."""
    if isinstance(emails, str | bytes):
        raise ValidationError("email_addresses", "must be a sequence of addresses, not a string")
    _checks.check_count("email_addresses", emails, max_items=TEST_ADDRESSES_MAX, min_items=1)
    for index, address in enumerate(emails):
        check_email_syntax(f"email_addresses[{index}]", address)
    _checks.check_length("personal_message", personal_message, max_len=PERSONAL_MESSAGE_MAX)


def check_email_syntax(field: str, address: object) -> None:
    """``address`` is a syntactically valid email address (no DNS lookup)."""
    if not isinstance(address, str):
        raise ValidationError(field, "must be a string", value=address)
    try:
        email_validator.validate_email(address, check_deliverability=False)
    except email_validator.EmailNotValidError as exc:
        raise ValidationError(
            field, f"is not a valid email address ({exc})", value=address
        ) from exc


def check_resend_request_id(value: object) -> None:
    """A resend request id: ``DRAFT`` or an id of letters, digits and dashes (a path segment)."""
    if not (isinstance(value, str) and _RESEND_ID.fullmatch(value)):
        raise ValidationError(
            "resend_request_id", "must be DRAFT or an id of letters, digits and dashes", value=value
        )


def check_includes(include: Sequence[str]) -> None:
    """Every ``include`` value of an activity GET is documented."""
    _checks.check_enums("include", include, ACTIVITY_INCLUDES)


def check_abtest(test: ABTestData) -> None:
    """An A/B test with a subject, a size of 5-50 percent and a wait of 6, 12, 24 or 48 hours."""
    _checks.check_required("alternative_subject", test.alternative_subject)
    _checks.check_range("test_size", test.test_size, low=5, high=50)
    if test.winner_wait_duration not in ABTEST_WAITS:
        raise ValidationError(
            "winner_wait_duration", "must be 6, 12, 24 or 48 hours", value=test.winner_wait_duration
        )
