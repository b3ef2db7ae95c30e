"""Peers side by side: the official sync SDK, aiohttp + aiolimiter, and ccasync, one run.

Every contender does the same two jobs, written the way a user of that tool would write them,
against the simulator (child process) at 4 requests/s per API key with the sliding-window rule;
each contender has its own API key and account, and the contenders run one after another:

  fan-out  LOCATIONS new campaigns on one account: index the account's campaigns (GET /emails),
           then per location create the campaign, address its primary activity to a list and
           schedule it.
  import   ROWS contacts from a CSV (≈ 390 JSON bytes each) into a list, waiting until every
           import activity is finished.

Contenders:
  sdk      ``constant-contact-api-client`` (the official generated SDK: urllib3, pydantic
           models), sleep-paced to 4/s (the next call waits until 0.25 s after the previous
           one started). Import: csv.DictReader, fixed batches of ``--batch-rows`` contacts
           (the API cuts bodies above 4 MB silently, so a user picks a safe count), one
           ``create_import_json_activity`` per batch, then ``get_activity_by_id`` on each
           activity every ``--poll`` seconds until it is finished.
  aiohttp  a hand-written script: aiohttp + orjson + ``aiolimiter.AsyncLimiter(4, 1)`` (RawJob
           of bench_fanout.py for the fan-out); the import is the same batches and polling as
           the SDK's, concurrent batches behind the limiter.
  ccasync  ``create_campaigns_for_locations`` and ``import_contacts`` with ``RateLimiter(4)``.

The SDK and aiohttp scripts retry a 429 after 1 s (3 tries), then count the location or batch
as failed; ccasync uses its own retry policy. The SDK's import model cannot carry ``cf:<name>``
keys (it knows only a literal ``cf:custom_field_name``), so the CSV has no custom field column.

Reported per contender and job: calls sent (429s included), 429s, failures (locations not
scheduled / contacts not imported), wall time, and client CPU per call (process CPU of this
process: the simulator runs in another one). Then ``--gets`` typed ``GET /contacts/{id}``
one at a time per contender against a second simulator with limits off, in ``--rounds``
interleaved rounds: client CPU per call, median (the SDK decodes into its pydantic model,
aiohttp into a dict with orjson, ccasync into its typed ``Contact``).

Run:  python benchmarks/bench_peers.py [--locations 50] [--rows 100000] [--batch-rows 5000]
                                      [--poll 2] [--gets 400] [--rounds 5] [--skip-jobs]
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import datetime as dt
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import aiohttp
import constant_contact_api_client as sdk
import orjson
from aiolimiter import AsyncLimiter
from constant_contact_api_client.exceptions import ApiException

from ccasync import Client, RateLimiter
from ccasync.events import RequestEvent
from ccasync.ops import import_contacts
from ccasync.ops.campaigns.fanout import create_campaigns_for_locations

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _simproc import simulator_process
from bench_fanout import NOW, TEMPLATE, WHEN, RawJob, _locations
from bench_import import generate

TERMINAL = {"completed", "cancelled", "failed", "timed_out"}
Row = dict[str, Any]


def write_csv(rows: int, folder: str) -> str:
    """bench_import's realistic contacts, without the custom field column (see module doc)."""
    full, path = f"{folder}/full.csv", f"{folder}/contacts.csv"
    generate(rows, full)
    with (
        open(full, newline="", encoding="utf-8") as src,
        open(path, "w", newline="", encoding="utf-8") as dst,
    ):
        reader, writer = csv.reader(src), csv.writer(dst)
        header = next(reader)
        keep = [i for i, name in enumerate(header) if not name.startswith("cf:")]
        for record in [header, *reader]:
            writer.writerow([record[i] for i in keep])
    return path


def batches(path: str, size: int) -> Iterator[list[Row]]:
    """CSV rows as import_data dicts (empty cells left out), ``size`` per batch."""
    with open(path, newline="", encoding="utf-8") as handle:
        batch: list[Row] = []
        for record in csv.DictReader(handle):
            batch.append({k: v for k, v in record.items() if v})
            if len(batch) == size:
                yield batch
                batch = []
        if batch:
            yield batch


def tally(calls: int, throttled: int, failures: int, wall: float, cpu: float) -> dict[str, Any]:
    """One contender's figures for one job."""
    return {
        "calls": calls,
        "throttled": throttled,
        "failures": failures,
        "wall": wall,
        "cpu": cpu,
        "cpu_us": cpu / max(calls, 1) * 1e6,
    }


# --- the official SDK, sleep-paced -------------------------------------------------------------


class Paced:
    """SDK calls at most ``per_second``, one at a time; a 429 is retried after 1 s, 3 tries."""

    def __init__(self, per_second: float = 4) -> None:
        self.interval = 1 / per_second
        self.next_at = 0.0
        self.calls = 0
        self.throttled = 0

    def __call__(self, method: Callable[..., Any], *args: Any) -> Any:
        """Sleep until the next slot, then call; raise after 3 throttled tries."""
        for _ in range(3):
            now = time.monotonic()
            if now < self.next_at:
                time.sleep(self.next_at - now)
                now = self.next_at
            self.next_at = now + self.interval
            self.calls += 1
            try:
                return method(*args)
            except ApiException as error:
                if error.status != 429:
                    raise
                self.throttled += 1
                time.sleep(1)
        raise RuntimeError("still throttled after 3 tries")


def _sdk_client(base: str, token: str) -> sdk.ApiClient:
    return sdk.ApiClient(sdk.Configuration(host=base, access_token=token))


def sdk_fanout(base: str, token: str, list_id: str, locations: int) -> dict[str, Any]:
    """The fan-out with the SDK's typed calls."""
    paced = Paced()
    failures = 0
    with _sdk_client(base, token) as api_client:
        emails = sdk.EmailCampaignsApi(api_client)
        scheduling = sdk.EmailSchedulingApi(api_client)
        wall, cpu = time.monotonic(), time.process_time()
        page = paced(emails.get_all_email_campaigns, 500)
        existing = {c.name for c in page.campaigns or []}
        for n in range(locations):
            key = f"L{n:04d}"
            name = f"sdk offers {key}"
            if name in existing:
                continue
            try:
                activity_input = sdk.CreateEmailCampaignRequestEmailCampaignActivitiesInner(
                    format_type=5,
                    from_name="Acme",
                    from_email="owner@example.com",
                    reply_to_email="owner@example.com",
                    subject=f"Offers in {key}",
                    html_content=f"<html><body>[[trackingImage]]<p>Hello {key}</p></body></html>",
                )
                request = sdk.CreateEmailCampaignRequest(
                    name=name, email_campaign_activities=[activity_input]
                )
                campaign = paced(emails.create_email_campaign, request)
                activity_id = next(
                    a.campaign_activity_id
                    for a in campaign.campaign_activities
                    if a.role == "primary_email"
                )
                activity = paced(emails.get_email_campaign_activity, activity_id)
                activity.contact_list_ids = [list_id]
                paced(emails.update_email_campaign_activity, activity_id, activity)
                schedule = sdk.ScheduleEmailCampaignActivityRequest(scheduled_date=WHEN)
                paced(scheduling.schedule_email_campaign_activity, activity_id, schedule)
            except (ApiException, RuntimeError):
                failures += 1
        cpu, wall = time.process_time() - cpu, time.monotonic() - wall
    return tally(paced.calls, paced.throttled, failures, wall, cpu)


def sdk_import(base: str, token: str, list_id: str, path: str, args: Any) -> dict[str, Any]:
    """The import with the SDK: one typed JSON import per batch, then poll each activity."""
    paced = Paced()
    failed_rows = 0
    with _sdk_client(base, token) as api_client:
        bulk = sdk.BulkActivitiesApi(api_client)
        wall, cpu = time.monotonic(), time.process_time()
        pending: dict[str, int] = {}
        for batch in batches(path, args.batch_rows):
            try:
                request = sdk.CreateImportJSONActivityRequest(
                    import_data=[
                        sdk.CreateImportJSONActivityRequestImportDataInner(**row) for row in batch
                    ],
                    list_ids=[list_id],
                )
                pending[paced(bulk.create_import_json_activity, request).activity_id] = len(batch)
            except (ApiException, RuntimeError):
                failed_rows += len(batch)
        while pending:
            time.sleep(args.poll)
            for activity_id, rows in list(pending.items()):
                try:
                    activity = paced(bulk.get_activity_by_id, activity_id)
                except (ApiException, RuntimeError):
                    continue
                if activity.state in TERMINAL:
                    del pending[activity_id]
                    failed_rows += rows - (activity.status.person_count or 0)
        cpu, wall = time.process_time() - cpu, time.monotonic() - wall
    return tally(paced.calls, paced.throttled, failed_rows, wall, cpu)


# --- hand-written aiohttp + aiolimiter ----------------------------------------------------------


async def raw_fanout(base: str, token: str, list_id: str, locations: int) -> dict[str, Any]:
    """bench_fanout's RawJob behind AsyncLimiter(4, 1)."""
    async with aiohttp.ClientSession() as session:
        job = RawJob(session, base, token, AsyncLimiter(4, 1))
        wall, cpu = time.monotonic(), time.process_time()
        await job.run("raw", [f"L{n:04d}" for n in range(locations)], list_id)
        cpu, wall = time.process_time() - cpu, time.monotonic() - wall
    return tally(job.calls, job.throttled, job.failures, wall, cpu)


async def raw_import(base: str, token: str, list_id: str, path: str, args: Any) -> dict[str, Any]:
    """One POST per batch (concurrent, behind the limiter), then poll each activity."""
    async with aiohttp.ClientSession() as session:
        job = RawJob(session, base, token, AsyncLimiter(4, 1))
        failed_rows = 0

        async def submit(batch: list[Row]) -> tuple[str, int] | None:
            nonlocal failed_rows
            body = {"import_data": batch, "list_ids": [list_id]}
            try:
                answer = await job.call("POST", "/activities/contacts_json_import", body)
            except RuntimeError:
                failed_rows += len(batch)
                return None
            return str(answer["activity_id"]), len(batch)

        async def wait(activity_id: str, rows: int) -> None:
            nonlocal failed_rows
            while True:
                await asyncio.sleep(args.poll)
                try:
                    activity = await job.call("GET", f"/activities/{activity_id}")
                except RuntimeError:
                    continue
                if activity["state"] in TERMINAL:
                    failed_rows += rows - activity.get("status", {}).get("person_count", 0)
                    return

        wall, cpu = time.monotonic(), time.process_time()
        sent = await asyncio.gather(*(submit(b) for b in batches(path, args.batch_rows)))
        await asyncio.gather(*(wait(*s) for s in sent if s is not None))
        cpu, wall = time.process_time() - cpu, time.monotonic() - wall
    return tally(job.calls, job.throttled, failed_rows, wall, cpu)


# --- ccasync ------------------------------------------------------------------------------------


def _ccasync(base: str, token: str, statuses: list[int | None]) -> Client:
    def record(event: RequestEvent) -> None:
        statuses.append(event.status)

    return Client(access_token=token, base_url=base, rate_limiter=RateLimiter(4), on_event=record)


async def ccasync_fanout(base: str, token: str, list_id: str, locations: int) -> dict[str, Any]:
    """create_campaigns_for_locations on one account."""
    statuses: list[int | None] = []
    async with _ccasync(base, token, statuses) as cc:
        cc.campaigns.clock = lambda: NOW
        wall, cpu = time.monotonic(), time.process_time()
        result = await create_campaigns_for_locations(
            cc, TEMPLATE, _locations("ccasync", locations, list_id), min_lead=dt.timedelta(0)
        )
        cpu, wall = time.process_time() - cpu, time.monotonic() - wall
    failures = len(result.failed_items)
    return tally(len(statuses), statuses.count(429), failures, wall, cpu)


async def ccasync_import(
    base: str, token: str, list_id: str, path: str, args: Any
) -> dict[str, Any]:
    """import_contacts of the CSV file."""
    del args  # ccasync sizes payloads and paces its polls itself
    statuses: list[int | None] = []
    async with _ccasync(base, token, statuses) as cc:
        wall, cpu = time.monotonic(), time.process_time()
        result = await import_contacts(cc, path, list_ids=[list_id])
        cpu, wall = time.process_time() - cpu, time.monotonic() - wall
    failures = result.rows_read - result.imported
    return tally(len(statuses), statuses.count(429), failures, wall, cpu)


# --- the run ------------------------------------------------------------------------------------


async def _make_list(base: str, token: str) -> str:
    async with Client(access_token=token, base_url=base, rate_limiter=RateLimiter(4)) as cc:
        return str((await cc.lists.create(f"peers {time.time_ns()}")).list_id)


def jobs(args: Any) -> list[tuple[str, str, dict[str, Any]]]:
    """Both jobs for every contender, one after another; (contender, job, figures) rows."""
    config = {"per_second": 4, "per_day": None, "rate_rule": "sliding"}
    rows: list[tuple[str, str, dict[str, Any]]] = []
    with (
        tempfile.TemporaryDirectory() as folder,
        simulator_process(keys=3, per_key=1, **config) as sim,
    ):
        path = write_csv(args.rows, folder)
        base = sim["base_url"]
        for name, account in zip(("sdk", "aiohttp", "ccasync"), sim["accounts"], strict=True):
            token = account["token"]
            list_id = asyncio.run(_make_list(base, token))
            time.sleep(1.1)  # the list call leaves the key's sliding window
            if name == "sdk":
                fanout = sdk_fanout(base, token, list_id, args.locations)
                time.sleep(1.1)
                imported = sdk_import(base, token, list_id, path, args)
            elif name == "aiohttp":
                fanout = asyncio.run(raw_fanout(base, token, list_id, args.locations))
                time.sleep(1.1)
                imported = asyncio.run(raw_import(base, token, list_id, path, args))
            else:
                fanout = asyncio.run(ccasync_fanout(base, token, list_id, args.locations))
                time.sleep(1.1)
                imported = asyncio.run(ccasync_import(base, token, list_id, path, args))
            rows += [(name, "fan-out", fanout), (name, "import", imported)]
            print(f"  {name}: fan-out {fanout}\n  {name}: import {imported}", flush=True)
    return rows


def _contact_body() -> dict[str, Any]:
    return {
        "email_address": {"address": "bench@example.com", "permission_to_send": "implicit"},
        "first_name": "Bench",
        "last_name": "Mark",
        "job_title": "Engineer",
        "company_name": "Acme",
        "create_source": "Account",
    }


async def _raw_gets(base: str, token: str, contact_id: str, count: int) -> float:
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
    url = f"{base}/contacts/{contact_id}"
    async with aiohttp.ClientSession() as session:
        async with session.get(url, headers=headers) as resp:  # connect outside the timing
            orjson.loads(await resp.read())
        cpu = time.process_time()
        for _ in range(count):
            async with session.get(url, headers=headers) as resp:
                orjson.loads(await resp.read())
        return time.process_time() - cpu


async def _ccasync_gets(base: str, token: str, contact_id: str, count: int) -> float:
    limiter = RateLimiter.unlimited()
    async with Client(access_token=token, base_url=base, rate_limiter=limiter) as cc:
        await cc.contacts.get(contact_id)
        cpu = time.process_time()
        for _ in range(count):
            await cc.contacts.get(contact_id)
        return time.process_time() - cpu


def _sdk_gets(base: str, token: str, contact_id: str, count: int) -> float:
    with _sdk_client(base, token) as api_client:
        contacts = sdk.ContactsApi(api_client)
        contacts.get_contact_by_id(contact_id)
        cpu = time.process_time()
        for _ in range(count):
            contacts.get_contact_by_id(contact_id)
        return time.process_time() - cpu


async def _create_contact(base: str, token: str) -> str:
    limiter = RateLimiter.unlimited()
    async with Client(access_token=token, base_url=base, rate_limiter=limiter) as cc:
        answer = await cc._requestor.request("POST", "/contacts", json=_contact_body())
        return str(answer.data["contact_id"])


def gets(args: Any) -> dict[str, list[float]]:
    """µs of client CPU per typed GET /contacts/{id}, interleaved rounds, limits off."""
    per_call: dict[str, list[float]] = {"sdk": [], "aiohttp": [], "ccasync": []}
    with simulator_process(per_second=None, per_day=None) as sim:
        base, token = sim["base_url"], sim["token"]
        contact_id = asyncio.run(_create_contact(base, token))
        runs: dict[str, Callable[[], float]] = {
            "sdk": lambda: _sdk_gets(base, token, contact_id, args.gets),
            "aiohttp": lambda: asyncio.run(_raw_gets(base, token, contact_id, args.gets)),
            "ccasync": lambda: asyncio.run(_ccasync_gets(base, token, contact_id, args.gets)),
        }
        names = list(runs)
        for r in range(args.rounds):
            for name in names[r % 3 :] + names[: r % 3]:
                per_call[name].append(runs[name]() / args.gets * 1e6)
    return per_call


def main() -> None:
    """Parse flags, run the jobs and the GETs, print the tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--locations", type=int, default=50)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--batch-rows", type=int, default=5_000)
    parser.add_argument("--poll", type=float, default=2.0)
    parser.add_argument("--gets", type=int, default=400)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--skip-jobs", action="store_true")
    args = parser.parse_args()
    if not args.skip_jobs:
        rows = jobs(args)
        print(
            f"Jobs ({args.locations}-location fan-out, {args.rows:,}-row import; simulator "
            "4/s per key, sliding window; one key per contender):"
        )
        print(
            f"  {'contender':9} {'job':8} {'calls':>6} {'429s':>5} {'failures':>8} "
            f"{'wall s':>8} {'CPU s':>7} {'µs CPU/call':>12}"
        )
        for name, job, got in rows:
            print(
                f"  {name:9} {job:8} {got['calls']:6d} {got['throttled']:5d} "
                f"{got['failures']:8d} {got['wall']:8.2f} {got['cpu']:7.2f} {got['cpu_us']:12.0f}"
            )
    per_call = gets(args)
    raw = statistics.median(per_call["aiohttp"])
    print(f"Typed GET /contacts/{{id}}, limits off, {args.rounds} rounds x {args.gets}:")
    for name, values in per_call.items():
        med = statistics.median(values)
        spread = f"{min(values):.0f}–{max(values):.0f}"
        print(
            f"  {name:9} median {med:6.1f} µs CPU/call ({spread})  ratio vs aiohttp {med / raw:.2f}"
        )


if __name__ == "__main__":
    main()
