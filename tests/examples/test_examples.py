"""Every script in examples/ runs in fast mode against the simulator and prints its story's line."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = REPO_ROOT / "examples"
SCRIPT_TIMEOUT = 60.0  # seconds per script; each takes 1-5 s alone
WORKERS = 4  # scripts run side by side: most of their time is the simulator's and the limiter's

# script -> a line its story must print (a broken example fails here)
EXPECTED = {
    "attachment_link.py": "downloads (unique clicks) of http://127.0.0.1:",
    "campaign_per_location.py": "rerun: API calls: 0",
    "late_joiners.py": "sends: [3, 2] (first send, then the late joiners only)",
    "monday_newsletter.py": "cron run 2: already_scheduled 'Newsletter 2026-11-30'",
    "order_notifications.py": "cho@example.net: 'Your orders, Cho' | Hello Cho, your new orders",
    "react_to_optouts.py": "check: 0 new opt-outs since",
    "schedule_campaign.py": "status DONE, sent to 2 contacts",
    "signup_service.py": "12 sign-ups at once:",
    "test_previews.py": "ann@example.net: 'A gift for you, Ann' | Hello Ann, your code is ANN-10.",
    "tracking_summary.py": "  sends      300",
    "welcome_flow.py": "cy@example.net: 1 welcome mail(s)",
    "welcome_per_batch.py": "welcome sent to 2 new users",
}
# scripts whose default run is already fast (no --fast option): none since every story
# runs on the shared stage
ARGS: dict[str, tuple[str, ...]] = {}
COST = re.compile(r"API calls: \d+|\d+ calls?\b")  # every story prints what it cost

pytestmark = pytest.mark.timeout(SCRIPT_TIMEOUT * (len(EXPECTED) // WORKERS + 2))


def scripts() -> list[str]:
    """The example scripts (``_name.py`` modules are shared code, not stories)."""
    return sorted(p.name for p in EXAMPLES.glob("*.py") if not p.name.startswith("_"))


def _run(name: str) -> subprocess.CompletedProcess[str]:
    env = {
        k: v for k, v in os.environ.items() if not k.startswith("CCASYNC_")
    }  # never a real account
    env["CCASYNC_EXAMPLES_FAST"] = "1"
    env["PYTHONPATH"] = os.pathsep.join(
        filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")])
    )
    try:
        return subprocess.run(
            [sys.executable, str(EXAMPLES / name), *ARGS.get(name, ("--fast",))],
            capture_output=True,
            text=True,
            timeout=SCRIPT_TIMEOUT,
            env=env,
            cwd=REPO_ROOT,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        return subprocess.CompletedProcess(exc.cmd, -1, str(exc.stdout or ""), f"timed out: {exc}")


@pytest.fixture(scope="module")
def runs() -> dict[str, subprocess.CompletedProcess[str]]:
    """Every example run once, a few at a time (subprocesses, bounded time each)."""
    names = [name for name in scripts() if name in EXPECTED]
    with ThreadPoolExecutor(WORKERS) as pool:
        return dict(zip(names, pool.map(_run, names), strict=True))


def test_every_example_has_an_entry() -> None:
    """A script added to examples/ without an expected line here fails the suite."""
    assert set(scripts()) - set(EXPECTED) == set()
    assert set(EXPECTED) - set(scripts()) == set()


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_example_runs_and_prints_its_story(
    name: str, runs: dict[str, subprocess.CompletedProcess[str]]
) -> None:
    """The script exits 0 in fast mode and prints its story's line and its API-call cost."""
    done = runs[name]
    assert done.returncode == 0, done.stderr[-3000:]
    assert EXPECTED[name] in done.stdout, done.stdout[-3000:]
    assert COST.search(done.stdout), done.stdout[-3000:]
