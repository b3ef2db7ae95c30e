"""Per-batch notification sends ("every 15 minutes, email each customer about their own data").

Constant Contact is **not a transactional email service** (its support says so, reference §14
item 13): there is no "send this email to this address" call. The closest honest mapping, done
here, is a small marketing send per batch:

1. upsert the batch's contacts with their per-contact custom-field values (one JSON import:
   merge tags in the email then show each customer's own data);
2. put them on a list taken from a small reusable :class:`ListPool` (the account holds at most
   1,000 lists and support discourages a list per send);
3. create a campaign from a template, point it at that list, send it now;
4. wait until the send is DONE, then *start* emptying the list (one bulk removal) for a later
   batch, without waiting for the removal: the API reads a list's members when a send starts
   (reference §9.5), so emptying it afterwards cannot change who receives this one.

Calls per batch, measured on the simulator (``tests/ops/campaigns/test_audience_calls.py``
pins them; :attr:`AudienceResult.calls` gives yours): **8 in steady state** with a journal
(``journal=``/``job_id=``): POST import, one ``GET /activities`` listing (the import *and* the
list the previous batch is emptying), POST /emails, PUT of the activity built from what the
create sent (no GET), GET the list's membership count, POST schedule, GET send history (DONE
and the recipient count at once), POST the removal. The first batch costs 12 (the pool list
and the custom field are looked up and created), the second 10 (it creates the pool's second
list: one list sends while the other empties). Without a journal every batch costs one
``GET /emails`` more (9): nothing else tells a new batch from a rerun. A one-list pool costs 9
(the next batch waits for the removal: one listing more). A batch every 15 minutes thus uses
96 x 8 = 768 of the 10,000 daily calls; the send polls grow with a slow real send (one call
per ``poll_interval``), and the email leaves minutes, not seconds, after the data changed (the
real service may take up to ~30 minutes to send, reference §9.5). Merge-tag syntax for custom
fields in custom-code HTML is UNCONFIRMED.

Rerunning with the same ``batch_id`` after a crash resumes: the campaign name is derived from
it, so an existing campaign is reused and never sent twice. With a journal the rerun needs no
lookup: a batch with no step was never started (its intent is written before any call), one
with a ``campaign`` step names its campaign; a rerun of a sent batch costs 3 calls (activity
status, send history, removal), of a finished one none.

Several processes or hosts may send batches through one pool: each list is leased for the life
of its batch (:class:`FileListLeases`, a flock, by default on one host; ``RedisCoordinator.
list_pool`` across hosts), and right before sending the list's membership count must equal the
batch's distinct addresses while the lease is still held; otherwise nothing is sent
(:class:`~ccasync.ListMembershipError`). Why both: a lease can only be lost by a holder stalled
past a Redis lease's TTL; the count then catches another batch's contacts on the list, and the
lease check made after it means no other batch can have taken the list before the send: once our
contacts are on it, the list is no longer free to anyone. A list being emptied stays leased
until a later listing shows the removal done; the pool then keeps it leased as its spare and
hands it to the next batch without a ``GET /contact_lists`` (the lease, held all along, is what
makes it known free). So each process's pool holds up to one idle list besides its running
batches: size the pool for that, and call :meth:`ListPool.drain` when a sender stops.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import attrs

from ccasync.errors import (
    CCAsyncError,
    ConflictError,
    CoordinationError,
    ListMembershipError,
    ValidationError,
    WaitTimeoutError,
)
from ccasync.journal import JobRun, Journal, fingerprint
from ccasync.ops._common import RowIssue
from ccasync.ops.campaigns._list_leases import FileListLeases, ListLease, ListLeases
from ccasync.ops.campaigns._list_pool import ListPool, poll_listed
from ccasync.ops.campaigns._lookups import create_or_find, created_activity
from ccasync.ops.campaigns.fanout import CampaignTemplate

if TYPE_CHECKING:
    from ccasync.client import Client
    from ccasync.models.campaigns import CampaignActivity, EmailCampaign

__all__ = [
    "AudienceResult",
    "FileListLeases",
    "ListLease",
    "ListLeases",
    "ListPool",
    "send_to_audience",
]

Sleep = Callable[[float], Awaitable[None]]


@attrs.frozen(kw_only=True)
class AudienceResult:
    """One batch: the campaign and list used, contacts sent to, and the API calls spent.

    ``resumed`` is True when an earlier run of the same ``batch_id`` had created the campaign.
    ``sent`` is the recipient count of the send history (0 with reason code 12: nobody
    eligible). ``failed_items`` lists the rows not sent and why (every row, when the list did
    not hold exactly the batch; see :class:`~ccasync.ListMembershipError`); ``ok`` is True
    when there is none.
    """

    batch_id: str
    campaign_id: str
    activity_id: str
    list_id: str | None
    contacts: int
    sent: int
    calls: int
    resumed: bool
    failed_items: tuple[RowIssue, ...] = ()

    @property
    def ok(self) -> bool:
        """True when no row failed."""
        return not self.failed_items


@attrs.frozen(kw_only=True)
class _Waits:
    timeout: float
    interval: float
    sleep: Sleep


async def send_to_audience(
    cc: Client,
    rows: Sequence[Mapping[str, Any]],
    template: CampaignTemplate,
    *,
    batch_id: str,
    pool: ListPool,
    values: Mapping[str, Any] | None = None,
    timeout: float = 3600.0,
    poll_interval: float = 15.0,
    sleep: Sleep = asyncio.sleep,
    journal: Journal | None = None,
    job_id: str | None = None,
) -> AudienceResult:
    """Email every contact of ``rows`` (import keys, ``cf:<field>`` for custom fields) now.

    ``template`` is rendered with ``values`` plus ``batch`` (= ``batch_id``; put ``$batch`` in
    its name: names must be unique per account). Custom fields named in the rows are created
    when missing. ``timeout``: seconds to wait for the import and for the send to be DONE;
    ``poll_interval`` seconds between status checks (``sleep`` is injectable).

    Calls (pinned by tests): 8 per batch in steady state with ``journal``/``job_id``, 12 for
    the first batch of a pool, 9 without a journal. With ``journal``/``job_id`` (input:
    ``batch_id`` and the rows' emails) a finished batch's rerun returns its recorded result at
    no call (``resumed`` True, ``calls`` 0); a rerun of a batch already sent but not recorded
    finished costs 3 calls and sends nothing twice; an earlier stop resumes from its journal
    steps (the campaign found by the recorded id, else by name).

    Right before sending, the list must hold exactly the batch's distinct addresses (its
    membership count) under a lease still held; otherwise nothing is sent and
    :class:`~ccasync.ListMembershipError` carries a result with every row failed and why.

    Raises :class:`ValidationError` (no rows, a name without ``$batch``, a ``job_id`` rerun
    with other rows),
    :class:`ListPoolExhaustedError`, :class:`~ccasync.ListMembershipError`,
    :class:`~ccasync.CoordinationError` (the leases cannot be used, or a resumed batch's list
    is leased by another running batch), :class:`WaitTimeoutError` past ``timeout`` (the list
    then stays leased: rerun with the same ``batch_id`` to finish), APIErrors.
    """
    if not rows:
        raise ValidationError("rows", "a batch needs at least one contact")
    if "$batch" not in template.name and "${batch}" not in template.name:
        raise ValidationError("template.name", "must contain $batch (names are unique)")
    if (journal is None) != (job_id is None):
        raise ValidationError("job_id", "give journal= and job_id= together")
    waits = _Waits(timeout=timeout, interval=poll_interval, sleep=sleep)
    fields = template.render({**(values or {}), "batch": batch_id})
    if journal is None or job_id is None:
        with cc.count_calls() as count:
            return await _send_batch(
                cc, rows, fields, batch_id, pool, waits, lambda: count.calls, job=None
            )
    emails = [str(row.get("email")) for row in rows]
    job = JobRun(journal, job_id, fingerprint("send_to_audience", batch_id, emails))
    async with job:
        if job.is_done("batch"):
            return AudienceResult(**job.data("batch"), calls=0, resumed=True)
        with cc.count_calls() as count:
            result = await _send_batch(
                cc, rows, fields, batch_id, pool, waits, lambda: count.calls, job=job
            )
        kept = attrs.asdict(result)
        del kept["calls"], kept["resumed"]
        await job.record("batch", **kept)
        return result


async def _send_batch(
    cc: Client,
    rows: Sequence[Mapping[str, Any]],
    fields: dict[str, str | None],
    batch_id: str,
    pool: ListPool,
    waits: _Waits,
    calls: Callable[[], int],
    *,
    job: JobRun | None,
) -> AudienceResult:
    """Resume the batch an earlier run started, or run it: import, campaign, send, release.

    With a journal (``job``) the resume needs no lookup: a batch without any step was never
    started (its intent is written first, durably), one with a ``campaign`` step names it.
    """
    if job is not None and job.is_done("campaign"):
        ids = job.data("campaign")
        known = (str(ids["campaign_id"]), str(ids["activity_id"]))
        return await _resume(cc, known, rows, pool, batch_id, waits, calls)
    if job is None or job.get("batch") is not None:
        existing = await _existing(cc, str(fields["name"]))
        if existing is not None:
            known = (existing.campaign_id, existing.primary_activity_id)
            return await _resume(cc, known, rows, pool, batch_id, waits, calls)
    if job is not None:
        await job.intend("batch")
    list_id = await pool.acquire(cc, timeout=waits.timeout, sleep=waits.sleep)
    await _ensure_custom_fields(cc, rows, pool.known_fields)
    imported = await cc.activities.import_contacts(rows, [list_id])
    # One listing answers for the import and for the lists earlier batches are emptying.
    seen = await poll_listed(
        cc, imported.activity_id, pool.releasing(), timeout=waits.timeout, sleep=waits.sleep
    )
    await pool.settle(seen)
    finished = seen[imported.activity_id]
    if not finished.succeeded:
        raise CCAsyncError(
            f"import {finished.activity_id} ended {finished.state}: {finished.activity_errors}; "
            f"list {list_id} stays leased (release it with pool.release)"
        )
    campaign, created = await create_or_find(cc, fields)
    activity_id = campaign.primary_activity_id
    if job is not None:
        await job.record("campaign", campaign_id=campaign.campaign_id, activity_id=activity_id)
    if created and campaign.current_status in (None, "Draft"):
        built = created_activity(campaign, fields)  # the PUT needs no GET
        await cc.campaigns.update_activity(attrs.evolve(built, contact_list_ids=[list_id]))
    else:  # another run created it meanwhile: its activity is read before the PUT
        await cc.campaigns.set_lists(activity_id, [list_id])
    batch = _Batch(batch_id, campaign.campaign_id, activity_id, list_id, rows, calls)
    await _verify_list(cc, pool, batch, resumed=False)
    await cc.campaigns.send_now(activity_id)
    sent = await _wait_sent(cc, activity_id, waits)
    await pool.start_release(cc, list_id)
    return AudienceResult(
        batch_id=batch_id,
        campaign_id=campaign.campaign_id,
        activity_id=activity_id,
        list_id=list_id,
        contacts=len(rows),
        sent=sent,
        calls=calls(),
        resumed=False,
    )


async def _existing(cc: Client, name: str) -> EmailCampaign | None:
    # Only campaigns touched in the last two days: a batch is retried soon or never.
    since = cc.campaigns.clock() - dt.timedelta(days=2)
    async for campaign in cc.campaigns.iter_all(after_date=since):
        if campaign.name == name and not campaign.removed:
            return await cc.campaigns.get(campaign.campaign_id)
    return None


async def _resume(
    cc: Client,
    known: tuple[str, str],
    rows: Sequence[Mapping[str, Any]],
    pool: ListPool,
    batch_id: str,
    waits: _Waits,
    calls: Callable[[], int],
) -> AudienceResult:
    """Finish a batch an earlier run started (``known``: its campaign and activity ids): send
    if still DRAFT, wait, start emptying its list."""
    campaign_id, activity_id = known
    activity = await cc.campaigns.get_activity(activity_id)
    list_id = _pool_list(activity)
    if (activity.current_status or "").upper() in ("DRAFT", "ERROR"):
        if not activity.contact_list_ids:
            raise ValidationError("batch_id", "the earlier run left a campaign without a list")
        if list_id is None:
            raise ValidationError("batch_id", "the earlier run's campaign has several lists")
        batch = _Batch(batch_id, campaign_id, activity_id, list_id, rows, calls)
        await _verify_list(cc, pool, batch, resumed=True)
        await cc.campaigns.send_now(activity_id)
        sent = await _wait_done(cc, activity_id, waits)
    elif (activity.current_status or "").upper() == "DONE":
        history = await cc.campaigns.send_history(activity_id)  # the status is known already
        sent = int(history[-1].count or 0) if history else 0
    else:
        sent = await _wait_done(cc, activity_id, waits)
    if list_id is not None:
        try:
            await pool.hold(list_id)
        except CoordinationError:
            pass  # emptied by an earlier run and now another batch's: leave it alone
        else:
            await pool.start_release(cc, list_id)
    return AudienceResult(
        batch_id=batch_id,
        campaign_id=campaign_id,
        activity_id=activity_id,
        list_id=list_id,
        contacts=len(rows),
        sent=sent,
        calls=calls(),
        resumed=True,
    )


@attrs.frozen
class _Batch:
    batch_id: str
    campaign_id: str
    activity_id: str
    list_id: str
    rows: Sequence[Mapping[str, Any]]
    calls: Callable[[], int]


def _addresses(rows: Sequence[Mapping[str, Any]]) -> list[str]:
    return [str(row.get("email") or "").strip().lower() for row in rows]


async def _verify_list(cc: Client, pool: ListPool, batch: _Batch, *, resumed: bool) -> None:
    """Right before sending: the list holds exactly the batch's contacts and is still ours.

    The count is read first and the lease checked after it: once our contacts are on the list
    it no longer looks free, so no batch can take it after a successful lease check.
    """
    lease = await pool.hold(batch.list_id)
    found = await cc.lists.get(batch.list_id, include_membership_count="all")
    members = int(found.membership_count or 0)
    expected = len(set(_addresses(batch.rows)))
    if members == expected and await lease.held():
        return
    await pool.forget(batch.list_id)
    reason = (
        f"list {batch.list_id} holds {members} contacts, the batch {expected}"
        if members != expected
        else f"the lease of list {batch.list_id} was lost"
    ) + "; another batch may be using it, so nothing was sent"
    issues = tuple(
        RowIssue(row=n, field=None, reason=reason, key=email or None)
        for n, email in enumerate(_addresses(batch.rows), start=1)
    )
    result = AudienceResult(
        batch_id=batch.batch_id,
        campaign_id=batch.campaign_id,
        activity_id=batch.activity_id,
        list_id=batch.list_id,
        contacts=len(batch.rows),
        sent=0,
        calls=batch.calls(),
        resumed=resumed,
        failed_items=issues,
    )
    raise ListMembershipError(f"batch {batch.batch_id}: {reason}", result=result)


def _pool_list(activity: CampaignActivity) -> str | None:
    # The campaign's only list is the pool list of its batch.
    return activity.contact_list_ids[0] if len(activity.contact_list_ids) == 1 else None


async def _ensure_custom_fields(
    cc: Client, rows: Sequence[Mapping[str, Any]], known: set[str]
) -> None:
    wanted = {key[3:] for row in rows for key in row if key.startswith("cf:")}
    if wanted <= known:
        return
    known.update([str(field.name) async for field in cc.custom_fields.iter_all()])
    for name in sorted(wanted - known):
        with contextlib.suppress(ConflictError):  # created meanwhile by another batch
            await cc.custom_fields.create(name)
        known.add(name)


async def _wait_sent(cc: Client, activity_id: str, waits: _Waits) -> int:
    """Poll the send history of a first send until its entry appears; return its recipients.

    One call per round, the status GET included: the entry is written when the send ends,
    COMPLETED or ERRORED (reference §9.5; UNCONFIRMED that the real API adds it only then, the
    simulator does).
    """
    started = time.monotonic()
    waited = 0.0
    while True:
        await waits.sleep(waits.interval)
        waited += waits.interval
        history = await cc.campaigns.send_history(activity_id)
        if history:
            return int(history[-1].count or 0)
        if max(waited, time.monotonic() - started) >= waits.timeout:
            raise WaitTimeoutError(f"send of {activity_id} not DONE after {waits.timeout:g} s")


async def _wait_done(cc: Client, activity_id: str, waits: _Waits) -> int:
    """Poll until the activity is DONE; return the recipients of its last send."""
    started = time.monotonic()
    waited = 0.0
    while True:
        activity = await cc.campaigns.get_activity(activity_id)
        if (activity.current_status or "").upper() == "DONE":
            break
        if max(waited, time.monotonic() - started) >= waits.timeout:
            raise WaitTimeoutError(f"send of {activity_id} not DONE after {waits.timeout:g} s")
        await waits.sleep(waits.interval)
        waited += waits.interval
    history = await cc.campaigns.send_history(activity_id)
    return int(history[-1].count or 0) if history else 0
