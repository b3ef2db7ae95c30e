"""``ccasync demo``: the whole weekly job on the embedded simulator, start to finish, in < 60 s.

20 locations in 12 time zones, 200,000 contacts: create a list per location, import the
contacts (:func:`ccasync.ops.imports.import_contacts`), create a campaign per location, send
tests, schedule each for next Monday 09:00 local (:func:`create_campaigns_for_locations`),
advance the simulator's virtual clock until every send is DONE plus two days of engagement, then
report sends, opens, clicks and bounces per location and the API calls spent.

Rate limits: the simulator enforces a per-second limit per API key (sliding window) and the
real 10,000/day budget; the client's :class:`RateLimiter` paces to the same numbers. The
per-second limit is raised from the API's 4/s (default 20/s, ``--rate``) so that the demo fits
in a minute with room to spare (about 20-30 s); the output says so. ``--rate 4`` runs it at the
real limit (about 55-60 s: 207 calls at 4/s, the import overlapping the pacing).
"""

from __future__ import annotations

import asyncio
import contextvars
import datetime as dt
import random
import time
from collections.abc import Iterator
from typing import Any

import attrs
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from ccasync.cli._output import safe
from ccasync.client import Client
from ccasync.events import RequestEvent
from ccasync.limiter import RateLimiter
from ccasync.ops.campaigns.fanout import (
    CampaignTemplate,
    FanoutResult,
    Location,
    create_campaigns_for_locations,
)
from ccasync.ops.imports import ImportProgress, import_contacts

__all__ = ["API_PER_SECOND", "CITIES", "DemoConfig", "DemoReport", "run_demo"]

API_PER_SECOND = 4
"""The real API's per-second limit per key (reference §3)."""

CITIES: tuple[tuple[str, str], ...] = (
    ("New York", "America/New_York"),
    ("Boston", "America/New_York"),
    ("Chicago", "America/Chicago"),
    ("Austin", "America/Chicago"),
    ("Denver", "America/Denver"),
    ("Los Angeles", "America/Los_Angeles"),
    ("Seattle", "America/Los_Angeles"),
    ("Honolulu", "Pacific/Honolulu"),
    ("London", "Europe/London"),
    ("Dublin", "Europe/Dublin"),
    ("Paris", "Europe/Paris"),
    ("Berlin", "Europe/Berlin"),
    ("Madrid", "Europe/Madrid"),
    ("Johannesburg", "Africa/Johannesburg"),
    ("Dubai", "Asia/Dubai"),
    ("Mumbai", "Asia/Kolkata"),
    ("Singapore", "Asia/Singapore"),
    ("Tokyo", "Asia/Tokyo"),
    ("Sydney", "Australia/Sydney"),
    ("Auckland", "Pacific/Auckland"),
)
"""The 20 demo locations and their IANA zones (12 distinct zones)."""

TEMPLATE = CampaignTemplate(
    name="Weekly offers - $city - $week",
    subject="This week at Acme $city",
    from_name="Acme $city",
    from_email="owner@example.com",
    preheader="New offers at our $city store",
    html_content=(
        "<html><body>[[trackingImage]]<h1>Acme $city</h1>"
        "<p>Hello [[FirstName]], this week's offers are in. <a href=\"https://acme.example/"
        '$key">See them</a></p></body></html>'
    ),
)


@attrs.frozen(kw_only=True)
class DemoConfig:
    """Sizes and limits of one demo run (defaults: the README's demo)."""

    locations: int = 20
    contacts: int = 200_000
    per_second: float = 20.0
    per_day: int = 10_000
    seed: int = 7
    start: dt.datetime = dt.datetime(2026, 11, 25, 15, 0, tzinfo=dt.UTC)


@attrs.frozen(kw_only=True)
class DemoReport:
    """What the demo did: the fan-out result, per-location stats and calls, wall time."""

    fanout: FanoutResult
    stats: dict[str, dict[str, int]]
    imported: int
    calls: int
    per_day: int
    seconds: float
    calls_by_location: dict[str, int] = attrs.field(factory=dict)
    """API calls spent per location key: its list, its import and its campaign steps."""


_LOCATION: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "ccasync_demo_location", default=None
)
"""The location whose import the current task works for (None: shared work)."""
_CALLS: contextvars.ContextVar[dict[str, int]] = contextvars.ContextVar("ccasync_demo_calls")
"""API calls per location key of the running demo."""


def _count_location_call(event: RequestEvent) -> None:
    key = _LOCATION.get()
    if key is not None:
        calls = _CALLS.get()
        calls[key] = calls.get(key, 0) + 1


def _locations(count: int) -> list[tuple[str, str, str]]:
    picked = [CITIES[n % len(CITIES)] for n in range(count)]
    return [(f"loc{n:02d}", city, tz) for n, (city, tz) in enumerate(picked)]


def _contacts(total: int, lists: int, seed: int) -> Iterator[tuple[int, dict[str, str]]]:
    rng = random.Random(seed)
    first = ("Ana", "Ben", "Chloe", "Dev", "Eli", "Fay", "Gus", "Hana", "Ivo", "Jun")
    for n in range(total):
        row = {"email": f"customer{n:06d}@demo.example", "first_name": rng.choice(first)}
        yield n % lists, row


async def run_demo(sim: Any, config: DemoConfig, console: Console | None = None) -> DemoReport:
    """Run the demo against a running simulator ``sim`` (see :func:`ccasync.sim.serve`).

    ``sim`` must have been started with ``time_scale`` > 0 (imports progress in simulated
    time) and ``start_time=config.start``. Prints progress and the report to ``console``.
    """
    console = console or Console()
    started = time.monotonic()
    limiter = RateLimiter(per_second=config.per_second, per_day=config.per_day)
    places = _locations(config.locations)
    _CALLS.set({})
    client = Client(
        access_token=sim.token,
        base_url=sim.base_url,
        rate_limiter=limiter,
        on_event=_count_location_call,
    )
    async with client as cc:
        cc.campaigns.clock = sim.clock.now
        with _progress(console) as progress:
            imported, setup_calls = await _import(cc, places, config, progress)
            fanout = await _fan_out(cc, places, progress)
            await _send_all(cc, sim, fanout, progress)
        stats = await _stats(cc, fanout)
        calls = cc.calls
    by_location = {item.key: setup_calls.get(item.key, 0) + item.calls for item in fanout}
    report = DemoReport(
        fanout=fanout,
        stats=stats,
        imported=imported,
        calls=calls,
        per_day=config.per_day,
        seconds=time.monotonic() - started,
        calls_by_location=by_location,
    )
    print_report(console, report, places, config)
    return report


def _progress(console: Console) -> Progress:
    return Progress(
        TextColumn("{task.description:<28}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    )


async def _import(
    cc: Client, places: list[tuple[str, str, str]], config: DemoConfig, progress: Progress
) -> tuple[int, dict[str, int]]:
    """Create a list per location and import its contacts: (imported, calls per location)."""
    task = progress.add_task("Creating lists", total=len(places))
    list_ids = []
    calls = _CALLS.get()
    calls.update({key: 1 for key, _city, _tz in places})  # one POST /contact_lists each
    for _key, city, _tz in places:
        created = await cc.lists.create(f"Demo {city} customers ({_key})")
        list_ids.append(created.list_id)
        progress.advance(task)
    buckets: list[list[dict[str, str]]] = [[] for _ in places]
    for index, row in _contacts(config.contacts, len(places), config.seed):
        buckets[index].append(row)
    bar = progress.add_task("Importing contacts", total=config.contacts)
    done = [0] * len(places)

    async def one(index: int, list_id: str, rows: list[dict[str, str]]) -> int:
        def show(snapshot: ImportProgress) -> None:
            done[index] = snapshot.rows_imported + snapshot.rows_failed
            progress.update(bar, completed=sum(done))

        async with gate:
            # The imports share one Client: the hook counts each call for the location
            # whose import task (and the tasks it starts) made it.
            _LOCATION.set(places[index][0])
            result = await import_contacts(cc, rows, list_ids=[list_id], progress=show)
        return result.imported

    # A few imports at once: the simulator works an account's activities one at a time, so
    # more would only queue; the overlap hides each import's polling pauses.
    gate = asyncio.Semaphore(4)
    counts = await asyncio.gather(
        *(one(n, lid, rows) for n, (lid, rows) in enumerate(zip(list_ids, buckets, strict=True)))
    )
    return sum(counts), calls


async def _fan_out(
    cc: Client, places: list[tuple[str, str, str]], progress: Progress
) -> FanoutResult:
    week = "2026-W49"
    locations = [
        Location(
            key=key,
            timezone=tz,
            values={"city": city, "week": week},
            list_names=[f"Demo {city} customers ({key})"],
        )
        for key, city, tz in places
    ]
    task = progress.add_task("Campaigns (create+test+schedule)", total=len(locations))
    return await create_campaigns_for_locations(
        cc,
        TEMPLATE,
        locations,
        when="next Monday 09:00",
        send_test_to=["owner@example.com"],
        on_progress=lambda _item: progress.advance(task),
    )


async def _send_all(cc: Client, sim: Any, fanout: FanoutResult, progress: Progress) -> None:
    """Jump the virtual clock from send time to send time, checking only the sends now due."""
    due = sorted(
        (item.scheduled_utc, str(item.activity_id)) for item in fanout if item.scheduled_utc
    )
    task = progress.add_task("Sending (virtual clock)", total=len(due))
    pending: list[tuple[dt.datetime, str]] = []
    for when, activity_id in due:
        gap = (when - sim.clock.now()).total_seconds() + 120
        if gap > 0:
            sim.clock.advance(gap)
        pending.append((when, activity_id))
        pending = [p for p in pending if not await _is_done(cc, p[1])]
        progress.update(task, completed=due.index((when, activity_id)) + 1 - len(pending))
    for _ in range(10):
        if not pending:
            break
        sim.clock.advance(600)
        pending = [p for p in pending if not await _is_done(cc, p[1])]
    progress.update(task, completed=len(due) - len(pending))
    if pending:
        raise RuntimeError(f"{len(pending)} sends are not DONE after their scheduled time")
    sim.clock.advance(2 * 86_400)  # two more days, so that opens and clicks come in


async def _is_done(cc: Client, activity_id: str) -> bool:
    return (await cc.campaigns.get_activity(activity_id)).current_status == "DONE"


async def _stats(cc: Client, fanout: FanoutResult) -> dict[str, dict[str, int]]:
    ids = [str(item.activity_id) for item in fanout if item.activity_id]
    by_activity: dict[str, dict[str, int]] = {}
    for start in range(0, len(ids), 10):
        for entry in await cc.reports.activity_stats(ids[start : start + 10]):
            stats = entry.stats
            by_activity[str(entry.campaign_activity_id)] = {
                "sends": int(getattr(stats, "em_sends", 0) or 0),
                "opens": int(getattr(stats, "em_opens", 0) or 0),
                "clicks": int(getattr(stats, "em_clicks", 0) or 0),
                "bounces": int(getattr(stats, "em_bounces", 0) or 0),
            }
    return {item.key: by_activity.get(str(item.activity_id), {}) for item in fanout}


def print_report(
    console: Console,
    report: DemoReport,
    places: list[tuple[str, str, str]],
    config: DemoConfig,
) -> None:
    """Print the per-location table and the API budget line."""
    table = Table(title="Weekly offers: one campaign per location")
    table.add_column("Location")
    table.add_column("Sent at (local)")
    for column in ("UTC", "Sends", "Opens", "Clicks", "Bounces", "API calls"):
        table.add_column(column, justify="right")
    cities = {key: city for key, city, _tz in places}
    for item in report.fanout:
        stats = report.stats.get(item.key, {})
        local = item.scheduled_local.strftime("%a %H:%M %Z") if item.scheduled_local else "-"
        utc = item.scheduled_utc.strftime("%a %H:%M") if item.scheduled_utc else "-"
        table.add_row(
            cities[item.key],
            local if item.ok else safe(f"FAILED at {item.step}: {item.error}"),
            utc,
            *(f"{stats.get(k, 0):,}" for k in ("sends", "opens", "clicks", "bounces")),
            f"{report.calls_by_location.get(item.key, 0):,}",
        )
    console.print(_next_monday(report, config))
    console.print(table)
    share = 100 * report.calls / report.per_day
    console.print(
        f"Contacts imported: {report.imported:,}. API calls used: {report.calls:,} of the "
        f"{report.per_day:,}/day budget ({share:.1f}%). Wall time: {report.seconds:.1f} s."
    )
    if config.per_second == API_PER_SECOND:
        pace = f"{config.per_second:g} requests/s per key (the API's real limit)"
    else:
        pace = (
            f"{config.per_second:g} requests/s per key (the API allows {API_PER_SECOND}/s; "
            f"raised so the demo fits in a minute: use --rate {API_PER_SECOND} for the real one)"
        )
    console.print(
        f"Limits: simulator ON at {pace} and {config.per_day:,} requests/day (sliding window); "
        f"the client RateLimiter paces to the same numbers."
    )
    shared = report.calls - sum(report.calls_by_location.values())
    console.print(
        f"API calls per location: its list, its import and its campaign (create, lists, test, "
        f"schedule); the other {max(0, shared):,} calls watched the sends and read the reports."
    )
    console.print(TRY_NEXT)


TRY_NEXT = """
[bold]What to try next[/bold]
  ccasync demo --rate 4          the same job at the API's real 4 requests/s
  ccasync sim --port 8080        a simulator for the command and your code:
    export CCASYNC_BASE_URL=http://127.0.0.1:8080/v3
    export CCASYNC_ACCESS_TOKEN=dev-token
    ccasync import contacts.csv --list Customers --dry-run
    ccasync campaigns fanout plan.toml
    ccasync campaigns schedule-next Weekly --when "Monday 09:00" --tz UTC
  pytest fixtures cc_sim, cc_client: README, "Testing your code"
  ccasync --help                 every command, its exit codes and variables"""
"""The closing hint of the demo (rich markup)."""


def _next_monday(report: DemoReport, config: DemoConfig) -> str:
    """Which date "next Monday" resolved to, from the simulated now of the run."""
    days = sorted({item.scheduled_local.date() for item in report.fanout if item.scheduled_local})
    when = ", ".join(f"{day:%A %Y-%m-%d}" for day in days) or "-"
    return (
        f'"next Monday 09:00" from the simulated now ({config.start:%a %Y-%m-%d %H:%M} UTC) is '
        f"{when}: 09:00 local time in each location's zone."
    )
