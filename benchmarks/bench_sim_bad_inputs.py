"""Simulator cost of hostile inputs (issue 12): each answers fast with a 4xx, and serving goes on.

Run: ``python benchmarks/bench_sim_bad_inputs.py [--rounds 5]``. The simulator runs in process
(limits off, frozen clock). For each bad input it prints the median wall time of ``--rounds``
requests and the status; then the time of a normal ``GET /contacts`` after all of them.
``OLD_TEST_ADDRESS_PATTERN`` is the pattern the test-send check ran unbounded before the fix
(timed by hand in RESULTS.md: it is not run here, a backtracking match cannot be interrupted).
Every loop is bounded in count.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import statistics
import time
from typing import Any

import aiohttp

from ccasync.sim import SimConfig, serve

OLD_TEST_ADDRESS_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
WORST_ADDRESS = "a@" + "b." * 20_000 + "@"  # 40,003 characters


async def _timed(
    session: aiohttp.ClientSession, method: str, url: str, **kw: Any
) -> tuple[float, int]:
    start = time.perf_counter()
    async with session.request(method, url, **kw) as resp:
        await resp.read()
        return time.perf_counter() - start, resp.status


async def run(rounds: int) -> None:
    """Time each bad input against a fresh in-process simulator."""
    async with serve(SimConfig(per_second=None, per_day=None, time_scale=0)) as sim:
        headers = {"Authorization": f"Bearer {sim.token}"}
        async with aiohttp.ClientSession(headers=headers) as session:
            body = {
                "name": "Bench",
                "email_campaign_activities": [
                    {
                        "format_type": 5,
                        "from_name": "S",
                        "from_email": "owner@example.com",
                        "reply_to_email": "owner@example.com",
                        "subject": "x",
                        "html_content": "<html><body>x</body></html>",
                    }
                ],
            }
            async with session.post(sim.base_url + "/emails", json=body) as resp:
                activity = (await resp.json())["campaign_activities"][0]["campaign_activity_id"]
            cases: list[tuple[str, str, str, dict[str, Any]]] = [
                (
                    "test send, 40,003-char address",
                    "POST",
                    f"{sim.base_url}/emails/activities/{activity}/tests",
                    {"json": {"email_addresses": [WORST_ADDRESS]}},
                ),
                ("segment id of 5,000 digits", "GET", f"{sim.base_url}/segments/{'9' * 5000}", {}),
                (
                    "format_type {}",
                    "POST",
                    sim.base_url + "/emails",
                    {
                        "json": {
                            **body,
                            "email_campaign_activities": [
                                {**body["email_campaign_activities"][0], "format_type": {}}
                            ],
                        }
                    },
                ),
                (
                    "malformed multipart",
                    "POST",
                    sim.base_url + "/activities/contacts_file_import",
                    {
                        "data": b"--x\r\n\r\n--x--\r\n",
                        "headers": {"Content-Type": "multipart/form-data; boundary=x"},
                    },
                ),
            ]
            for name, method, url, kw in cases:
                times, status = [], 0
                for _ in range(rounds):
                    elapsed, status = await _timed(session, method, url, **kw)
                    times.append(elapsed)
                print(
                    f"{name:34s} status {status}  median {1000 * statistics.median(times):7.1f} ms"
                )
            elapsed, status = await _timed(session, "GET", sim.base_url + "/contacts")
            print(f"{'GET /contacts afterwards':34s} status {status}  {1000 * elapsed:7.1f} ms")


def main() -> None:
    """Parse arguments and run."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    asyncio.run(run(args.rounds))


if __name__ == "__main__":
    main()
