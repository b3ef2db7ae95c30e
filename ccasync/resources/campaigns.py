"""The campaigns API area: ``/emails`` campaigns and ``/emails/activities`` activities.

The usual flow: :meth:`CampaignsResource.create` → take ``primary_activity_id`` →
:meth:`~CampaignsResource.set_lists` → :meth:`~CampaignsResource.send_test` →
:meth:`~CampaignsResource.schedule` (or :meth:`~CampaignsResource.send_now`).
"""

from __future__ import annotations

import datetime as dt
import math
import time
from collections.abc import AsyncIterator, Callable, Sequence
from typing import Any, Literal

import attrs

from ccasync import _checks
from ccasync._requestor import Requestor
from ccasync._serde import format_datetime, structure, unstructure
from ccasync.errors import (
    CampaignActivityStateError,
    ConflictError,
    ValidationError,
    WaitTimeoutError,
)
from ccasync.models.campaigns import (
    MAX_LISTS_PER_ACTIVITY,
    ABTestData,
    CampaignActivity,
    CampaignIdXref,
    CampaignPreview,
    EmailCampaign,
    NonOpenerResend,
    PhysicalAddressInFooter,
    ScheduleEntry,
    SendHistoryEntry,
    check_abtest,
    check_activity_for_update,
    check_campaign_name,
    check_content,
    check_includes,
    check_resend_delay,
    check_resend_request_id,
    check_sender,
    check_test_send,
)
from ccasync.resources._base import Resource

PAGE_MAX = 500
"""Max ``limit`` of ``GET /emails``."""
XREF_MAX = 50
"""Max V2 ids per ``GET /emails/campaign_id_xrefs`` call."""
SEND_NOW = "0"
"""The ``scheduled_date`` value that means "send immediately"."""

_NOT_SENDING = {
    "DRAFT": "it is not scheduled, so no send will finish",
    "ERROR": "the send failed",
}
"""Statuses in which :meth:`CampaignsResource.wait_sent` stops waiting, and why."""

Clock = Callable[[], dt.datetime]
"""A function giving the current aware time (``CampaignsResource.clock``)."""


def utc_now() -> dt.datetime:
    """The current time, timezone-aware UTC."""
    return dt.datetime.now(dt.UTC)


def _emails(activity_id: str, tail: str = "") -> str:
    _checks.check_uuid("campaign_activity_id", activity_id)
    return f"/emails/activities/{activity_id}{tail}"


def _campaign(campaign_id: str) -> str:
    _checks.check_uuid("campaign_id", campaign_id)
    return f"/emails/{campaign_id}"


def _check_limit(limit: int) -> None:
    _checks.check_range("limit", limit, low=1, high=PAGE_MAX)


def _compact(body: dict[str, Any]) -> dict[str, Any]:
    """``body`` without None values (the API reads an explicit null differently from absence)."""
    return {k: v for k, v in body.items() if v is not None}


def _schedule_landed(
    activity_id: str, status: str, at: dt.datetime | None
) -> list[ScheduleEntry] | None:
    """Whether a schedule POST whose answer was lost landed, from the activity's status.

    SCHEDULED: it did (the answer it would have given); DRAFT/ERROR: it did not (None: send it
    again). A dated schedule finding DONE did not land either (a future date cannot have run
    yet; scheduling DONE again reaches only new list members). EXECUTING, or DONE after a
    send-now, cannot tell: CampaignActivityStateError, so that nothing is sent twice.
    """
    if status == "SCHEDULED" or (at is None and status == "EXECUTING"):
        return [] if at is None else [ScheduleEntry(scheduled_date=at)]
    if status in ("DRAFT", "ERROR") or (at is not None and status == "DONE"):
        return None
    raise CampaignActivityStateError(
        f"activity {activity_id} is {status or 'unknown'}: the schedule may have been applied;"
        " not sent again"
    )


def _activity_body(activity: CampaignActivity) -> dict[str, Any]:
    body: dict[str, Any] = unstructure(activity)
    # A PUT replaces top-level properties, so an empty recipient array equals its absence;
    # dropping it avoids sending both recipient kinds, which are mutually exclusive.
    for key in ("contact_list_ids", "segment_ids"):
        if not body.get(key):
            body.pop(key, None)
    return body


class CampaignsResource(Resource):
    """The email campaign endpoints (``/emails*``); reach it as ``cc.campaigns``.

    ``clock`` (an attribute, default :func:`utc_now`) is the "now" that :meth:`schedule`
    checks a send time against; tests may replace it.
    """

    def __init__(self, requestor: Requestor, *, clock: Clock = utc_now) -> None:
        super().__init__(requestor)
        self.clock = clock

    # --- campaigns ------------------------------------------------------------------------------

    async def create(
        self,
        *,
        name: str,
        from_name: str,
        from_email: str,
        reply_to_email: str,
        subject: str,
        html_content: str,
        preheader: str | None = None,
        physical_address_in_footer: PhysicalAddressInFooter | None = None,
        format_type: int = 5,
        on_conflict: Literal["raise", "return_existing"] = "raise",
    ) -> EmailCampaign:
        """Create a campaign with its one email activity (``POST /emails``, answered with 200).

        ``from_email`` and ``reply_to_email`` must be CONFIRMED account emails (checked by the
        server). Without ``physical_address_in_footer`` the account's address is used. Checks
        locally: name 1-80 characters, from_name ≤100, addresses ≤80, preheader ≤200,
        html_content ≤150,000 characters without ``[#``/``${``/``<@``, footer fields.

        The POST is not replayed blindly: after a timeout, a dropped connection or a 5xx the
        campaign is looked up by name (pages of ``GET /emails``) and returned if the try landed,
        else sent again (up to the retry policy's ``max_attempts``). With
        ``on_conflict="return_existing"`` a 409 (duplicate name) returns the existing campaign.
        Limits: 1 call (more on a 409 or a failure: one page per 500 campaigns plus one GET).
        Raises ValidationError, ConflictError (409, ``existing_id`` when the API names it),
        BadRequestError (unconfirmed sender, no account address), other APIErrors.
        """
        check_campaign_name(name)
        check_sender(
            from_name=from_name,
            from_email=from_email,
            reply_to_email=reply_to_email,
            subject=subject,
        )
        check_content(html_content, preheader, physical_address_in_footer)
        activity = {
            "format_type": format_type,
            "from_name": from_name,
            "from_email": from_email,
            "reply_to_email": reply_to_email,
            "subject": subject,
            "html_content": html_content,
            "preheader": preheader,
            "physical_address_in_footer": physical_address_in_footer,
        }
        body = {"name": name, "email_campaign_activities": [unstructure(_compact(activity))]}
        return await self._post_campaign(name, body, on_conflict)

    async def _post_campaign(
        self, name: str, body: dict[str, Any], on_conflict: str
    ) -> EmailCampaign:
        async def send() -> EmailCampaign:
            try:
                return await self._requestor.send_model(
                    "POST", "/emails", EmailCampaign, json=body, expected=(200, 201)
                )
            except ConflictError as exc:
                if on_conflict == "raise":
                    raise
                found = await self._existing(name, exc.existing_id)
                if found is None:
                    raise
                return found

        # Campaign names are unique per account: the name tells whether a lost POST landed.
        return await self._requestor.send_checked(
            send, lambda: self.find_by_name(name), what=f"campaign {name!r}"
        )

    async def _existing(self, name: str, existing_id: str | None) -> EmailCampaign | None:
        if existing_id is not None:
            return await self.get(existing_id)
        return await self.find_by_name(name)

    async def get(self, campaign_id: str) -> EmailCampaign:
        """Get one campaign with its ``campaign_activities`` (ids and roles).

        Limits: 1 call. Raises ValidationError (malformed id), NotFoundError.
        """
        return await self._requestor.get_model(_campaign(campaign_id), EmailCampaign)

    def iter_all(
        self,
        *,
        before_date: dt.datetime | None = None,
        after_date: dt.datetime | None = None,
        limit: int = PAGE_MAX,
    ) -> AsyncIterator[EmailCampaign]:
        """Iterate over every campaign, deleted (``Removed``) ones included.

        ``before_date``/``after_date`` (aware datetimes) filter on ``updated_at``; the API has
        no creation-date filter. Items carry no ``campaign_activities`` (use :meth:`get`).
        Limits: one call per ``limit`` (1-500) campaigns. Raises ValidationError (naive
        datetime, bad limit) before the first call, APIErrors while iterating.
        """
        _checks.check_aware("before_date", before_date)
        _checks.check_aware("after_date", after_date)
        _check_limit(limit)
        params = {"limit": limit, "before_date": before_date, "after_date": after_date}
        return self._requestor.iter_items(
            "/emails", items_key="campaigns", model=EmailCampaign, params=params
        )

    async def find_by_name(
        self, name: str, *, include_removed: bool = False
    ) -> EmailCampaign | None:
        """The campaign named ``name`` (exact match) with its activities, or None.

        The API has no name filter, so this pages through ``GET /emails``; ``Removed``
        campaigns are skipped unless ``include_removed`` (a live one is preferred anyway).
        Limits: up to one call per 500 campaigns, plus one GET for the match. Raises
        ValidationError (bad name), APIErrors.
        """
        check_campaign_name(name)
        removed: EmailCampaign | None = None
        async for campaign in self.iter_all():
            if campaign.name != name:
                continue
            if not campaign.removed:
                return await self.get(campaign.campaign_id)
            removed = removed or campaign
        if include_removed and removed is not None:
            return await self.get(removed.campaign_id)
        return None

    async def rename(self, campaign_id: str, name: str) -> EmailCampaign:
        """Rename a campaign (``PATCH /emails/{id}``); ``Removed`` campaigns cannot be renamed.

        Limits: 1 call; name 1-80 characters, unique per account. Raises ValidationError,
        ConflictError (name taken), NotFoundError.
        """
        check_campaign_name(name)
        return await self._requestor.send_model(
            "PATCH", _campaign(campaign_id), EmailCampaign, json={"name": name}
        )

    async def delete(self, campaign_id: str) -> None:
        """Delete a campaign and its activities (it becomes ``Removed``; restorable in the UI).

        A ``Scheduled`` campaign must be unscheduled first. Limits: 1 call (204). Raises
        ValidationError, NotFoundError, BadRequestError/ConflictError when scheduled.
        """
        await self._requestor.request("DELETE", _campaign(campaign_id), expected=(200, 204))

    async def id_xrefs(self, v2_email_campaign_ids: Sequence[str]) -> list[CampaignIdXref]:
        """Map V2 email campaign ids to V3 campaign and activity ids.

        Limits: 1 call, at most 50 ids. Raises ValidationError (count), APIErrors.
        """
        if isinstance(v2_email_campaign_ids, str):
            v2_email_campaign_ids = [v2_email_campaign_ids]
        _checks.check_count(
            "v2_email_campaign_ids", v2_email_campaign_ids, max_items=XREF_MAX, min_items=1
        )
        resp = await self._requestor.request(
            "GET",
            "/emails/campaign_id_xrefs",
            params={"v2_email_campaign_ids": list(v2_email_campaign_ids)},
        )
        return structure((resp.data or {}).get("xrefs") or [], list[CampaignIdXref])

    # --- activities -----------------------------------------------------------------------------

    async def get_activity(
        self, activity_id: str, *, include: Sequence[str] = ()
    ) -> CampaignActivity:
        """Get one campaign activity, with the sub-resources named in ``include``.

        ``include``: physical_address_in_footer, permalink_url, html_content,
        document_properties (they are omitted otherwise). Limits: 1 call. Raises
        ValidationError (id, include value), NotFoundError (also for ``REMOVED`` activities).
        """
        check_includes(include)
        params = {"include": list(include) or None}
        return await self._requestor.get_model(
            _emails(activity_id), CampaignActivity, params=params
        )

    async def update_activity(self, activity: CampaignActivity) -> CampaignActivity:
        """PUT the complete activity back (GET it, modify it, pass it here).

        Only ``primary_email`` activities in DRAFT or DONE status can be updated. Missing
        top-level properties are cleared by the API; unknown keys in ``extra`` are sent back.
        Checks locally: id, from_name/from_email/reply_to_email/subject present with their
        lengths, html_content rules, footer, list ids as UUIDs, lists XOR segment.
        Limits: 1 call. Raises ValidationError, NotFoundError, BadRequestError (status, lists).
        """
        check_activity_for_update(activity)
        path = _emails(activity.campaign_activity_id)
        return await self._requestor.send_model(
            "PUT", path, CampaignActivity, json=_activity_body(activity)
        )

    async def set_lists(self, activity_id: str, list_ids: Sequence[str]) -> CampaignActivity:
        """Set the recipients of an activity to ``list_ids`` (replacing lists or a segment).

        Recipients are resolved at send time: contacts added to these lists later still
        receive a scheduled email. Limits: 2 calls (GET then PUT of the complete activity).
        Raises ValidationError (ids), NotFoundError, BadRequestError (unknown list, status).
        """
        _checks.check_uuid("campaign_activity_id", activity_id)
        _checks.check_uuids("list_ids", list_ids, max_items=MAX_LISTS_PER_ACTIVITY, min_items=1)
        current = await self.get_activity(activity_id)
        changed = attrs.evolve(current, contact_list_ids=list(list_ids), segment_ids=[])
        return await self.update_activity(changed)

    # --- sending --------------------------------------------------------------------------------

    async def schedule(self, activity_id: str, at: dt.datetime) -> list[ScheduleEntry]:
        """Schedule the ``primary_email`` activity to be sent at ``at`` (aware, future).

        The activity needs recipients first (:meth:`set_lists`) and must be DRAFT, DONE or
        ERROR; scheduling a DONE activity sends only to contacts added since. ``at`` is
        compared with ``self.clock()``. After a 5xx, timeout or dropped connection the activity
        is read: SCHEDULED means the POST landed, DRAFT/ERROR/DONE that it did not (it is sent
        again); EXECUTING raises CampaignActivityStateError. Limits: 1 call (201), 2 more per
        lost answer. Raises ValidationError (naive or past time, id), BadRequestError (no
        recipients, wrong status), NotFoundError.
        """
        _checks.check_uuid("campaign_activity_id", activity_id)
        _checks.check_aware_future("at", at, now=self.clock())
        return await self._post_schedule(activity_id, format_datetime(at), at)

    async def send_now(self, activity_id: str) -> list[ScheduleEntry]:
        """Send the ``primary_email`` activity immediately (``scheduled_date`` ``"0"``).

        Same preconditions as :meth:`schedule`; the answer is an empty list. A large send may
        take a while to go out: watch ``current_status`` or :meth:`send_history`. A lost answer
        is checked as for :meth:`schedule`: SCHEDULED or EXECUTING means it landed, DRAFT or
        ERROR that it did not; DONE cannot tell (CampaignActivityStateError, never a second
        send). Limits: 1 call (201). Raises ValidationError (id), BadRequestError, NotFoundError.
        """
        return await self._post_schedule(activity_id, SEND_NOW, None)

    async def wait_sent(
        self, activity_id: str, *, timeout: float = 3600.0, interval: float = 10.0
    ) -> CampaignActivity:
        """Poll a scheduled or sending activity until the send is ``DONE``; return the activity.

        Polls every ``interval`` seconds (one API call each) for at most ``timeout`` seconds
        (both > 0 and finite). Raises :class:`WaitTimeoutError` (with the last status) past
        ``timeout``; :class:`CampaignActivityStateError` when the activity is ``DRAFT`` (not
        scheduled: nothing to wait for) or ends in ``ERROR``; ValidationError, NotFoundError
        (also for a ``REMOVED`` activity), other APIErrors.
        """
        _checks.check_uuid("campaign_activity_id", activity_id)
        for name, value in (("timeout", timeout), ("interval", interval)):
            if not (isinstance(value, int | float) and 0 < value < math.inf):
                raise ValidationError(name, "must be a finite number of seconds > 0", value=value)
        elapsed = 0.0
        while True:
            started = time.monotonic()
            activity = await self.get_activity(activity_id)
            elapsed += time.monotonic() - started
            status = activity.current_status
            if status == "DONE":
                return activity
            if status in _NOT_SENDING:
                raise CampaignActivityStateError(
                    f"campaign activity {activity_id} is {status}: {_NOT_SENDING[status]}"
                )
            if elapsed >= timeout:
                raise WaitTimeoutError(
                    f"campaign activity {activity_id} still {status} after {timeout:g} s"
                )
            delay = min(interval, timeout - elapsed)
            await self._requestor.sleep(delay)
            elapsed += delay

    async def _post_schedule(
        self, activity_id: str, when: str, at: dt.datetime | None
    ) -> list[ScheduleEntry]:
        async def send() -> list[ScheduleEntry]:
            resp = await self._requestor.request(
                "POST",
                _emails(activity_id, "/schedules"),
                json={"scheduled_date": when},
                expected=(200, 201),
            )
            return structure(resp.data or [], list[ScheduleEntry])

        async def landed() -> list[ScheduleEntry] | None:
            status = (await self.get_activity(activity_id)).current_status or ""
            return _schedule_landed(activity_id, status.upper(), at)

        return await self._requestor.send_checked(
            send, landed, what=f"the schedule of activity {activity_id}"
        )

    async def unschedule(self, activity_id: str) -> None:
        """Cancel a schedule; the activity returns to its previous status.

        Only valid while SCHEDULED. Limits: 1 call (204). Raises ValidationError (id),
        BadRequestError (not scheduled), NotFoundError.
        """
        await self._requestor.request(
            "DELETE", _emails(activity_id, "/schedules"), expected=(200, 204)
        )

    async def get_schedule(self, activity_id: str) -> list[ScheduleEntry]:
        """The current schedule: one entry while SCHEDULED, else an empty list.

        Limits: 1 call. Raises ValidationError (id), NotFoundError.
        """
        resp = await self._requestor.request("GET", _emails(activity_id, "/schedules"))
        return structure(resp.data or [], list[ScheduleEntry])

    async def send_test(
        self, activity_id: str, emails: Sequence[str], personal_message: str | None = None
    ) -> None:
        """Send a test of the ``primary_email`` activity to 1-5 addresses.

        Merge tags are not processed in tests. Limits: 1 call (204); the account may send 50
        test recipients a day. Checks locally: 1-5 syntactically valid addresses, message
        ≤1,000 characters (UNCONFIRMED bound). Raises ValidationError, BadRequestError,
        NotFoundError, RateLimitError (daily test limit, status UNCONFIRMED).
        """
        check_test_send(emails, personal_message)
        body = _compact({"email_addresses": list(emails), "personal_message": personal_message})
        await self._requestor.request(
            "POST", _emails(activity_id, "/tests"), json=body, expected=(200, 204)
        )

    async def send_history(self, activity_id: str) -> list[SendHistoryEntry]:
        """Every send of a ``primary_email`` or ``resend`` activity, oldest first.

        Limits: 1 call. Raises ValidationError (id), NotFoundError.
        """
        resp = await self._requestor.request("GET", _emails(activity_id, "/send_history"))
        return structure(resp.data or [], list[SendHistoryEntry])

    async def preview(self, activity_id: str) -> CampaignPreview:
        """The rendered HTML and text preview of an activity.

        Limits: 1 call. Raises ValidationError (id), NotFoundError.
        """
        return await self._requestor.get_model(_emails(activity_id, "/previews"), CampaignPreview)

    # --- resends to non-openers -----------------------------------------------------------------

    async def create_resend(
        self,
        activity_id: str,
        *,
        resend_subject: str,
        delay_days: int | None = None,
        delay_minutes: int | None = None,
    ) -> NonOpenerResend:
        """Resend the ``primary_email`` activity to contacts who did not open it.

        Give exactly one of ``delay_days`` (1-10) or ``delay_minutes`` (720-14,400) after the
        first send. One resend per campaign; the activity must be Draft, Scheduled or Done.
        Limits: 1 call (201). Raises ValidationError, ConflictError (a resend exists),
        NotFoundError, BadRequestError.
        """
        _checks.check_required("resend_subject", resend_subject)
        check_resend_delay(delay_days, delay_minutes)
        body = _compact(
            {
                "resend_subject": resend_subject,
                "delay_days": delay_days,
                "delay_minutes": delay_minutes,
            }
        )
        return await self._requestor.send_model(
            "POST",
            _emails(activity_id, "/non_opener_resends"),
            NonOpenerResend,
            json=body,
            expected=(200, 201),
        )

    async def get_resends(self, activity_id: str) -> list[NonOpenerResend]:
        """The non-opener resends of an activity (empty when none).

        Limits: 1 call. Raises ValidationError (id), NotFoundError.
        """
        resp = await self._requestor.request("GET", _emails(activity_id, "/non_opener_resends"))
        data = resp.data or []
        return structure(data if isinstance(data, list) else [data], list[NonOpenerResend])

    async def delete_resend(self, activity_id: str, resend_request_id: str) -> None:
        """Delete (unschedule) a non-opener resend; use ``"DRAFT"`` as id for a draft one.

        Limits: 1 call (204). Raises ValidationError (ids), NotFoundError, ConflictError.
        """
        check_resend_request_id(resend_request_id)
        await self._requestor.request(
            "DELETE",
            _emails(activity_id, f"/non_opener_resends/{resend_request_id}"),
            expected=(200, 204),
        )

    # --- A/B tests ------------------------------------------------------------------------------

    async def get_abtest(self, activity_id: str) -> ABTestData:
        """The subject-line A/B test of an activity (``GET …/{activity_id}/abtest``).

        One API call. Raises ValidationError (id), NotFoundError (no test), other APIErrors.
        """
        _checks.check_uuid("campaign_activity_id", activity_id)
        return await self._requestor.get_model(_emails(activity_id, "/abtest"), ABTestData)

    async def create_abtest(self, activity_id: str, test: ABTestData) -> ABTestData:
        """Add a subject-line A/B test to a DRAFT campaign's activity (``POST …/abtest``, 201).

        ``test_size`` 5-50 (percent), ``winner_wait_duration`` 6, 12, 24 or 48 (hours); after
        the wait the subject with most opens goes to the other recipients. One API call (not
        repeated if it may have landed: :meth:`get_abtest` tells). Raises ValidationError,
        ConflictError (not a draft, or a test exists), other APIError subclasses.
        """
        _checks.check_uuid("campaign_activity_id", activity_id)
        check_abtest(test)
        return await self._requestor.send_model(
            "POST", _emails(activity_id, "/abtest"), ABTestData, json=test, expected=(200, 201)
        )

    async def delete_abtest(self, activity_id: str) -> None:
        """Remove the A/B test of a DRAFT campaign's activity (``DELETE …/abtest``, 204).

        One API call. Raises ValidationError, NotFoundError, ConflictError, other APIErrors.
        """
        _checks.check_uuid("campaign_activity_id", activity_id)
        await self._requestor.request(
            "DELETE", _emails(activity_id, "/abtest"), expected=(200, 204)
        )
