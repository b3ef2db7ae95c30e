"""Story: a web service (aiohttp.web) whose request handlers share one ccasync Client.

One ``ccasync.Client`` (one connection pool, one rate limiter: the 4 requests/s belong to the
API key, not to a request) is opened when the app starts and closed when it stops
(``cleanup_ctx``); every handler uses it. ``POST /signup`` adds a visitor to the "Website
sign-ups" list (``sign_up_form``: an upsert, so a double click or a retry is harmless) and
``GET /quota`` shows the limiter's daily ledger.

A handler must not wait for a rate-limit slot for ever: under a burst, each request waits at
most ``SLOT_WAIT`` seconds for a slot (``ccasync.acquire_timeout``, context-local: a bulk job
sharing the Client keeps waiting as before), then answers 503 with ``Retry-After``; nothing was
sent for it (``AcquireTimeoutError``). The bound covers the wait for a slot only, never an
exchange under way. The self-test below fires 12 sign-ups at once at 4 requests/s with a 1.5 s
bound: about half are answered, the others get 503 at once instead of queueing.

Cost: 1 API call per sign-up (``POST /contacts/sign_up_form``), 1-2 at start-up (get or
create the list); the script prints the limiter's count.

Run: ``python examples/signup_service.py`` (embedded simulator, runs the self-test and exits),
``--fast`` (the same, the tests' mode), ``--serve`` to keep serving on 127.0.0.1:8081 (try
``curl -d '{"email": "ann@example.net"}' localhost:8081/signup``), or against a real account:
``CCASYNC_ACCESS_TOKEN=... CCASYNC_EXAMPLE_EMAIL=you@yourdomain.example python
examples/signup_service.py --serve``.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

import aiohttp
from _stage import Stage, make_parser, open_stage
from aiohttp import web

import ccasync

SLOT_WAIT = 1.5
"""Most seconds a request handler waits for a rate-limit slot."""

CLIENT = web.AppKey("client", ccasync.Client)
LIMITER = web.AppKey("limiter", ccasync.RateLimiter)
LIST_ID = web.AppKey("list_id", str)


def make_app(open_client: Callable[[ccasync.RateLimiter], ccasync.Client]) -> web.Application:
    """The service; ``open_client(limiter)`` builds the one Client it shares (not yet entered)."""
    app = web.Application()

    async def client_context(app: web.Application) -> AsyncIterator[None]:
        limiter = ccasync.RateLimiter(per_second=4, per_day=10_000)  # one per API key
        async with open_client(limiter) as cc:
            app[LIST_ID] = (await cc.lists.get_or_create("Website sign-ups")).list_id
            app[CLIENT], app[LIMITER] = cc, limiter
            yield

    app.cleanup_ctx.append(client_context)
    app.router.add_post("/signup", signup)
    app.router.add_get("/quota", quota)
    return app


async def signup(request: web.Request) -> web.Response:
    """Add the posted ``{"email", "first_name"}`` to the sign-ups list (201 new, 200 known)."""
    body = await request.json()
    cc = request.app[CLIENT]
    try:
        with ccasync.acquire_timeout(SLOT_WAIT):
            result = await cc.contacts.sign_up_form(
                email_address=str(body["email"]),
                first_name=body.get("first_name"),
                list_memberships=[request.app[LIST_ID]],
            )
    except ccasync.AcquireTimeoutError:  # no slot within SLOT_WAIT: nothing was sent
        return web.json_response(
            {"error": "busy, retry shortly"}, status=503, headers={"Retry-After": "2"}
        )
    except ccasync.ValidationError as exc:
        return web.json_response({"error": str(exc)}, status=400)
    return web.json_response({"created": result.created}, status=201 if result.created else 200)


async def quota(request: web.Request) -> web.Response:
    """The API calls this process used today and what is left of the daily budget."""
    limiter = request.app[LIMITER]
    return web.json_response(
        {"used_today": limiter.used_today, "remaining": limiter.remaining_today}
    )


async def self_test(stage: Stage, port: int) -> None:
    """Post 12 sign-ups at once and print the answers and the calls used."""
    base = f"http://127.0.0.1:{port}"
    async with aiohttp.ClientSession() as session:

        async def post(n: int) -> int:
            payload = {"email": stage.email(f"visitor{n:02d}"), "first_name": "Vi"}
            async with session.post(f"{base}/signup", json=payload) as response:
                return response.status

        statuses = await asyncio.gather(*(post(n) for n in range(12)))
        async with session.get(f"{base}/quota") as response:
            ledger = await response.json()
    served = sum(1 for s in statuses if s in (200, 201))
    print(f"12 sign-ups at once: {served} answered, {statuses.count(503)} told to retry (503)")
    print(
        f"API calls: {ledger['used_today']} (the list lookup at start-up and 1 per answered"
        " sign-up: a request refused a slot sends nothing)"
    )


async def main() -> None:
    """Start the service on the stage's account; self-test it, or serve until interrupted."""
    parser = make_parser(__doc__)
    parser.add_argument("--serve", action="store_true", help="keep serving on 127.0.0.1:8081")
    args = parser.parse_args()
    async with open_stage(args.fast) as stage:

        def open_client(limiter: ccasync.RateLimiter) -> ccasync.Client:
            return ccasync.Client(
                access_token=stage.token, base_url=stage.base_url, rate_limiter=limiter
            )

        runner = web.AppRunner(make_app(open_client))
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 8081 if args.serve else 0)
        await site.start()
        try:
            if args.serve:
                print("serving on http://127.0.0.1:8081 (Ctrl-C to stop)")
                await asyncio.Event().wait()
            await self_test(stage, runner.addresses[0][1])
        finally:
            await runner.cleanup()


if __name__ == "__main__":
    asyncio.run(main())
