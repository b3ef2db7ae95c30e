"""The campaign book of one account: campaigns, activities, schedules, sends, tests and resends.

Pure state logic (no HTTP): every operation takes the simulated ``now`` and raises
:class:`~ccasync.sim._http.ApiFailure` for what the API refuses. :meth:`CampaignBook.tick` runs the
work that has fallen due (send starts and ends, A/B winners, resends, opt-outs) in time order,
each at its own due time, so one large clock step gives the same history as many small ones.

Status machine (reference 9.5): DRAFT/DONE/ERROR -> SCHEDULED (POST schedules) -> EXECUTING (due
time reached) -> DONE (or ERROR); DELETE schedules returns SCHEDULED to the status it had before.
"""

from __future__ import annotations

import datetime as dt
import functools
import heapq
import itertools
from collections.abc import Iterator
from typing import Any

import attrs

from .._http import is_uuid, new_id
from . import rules
from .abtest import (
    AB_TEST_TYPE_CODE,
    NEWSLETTER_TYPE_CODE,
    abtest_input,
    decide,
    split,
)
from .records import (
    DONE,
    DRAFT,
    ERROR,
    EXECUTING,
    PERMALINK,
    PRIMARY,
    REMOVED,
    SCHEDULED,
    ABTest,
    Activity,
    Campaign,
    CampaignAccount,
    Event,
    MailingAccount,
    NonOpenerResend,
    RecordedTestSend,
    SendRecord,
)
from .send import (
    Select,
    begin_send,
    close_send,
    finish_send,
    mail_send,
    send_resend,
)

_SCHEDULABLE = (DRAFT, DONE, ERROR)
_EDITABLE = (DRAFT, DONE)
_RESENDABLE = (DRAFT, SCHEDULED, DONE)
_FIRST_RESEND_NUMBER = 389_093


@attrs.frozen
class _Job:
    kind: str
    ref: str
    token: int
    event: Event | None = None


class CampaignBook:
    """All email campaigns of one account and the machinery that sends them on the virtual clock."""

    def __init__(self, account: CampaignAccount) -> None:
        """An empty book for ``account`` (read at send time for recipients, seed and senders)."""
        self._account = account
        self.campaigns: dict[str, Campaign] = {}
        self.test_sends: list[RecordedTestSend] = []
        self._activities: dict[str, tuple[Campaign, Activity]] = {}
        self._jobs: list[tuple[dt.datetime, int, _Job]] = []
        self._seq = itertools.count()
        self._resend_numbers = itertools.count(_FIRST_RESEND_NUMBER)
        self.failures: list[tuple[str, str, str]] = []
        """(job kind, activity id, exception repr) of every due job that raised."""

    # -- lookups ------------------------------------------------------------------------------

    def campaign(self, campaign_id: str) -> Campaign:
        """The campaign (Removed ones included); 404 when malformed or unknown."""
        found = self.campaigns.get(campaign_id.lower()) if is_uuid(campaign_id) else None
        if found is None:
            raise rules.not_found(f"Campaign {campaign_id}")
        return found

    def activity(self, activity_id: str) -> tuple[Campaign, Activity]:
        """A live activity and its campaign; 404 when malformed, unknown or REMOVED."""
        pair = self._activities.get(activity_id.lower()) if is_uuid(activity_id) else None
        if pair is None or pair[1].status == REMOVED:
            raise rules.not_found(f"Campaign activity {activity_id}")
        return pair

    def lookup(self, activity_id: str) -> tuple[Campaign, Activity] | None:
        """An activity (any status) and its campaign, or None; for reports."""
        return self._activities.get(activity_id.lower())

    def all_activities(self) -> Iterator[tuple[Campaign, Activity]]:
        """Every activity of every campaign, in creation order."""
        return iter(self._activities.values())

    def listing(
        self, after: dt.datetime | None = None, before: dt.datetime | None = None
    ) -> list[Campaign]:
        """Campaigns (Removed included), newest first, filtered on ``updated_at`` (inclusive)."""
        return [
            c
            for c in reversed(self.campaigns.values())
            if (after is None or c.updated_at >= after)
            and (before is None or c.updated_at <= before)
        ]

    # -- campaigns ----------------------------------------------------------------------------

    def create(self, body: Any, now: dt.datetime) -> Campaign:
        """POST /emails: a Draft campaign with its primary_email and permalink activities."""
        name, given = rules.create_input(body, self._account)
        self._check_name_free(name, None)
        campaign_id = new_id()
        fields = attrs.asdict(given, recurse=False)
        activities = [
            Activity(
                activity_id=new_id(),
                campaign_id=campaign_id,
                role=role,
                **{**fields, "physical_address": dict(given.physical_address)},
            )
            for role in (PRIMARY, PERMALINK)
        ]
        campaign = Campaign(campaign_id, name, now, now, activities)
        self.campaigns[campaign_id] = campaign
        for activity in activities:
            self._activities[activity.activity_id] = (campaign, activity)
        return campaign

    def rename(self, campaign_id: str, body: Any, now: dt.datetime) -> Campaign:
        """PATCH /emails/{id}: a new unique name (<= 80); 400 for a Removed campaign."""
        campaign = self.campaign(campaign_id)
        name = rules.campaign_name(rules.require_object(body))
        if campaign.removed:
            raise rules.invalid("A campaign with the Removed status cannot be renamed.")
        self._check_name_free(name, campaign)
        campaign.name = name
        campaign.updated_at = now
        return campaign

    def delete(self, campaign_id: str, now: dt.datetime) -> None:
        """DELETE /emails/{id}: status Removed; 400 (UNCONFIRMED) while Scheduled or Executing."""
        campaign = self.campaign(campaign_id)
        if campaign.removed:
            raise rules.not_found(f"Campaign {campaign_id}")
        if campaign.primary.status in (SCHEDULED, EXECUTING):
            raise rules.invalid("A Scheduled campaign cannot be deleted; unschedule it first.")
        campaign.removed = True
        campaign.updated_at = now
        for activity in campaign.activities:
            activity.status = REMOVED

    def _check_name_free(self, name: str, owner: Campaign | None) -> None:
        # Names of Removed campaigns stay taken: they can be restored in the UI (UNCONFIRMED).
        for other in self.campaigns.values():
            if other.name == name and other is not owner:
                raise rules.conflict(f"An email campaign named {name!r} already exists.")

    # -- activities ---------------------------------------------------------------------------

    def update_activity(self, activity_id: str, body: Any, now: dt.datetime) -> Activity:
        """PUT /emails/activities/{id}: full update of a DRAFT/DONE primary_email activity.

        Omitted top-level properties are overwritten; omitted sub-resources (html_content,
        physical_address_in_footer, document_properties) and their missing keys are kept.
        """
        campaign, activity = self._editable(activity_id)
        # Validate everything before touching the activity: a 400 must leave it unchanged.
        for name, value in rules.activity_changes(body, self._account, activity).items():
            setattr(activity, name, value)
        campaign.updated_at = now
        return activity

    def _editable(self, activity_id: str) -> tuple[Campaign, Activity]:
        campaign, activity = self.activity(activity_id)
        if activity.role != PRIMARY:
            raise rules.invalid("Only primary_email campaign activities can be updated.")
        if activity.status not in _EDITABLE:
            raise rules.invalid(
                f"A campaign activity in {activity.status} status cannot be updated; "
                "only DRAFT or DONE activities can."
            )
        return campaign, activity

    # -- schedules ----------------------------------------------------------------------------

    def schedule(self, activity_id: str, body: Any, now: dt.datetime) -> dt.datetime | None:
        """POST schedules: SCHEDULED for the given date, or now for ``"0"`` (returns None then)."""
        campaign, activity = self.activity(activity_id)
        if activity.role != PRIMARY:
            raise rules.invalid("Only primary_email campaign activities can be scheduled.")
        if activity.status not in _SCHEDULABLE:
            raise rules.invalid(
                f"A campaign activity in {activity.status} status cannot be scheduled; "
                "only DRAFT, DONE or ERROR activities can."
            )
        if not activity.contact_list_ids and not activity.segment_ids:
            raise rules.invalid(
                "The campaign activity has no recipients: set contact_list_ids or segment_ids "
                "(PUT the activity) before scheduling."
            )
        when = rules.schedule_date(body, now)
        activity.status_before_schedule = activity.status
        activity.status = SCHEDULED
        activity.scheduled_date = when or now
        activity.job_token += 1
        self._push(activity.scheduled_date, _Job("start", activity.activity_id, activity.job_token))
        campaign.updated_at = now
        return when

    def schedules(self, activity_id: str) -> list[dt.datetime]:
        """GET schedules: ``[scheduled_date]`` while SCHEDULED, else ``[]``."""
        _, activity = self.activity(activity_id)
        if activity.status != SCHEDULED or activity.scheduled_date is None:
            return []
        return [activity.scheduled_date]

    def unschedule(self, activity_id: str, now: dt.datetime) -> None:
        """DELETE schedules: back to the status before scheduling; 400 unless SCHEDULED."""
        campaign, activity = self.activity(activity_id)
        if activity.status != SCHEDULED:
            raise rules.invalid("Only a SCHEDULED campaign activity can be unscheduled.")
        activity.status = activity.status_before_schedule or DRAFT
        activity.scheduled_date = None
        activity.job_token += 1
        campaign.updated_at = now

    def send_history(self, activity_id: str) -> list[SendRecord]:
        """GET send_history: one entry per finished send, oldest first (primary_email, resend)."""
        _, activity = self.activity(activity_id)
        if activity.role == PERMALINK:
            raise rules.invalid("Send history exists only for primary_email and resend activities.")
        return list(activity.history)

    # -- tests --------------------------------------------------------------------------------

    def send_test(self, activity_id: str, body: Any, now: dt.datetime) -> RecordedTestSend:
        """POST tests: record a test send of a primary_email activity (<= 5 addresses, 50/day).

        The daily cap counts recipients per UTC day of simulated time. Overflow answers 429, as
        the developer guide states (api_guide/email_campaign_activity_test_send.html); the body
        shape and key are UNCONFIRMED (an array, like the campaign service's other errors).
        """
        _, activity = self.activity(activity_id)
        if activity.role != PRIMARY:
            raise rules.invalid("Test emails can be sent only for primary_email activities.")
        addresses, message = rules.parse_test_send(body)
        cap = self._account.state.config.test_send_daily_cap
        used = sum(len(t.email_addresses) for t in self.test_sends if t.at.date() == now.date())
        if used + len(addresses) > cap:
            raise rules.too_many(
                f"Too many requests: the daily limit of {cap} test email recipients is reached "
                f"({used} used today)."
            )
        sent = RecordedTestSend(activity.activity_id, addresses, message, now)
        self.test_sends.append(sent)
        if isinstance(self._account, MailingAccount):
            self._account.mail_test(activity, addresses, message, now)
        return sent

    # -- non-opener resends -------------------------------------------------------------------

    def resends(self, activity_id: str) -> list[NonOpenerResend]:
        """GET non_opener_resends: the campaign's resend (at most one) as a list."""
        campaign, _ = self.activity(activity_id)
        return [] if campaign.resend is None else [campaign.resend]

    def create_resend(self, activity_id: str, body: Any, now: dt.datetime) -> NonOpenerResend:
        """POST non_opener_resends: one per campaign (409), primary in Draft/Scheduled/Done."""
        campaign, activity = self.activity(activity_id)
        if activity.role != PRIMARY:
            raise rules.invalid("Resends can be created only for primary_email activities.")
        if activity.status not in _RESENDABLE:
            raise rules.invalid(
                f"A resend cannot be created while the campaign activity is {activity.status}."
            )
        if campaign.resend is not None:
            raise rules.conflict("A resend to non-openers already exists for this campaign.")
        given = rules.resend_input(body)
        campaign.resend = NonOpenerResend(
            given.subject, given.delay_minutes, given.by_days, next(self._resend_numbers)
        )
        self._arm_resend(campaign, now)
        campaign.updated_at = now
        return campaign.resend

    def delete_resend(self, activity_id: str, request_id: str, now: dt.datetime) -> None:
        """DELETE non_opener_resends/{id}: 404 for an unknown id, 409 once it was sent."""
        campaign, _ = self.activity(activity_id)
        resend = campaign.resend
        if resend is None or request_id not in (resend_request_id(campaign), str(resend.number)):
            raise rules.not_found(f"Resend request {request_id}")
        if resend.resend_date is not None:
            raise rules.conflict("The resend to non-openers was already sent.")
        campaign.resend = None
        campaign.updated_at = now

    def _arm_resend(self, campaign: Campaign, now: dt.datetime) -> None:
        resend = campaign.resend
        sent = [r for r in campaign.primary.history if r.send_status == "COMPLETED"]
        if resend is None or resend.armed or not sent:
            return
        resend.armed = True
        due = max(now, sent[0].run_date + dt.timedelta(minutes=resend.delay_minutes))
        self._push(due, _Job("resend", campaign.campaign_id, resend.number))

    # -- A/B tests ----------------------------------------------------------------------------

    def abtest(self, activity_id: str) -> ABTest:
        """GET abtest: the campaign's A/B test; 404 when it has none (UNCONFIRMED)."""
        campaign, _ = self.activity(activity_id)
        if campaign.abtest is None:
            raise rules.not_found(f"A/B test of campaign activity {activity_id}")
        return campaign.abtest

    def create_abtest(self, activity_id: str, body: Any, now: dt.datetime) -> ABTest:
        """POST abtest: only for a DRAFT primary_email activity (409 otherwise or when one exists).

        The campaign's ``type_code`` becomes 57 (A/B Test).
        """
        campaign, _ = self._ab_draft(activity_id)
        if campaign.abtest is not None:
            raise rules.conflict("The campaign already has an A/B test.")
        campaign.abtest = abtest_input(body)
        campaign.type_code = AB_TEST_TYPE_CODE
        campaign.updated_at = now
        return campaign.abtest

    def delete_abtest(self, activity_id: str, now: dt.datetime) -> None:
        """DELETE abtest: only while DRAFT (409); ``type_code`` returns to 10 (Newsletter)."""
        campaign, _ = self._ab_draft(activity_id)
        if campaign.abtest is None:
            raise rules.not_found(f"A/B test of campaign activity {activity_id}")
        campaign.abtest = None
        campaign.type_code = NEWSLETTER_TYPE_CODE
        campaign.updated_at = now

    def _ab_draft(self, activity_id: str) -> tuple[Campaign, Activity]:
        campaign, activity = self.activity(activity_id)
        if activity.role != PRIMARY:
            raise rules.invalid("A/B tests exist only for primary_email activities.")
        if activity.status != DRAFT:
            # UNCONFIRMED: the spec documents 409 for this operation; which status a non-draft
            # campaign gets is not stated.
            raise rules.conflict("A/B tests can be changed only while the campaign is a Draft.")
        return campaign, activity

    # -- the clock ----------------------------------------------------------------------------

    def tick(self, now: dt.datetime) -> None:
        """Run every job due at or before ``now``, each at its own due time, in time order."""
        while self._jobs and self._jobs[0][0] <= now:
            due, _, job = heapq.heappop(self._jobs)
            try:
                self._run(job, due)
            except Exception as exc:  # one failing job must not stop the others
                self.failures.append((job.kind, job.ref, repr(exc)[:500]))

    def _run(self, job: _Job, due: dt.datetime) -> None:
        if job.kind == "start":
            self._start(job, due)
        elif job.kind == "finish":
            self._finish(job, due)
        elif job.kind == "resend":
            self._fire_resend(job, due)
        elif job.kind == "winner":
            self._send_winner(job, due)
        else:
            self._opt_out(job)

    def next_due(self) -> dt.datetime | None:
        """When the next job falls due (None when idle)."""
        return self._jobs[0][0] if self._jobs else None

    def _push(self, due: dt.datetime, job: _Job) -> None:
        heapq.heappush(self._jobs, (due, next(self._seq), job))

    def _current(self, job: _Job, status: str) -> tuple[Campaign, Activity] | None:
        pair = self._activities.get(job.ref)
        if pair is None or pair[1].job_token != job.token or pair[1].status != status:
            return None
        return pair

    def _start(self, job: _Job, due: dt.datetime) -> None:
        pair = self._current(job, SCHEDULED)
        if pair is None:
            return
        campaign, activity = pair
        activity.scheduled_date = None
        test = campaign.abtest
        select: Select | None = None
        if test is not None and not test.tested:
            select = functools.partial(split, test, self._account.state.seed, activity.activity_id)
        self._begin(campaign, activity, due, select)

    def _begin(
        self, campaign: Campaign, activity: Activity, due: dt.datetime, select: Select | None
    ) -> None:
        started = begin_send(self._account, activity, due, select)
        mail_send(self._account, activity, started.recipients, due, campaign.abtest)
        campaign.updated_at = due
        for event in started.optouts:
            self._push(event.at, _Job("optout", event.contact_id, 0, event))
        if started.duration is not None:
            finish_at = due + dt.timedelta(seconds=started.duration)
            self._push(finish_at, _Job("finish", activity.activity_id, activity.job_token))

    def _finish(self, job: _Job, due: dt.datetime) -> None:
        pair = self._current(job, EXECUTING)
        if pair is None:
            return
        campaign, activity = pair
        campaign.updated_at = due
        test = campaign.abtest
        if test is not None and test.tested and test.winner is None:
            record = close_send(activity)
            start = due if record is None else record.run_date
            winner_at = start + dt.timedelta(hours=test.winner_wait_duration)
            self._push(winner_at, _Job("winner", activity.activity_id, activity.job_token))
            return
        finish_send(activity)
        self._arm_resend(campaign, due)

    def _send_winner(self, job: _Job, due: dt.datetime) -> None:
        pair = self._current(job, EXECUTING)
        test = None if pair is None else pair[0].abtest
        if pair is None or test is None:
            return
        campaign, activity = pair
        decide(test, activity, due)
        self._begin(campaign, activity, due, None)

    def _fire_resend(self, job: _Job, due: dt.datetime) -> None:
        campaign = self.campaigns.get(job.ref)
        resend = None if campaign is None else campaign.resend
        if campaign is None or resend is None or resend.number != job.token or campaign.removed:
            return
        activity, optouts = send_resend(self._account, campaign.primary, resend.subject, due)
        campaign.activities.append(activity)
        self._activities[activity.activity_id] = (campaign, activity)
        resend.resend_date = due
        resend.activity_id = activity.activity_id
        for event in optouts:
            self._push(event.at, _Job("optout", event.contact_id, 0, event))

    def _opt_out(self, job: _Job) -> None:
        event = job.event
        contact = self._account.contact(job.ref)
        if event is None or contact is None or contact.deleted_at is not None:
            return
        if contact.permission_to_send != "unsubscribed":
            self._account.unsubscribe(job.ref, event.opt_out_reason or "", event.at)


def resend_request_id(campaign: Campaign) -> str:
    """The id the API shows for a campaign's resend: ``"DRAFT"`` while the campaign is a draft."""
    resend = campaign.resend
    if resend is None:
        return ""
    return "DRAFT" if campaign.primary.status == DRAFT else str(resend.number)
