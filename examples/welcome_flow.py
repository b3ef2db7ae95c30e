"""Welcome email with a per-user activation link at sign-up: 1 API call per sign-up.

Runs against the simulator started in-process (default), or against any server::

    python examples/welcome_flow.py
    python examples/welcome_flow.py --base-url http://127.0.0.1:8080/v3 --token DEV_TOKEN

The setup (list, link field, list-join automation and its email) is found or created once; then
every sign-up is one ``sign_up_form`` call and the automation mails the contact its own link.
With the in-process simulator the delivered mails are printed from its outbox.
"""

from __future__ import annotations

import argparse
import asyncio
import secrets
from typing import Any

from ccasync import Client, RateLimiter
from ccasync.ops import WelcomeEmail, WelcomeFlow, ensure_welcome_flow

EMAIL = WelcomeEmail(
    subject="Welcome! Activate your account",
    from_name="The Shop",
    from_email="owner@example.com",  # a CONFIRMED account email (the simulator's owner)
    html_content=(
        "<html><body>[[trackingImage]]<p>Welcome!</p>"
        '<p><a href="$link">Activate your account</a></p></body></html>'
    ),
)
SIGN_UPS = ["ann@example.com", "bob@example.com", "cy@example.com"]


async def run(cc: Client) -> WelcomeFlow:
    """Set the flow up (idempotent) and sign three people up, one call each."""
    flow = await ensure_welcome_flow(cc, name="Welcome flow", list_name="Sign-ups", email=EMAIL)
    print(f"setup: {flow.calls} calls (automation {flow.automation_flow_id})")
    for address in SIGN_UPS:
        link = f"https://shop.example/activate?token={secrets.token_urlsafe(12)}"
        before = cc.calls
        await flow.sign_up(cc, address, link)
        print(f"signed up {address}: {cc.calls - before} call, link {link}")
    return flow


async def against_simulator() -> None:
    """Start the simulator in-process, run, and show what it delivered."""
    from ccasync.sim import SimConfig, serve

    async with serve(SimConfig(per_second=None, per_day=None)) as sim:
        async with Client(
            access_token=sim.token, base_url=sim.base_url, rate_limiter=RateLimiter.unlimited()
        ) as cc:
            flow = await run(cc)
            sim.clock.advance(60.0)
            await cc.lists.get(flow.list_id)  # any request lets the simulator deliver due runs
        outbox: Any = getattr(sim, "outbox", None)
        for address in SIGN_UPS:
            mails = outbox.find(to=address, kind="automation") if outbox is not None else []
            print(f"{address}: {len(mails)} welcome mail(s)")


async def against_server(base_url: str, token: str) -> None:
    """Run against a server of your choice (the simulator CLI, or the real API)."""
    async with Client(access_token=token, base_url=base_url) as cc:
        await run(cc)


def main() -> None:
    """Parse the arguments and run."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-url", help="API root, e.g. http://127.0.0.1:8080/v3")
    parser.add_argument("--token", help="access token for --base-url")
    args = parser.parse_args()
    if args.base_url:
        asyncio.run(against_server(args.base_url, args.token or ""))
    else:
        asyncio.run(against_simulator())


if __name__ == "__main__":
    main()
