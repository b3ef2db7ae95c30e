"""The rules every :class:`ccasync.journal.Journal` keeps, as reusable async checks.

Each check takes a journal factory ``make(clock)`` whose journals read expiry from ``clock``
(epoch seconds) when they can; the Redis journal uses the server's clock and is given claims
short enough to expire in real time.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from ccasync.errors import CoordinationError, ValidationError
from ccasync.journal import JobRun, Journal, StepWrite


async def check_steps_round_trip(journal: Journal) -> None:
    """Steps written under a claim read back with phase and data; a later write replaces."""
    claim = await journal.claim("job-a", "fp1", owner="one", ttl=60)
    await journal.write(claim, [StepWrite("payload/0", "intent", {"rows": [1, 40]})])
    await journal.write(
        claim,
        [
            StepWrite("payload/0", "done", {"rows": [1, 40], "activity_id": "x"}),
            StepWrite("payload/1", "intent", {"rows": [41, 80]}),
        ],
    )
    steps = await journal.steps("job-a")
    assert steps["payload/0"].phase == "done"
    assert steps["payload/0"].data == {"rows": [1, 40], "activity_id": "x"}
    assert steps["payload/1"].phase == "intent"
    assert await journal.steps("job-unknown") == {}


async def check_fingerprint_mismatch(journal: Journal) -> None:
    """The same job id with another fingerprint is a ValidationError naming job_id."""
    claim = await journal.claim("job-b", "fp1", owner="one", ttl=60)
    await journal.release(claim)
    with pytest.raises(ValidationError) as caught:
        await journal.claim("job-b", "fp2", owner="one", ttl=60)
    assert caught.value.field == "job_id"


async def check_claim_excludes_and_fences(journal: Journal, expire: Any) -> None:
    """A live claim keeps other owners out; after expiry a takeover fences the old owner off."""
    first = await journal.claim("job-c", "fp", owner="one", ttl=0.5)
    with pytest.raises(CoordinationError, match="being run by one"):
        await journal.claim("job-c", "fp", owner="two", ttl=60)
    renewed = await journal.claim("job-c", "fp", owner="one", ttl=0.5)
    assert renewed.token == first.token
    await expire(1.0)
    second = await journal.claim("job-c", "fp", owner="two", ttl=60)
    assert second.token > first.token
    with pytest.raises(CoordinationError, match="taken over"):
        await journal.write(first, [StepWrite("s", "done", {"by": "one"})])
    await journal.write(second, [StepWrite("s", "done", {"by": "two"})])
    assert (await journal.steps("job-c"))["s"].data == {"by": "two"}


async def check_release_frees(journal: Journal) -> None:
    """After release another owner may claim at once, and the steps stay."""
    claim = await journal.claim("job-d", "fp", owner="one", ttl=60)
    await journal.write(claim, [StepWrite("s", "done", {"n": 1})])
    await journal.release(claim)
    other = await journal.claim("job-d", "fp", owner="two", ttl=60)
    assert other.token == claim.token + 1
    assert (await journal.steps("job-d"))["s"].data == {"n": 1}


async def check_jobrun_merges(journal: Journal) -> None:
    """JobRun.record merges over the intent's data; steps are read back on the next run."""
    async with JobRun(journal, "job-e", "fp") as run:
        await run.intend("loc/nyc/test", to=["a@example.com"])
        await run.record("loc/nyc/test", sent=True)
        await asyncio.gather(*(run.record(f"n/{i}", i=i) for i in range(20)))
    async with JobRun(journal, "job-e", "fp") as again:
        assert again.is_done("loc/nyc/test")
        assert again.data("loc/nyc/test") == {"to": ["a@example.com"], "sent": True}
        assert {again.data(f"n/{i}")["i"] for i in range(20)} == set(range(20))


async def check_non_json_data_is_refused(journal: Journal) -> None:
    """Step data that is not JSON (an object, NaN) is a ValidationError naming ``data``, before
    anything is written: every journal refuses it the same way."""
    claim = await journal.claim("job-json", "fp", owner="o", ttl=60)
    for bad in ({"x": object()}, {"x": float("nan")}):
        with pytest.raises(ValidationError, match="JSON") as info:
            await journal.write(claim, [StepWrite("s", "done", bad)])
        assert info.value.field == "data"
    assert await journal.steps("job-json") == {}


async def check_forget(journal: Journal, expire: Any) -> None:
    """forget deletes a job's claim and steps; never a job someone is running right now."""
    claim = await journal.claim("job-f", "fp1", owner="one", ttl=0.5)
    await journal.write(claim, [StepWrite("s", "done", {"n": 1})])
    with pytest.raises(CoordinationError, match="being run by one"):
        await journal.forget("job-f")
    assert (await journal.steps("job-f"))["s"].data == {"n": 1}  # refused: nothing deleted
    await expire(1.0)  # the run died without releasing: its claim lapses
    assert await journal.forget("job-f") is True
    assert await journal.steps("job-f") == {}
    assert await journal.forget("job-f") is False  # gone: nothing to forget
    fresh = await journal.claim("job-f", "fp2", owner="two", ttl=60)  # another input is fine now
    await journal.write(fresh, [StepWrite("t", "done", {})])
    await journal.release(fresh)
    assert await journal.forget("job-f") is True  # a released job can go at once
    with pytest.raises(CoordinationError, match="taken over"):
        await journal.write(fresh, [StepWrite("late", "done", {})])  # its claim went with it
    assert await journal.forget("job-never") is False
    with pytest.raises(ValidationError):
        await journal.forget("")
