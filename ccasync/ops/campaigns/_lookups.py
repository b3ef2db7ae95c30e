"""Per-account lookups made once per fan-out run: campaigns by name, lists by name."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ccasync.errors import ConflictError, ValidationError
from ccasync.models.campaigns import CampaignActivity

if TYPE_CHECKING:
    from ccasync.client import Client
    from ccasync.models.campaigns import EmailCampaign


class CampaignIndex:
    """Live (not ``Removed``) campaign ids of one account by name, from one pass over /emails.

    Campaign names are unique per account, which is what makes a rerun resume: a name seen
    here is reused instead of created again.
    """

    def __init__(self, by_name: dict[str, str], statuses: dict[str, str] | None = None) -> None:
        self._by_name = by_name
        self._statuses = statuses or {}

    @classmethod
    async def load(cls, cc: Client) -> CampaignIndex:
        """Page through the account's campaigns (one call per 500), keeping their status."""
        by_name: dict[str, str] = {}
        statuses: dict[str, str] = {}
        async for campaign in cc.campaigns.iter_all():
            if campaign.name and not campaign.removed:
                by_name[campaign.name] = campaign.campaign_id
                statuses[campaign.name] = campaign.current_status or ""
        return cls(by_name, statuses)

    def status(self, name: str) -> str:
        """The listed ``current_status`` of the campaign called ``name`` (title case: Draft,
        Scheduled, Executing, Done, Error), or "" when unknown or created by this run."""
        return self._statuses.get(name, "")

    def get(self, name: str) -> str | None:
        """The id of the live campaign called ``name``, or None."""
        return self._by_name.get(name)

    def add(self, name: str, campaign_id: str) -> None:
        """Remember a campaign created during this run."""
        self._by_name[name] = campaign_id


async def create_or_find(cc: Client, fields: dict[str, str | None]) -> tuple[EmailCampaign, bool]:
    """Create the campaign, or return the one another run created meanwhile (409 on the name).

    Returns ``(campaign, created)``.
    """
    name = str(fields["name"])
    try:
        campaign = await cc.campaigns.create(
            name=name,
            from_name=str(fields["from_name"]),
            from_email=str(fields["from_email"]),
            reply_to_email=str(fields["reply_to_email"]),
            subject=str(fields["subject"]),
            html_content=str(fields["html_content"]),
            preheader=fields.get("preheader"),
        )
    except ConflictError:
        found = await cc.campaigns.find_by_name(name)
        if found is None:
            raise
        return found, False
    return campaign, True


def created_activity(campaign: EmailCampaign, fields: dict[str, str | None]) -> CampaignActivity:
    """The new campaign's DRAFT activity built from what this run sent in ``POST /emails``.

    The recipients PUT is built from it instead of from a GET: a PUT replaces every top-level
    property (so each one the create set is sent again) and keeps the sub-resources it omits
    (html_content and the footer stay as created, without sending 150 kB again). Only for a
    campaign whose create answer this run holds; any other activity is read first.
    """
    return CampaignActivity(
        campaign_activity_id=campaign.primary_activity_id,
        campaign_id=campaign.campaign_id,
        role="primary_email",
        current_status="DRAFT",
        from_name=fields["from_name"],
        from_email=fields["from_email"],
        reply_to_email=fields["reply_to_email"],
        subject=fields["subject"],
        preheader=fields["preheader"],
    )


async def load_list_names(cc: Client) -> dict[str, str]:
    """Every list of the account by name (one call per 1,000 lists)."""
    return {item.name: item.list_id async for item in cc.lists.iter_all(limit=1000)}


def resolve_lists(ids: tuple[str, ...], names: tuple[str, ...], known: dict[str, str]) -> list[str]:
    """List ids plus the ids of the named lists; raises ValidationError for an unknown name."""
    resolved = list(ids)
    for name in names:
        found = known.get(name)
        if found is None:
            raise ValidationError("list_names", "no list with this name in the account", value=name)
        resolved.append(found)
    if not resolved:
        raise ValidationError("list_ids", "a location needs at least one list id or list name")
    return list(dict.fromkeys(resolved))
