"""Story: one campaign per store location, each sent Monday 09:00 in its own time zone.

``create_campaigns_for_locations`` renders a ``$placeholder`` template per location, creates the
campaign, attaches the location's lists (by name or id), sends a test and schedules it at the
location's local time. With a journal (``ccasync.SqliteJournal``, one sqlite file) and a job id,
a rerun after a crash, a deploy or a spent daily quota continues where the last run stopped: no
campaign is made twice, no test is sent twice, and finished locations cost nothing.

Cost, measured on the simulator: 4 API calls per new location (create, PUT of the activity's
lists, test, schedule) plus 1 ``GET /emails`` page per account (and 1 ``GET /contact_lists``
page when lists are given by name): 13 for three locations here. The rerun of the finished job
costs 0. The script prints ``result.calls`` per location
and in total, for the run and the rerun.

Run: ``python examples/campaign_per_location.py [--journal jobs.db]`` (embedded simulator),
``--fast`` (limits off, simulated time), or against a real account: ``CCASYNC_ACCESS_TOKEN=...
CCASYNC_EXAMPLE_EMAIL=you@yourdomain.example python examples/campaign_per_location.py``. Without
``--journal`` the journal is a temporary file, deleted at the end.
"""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path

from _stage import Stage, make_parser, open_stage

import ccasync
from ccasync.ops import CampaignTemplate, Location, create_campaigns_for_locations

STORES = [
    ("nyc", "New York", "America/New_York"),
    ("ldn", "London", "Europe/London"),
    ("syd", "Sydney", "Australia/Sydney"),
]


def template(stage: Stage) -> CampaignTemplate:
    """The weekly offers email; ``$city`` and ``$key`` are filled per location."""
    return CampaignTemplate(
        name="Weekly offers $city" + stage.suffix,
        subject="This week in $city",
        from_name="Acme $city",
        from_email=stage.sender,
        preheader="New at our $city store",
        html_content=(
            "<html><body>[[trackingImage]]<p>Hello [[FirstName]], "
            '<a href="https://acme.example/$key">see the offers</a></p></body></html>'
        ),
    )


async def story(stage: Stage, journal_path: Path) -> None:
    """Fan out to three locations with a journal, then rerun the job to show it costs nothing."""
    locations = []
    for key, city, zone in STORES:
        list_id = await stage.make_list(f"{city} customers", {f"{key}1": "Ann", f"{key}2": "Bob"})
        locations.append(
            Location(key=key, timezone=zone, list_ids=[list_id], values={"city": city})
        )
    async with ccasync.SqliteJournal(journal_path) as journal:
        for run in ("run", "rerun"):
            result = await create_campaigns_for_locations(
                stage.cc,
                template(stage),
                locations,
                when="next Monday 09:00",
                send_test_to=[stage.email("qa")],
                journal=journal,
                job_id="weekly-offers-2026-W49" + stage.suffix.replace(" ", "-"),
            )
            result.raise_for_failures()
            for item in result:
                local = f"{item.scheduled_local:%a %H:%M %Z}" if item.scheduled_local else "-"
                print(f"  {run} {item.key}: {item.outcome} {local}, API calls: {item.calls}")
            print(f"{run}: API calls: {result.calls}")


async def main() -> None:
    """Run the story where ``--fast`` / the environment says."""
    parser = make_parser(__doc__)
    parser.add_argument("--journal", type=Path, help="sqlite journal file (default: temporary)")
    args = parser.parse_args()
    async with open_stage(args.fast) as stage:
        if args.journal is not None:
            await story(stage, args.journal)
            return
        with tempfile.TemporaryDirectory() as folder:
            await story(stage, Path(folder) / "jobs.db")


if __name__ == "__main__":
    asyncio.run(main())
