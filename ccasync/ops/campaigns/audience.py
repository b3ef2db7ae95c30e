"""Per-batch notification sends ("every 15 minutes, email each customer about their own data").

Constant Contact is **not a transactional email service** (its support says so, reference §14
item 13): there is no "send this email to this address" call. The closest honest mapping, done
here, is a small marketing send per batch:

1. upsert the batch's contacts with their per-contact custom-field values (one JSON import:
   merge tags in the email then show each customer's own data);
2. put them on a list taken from a small reusable :class:`ListPool` (the account holds at most
   1,000 lists and support discourages a list per send);
3. create a campaign from a template, point it at that list, send it now;
4. wait until the send is DONE (recipients are resolved when the send starts), then release
   the list (remove its members) for a later batch.

That costs 16 API calls per batch whatever its size (19 for the first: the pool list and the
custom field are created; measured on the simulator, :attr:`AudienceResult.calls` gives yours),
i.e. ~1,536 of the 10,000 daily calls for a batch every 15 minutes, and the email leaves
minutes, not seconds, after the data changed (the real service may take up to ~30 minutes to
send, reference §9.5). Merge-tag syntax for custom fields in custom-code HTML is UNCONFIRMED.

Rerunning with the same ``batch_id`` after a crash resumes: the campaign name is derived from
it, so an existing campaign is reused and never sent twice.

Several processes or hosts may send batches through one pool: each list is leased for the life
of its batch (:class:`FileListLeases`, a flock, by default on one host; ``RedisCoordinator.
list_pool`` across hosts), and right before sending the list's membership count must equal the
batch's distinct addresses while the lease is still held; otherwise nothing is sent
(:class:`~ccasync.ListMembershipError`). Why both: a lease can only be lost by a holder stalled
past a Redis lease's TTL; the count then catches another batch's contacts on the list, and the
lease check made after it means no other batch can have taken the list before the send: once our
contacts are on it, the list is no longer free to anyone.
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
    ListPoolExhaustedError,
    ValidationError,
    WaitTimeoutError,
)
from ccasync.journal import JobRun, Journal, fingerprint
from ccasync.ops._common import RowIssue
from ccasync.ops.campaigns._list_leases import FileListLeases, ListLease, ListLeases
from ccasync.ops.campaigns._lookups import create_or_find
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


class ListPool:
    """A few reusable lists named ``<prefix>-01`` … ``<prefix>-<size>``; an empty one is free.

    Whether a list is free is read from the API (``membership_count`` 0), so the pool
    survives restarts; a list handed out is also leased until released, through ``leases``
    (default: :class:`FileListLeases`, safe across the processes of one host; use
    ``RedisCoordinator.list_pool`` across hosts). ``size`` ≤ 50 keeps far from the 1,000-list
    account cap.
    """

    def __init__(
        self,
        prefix: str = "ccasync-audience",
        size: int = 5,
        *,
        leases: ListLeases | None = None,
    ) -> None:
        if not 1 <= size <= 50:
            raise ValidationError("size", "must be within 1..50", value=size)
        self.prefix = prefix
        self.size = size
        self.leases: ListLeases = leases if leases is not None else FileListLeases()
        self._held: dict[str, ListLease] = {}
        self.known_fields: set[str] = set()  # custom field names seen, to skip the lookup
        self._lock = asyncio.Lock()

    def names(self) -> list[str]:
        """The pool's list names."""
        return [f"{self.prefix}-{n:02d}" for n in range(1, self.size + 1)]

    async def acquire(self, cc: Client) -> str:
        """Lease an empty pool list (creating the next one if all existing are busy).

        Costs 1 call per 1,000 lists of the account, +1 when a list is created. Raises
        :class:`ListPoolExhaustedError` when every list holds members or is leased by another
        batch, :class:`~ccasync.CoordinationError` when the leases cannot be used.
        """
        async with self._lock:
            mine = set(self.names())
            found: dict[str, tuple[str, int]] = {}
            async for item in cc.lists.iter_all(include_membership_count="all", limit=1000):
                if item.name in mine and item.list_id:
                    found[item.name] = (item.list_id, item.membership_count or 0)
            for name in self.names():
                list_id, members = found.get(name, ("", -1))
                if name not in found:
                    list_id, members = await _create_list(cc, name), 0
                if members == 0 and list_id not in self._held and await self._lease(list_id):
                    return list_id
            raise ListPoolExhaustedError(
                f"all {self.size} lists of pool {self.prefix!r} hold or run an unfinished batch"
            )

    async def _lease(self, list_id: str) -> bool:
        lease = await self.leases.try_lease(list_id)
        if lease is None:
            return False
        self._held[list_id] = lease
        return True

    async def hold(self, list_id: str) -> ListLease:
        """The lease of ``list_id``: this pool's, or a new one (resuming a crashed batch).

        Raises :class:`~ccasync.CoordinationError` when another batch holds it.
        """
        lease = self._held.get(list_id)
        if lease is None and not await self._lease(list_id):
            raise CoordinationError(f"list {list_id} is leased by another running batch")
        return self._held[list_id]

    async def forget(self, list_id: str) -> None:
        """Drop this pool's lease on ``list_id`` without touching its members.

        The list stays busy for everyone as long as it holds members (a list is free only when
        empty); :meth:`release` empties it.
        """
        lease = self._held.pop(list_id, None)
        if lease is not None:
            await lease.release()

    async def release(self, cc: Client, list_id: str, *, timeout: float | None = 600) -> None:
        """Remove every member of ``list_id`` (one bulk activity, waited for), then free it.

        Costs 1 call plus the activity polls. Raises :class:`WaitTimeoutError` past ``timeout``
        seconds (the list then stays leased).
        """
        activity = await cc.activities.remove_list_memberships([list_id], source_list_ids=[list_id])
        await cc.activities.wait(activity, timeout=timeout, initial=0.5)
        await self.forget(list_id)


async def _create_list(cc: Client, name: str) -> str:
    try:
        created = await cc.lists.create(name, description="ccasync reusable send list")
        return created.list_id
    except ConflictError:
        found = await cc.lists.find_by_name(name)
        if found is None:
            raise
        return found.list_id


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

    With ``journal``/``job_id`` (input: ``batch_id`` and the rows' emails) a finished
    batch's rerun returns its recorded result at no call (``resumed`` True, ``calls`` 0);
    an unfinished one resumes as without a journal (the campaign found by name).

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
    if journal is not None and job_id is not None:
        emails = [str(row.get("email")) for row in rows]
        job = JobRun(journal, job_id, fingerprint("send_to_audience", batch_id, emails))
        async with job:
            if job.is_done("batch"):
                return AudienceResult(**job.data("batch"), calls=0, resumed=True)
            result = await send_to_audience(
                cc,
                rows,
                template,
                batch_id=batch_id,
                pool=pool,
                values=values,
                timeout=timeout,
                poll_interval=poll_interval,
                sleep=sleep,
            )
            kept = attrs.asdict(result)
            del kept["calls"], kept["resumed"]
            await job.record("batch", **kept)
            return result
    waits = _Waits(timeout=timeout, interval=poll_interval, sleep=sleep)
    fields = template.render({**(values or {}), "batch": batch_id})
    with cc.count_calls() as count:
        return await _send_batch(cc, rows, fields, batch_id, pool, waits, lambda: count.calls)


async def _send_batch(
    cc: Client,
    rows: Sequence[Mapping[str, Any]],
    fields: dict[str, str | None],
    batch_id: str,
    pool: ListPool,
    waits: _Waits,
    calls: Callable[[], int],
) -> AudienceResult:
    """Resume the batch an earlier run started, or run it: import, campaign, send, release."""
    timeout = waits.timeout
    existing = await _existing(cc, str(fields["name"]))
    if existing is not None:
        return await _resume(cc, existing, rows, pool, batch_id, waits, calls)
    list_id = await pool.acquire(cc)
    await _ensure_custom_fields(cc, rows, pool.known_fields)
    imported = await cc.activities.import_contacts(rows, [list_id])
    finished = await cc.activities.wait(imported, timeout=timeout, initial=1.0)
    if not finished.succeeded:
        raise CCAsyncError(
            f"import {finished.activity_id} ended {finished.state}: {finished.activity_errors}; "
            f"list {list_id} stays leased (release it with pool.release)"
        )
    campaign, _ = await create_or_find(cc, fields)
    activity_id = campaign.primary_activity_id
    await cc.campaigns.set_lists(activity_id, [list_id])
    batch = _Batch(batch_id, campaign.campaign_id, activity_id, list_id, rows, calls)
    await _verify_list(cc, pool, batch, resumed=False)
    await cc.campaigns.send_now(activity_id)
    sent = await _wait_done(cc, activity_id, waits)
    await pool.release(cc, list_id, timeout=timeout)
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
    campaign: EmailCampaign,
    rows: Sequence[Mapping[str, Any]],
    pool: ListPool,
    batch_id: str,
    waits: _Waits,
    calls: Callable[[], int],
) -> AudienceResult:
    """Finish a batch an earlier run started: send if still DRAFT, wait, release its list."""
    activity_id = campaign.primary_activity_id
    activity = await cc.campaigns.get_activity(activity_id)
    list_id = _pool_list(activity)
    if (activity.current_status or "").upper() in ("DRAFT", "ERROR"):
        if not activity.contact_list_ids:
            raise ValidationError("batch_id", "the earlier run left a campaign without a list")
        if list_id is None:
            raise ValidationError("batch_id", "the earlier run's campaign has several lists")
        batch = _Batch(batch_id, campaign.campaign_id, activity_id, list_id, rows, calls)
        await _verify_list(cc, pool, batch, resumed=True)
        await cc.campaigns.send_now(activity_id)
    sent = await _wait_done(cc, activity_id, waits)
    if list_id is not None:
        await pool.release(cc, list_id, timeout=waits.timeout)
    return AudienceResult(
        batch_id=batch_id,
        campaign_id=campaign.campaign_id,
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
