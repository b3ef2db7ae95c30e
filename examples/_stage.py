"""What every example shares: a Client on the embedded simulator or a real account, and time.

Not a story of its own: each ``examples/<story>.py`` opens a :class:`Stage` and runs its story.

Where the examples run:

- default: the embedded simulator (``ccasync.sim.serve``) in this process, with the API's real
  limits (4 requests/s, 10,000/day) and its clock running at wall speed, so the waits are real;
  only waits of hours (reports, next Monday) jump the simulator's clock;
- ``--fast`` (or ``CCASYNC_EXAMPLES_FAST=1``, what the test suite uses): the simulator with the
  limits off and its clock frozen; every wait advances the clock instead of sleeping;
- a real account: set ``CCASYNC_ACCESS_TOKEN`` (and ``CCASYNC_BASE_URL`` to point elsewhere than
  ``https://api.cc.email/v3``) and ``CCASYNC_EXAMPLE_EMAIL=you@yourdomain.example``: every
  recipient is a plus-address of that mailbox (``you+ann@yourdomain.example``), the sender is
  the account's first confirmed address, names get a timestamp so reruns do not collide, and
  waits longer than two minutes are skipped (run the script again later to see their effect).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field

import ccasync
from ccasync.ops import FileListLeases, ListPool
from ccasync.sim import Sim, SimConfig, serve

START = dt.datetime(2026, 11, 25, 15, 0, tzinfo=dt.UTC)
"""Where the simulator's clock starts: a Wednesday afternoon (UTC)."""

REAL_WAIT_CAP = 120.0
"""On a real account, waits longer than this many seconds are skipped, not slept."""


def run_story(story: Callable[[Stage], Awaitable[None]], doc: str | None) -> None:
    """An example's entry point: ``story`` on the stage ``--fast`` / the environment asks for.

    For stories without options of their own (the others build on :func:`make_parser`).
    """
    args = parse_args(doc)
    asyncio.run(_on_stage(story, args.fast))


async def _on_stage(story: Callable[[Stage], Awaitable[None]], fast: bool) -> None:
    async with open_stage(fast) as stage:
        await story(stage)


def parse_args(doc: str | None) -> argparse.Namespace:
    """The options every example takes: ``--fast`` (limits off, simulated waits)."""
    return make_parser(doc).parse_args()


def make_parser(doc: str | None) -> argparse.ArgumentParser:
    """The parser of :func:`parse_args`, for an example that adds options of its own."""
    first_line = (doc or "").strip().splitlines()[0] if doc else ""
    parser = argparse.ArgumentParser(description=first_line)
    parser.add_argument(
        "--fast",
        action="store_true",
        default=os.environ.get("CCASYNC_EXAMPLES_FAST") == "1",
        help="simulator with limits off and a frozen clock that waits advance (the tests' mode)",
    )
    return parser


@dataclass
class Stage:
    """A connected Client plus how to make time pass where it runs.

    ``sim`` is None on a real account. ``sender`` is a confirmed sender address, ``suffix`` is
    appended to campaign and list names (empty on the simulator, a timestamp on a real account).
    ``base_url`` and ``token`` open more Clients on the same account.
    """

    cc: ccasync.Client
    sim: Sim | None
    fast: bool
    sender: str
    suffix: str
    lease_dir: str
    base_url: str
    token: str
    _mailbox: str | None = field(default=None, repr=False)

    def email(self, name: str) -> str:
        """A recipient address for the person ``name`` (a plus-address on a real account)."""
        if self.sim is None and self._mailbox is None:
            raise SystemExit(
                "set CCASYNC_EXAMPLE_EMAIL=you@yourdomain.example: recipients are its +tags"
            )
        if self._mailbox is None:
            return f"{name}@example.net"
        local, _, domain = self._mailbox.partition("@")
        return f"{local}+{name}@{domain}"

    def now(self) -> dt.datetime:
        """The current time where the story runs (the simulator's clock, or the real one)."""
        return self.sim.clock.now() if self.sim is not None else dt.datetime.now(dt.UTC)

    async def sleep(self, seconds: float) -> None:
        """Wait ``seconds``: the simulator's clock advances in fast mode instead."""
        if self.fast and self.sim is not None:
            self.sim.clock.advance(seconds)
            await asyncio.sleep(0)
        else:
            await asyncio.sleep(seconds)

    async def pass_time(self, seconds: float, why: str) -> None:
        """Let ``seconds`` pass for ``why``: jumps the simulator's clock when the wait is long."""
        if self.sim is not None and (self.fast or seconds > REAL_WAIT_CAP):
            print(f"[simulator clock +{_duration(seconds)}: {why}]")
            self.sim.clock.advance(seconds)
            await asyncio.sleep(0)
        elif seconds <= REAL_WAIT_CAP:
            await asyncio.sleep(seconds)
        else:
            print(f"[skipped a {_duration(seconds)} wait ({why}): run again later]")

    async def make_list(
        self,
        name: str,
        people: Mapping[str, str],
        fields: Mapping[str, Mapping[str, str]] | None = None,
    ) -> str:
        """A list ``name`` holding ``people`` (person -> first name); 3-5 API calls.

        ``fields`` adds import keys per person (``{"ann": {"cf:promo_code": "A1"}}``; the custom
        fields must exist). The contacts are upserted by one JSON import (addresses from
        :meth:`email`) and the import is awaited, so they are members when this returns.
        """
        made = await self.cc.lists.get_or_create(name + self.suffix)  # safe if run twice at once
        rows = [
            {"email": self.email(p), "first_name": first, **(fields or {}).get(p, {})}
            for p, first in people.items()
        ]
        job = await self.cc.activities.import_contacts(rows, [made.list_id])
        await self.cc.activities.wait(job, timeout=600)
        return made.list_id

    async def wait_sent(self, activity_id: str) -> str:
        """Wait until a campaign activity's send is DONE (``cc.campaigns.wait_sent``); its status.

        One call every 10 s (simulated in fast mode), for at most an hour.
        """
        return str((await self.cc.campaigns.wait_sent(activity_id)).current_status)

    def list_pool(self, prefix: str, size: int = 3) -> ListPool:
        """A ListPool whose leases live in this run's directory (simulated list ids repeat)."""
        if self.sim is None:
            return ListPool(prefix=prefix, size=size)
        return ListPool(prefix=prefix, size=size, leases=FileListLeases(self.lease_dir))


@asynccontextmanager
async def open_stage(fast: bool) -> AsyncIterator[Stage]:
    """A Stage on a real account (``CCASYNC_ACCESS_TOKEN`` set) or on the embedded simulator."""
    token = os.environ.get("CCASYNC_ACCESS_TOKEN")
    async with AsyncExitStack() as stack:
        lease_dir = stack.enter_context(tempfile.TemporaryDirectory(prefix="ccasync-examples-"))
        if token:
            yield await _real_stage(stack, token, lease_dir)
            return
        sim = await stack.enter_async_context(serve(_sim_config(fast)))
        limiter = ccasync.RateLimiter.unlimited() if fast else ccasync.RateLimiter()
        cc = await stack.enter_async_context(
            ccasync.Client(
                access_token=sim.token,
                base_url=sim.base_url,
                rate_limiter=limiter,
                sleep=_simulated_sleep(sim) if fast else asyncio.sleep,
            )
        )
        cc.campaigns.clock = sim.clock.now  # "now" for schedule() is the simulator's
        yield Stage(cc, sim, fast, "owner@example.com", "", lease_dir, sim.base_url, sim.token)


def _simulated_sleep(sim: Sim) -> Callable[[float], Awaitable[None]]:
    async def sleep(seconds: float) -> None:
        sim.clock.advance(seconds)
        await asyncio.sleep(0)

    return sleep


def _duration(seconds: float) -> str:
    if seconds >= 86_400:
        return f"{seconds / 86_400:.1f} days"
    return f"{seconds / 3600:.1f} h" if seconds >= 3600 else f"{seconds / 60:.0f} min"


def _sim_config(fast: bool) -> SimConfig:
    if fast:
        return SimConfig(per_second=None, per_day=None, time_scale=0, start_time=START)
    return SimConfig(start_time=START)  # 4/s, 10,000/day, clock at wall speed


async def _real_stage(stack: AsyncExitStack, token: str, lease_dir: str) -> Stage:
    mailbox = os.environ.get("CCASYNC_EXAMPLE_EMAIL")
    if not mailbox or "@" not in mailbox:
        raise SystemExit(
            "set CCASYNC_EXAMPLE_EMAIL=you@yourdomain.example: recipients are its +tags"
        )
    base_url = os.environ.get("CCASYNC_BASE_URL", "https://api.cc.email/v3")
    cc = await stack.enter_async_context(ccasync.Client(access_token=token, base_url=base_url))
    senders = await cc.account.confirmed_senders()
    if not senders:
        raise SystemExit("the account has no confirmed sender address (Constant Contact UI)")
    return Stage(
        cc=cc,
        sim=None,
        fast=False,
        sender=senders[0],
        suffix=dt.datetime.now(dt.UTC).strftime(" %Y%m%d-%H%M%S"),
        lease_dir=lease_dir,
        base_url=base_url,
        token=token,
        _mailbox=mailbox,
    )
