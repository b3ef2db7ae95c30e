"""Every example script runs, as a user runs it, against its in-process simulator."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]

EXPECTED = {
    "schedule_campaign.py": ["scheduled 'Spring news", "the send is DONE"],
    "monday_newsletter.py": ["scheduled: ", "already_scheduled: ", "2026-"],
    "campaign_per_location.py": ["nyc: scheduled", "tokyo: already_scheduled"],
    "tracking_summary.py": ["sends: 200", "unsubscribes:", "bounces:"],
    "react_to_optouts.py": ["opt-out(s); next run starts after", "0 opt-out(s)"],
}
"""Each example this file runs, and lines its output must contain."""


@pytest.mark.parametrize("script", sorted(EXPECTED))
def test_example_runs_against_the_simulator(script: str, tmp_path: Path) -> None:
    """The script exits 0 in its simulator mode and prints what it promises."""
    path = os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")]))
    ran = subprocess.run(
        [sys.executable, str(REPO_ROOT / "examples" / script)],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": path},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert ran.returncode == 0, ran.stderr[-3000:]
    for needle in EXPECTED[script]:
        assert needle in ran.stdout, ran.stdout
