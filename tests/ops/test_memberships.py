"""Tests of bulk list membership ops: chunks of 500 ids x 50 lists, one result per call."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import pytest

from ccasync import Client, RateLimiter
from ccasync.errors import BulkError
from ccasync.ops.imports._pipeline import import_contacts
from ccasync.ops.memberships import add_to_lists, list_groups, remove_from_lists
from ccasync.sim import SimConfig, serve


@contextlib.asynccontextmanager
async def virtual_sim() -> AsyncIterator[tuple[Any, Client]]:
    """A simulator on virtual time and a client whose sleeps advance that time."""
    async with serve(SimConfig(per_second=None, per_day=None, time_scale=0)) as sim:

        async def advance(seconds: float) -> None:
            sim.clock.advance(seconds)
            await asyncio.sleep(0)

        async with Client(
            access_token=sim.token,
            base_url=sim.base_url,
            rate_limiter=RateLimiter.unlimited(),
            sleep=advance,
        ) as cc:
            yield sim, cc


async def _contacts(sim: Any, cc: Client, count: int) -> list[str]:
    seed = await cc.lists.create("seed")

    async def advance(seconds: float) -> None:
        sim.clock.advance(seconds)
        await asyncio.sleep(0)

    rows = [{"email": f"m{i}@example.com"} for i in range(count)]
    await import_contacts(
        cc, rows, list_ids=[seed.list_id], clock=sim.clock.timestamp, sleep=advance
    )
    return [c.contact_id for c in sim.state.default_account.contacts.values()]


def test_list_groups_cut_at_fifty_and_drop_repeats() -> None:
    """Target lists are split into groups of at most 50, duplicates removed, order kept."""
    ids = [f"l{i}" for i in range(120)] + ["l0"]
    groups = list_groups(ids)
    assert [len(g) for g in groups] == [50, 50, 20]
    assert groups[0][0] == "l0"
    assert sum(groups, ()) == tuple(f"l{i}" for i in range(120))


async def test_add_then_remove_many_contacts() -> None:
    """1,200 contacts go onto 3 lists in 3 calls of <= 500 ids, then come off 2 of them."""
    async with virtual_sim() as (sim, cc):
        ids = await _contacts(sim, cc, 1_200)
        lists = [(await cc.lists.create(f"target {i}")).list_id for i in range(3)]
        added = await add_to_lists(cc, ids, lists)
        assert [(c.first, c.count, c.outcome) for c in added.chunks] == [
            (1, 500, "completed"),
            (501, 500, "completed"),
            (1001, 200, "completed"),
        ]
        assert added.ok
        assert added.contacts == 1_200
        assert len(added.activity_ids) == 3
        added.raise_for_failures()
        account = sim.state.default_account
        assert all(len(account.lists[lid].members) == 1_200 for lid in lists)
        removed = await remove_from_lists(cc, ids, lists[:2])
        assert removed.ok
        assert [len(account.lists[lid].members) for lid in lists] == [0, 0, 1_200]
        assert removed.calls >= 3


async def test_more_than_fifty_lists_take_one_call_per_group() -> None:
    """55 target lists and 10 contacts make 2 calls (50 + 5 lists)."""
    async with virtual_sim() as (sim, cc):
        ids = await _contacts(sim, cc, 10)
        lists = [(await cc.lists.create(f"l{i}")).list_id for i in range(55)]

        async def stream() -> AsyncIterator[str]:
            for contact_id in ids:
                yield contact_id

        result = await remove_from_lists(cc, stream(), lists)
        assert [len(c.list_ids) for c in result.chunks] == [50, 5]
        assert result.ok


async def test_a_refused_chunk_is_reported_with_its_ids() -> None:
    """A call refused locally (malformed id) is kept with its reason and ids; others still run."""
    async with virtual_sim() as (sim, cc):
        ids = await _contacts(sim, cc, 600)
        target = (await cc.lists.create("t")).list_id
        ids[550] = "not-a-uuid"
        result = await add_to_lists(cc, ids, [target])
        first, second = result.chunks
        assert first.ok
        assert second.outcome == "not_sent"
        assert "contact_ids" in (second.reason or "")
        assert second.contact_ids is not None
        assert "not-a-uuid" in second.contact_ids
        assert first.contact_ids is None
        assert result.failed_items == [second]
        with pytest.raises(BulkError) as caught:
            result.raise_for_failures()
        assert caught.value.result is result


async def test_journaled_rerun_makes_no_call_and_changed_ids_are_refused() -> None:
    """With a journal, a finished membership job's rerun makes no call; other ids are refused."""
    from ccasync import MemoryJournal, ValidationError

    async with virtual_sim() as (sim, cc):
        ids = await _contacts(sim, cc, 1_200)
        target = await cc.lists.create("journaled")
        journal = MemoryJournal()
        first = await add_to_lists(cc, ids, [target.list_id], journal=journal, job_id="m1")
        again = await add_to_lists(cc, ids, [target.list_id], journal=journal, job_id="m1")
        assert first.ok
        assert again.ok
        assert len(again.chunks) == 3
        assert again.calls == 0
        assert [c.activity_id for c in again.chunks] == [c.activity_id for c in first.chunks]
        with pytest.raises(ValidationError, match="other ids"):
            await add_to_lists(cc, ids[::-1], [target.list_id], journal=journal, job_id="m1")
