"""Tests of export_contacts: activity, wait, streamed CSV to disk, no partial files (simulator)."""

from __future__ import annotations

import asyncio
import contextlib
import csv
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from ccasync import Client, RateLimiter
from ccasync.errors import BulkError
from ccasync.models.activities import Activity
from ccasync.ops.export import export_contacts
from ccasync.ops.imports._pipeline import import_contacts
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


async def _seed(sim: Any, cc: Any, count: int) -> str:
    target = await cc.lists.create("export me")

    async def advance(seconds: float) -> None:
        sim.clock.advance(seconds)
        await asyncio.sleep(0)

    rows = [{"email": f"x{i}@example.com", "first_name": f"F{i}"} for i in range(count)]
    await import_contacts(
        cc, rows, list_ids=[target.list_id], clock=sim.clock.timestamp, sleep=advance
    )
    return str(target.list_id)


async def test_export_streams_every_contact_to_the_file(tmp_path: Path) -> None:
    """The CSV on disk has one record per list member; no .part file remains."""
    async with virtual_sim() as (sim, cc):
        list_id = await _seed(sim, cc, 300)
        out = tmp_path / "contacts.csv"
        result = await export_contacts(cc, out, list_ids=[list_id])
        with out.open(newline="", encoding="utf-8") as handle:
            records = list(csv.DictReader(handle))
        assert len(records) == 300
        assert {r["email_address"] for r in records} == {f"x{i}@example.com" for i in range(300)}
        assert result.bytes_written == out.stat().st_size
        assert result.path == out
        assert result.calls >= 3
        assert not (tmp_path / "contacts.csv.part").exists()


async def test_failed_export_raises_and_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An export activity that ends 'failed' raises BulkError carrying the activity."""
    async with virtual_sim() as (_, cc):

        async def failed(activity_id: str, **_: Any) -> Activity:
            return Activity(activity_id=activity_id, state="failed", activity_errors=["boom"])

        monkeypatch.setattr(cc.activities, "wait", failed)
        out = tmp_path / "x.csv"
        with pytest.raises(BulkError, match="failed: boom") as caught:
            await export_contacts(cc, out)
        assert caught.value.result.state == "failed"
        assert not out.exists()


async def test_interrupted_download_leaves_no_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A download that breaks midway removes its .part file and keeps the final name free."""
    async with virtual_sim() as (sim, cc):
        list_id = await _seed(sim, cc, 20)
        real = cc.activities.download_export

        class Broken:
            def __init__(self, export: Any) -> None:
                self.inner = real(export)

            async def __aenter__(self) -> Any:
                chunks = await self.inner.__aenter__()

                async def first_then_fail() -> Any:
                    async for chunk in chunks:
                        yield chunk
                        raise ConnectionResetError("cut")

                return first_then_fail()

            async def __aexit__(self, *exc: object) -> None:
                await self.inner.__aexit__(*exc)

        monkeypatch.setattr(cc.activities, "download_export", Broken)
        out = tmp_path / "y.csv"
        with pytest.raises(ConnectionResetError):
            await export_contacts(cc, out, list_ids=[list_id])
        assert not out.exists()
        assert not (tmp_path / "y.csv.part").exists()
