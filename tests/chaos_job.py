"""A journaled bulk job (an import and a fan-out, at once) run in a child process, to be killed.

Run as ``python -m tests.chaos_job '<json settings>'`` (the chaos tests and
``benchmarks/bench_chaos.py`` do): it prints ``started`` once the journal is open, then one JSON
line with the results if it lives to the end. Settings: ``base_url``, ``token``, ``journal``
(sqlite path), ``csv``, ``list_id``, ``locations`` (count), ``max_rows``, ``job`` (id prefix),
``test_to`` (an address or null), ``timeout`` (request seconds).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import sys
from typing import Any

import ccasync
from ccasync.ops import CampaignTemplate, Location, create_campaigns_for_locations, import_contacts

TEMPLATE = CampaignTemplate(
    name="Chaos $key",
    subject="Hello $key",
    from_name="Acme",
    from_email="owner@example.com",
    html_content="<html><body>[[trackingImage]]<p>Hi $key</p></body></html>",
)
ZONES = ("America/New_York", "Europe/London", "Asia/Tokyo", "Australia/Sydney")


def locations(count: int, list_id: str) -> list[Location]:
    """``count`` locations over four zones, all on ``list_id``."""
    return [
        Location(key=f"l{n:04d}", timezone=ZONES[n % 4], list_ids=[list_id]) for n in range(count)
    ]


async def run(settings: dict[str, Any], *, announce: bool = True) -> dict[str, Any]:
    """Run the import and the fan-out once with the journal; return their summaries."""
    journal = ccasync.SqliteJournal(settings["journal"])
    async with (
        journal,
        ccasync.Client(
            access_token=settings["token"],
            base_url=settings["base_url"],
            rate_limiter=ccasync.RateLimiter.unlimited(),
            timeout=settings.get("timeout", 5.0),
        ) as cc,
    ):
        if announce:
            print("started", flush=True)
        test_to = settings.get("test_to")
        imported, fanout = await asyncio.gather(
            import_contacts(
                cc,
                settings["csv"],
                list_ids=[settings["list_id"]],
                max_rows=settings["max_rows"],
                journal=journal,
                job_id=f"{settings['job']}-import",
            ),
            create_campaigns_for_locations(
                cc,
                TEMPLATE,
                locations(settings["locations"], settings["list_id"]),
                when="next Monday 09:00",
                send_test_to=[test_to] if test_to else None,
                clock=lambda: dt.datetime.now(dt.UTC),
                journal=journal,
                job_id=f"{settings['job']}-fanout",
            ),
        )
    return {
        "imported": imported.imported,
        "failed_rows": imported.failed,
        "payloads": imported.payloads,
        "resume": [c.resume for c in imported.chunks],
        "import_calls": imported.calls,
        "fanout_failed": len(fanout.failed_items),
        "fanout_calls": fanout.calls,
        "outcomes": sorted({item.outcome for item in fanout}),
    }


if __name__ == "__main__":
    print(json.dumps(asyncio.run(run(json.loads(sys.argv[1])))), flush=True)
