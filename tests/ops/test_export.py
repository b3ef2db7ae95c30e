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
from ccasync.errors import BulkError, DecodeError, RequestTimeoutError, ValidationError
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


class _Endless:
    """A download that never ends: ``chunk`` after ``chunk``, each after ``pause`` seconds."""

    def __init__(self, chunk: bytes, pause: float) -> None:
        self.chunk = chunk
        self.pause = pause

    def __call__(self, export: Any) -> _Endless:
        return self

    async def __aenter__(self) -> Any:
        async def chunks() -> AsyncIterator[bytes]:
            while True:
                await asyncio.sleep(self.pause)
                yield self.chunk

        return chunks()

    async def __aexit__(self, *exc: object) -> None:
        return None


async def test_export_file_is_private_and_created_exclusively(tmp_path: Path) -> None:
    """The export is written with mode 0600 (it holds e-mail addresses)."""
    async with virtual_sim() as (sim, cc):
        list_id = await _seed(sim, cc, 5)
        out = tmp_path / "private.csv"
        await export_contacts(cc, out, list_ids=[list_id])
        assert out.stat().st_mode & 0o777 == 0o600


async def test_planted_symlink_is_never_written_through(tmp_path: Path) -> None:
    """A symlink planted at <path>.part makes the export refuse; the link's target is untouched."""
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    out = tmp_path / "out.csv"
    (tmp_path / "out.csv.part").symlink_to(victim)
    async with virtual_sim() as (sim, cc):
        list_id = await _seed(sim, cc, 5)
        with pytest.raises(ValidationError, match=r"out\.csv\.part already exists"):
            await export_contacts(cc, out, list_ids=[list_id])
    assert victim.read_text() == "keep me"
    assert not out.exists()


async def test_endless_export_stops_at_max_bytes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A download that never ends raises DecodeError at max_bytes and leaves no file behind."""
    async with virtual_sim() as (sim, cc):
        list_id = await _seed(sim, cc, 5)
        monkeypatch.setattr(cc.activities, "download_export", _Endless(b"x" * 4096, 0))
        out = tmp_path / "big.csv"
        with pytest.raises(DecodeError, match="max_bytes=100,000"):
            await export_contacts(cc, out, list_ids=[list_id], max_bytes=100_000)
    assert not out.exists()
    assert not (tmp_path / "big.csv.part").exists()


async def test_trickling_export_stops_at_the_timeout(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A download trickling one byte at a time raises RequestTimeoutError when timeout runs out."""
    async with virtual_sim() as (sim, cc):
        list_id = await _seed(sim, cc, 5)
        monkeypatch.setattr(cc.activities, "download_export", _Endless(b"x", 0.01))
        out = tmp_path / "slow.csv"
        with pytest.raises(RequestTimeoutError, match="not finished within"):
            await export_contacts(cc, out, list_ids=[list_id], timeout=0.3)
    assert not out.exists()
    assert not (tmp_path / "slow.csv.part").exists()


async def test_formulas_are_neutralised_on_request(tmp_path: Path) -> None:
    """neutralize_formulas=True prefixes cells starting = + - @ with an apostrophe."""
    async with virtual_sim() as (sim, cc):
        target = await cc.lists.create("formulas")
        rows = [
            {"email": "f1@example.com", "first_name": "=HYPERLINK(1)", "last_name": "@x"},
            {"email": "f2@example.com", "first_name": "Plain", "last_name": "-5"},
        ]
        await _import_rows(sim, cc, rows, target.list_id)
        plain, safe = tmp_path / "plain.csv", tmp_path / "safe.csv"
        await export_contacts(cc, plain, list_ids=[target.list_id])
        await export_contacts(cc, safe, list_ids=[target.list_id], neutralize_formulas=True)
    with safe.open(newline="", encoding="utf-8") as handle:
        records = {r["email_address"]: r for r in csv.DictReader(handle)}
    assert records["f1@example.com"]["first_name"] == "'=HYPERLINK(1)"
    assert records["f1@example.com"]["last_name"] == "'@x"
    assert records["f2@example.com"]["first_name"] == "Plain"
    assert records["f2@example.com"]["last_name"] == "'-5"
    assert "=HYPERLINK(1)" in plain.read_text(encoding="utf-8")


async def _import_rows(sim: Any, cc: Any, rows: list[dict[str, Any]], list_id: str) -> None:
    async def advance(seconds: float) -> None:
        sim.clock.advance(seconds)
        await asyncio.sleep(0)

    await import_contacts(cc, rows, list_ids=[list_id], clock=sim.clock.timestamp, sleep=advance)
