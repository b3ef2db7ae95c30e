"""The ccasync pytest plugin, run the way a user runs it: a test file in a temporary directory.

Each test writes a user's test file and runs pytest on it in a subprocess with ``pytester``.
The plugin is loaded through its ``pytest11`` entry point when this environment's ccasync
install registers it (a fresh ``pip install``), else with ``-p ccasync.pytest_plugin`` (an
editable install made before the entry point existed); the metadata test pins the entry point.
"""

from __future__ import annotations

import importlib.metadata
import tomllib
from pathlib import Path

import pytest

pytest_plugins = ("pytester",)

REPO_ROOT = Path(__file__).resolve().parents[2]
INI = """
[pytest]
asyncio_mode = strict
asyncio_default_fixture_loop_scope = function
filterwarnings = error
addopts = --strict-markers
"""


def _plugin_args() -> list[str]:
    registered = importlib.metadata.entry_points(group="pytest11", name="ccasync")
    return [] if registered else ["-p", "ccasync.pytest_plugin"]


def run_user_tests(pytester: pytest.Pytester, source: str) -> pytest.RunResult:
    """Run ``source`` as a user's test file (pytest-asyncio strict mode, warnings are errors)."""
    pytester.makeini(INI)
    pytester.makepyfile(test_user=source)
    return pytester.runpytest_subprocess(*_plugin_args(), "-q", "-p", "no:cacheprovider")


def test_entry_point_is_declared() -> None:
    """pyproject registers ccasync.pytest_plugin under pytest11 as ``ccasync`` (fresh installs)."""
    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert project["entry-points"]["pytest11"] == {"ccasync": "ccasync.pytest_plugin"}
    assert (REPO_ROOT / "ccasync" / "pytest_plugin" / "__init__.py").is_file()


def test_recurring_send_sees_the_simulated_week(pytester: pytest.Pytester) -> None:
    """cc_client's clock is cc_sim's: after cc_advance(days=8) the next Monday is a new send."""
    result = run_user_tests(
        pytester,
        """
import datetime as dt
import pytest
from ccasync.ops.campaigns.recurring import schedule_next_occurrence

pytestmark = pytest.mark.cc_sim(start_time=dt.datetime(2026, 11, 25, 15, tzinfo=dt.UTC))

@pytest.mark.asyncio
async def test_weekly(cc_client, cc_sim, cc_advance):
    assert cc_client.campaigns.clock() >= dt.datetime(2026, 11, 25, 15, tzinfo=dt.UTC)
    members = await cc_client.lists.get_or_create("Readers")
    job = await cc_client.activities.import_contacts(
        [{"email": "ana@example.com"}], [members.list_id]
    )
    await cc_client.activities.wait(job, initial=0.05, timeout=10)
    await cc_client.campaigns.create(
        name="Weekly", from_name="Shop", from_email="owner@example.com",
        reply_to_email="owner@example.com", subject="News",
        html_content="<html><body>[[trackingImage]] hi</body></html>",
    )
    first = await schedule_next_occurrence(
        cc_client, "Weekly", when="Monday 09:00", timezone="America/New_York",
        list_ids=[members.list_id],
    )
    assert first.outcome == "scheduled", first.reason
    assert first.scheduled_local.date() == dt.date(2026, 11, 30)
    now = cc_advance(days=8)
    assert dt.datetime(2026, 12, 3, 15, tzinfo=dt.UTC) <= now <= cc_sim.clock.now()
    sent = await cc_client.campaigns.wait_sent(first.activity_id, timeout=5, interval=0.05)
    assert sent.current_status == "DONE"
    second = await schedule_next_occurrence(
        cc_client, "Weekly", when="Monday 09:00", timezone="America/New_York",
        list_ids=[members.list_id],
    )
    assert second.outcome == "scheduled", second.reason
    assert second.scheduled_local.date() == dt.date(2026, 12, 7)
""",
    )
    result.assert_outcomes(passed=1)


def test_marker_sets_limits_and_the_ledger_follows_the_simulated_day(
    pytester: pytest.Pytester,
) -> None:
    """The marker turns limits on; the client's daily ledger resets when the simulated day does."""
    result = run_user_tests(
        pytester,
        """
import pytest
from ccasync import QuotaExhaustedError

@pytest.mark.cc_sim(per_second=50, per_day=3, seed=5, time_scale=0)
@pytest.mark.asyncio
async def test_limits(cc_client, cc_sim, cc_advance):
    assert (cc_sim.config.per_day, cc_sim.config.seed) == (3, 5)
    for _ in range(3):
        await cc_client.account.get_summary()
    with pytest.raises(QuotaExhaustedError):
        await cc_client.account.get_summary()
    assert len(cc_sim.log) == 3
    cc_advance(days=1)
    await cc_client.account.get_summary()

@pytest.mark.asyncio
async def test_default_is_limits_off(cc_sim):
    assert cc_sim.config.per_second is None and cc_sim.config.per_day is None
""",
    )
    result.assert_outcomes(passed=2)


def test_marker_with_an_unknown_field_is_a_usage_error(pytester: pytest.Pytester) -> None:
    """A misspelt marker field fails the test with the field's name, not a TypeError."""
    result = run_user_tests(
        pytester,
        """
import pytest

@pytest.mark.cc_sim(per_sec=4)
@pytest.mark.asyncio
async def test_typo(cc_sim):
    pass
""",
    )
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*unknown SimConfig field(s)*per_sec*"])
