"""ccasync's own CPU per API call, without any network: the fan-out call sequence on a fake.

End-to-end CPU ratios against raw aiohttp (``bench_overhead.py``, ``bench_fanout.py`` part A)
swing by ±15% per round on a shared machine. This isolates the numerator: the campaign
sequence of one location (create, GET activity, PUT activity with its lists, schedule) goes
through the typed resources, validation, the requestor loop and the converter, but the
transport is a :class:`ccasync.testing.FakeTransport` answering precomputed responses. The
fake's own cost is measured separately and subtracted.

Run:  python benchmarks/bench_pure_overhead.py [--locations 2000]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import time

from ccasync import Client, RateLimiter
from ccasync.testing import FakeTransport, HTTPRequest, HTTPResponse, json_response

CAMPAIGN_ID = "4f8ba6b2-1c8e-11ee-be56-0242ac120002"
ACTIVITY_ID = "5f8ba6b2-1c8e-11ee-be56-0242ac120002"
LIST_ID = "6f8ba6b2-1c8e-11ee-be56-0242ac120002"
WHEN = dt.datetime(2027, 1, 1, tzinfo=dt.UTC)
CAMPAIGN = {
    "campaign_id": CAMPAIGN_ID,
    "name": "offers",
    "current_status": "Draft",
    "type": "NEWSLETTER",
    "type_code": 10,
    "created_at": "2026-01-01T00:00:00.000Z",
    "updated_at": "2026-01-01T00:00:00.000Z",
    "campaign_activities": [
        {"campaign_activity_id": ACTIVITY_ID, "role": "primary_email"},
        {"campaign_activity_id": "7f8ba6b2-1c8e-11ee-be56-0242ac120002", "role": "permalink"},
    ],
}
ACTIVITY = {
    "campaign_activity_id": ACTIVITY_ID,
    "campaign_id": CAMPAIGN_ID,
    "role": "primary_email",
    "contact_list_ids": [],
    "segment_ids": [],
    "current_status": "DRAFT",
    "format_type": 5,
    "from_email": "owner@example.com",
    "from_name": "Shop",
    "reply_to_email": "owner@example.com",
    "subject": "Offers",
    "physical_address_in_footer": {
        "address_line1": "1 Main St",
        "city": "Portland",
        "country_code": "US",
        "organization_name": "Shop",
        "postal_code": "04101",
        "state_code": "ME",
    },
}
ANSWERS = {
    ("POST", "/v3/emails"): json_response(CAMPAIGN),
    ("GET", f"/v3/emails/activities/{ACTIVITY_ID}"): json_response(ACTIVITY),
    ("PUT", f"/v3/emails/activities/{ACTIVITY_ID}"): json_response(ACTIVITY),
    ("POST", f"/v3/emails/activities/{ACTIVITY_ID}/schedules"): json_response(
        [{"scheduled_date": "2027-01-01T00:00:00.000Z"}], 201
    ),
}
PREFIX = len("https://api.cc.email")


def answer(request: HTTPRequest) -> HTTPResponse:
    """The precomputed answer for a request of the sequence."""
    return ANSWERS[(request.method, request.url[PREFIX:].split("?", 1)[0])]


async def one_location(cc: Client, n: int) -> None:
    """The calls of one fan-out location, through the typed resources."""
    await cc.campaigns.create(
        name=f"offers {n}",
        from_name="Shop",
        from_email="owner@example.com",
        reply_to_email="owner@example.com",
        subject="Offers",
        html_content="<html><body>[[trackingImage]]<p>Hello</p></body></html>",
    )
    activity = await cc.campaigns.get_activity(ACTIVITY_ID)
    activity.contact_list_ids = [LIST_ID]
    await cc.campaigns.update_activity(activity)
    await cc.campaigns.schedule(ACTIVITY_ID, WHEN)


async def measure(locations: int) -> tuple[float, float]:
    """(µs CPU per call through ccasync incl. the fake, µs CPU per call of the fake alone)."""
    fake = FakeTransport(answer)
    async with Client(access_token="t", transport=fake, rate_limiter=RateLimiter.unlimited()) as cc:
        cc.campaigns.clock = lambda: dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
        for n in range(200):
            await one_location(cc, n)
        before = cc.calls
        start = time.process_time()
        for n in range(locations):
            await one_location(cc, n)
        total = (time.process_time() - start) / (cc.calls - before)
    sample = list(fake.requests[-4:])
    start = time.process_time()
    for _ in range(locations):
        for request in sample:
            answer(request)
    fake_only = (time.process_time() - start) / (locations * len(sample))
    return total * 1e6, fake_only * 1e6


def main() -> None:
    """Parse flags, measure, print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--locations", type=int, default=2000)
    args = parser.parse_args()
    total, fake_only = asyncio.run(measure(args.locations))
    print(f"ccasync + fake transport: {total:6.1f} µs CPU per call")
    print(f"fake transport alone    : {fake_only:6.1f} µs CPU per call")
    print(f"ccasync's own overhead  : {total - fake_only:6.1f} µs CPU per call")


if __name__ == "__main__":
    main()
