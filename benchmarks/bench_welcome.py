"""Welcome mail with a per-user link: the list-join automation flow vs send_to_audience (issue 14).

Both run against the simulator in-process with limits off and a frozen clock that the client's
sleeps advance (so waiting costs no wall time); what is measured is API calls, the budget that
matters (10,000 a day, 4 a second per API key), and from it the minimum wall time at 4/s.

- welcome flow: ``ensure_welcome_flow`` once, then ``USERS`` sign-ups of one call each; the
  welcome mails are counted in the simulator's outbox.
- send_to_audience: one batch per user (a sign-up must be mailed at once, so it cannot wait
  for others), each a campaign built, sent and its list released.

Needs a simulator that serves automations (issue 14's simulator side).

Run:  python benchmarks/bench_welcome.py [--users 20]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
from typing import Any

from ccasync import Client, RateLimiter
from ccasync.ops import (
    CampaignTemplate,
    ListPool,
    WelcomeEmail,
    ensure_welcome_flow,
    send_to_audience,
)
from ccasync.sim import SimConfig, serve

SENDER = "owner@example.com"
HTML = '<html><body>[[trackingImage]]<a href="$link">Activate</a></body></html>'


async def welcome_flow(cc: Client, sim: Any, users: int) -> tuple[int, int, int, float]:
    """Setup calls, sign-up calls, welcome mails delivered, wall seconds of the sign-ups."""
    email = WelcomeEmail(subject="Welcome", from_name="Shop", from_email=SENDER, html_content=HTML)
    flow = await ensure_welcome_flow(cc, name="Welcome", list_name="Sign-ups", email=email)
    before, started = cc.calls, time.perf_counter()
    for n in range(users):
        await flow.sign_up(cc, f"w{n}@example.com", f"https://shop.example/a?t={n}")
    wall = time.perf_counter() - started
    calls = cc.calls - before
    sim.clock.advance(60.0)
    await cc.lists.get(flow.list_id)  # a request lets the simulator deliver due runs
    mails = sum(
        len(sim.outbox.find(to=f"w{n}@example.com", kind="automation")) for n in range(users)
    )
    return flow.calls, calls, mails, wall


async def audience(cc: Client, sim: Any, users: int) -> tuple[list[int], float]:
    """Calls of each one-user batch, and the wall seconds of all of them."""

    async def sleep(seconds: float) -> None:
        sim.clock.advance(seconds)

    pool = ListPool(prefix="welcome-bench", size=2)
    template = CampaignTemplate(
        name="Welcome $batch",
        subject="Welcome",
        from_name="Shop",
        from_email=SENDER,
        html_content=HTML.replace("$link", "[[link]]"),
    )
    calls, started = [], time.perf_counter()
    for n in range(users):
        row = {"email": f"a{n}@example.com", "cf:link": f"https://shop.example/a?t={n}"}
        result = await send_to_audience(
            cc, [row], template, batch_id=f"u{n}", pool=pool, sleep=sleep
        )
        calls.append(result.calls)
    return calls, time.perf_counter() - started


async def main(users: int) -> None:
    """Run both ways on fresh simulators and print the comparison."""
    config = SimConfig(per_second=None, per_day=None, time_scale=0)
    async with serve(config) as sim:
        async with Client(
            access_token=sim.token, base_url=sim.base_url, rate_limiter=RateLimiter.unlimited()
        ) as cc:
            setup, signups, mails, wall = await welcome_flow(cc, sim, users)
    async with serve(config) as sim:

        async def sleep(seconds: float) -> None:
            sim.clock.advance(seconds)

        async with Client(
            access_token=sim.token,
            base_url=sim.base_url,
            rate_limiter=RateLimiter.unlimited(),
            sleep=sleep,
        ) as cc:
            cc.campaigns.clock = sim.clock.now  # send times on the simulator's (virtual) clock
            per_batch, wall_aud = await audience(cc, sim, users)
    total_aud = sum(per_batch)
    print(f"cores: {os.cpu_count()}, users: {users}")
    print(
        f"welcome flow: setup {setup} calls once; {signups} calls for {users} sign-ups "
        f"({signups / users:.2f} per user); {mails} welcome mails; "
        f"min wall at 4/s {signups / 4:.2f} s ({wall:.2f} s here, limits off)"
    )
    print(
        f"send_to_audience: {total_aud} calls ({total_aud / users:.2f} per user; "
        f"first {per_batch[0]}, then {per_batch[-1]}); min wall at 4/s {total_aud / 4:.2f} s "
        f"({wall_aud:.2f} s here, limits off, sends' waits on the virtual clock)"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=20)
    asyncio.run(main(parser.parse_args().users))
