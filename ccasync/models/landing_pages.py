"""Landing-page report records (``/reports/landing_pages/campaign_details/…``)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import attrs

PAGE_MAX = 500
"""Max ``limit`` of a landing-page report page (default 50)."""
KINDS = (
    "p_unique_contact_clicks",
    "p_unique_contact_opens",
    "p_contact_opens",
    "p_unique_contact_updates",
    "p_unique_contact_adds",
    "p_unique_contact_sms_optins",
)
"""The six landing-page reports (the last path segment of each)."""


@attrs.define(kw_only=True)
class TrackingActivitySmsChannel:
    """The SMS channel of a contact in a landing-page report (``TrackingActivitySmsChannelDTO``)."""

    country_code: str | None = None
    state: str | None = None
    formatted_international: str | None = None
    formatted_national: str | None = None
    extra: dict[str, Any] = attrs.field(factory=dict, repr=False)


@attrs.define(kw_only=True)
class LandingPageTrackingActivity:
    """One contact's activity on a landing page (the spec's ``PContact*TrackingActivity``).

    ``tracking_activity_type`` tells which report: ``p_contact_click``, ``p_contact_opens``,
    ``p_contact_updates``, ``p_contact_adds``, ``p_contact_sms_optins``. ``device_type`` is set
    for clicks and opens, ``url_id``/``link_url`` for clicks; ``deleted_at`` is the day the
    contact was deleted, if it was.
    """

    contact_id: str | None = None
    campaign_activity_id: str | None = None
    tracking_activity_type: str | None = None
    email_address: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    created_time: dt.datetime | None = None
    deleted_at: dt.date | None = None
    device_type: str | None = None
    url_id: str | None = None
    link_url: str | None = None
    sms_channel: TrackingActivitySmsChannel | None = None
    extra: dict[str, Any] = attrs.field(factory=dict, repr=False)
