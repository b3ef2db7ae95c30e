"""The reusable send lists of :func:`~ccasync.ops.send_to_audience`, and their emptying.

A list is free when it is empty and nobody holds its lease. Emptying a list (one bulk
``remove_list_memberships`` activity) takes a while, and waiting for it costs status polls, so
a batch only *starts* its list's release: the pool keeps the lease and remembers the removal
activity, and a later batch learns that it finished from the ``GET /activities`` listing it
reads anyway for its own import. A list emptied that way, under a lease held all along, is
known free without asking the API: the next batch takes it with no ``GET /contact_lists``.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Collection, Mapping
from typing import TYPE_CHECKING

from ccasync.errors import (
    ConflictError,
    CoordinationError,
    ListPoolExhaustedError,
    ValidationError,
    WaitTimeoutError,
)
from ccasync.ops.campaigns._list_leases import FileListLeases, ListLease, ListLeases

if TYPE_CHECKING:
    from ccasync.client import Client
    from ccasync.models.activities import Activity

Sleep = Callable[[float], Awaitable[None]]
LISTING_PAGE = 50
"""Activities read per listing round (one ``GET /activities`` page, newest first)."""


async def poll_listed(
    cc: Client,
    need: str,
    also: Collection[str],
    *,
    timeout: float,
    sleep: Sleep,
    initial: float = 1.0,
    max_interval: float = 30.0,
) -> dict[str, Activity]:
    """Wait until activity ``need`` is done, one ``GET /activities`` page per round.

    Returns the last round's view of ``need`` and of every id of ``also`` the page showed, so
    one call per round answers for every in-flight activity. The first round comes after
    ``initial`` seconds, the pause doubles up to ``max_interval``. UNCONFIRMED: that the real
    API lists the newest activities first (the simulator does); ``need`` missing from the page
    is read with its own GET. Raises :class:`WaitTimeoutError` past ``timeout`` seconds.
    """
    wanted = {need, *also}
    started = time.monotonic()
    waited, pause = 0.0, initial
    while True:
        await sleep(pause)
        waited += pause
        seen: dict[str, Activity] = {}
        count = 0
        async for activity in cc.activities.iter_all(limit=LISTING_PAGE):
            if activity.activity_id in wanted:
                seen[activity.activity_id] = activity
            count += 1
            if count >= LISTING_PAGE:
                break  # one page per round: older activities are read one by one
        if need not in seen:
            seen[need] = await cc.activities.get(need)
        if seen[need].done:
            return seen
        if max(waited, time.monotonic() - started) >= timeout:
            raise WaitTimeoutError(f"activity {need} not done after {timeout:g} s")
        pause = min(pause * 2, max_interval)


class ListPool:
    """A few reusable lists named ``<prefix>-01`` … ``<prefix>-<size>``; an empty one is free.

    Whether a list is free is read from the API (``membership_count`` 0), so the pool
    survives restarts; a list handed out is also leased until released, through ``leases``
    (default: :class:`FileListLeases`, safe across the processes of one host; use
    ``RedisCoordinator.list_pool`` across hosts). ``size`` must be 1..50 (far from the
    1,000-list account cap; anything else raises :class:`ValidationError`); size a pool shared
    by several processes at processes x (concurrent batches + 1), since each keeps a spare.

    A batch's list is emptied in the background (:meth:`start_release`): the pool keeps its
    lease until a later batch's activity listing shows the removal finished, then keeps that
    list leased as its one *spare*, which the next :meth:`acquire` hands out at no call.
    Call :meth:`drain` when done sending to wait for pending removals and give every idle
    lease back (a process that exits drops file leases anyway; Redis leases lapse).
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
        self._releasing: dict[str, str] = {}  # removal activity id -> list id (lease held)
        self._spare: list[str] = []  # emptied under a lease held all along: free for sure
        self.known_fields: set[str] = set()  # custom field names seen, to skip the lookup
        self._lock = asyncio.Lock()

    def names(self) -> list[str]:
        """The pool's list names."""
        return [f"{self.prefix}-{n:02d}" for n in range(1, self.size + 1)]

    def releasing(self) -> list[str]:
        """Ids of the removal activities started by :meth:`start_release` and not yet seen done."""
        return list(self._releasing)

    async def acquire(
        self, cc: Client, *, timeout: float = 600, sleep: Sleep = asyncio.sleep
    ) -> str:
        """Lease an empty pool list (creating the next one if all existing are busy).

        The spare (a list this pool emptied itself, leased all along) costs no call. Otherwise
        1 call per 1,000 lists of the account, +1 when a list is created; when no list is free
        but this pool is still emptying one, that removal is waited for (one
        ``GET /activities`` per round, up to ``timeout`` seconds). Raises
        :class:`ListPoolExhaustedError` when every list holds members or is leased by another
        batch, :class:`WaitTimeoutError`, :class:`~ccasync.CoordinationError` when the
        leases cannot be used.
        """
        async with self._lock:
            spare = await self._take_spare()
            if spare is not None:
                return spare
            if len(self._held) < self.size:
                found = await self._discover(cc)
                if found is not None:
                    return found
            while self._releasing:
                need = next(iter(self._releasing))
                seen = await poll_listed(cc, need, self._releasing, timeout=timeout, sleep=sleep)
                await self.settle(seen)
                spare = await self._take_spare()
                if spare is not None:
                    return spare
            raise ListPoolExhaustedError(
                f"all {self.size} lists of pool {self.prefix!r} hold or run an unfinished batch"
            )

    async def _take_spare(self) -> str | None:
        while self._spare:
            list_id = self._spare.pop()
            lease = self._held.get(list_id)
            if lease is not None and await lease.held():
                return list_id
            await self.forget(list_id)  # lost while idle: someone else may use it now
        return None

    async def _discover(self, cc: Client) -> str | None:
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
        return None

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
        if list_id in self._spare:
            self._spare.remove(list_id)
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

    async def start_release(self, cc: Client, list_id: str) -> str | None:
        """Start emptying ``list_id`` and keep its lease until that is seen done (1 call).

        Returns the removal activity's id; pass what a later ``GET /activities`` shows of it
        to :meth:`settle`. A list this pool is already emptying, or emptied (its spare), costs
        nothing: the running removal's id, or None. Call only once the list's send has
        started: the API reads a list's members when a send starts (reference §9.5), so
        removing them afterwards does not change who receives it. Raises APIErrors (the list
        then stays leased).
        """
        if list_id in self._spare:
            return None
        for activity_id, releasing in self._releasing.items():
            if releasing == list_id:
                return activity_id
        activity = await cc.activities.remove_list_memberships([list_id], source_list_ids=[list_id])
        self._releasing[activity.activity_id] = list_id
        return activity.activity_id

    async def settle(self, seen: Mapping[str, Activity]) -> None:
        """Learn from an activity listing which started releases finished (no call).

        A list emptied under the lease held all along becomes the pool's spare (one at most;
        another is given back); a failed removal leaves members on the list, so its lease is
        dropped and the list stays busy to everyone until :meth:`release` empties it.
        """
        for activity_id, list_id in list(self._releasing.items()):
            activity = seen.get(activity_id)
            if activity is None or not activity.done:
                continue
            if self._releasing.pop(activity_id, None) is None:
                continue  # settled meanwhile by another batch of this pool
            if activity.succeeded and not self._spare and list_id in self._held:
                self._spare.append(list_id)
            else:
                await self.forget(list_id)

    async def drain(
        self, cc: Client, *, timeout: float = 600, sleep: Sleep = asyncio.sleep
    ) -> None:
        """Wait for every started release, then give back the leases of idle lists.

        One ``GET /activities`` per round while removals are pending; lists of batches still
        running keep their leases. Raises :class:`WaitTimeoutError` past ``timeout`` seconds.
        """
        async with self._lock:
            while self._releasing:
                need = next(iter(self._releasing))
                seen = await poll_listed(cc, need, self._releasing, timeout=timeout, sleep=sleep)
                await self.settle(seen)
            for list_id in list(self._spare):
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
