"""JSON shapes of campaign resources as the spec names them (EmailCampaign, activity, ...)."""

from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import Collection, Mapping
from typing import Any

from .._http import iso
from ..outbox.render import fill
from .book import resend_request_id
from .engagement import TRACKING_IMAGE
from .records import Activity, Campaign, SendRecord

INCLUDE_VALUES = frozenset(
    {"physical_address_in_footer", "permalink_url", "html_content", "document_properties"}
)
_TAG = re.compile(r"<[^>]+>")
_SPACE = re.compile(r"\s+")


def campaign_summary(campaign: Campaign) -> dict[str, Any]:
    """A ``GET /emails`` list item (no activities)."""
    return {
        "campaign_id": campaign.campaign_id,
        "created_at": iso(campaign.created_at),
        "current_status": campaign.current_status,
        "name": campaign.name,
        "type": campaign.type,
        "type_code": campaign.type_code,
        "updated_at": iso(campaign.updated_at),
    }


def campaign_body(campaign: Campaign) -> dict[str, Any]:
    """An ``EmailCampaign`` with its ``campaign_activities`` (id and role)."""
    body = campaign_summary(campaign)
    body["campaign_activities"] = [
        {"campaign_activity_id": a.activity_id, "role": a.role} for a in campaign.activities
    ]
    return body


def activity_body(activity: Activity, include: Collection[str] = INCLUDE_VALUES) -> dict[str, Any]:
    """An ``EmailCampaignActivity``; ``include`` adds the optional sub-resources."""
    body: dict[str, Any] = {
        "campaign_activity_id": activity.activity_id,
        "campaign_id": activity.campaign_id,
        "role": activity.role,
        "contact_list_ids": list(activity.contact_list_ids),
        "segment_ids": list(activity.segment_ids),
        "current_status": activity.status,
        "format_type": activity.format_type,
        "from_email": activity.from_email,
        "from_name": activity.from_name,
        "reply_to_email": activity.reply_to_email,
        "subject": activity.subject,
    }
    if activity.preheader is not None:
        body["preheader"] = activity.preheader
    if "html_content" in include:
        body["html_content"] = activity.html_content
    if "physical_address_in_footer" in include:
        body["physical_address_in_footer"] = dict(activity.physical_address)
    if "permalink_url" in include and activity.permalink_url is not None:
        body["permalink_url"] = activity.permalink_url
    if "document_properties" in include and activity.document_properties is not None:
        body["document_properties"] = dict(activity.document_properties)
    return body


def schedule_body(dates: list[dt.datetime]) -> list[dict[str, str]]:
    """``[{scheduled_date}]`` items."""
    return [{"scheduled_date": iso(d)} for d in dates]


def history_body(records: list[SendRecord]) -> list[dict[str, Any]]:
    """``EmailSendHistory`` items."""
    return [
        {
            "send_id": r.send_id,
            "contact_list_ids": list(r.contact_list_ids),
            "segment_ids": list(r.segment_ids),
            "count": r.count,
            "run_date": iso(r.run_date),
            "send_status": r.send_status,
            "reason_code": r.reason_code,
        }
        for r in records
    ]


def resend_body(campaign: Campaign, *, with_status: bool) -> dict[str, Any]:
    """A ``ResendToNonOpeners`` item; ``delay_days`` only when the delay is whole days.

    ``resend_status`` (GET only) is DRAFT, SCHEDULED or DONE (UNCONFIRMED value set).
    """
    resend = campaign.resend
    if resend is None:
        raise ValueError(f"campaign {campaign.campaign_id} has no resend")
    body: dict[str, Any] = {
        "resend_subject": resend.subject,
        "delay_minutes": resend.delay_minutes,
        "resend_request_id": resend_request_id(campaign),
    }
    if resend.by_days:
        body["delay_days"] = resend.delay_minutes // 1440
    if resend.resend_date is not None:
        body["resend_date"] = iso(resend.resend_date)
    if with_status:
        body["resend_status"] = _resend_status(campaign)
    return body


def _resend_status(campaign: Campaign) -> str:
    if campaign.resend is not None and campaign.resend.resend_date is not None:
        return "DONE"
    return "DRAFT" if resend_request_id(campaign) == "DRAFT" else "SCHEDULED"


def preview_body(activity: Activity, owner: Mapping[str, str] | None = None) -> dict[str, Any]:
    """``EmailCampaignActivityPreview``: the HTML without the tracking image, and a text form.

    Personalization tags are filled with the account owner's details (``owner``: tag values,
    see :func:`ccasync.sim.outbox.render.owner_values`), as the reference says of format 5.
    """
    values = owner or {}
    page = fill(activity.html_content.replace(TRACKING_IMAGE, ""), values, as_html=True)
    text = _SPACE.sub(" ", html.unescape(_TAG.sub(" ", page))).strip()
    return {
        "campaign_activity_id": activity.activity_id,
        "from_email": activity.from_email,
        "from_name": activity.from_name,
        "preheader": fill(activity.preheader or "", values, as_html=False),
        "preview_html_content": page,
        "preview_text_content": text,
        "reply_to_email": activity.reply_to_email,
        "subject": fill(activity.subject, values, as_html=False),
    }
