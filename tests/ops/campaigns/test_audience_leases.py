"""ListPool leases and the pre-send membership check: no batch mails another batch's contacts."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from ccasync import Client, CoordinationError, ListMembershipError
from ccasync.ops import FileListLeases, ListLease, ListPool, send_to_audience
from tests.ops.campaigns.test_audience_sim import TEMPLATE, _advance, cc, vsim

__all__ = ["cc", "vsim"]  # fixtures shared with the audience tests


def deliveries(sim: Any) -> dict[str, set[str]]:
    """Campaign name -> addresses the simulator delivered that campaign to."""
    book = sim.state.default_account.campaigns
    return {
        c.name: {d.email for d in c.primary.tracking.deliveries.values()}
        for c in book.campaigns.values()
    }


def person(n: int) -> list[dict[str, str]]:
    """A one-person batch."""
    return [{"email": f"customer{n}@example.net", "first_name": f"C{n}"}]


class GrantAll:
    """Broken leases (what a lost lease looks like): every try succeeds, after all have tried."""

    def __init__(self, parties: int, *, held: bool = True) -> None:
        self.barrier = asyncio.Barrier(parties)
        self.still_held = held

    async def try_lease(self, list_id: str) -> ListLease | None:
        """Grant, once every party asked (so all of them saw the same free list)."""
        await self.barrier.wait()
        return _Granted(list_id, self.still_held)


class _Granted:
    def __init__(self, list_id: str, still_held: bool) -> None:
        self.list_id = list_id
        self.still_held = still_held

    async def held(self) -> bool:
        return self.still_held

    async def release(self) -> None:
        pass


async def test_concurrent_batches_get_different_lists(
    vsim: Any, cc: Client, tmp_path: Path
) -> None:
    """Two workers' pools (one lease directory) never share a list; each gets only its own mail."""
    pools = [ListPool(size=3, leases=FileListLeases(tmp_path)) for _ in range(2)]
    results = await asyncio.gather(
        *(
            send_to_audience(
                cc, person(n), TEMPLATE, batch_id=f"b{n}", pool=pools[n], sleep=_advance(vsim)
            )
            for n in range(2)
        )
    )
    assert results[0].list_id != results[1].list_id
    assert [r.sent for r in results] == [1, 1]
    sent = deliveries(vsim)
    assert sent["Your orders b0"] == {"customer0@example.net"}
    assert sent["Your orders b1"] == {"customer1@example.net"}


async def test_shared_list_is_refused_and_nobody_is_mailed(vsim: Any, cc: Client) -> None:
    """Two batches on one list (leases broken) both refuse to send: every row failed, 0 sent."""
    leases = GrantAll(2)
    outcomes = await asyncio.gather(
        *(
            send_to_audience(
                cc,
                person(n),
                TEMPLATE,
                batch_id=f"b{n}",
                pool=ListPool(size=1, leases=leases),
                sleep=_advance(vsim),
            )
            for n in range(2)
        ),
        return_exceptions=True,
    )
    assert all(isinstance(o, ListMembershipError) for o in outcomes)
    for n, error in enumerate(outcomes):
        assert isinstance(error, ListMembershipError)
        result = error.result
        assert not result.ok
        assert result.sent == 0
        assert [i.key for i in result.failed_items] == [f"customer{n}@example.net"]
        assert "holds 2 contacts, the batch 1" in result.failed_items[0].reason
    assert all(not emails for emails in deliveries(vsim).values())


async def test_lost_lease_is_refused(vsim: Any, cc: Client) -> None:
    """A lease lost before sending (another batch may own the list now) means no send."""
    pool = ListPool(size=1, leases=GrantAll(1, held=False))
    with pytest.raises(ListMembershipError, match=r"lease of list .* was lost"):
        await send_to_audience(
            cc, person(1), TEMPLATE, batch_id="b1", pool=pool, sleep=_advance(vsim)
        )
    assert all(not emails for emails in deliveries(vsim).values())


async def test_file_leases_exclude_and_release(tmp_path: Path) -> None:
    """A leased list id cannot be leased again until released; then it can."""
    leases = FileListLeases(tmp_path / "leases")
    first = await leases.try_lease("list-1")
    assert first is not None
    assert await first.held()
    assert await FileListLeases(tmp_path / "leases").try_lease("list-1") is None
    await first.release()
    await first.release()  # idempotent
    again = await leases.try_lease("list-1")
    assert again is not None
    await again.release()


async def test_file_leases_refuse_symlinks_and_odd_ids(tmp_path: Path) -> None:
    """A planted symlink lock file and an id that is not a plain name give CoordinationError."""
    (tmp_path / "list-1.lock").symlink_to(tmp_path / "elsewhere")
    with pytest.raises(CoordinationError, match="symlink"):
        await FileListLeases(tmp_path).try_lease("list-1")
    with pytest.raises(CoordinationError, match="cannot name a lease"):
        await FileListLeases(tmp_path).try_lease("../x")


async def test_resumed_batch_is_checked_before_sending(
    vsim: Any, cc: Client, tmp_path: Path
) -> None:
    """A rerun of a refused batch sends when the list holds just its rows, refuses otherwise."""
    lost = ListPool(size=1, leases=GrantAll(1, held=False))
    with pytest.raises(ListMembershipError) as info:
        await send_to_audience(
            cc, person(1), TEMPLATE, batch_id="b1", pool=lost, sleep=_advance(vsim)
        )
    list_id = info.value.result.list_id
    good = ListPool(size=1, leases=FileListLeases(tmp_path))
    again = await send_to_audience(
        cc, person(1), TEMPLATE, batch_id="b1", pool=good, sleep=_advance(vsim)
    )
    assert again.resumed
    assert again.sent == 1
    await good.drain(cc, sleep=_advance(vsim))  # the list is emptied in the background
    with pytest.raises(ListMembershipError):
        await send_to_audience(
            cc, person(2), TEMPLATE, batch_id="b2", pool=lost, sleep=_advance(vsim)
        )
    stranger = await cc.activities.import_contacts(person(3), [list_id])
    await cc.activities.wait(stranger, initial=0.1)
    with pytest.raises(ListMembershipError, match="holds 2 contacts, the batch 1"):
        await send_to_audience(
            cc, person(2), TEMPLATE, batch_id="b2", pool=good, sleep=_advance(vsim)
        )
    assert deliveries(vsim) == {
        "Your orders b1": {"customer1@example.net"},
        "Your orders b2": set(),
    }


async def test_file_leases_refuse_a_directory_others_can_write(tmp_path: Path) -> None:
    """A lease directory writable by group or others is refused (lock files could be swapped)."""
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o777)
    with pytest.raises(CoordinationError, match="writable by group or others"):
        await FileListLeases(shared).try_lease("list-1")


async def test_one_pool_runs_concurrent_batches_wave_after_wave(vsim: Any, cc: Client) -> None:
    """Waves of 2 concurrent batches through one 3-list pool (lists emptied in the background,
    the spare reused): every batch is sent, each customer gets only their own mail."""
    pool = ListPool(size=3)
    for wave in range(4):
        results = await asyncio.gather(
            *(
                send_to_audience(
                    cc, person(n), TEMPLATE, batch_id=f"b{n}", pool=pool, sleep=_advance(vsim)
                )
                for n in (2 * wave, 2 * wave + 1)
            )
        )
        assert [r.sent for r in results] == [1, 1]
        assert results[0].list_id != results[1].list_id
    await pool.drain(cc, sleep=_advance(vsim))
    assert pool.releasing() == []
    assert deliveries(vsim) == {f"Your orders b{n}": {f"customer{n}@example.net"} for n in range(8)}
