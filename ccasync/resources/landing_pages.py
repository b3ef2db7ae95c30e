"""Landing-page reports (``/reports/landing_pages/campaign_details/{id}/…``): ``cc.landing_pages``.

Each report pages with the API's cursor (``limit`` ≤500 per call) and yields
:class:`LandingPageTrackingActivity` records, most recent first.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from ccasync import _checks
from ccasync.models.landing_pages import PAGE_MAX, LandingPageTrackingActivity
from ccasync.resources._base import Resource

_BASE = "/reports/landing_pages/campaign_details"


class LandingPagesResource(Resource):
    """The landing-page report endpoints; reach it as ``cc.landing_pages``.

    ``activity_id`` is the landing page's ``campaign_activity_id``; ``contacts_filter`` keeps
    contacts whose first name, last name or email contains it (full or partial match).
    Every method: one API call per ``limit`` (1-500) records; ValidationError (id, limit) at
    once, NotFoundError and other APIErrors while iterating.
    """

    def _report(
        self, activity_id: str, kind: str, limit: int, contacts_filter: str | None
    ) -> AsyncIterator[LandingPageTrackingActivity]:
        _checks.check_uuid("campaign_activity_id", activity_id)
        _checks.check_range("limit", limit, low=1, high=PAGE_MAX)
        return self._requestor.iter_items(
            f"{_BASE}/{activity_id}/{kind}",
            items_key="tracking_activities",
            model=LandingPageTrackingActivity,
            params={"limit": limit, "contacts_filter": contacts_filter or None},
        )

    def iter_unique_contact_clicks(
        self, activity_id: str, *, limit: int = PAGE_MAX, contacts_filter: str | None = None
    ) -> AsyncIterator[LandingPageTrackingActivity]:
        """Each contact that clicked a link of the page, once (``…/p_unique_contact_clicks``)."""
        return self._report(activity_id, "p_unique_contact_clicks", limit, contacts_filter)

    def iter_unique_contact_opens(
        self, activity_id: str, *, limit: int = PAGE_MAX, contacts_filter: str | None = None
    ) -> AsyncIterator[LandingPageTrackingActivity]:
        """Each contact that opened the page, once (``…/p_unique_contact_opens``)."""
        return self._report(activity_id, "p_unique_contact_opens", limit, contacts_filter)

    def iter_contact_opens(
        self, activity_id: str, *, limit: int = PAGE_MAX, contacts_filter: str | None = None
    ) -> AsyncIterator[LandingPageTrackingActivity]:
        """Every open of the page, repeats included (``…/p_contact_opens``)."""
        return self._report(activity_id, "p_contact_opens", limit, contacts_filter)

    def iter_unique_contact_updates(
        self, activity_id: str, *, limit: int = PAGE_MAX, contacts_filter: str | None = None
    ) -> AsyncIterator[LandingPageTrackingActivity]:
        """Each existing contact the page updated (``…/p_unique_contact_updates``)."""
        return self._report(activity_id, "p_unique_contact_updates", limit, contacts_filter)

    def iter_unique_contact_adds(
        self, activity_id: str, *, limit: int = PAGE_MAX, contacts_filter: str | None = None
    ) -> AsyncIterator[LandingPageTrackingActivity]:
        """Each new contact the page added (``…/p_unique_contact_adds``)."""
        return self._report(activity_id, "p_unique_contact_adds", limit, contacts_filter)

    def iter_unique_contact_sms_optins(
        self, activity_id: str, *, limit: int = PAGE_MAX, contacts_filter: str | None = None
    ) -> AsyncIterator[LandingPageTrackingActivity]:
        """Each contact that opted in to SMS on the page (``…/p_unique_contact_sms_optins``)."""
        return self._report(activity_id, "p_unique_contact_sms_optins", limit, contacts_filter)
