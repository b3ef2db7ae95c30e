"""`ccasync campaigns ...`, `reports campaign`, `optouts` and `quota` in a subprocess."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ccasync import Client
from tests.cli.runner import cli_env, run_cli
from tests.e2e.test_campaigns_e2e import list_with, new_campaign

PLAN = """
when = "next Monday 09:00"
send_test_to = ["qa@example.com"]

[template]
name = "Offers - $city"
subject = "This week in $city"
from_name = "Shop $city"
from_email = "owner@example.com"
html_file = "offers.html"

[[locations]]
key = "nyc"
timezone = "America/New_York"
lists = ["NYC"]
values = { city = "New York" }

[[locations]]
key = "tokyo"
timezone = "Asia/Tokyo"
lists = ["Tokyo"]
values = { city = "Tokyo" }
"""


async def test_fanout_plan_schedules_each_location(
    sim: Any, sim_client: Client, tmp_path: Path
) -> None:
    """`campaigns fanout PLAN.toml` schedules one campaign per location; a rerun reuses them."""
    sim_client.campaigns.clock = sim.clock.now
    await list_with(sim_client, sim, "NYC", ["a@example.com"])
    await list_with(sim_client, sim, "Tokyo", ["b@example.com"])
    (tmp_path / "plan.toml").write_text(PLAN, encoding="utf-8")
    (tmp_path / "offers.html").write_text(
        "<html><body>[[trackingImage]] $city offers</body></html>", encoding="utf-8"
    )
    env = cli_env(tmp_path, sim)
    ran = await run_cli("--json", "campaigns", "fanout", "plan.toml", cwd=tmp_path, env=env)
    assert ran.code == 0, ran.err
    items = {item["key"]: item for item in ran.json()["items"]}
    assert items["nyc"]["outcome"] == "scheduled"
    assert items["nyc"]["scheduled_local"].endswith("09:00:00-05:00")
    assert items["tokyo"]["scheduled_local"].endswith("09:00:00+09:00")
    assert items["tokyo"]["test_sent"] is True
    again = await run_cli("--json", "campaigns", "fanout", "plan.toml", cwd=tmp_path, env=env)
    assert {i["outcome"] for i in again.json()["items"]} == {"already_scheduled"}


async def test_schedule_next_send_test_send_now_status_and_report(
    sim: Any, sim_client: Client, tmp_path: Path
) -> None:
    """The cron one-liner is idempotent; send-test, send-now --wait, status and the report work."""
    sim_client.campaigns.clock = sim.clock.now
    list_id = await list_with(sim_client, sim, "Readers", ["a@example.com", "b@example.com"])
    template = await new_campaign(sim_client, "Newsletter")
    assert template.primary_activity_id is not None
    await sim_client.campaigns.set_lists(template.primary_activity_id, [list_id])
    env = cli_env(tmp_path, sim)
    args = ["campaigns", "schedule-next", "Newsletter", "--when", "Monday 09:00"]
    first = await run_cli("--json", *args, "--tz", "America/New_York", cwd=tmp_path, env=env)
    assert first.code == 0, first.err
    assert first.json()["items"][0]["outcome"] == "scheduled"
    second = await run_cli("--json", *args, "--tz", "America/New_York", cwd=tmp_path, env=env)
    assert second.json()["items"][0]["outcome"] == "already_scheduled"

    ran = await run_cli(
        "campaigns", "send-test", "Newsletter", "--to", "qa@example.com", cwd=tmp_path, env=env
    )
    assert ran.code == 0, ran.err
    ran = await run_cli(
        "--json", "campaigns", "send-now", str(template.campaign_id), "--wait", "30",
        cwd=tmp_path, env=env,
    )  # fmt: skip
    assert ran.code == 0, ran.err
    assert ran.json()["status"] == "DONE"
    status = await run_cli("--json", "campaigns", "status", "Newsletter", cwd=tmp_path, env=env)
    assert status.json()["activity_status"] == "DONE"
    assert status.json()["sends"][0]["count"] == 2

    sim.clock.advance(2 * 86_400)  # engagement comes in
    report = await run_cli("--json", "reports", "campaign", "Newsletter", cwd=tmp_path, env=env)
    assert report.code == 0, report.err
    counts = report.json()["counts"]
    assert set(counts) == {"sends", "opens", "clicks", "forwards", "unsubscribes", "bounces"}
    assert counts["sends"] == 2


async def test_unknown_campaign_and_quota_ledger(sim: Any, tmp_path: Path) -> None:
    """An unknown campaign name exits 2; `quota` counts the calls this host made today."""
    env = cli_env(tmp_path, sim)
    ran = await run_cli("campaigns", "status", "No such campaign", cwd=tmp_path, env=env)
    assert ran.code == 2
    assert "no campaign with this id or name" in ran.err
    quota = await run_cli("--json", "quota", cwd=tmp_path, env=env)
    assert quota.code == 0, quota.err
    (row,) = quota.json()["keys"]
    assert row["key"] == "env-token"
    assert row["used_today"] == len(sim.log)
    assert row["remaining"] == 10_000 - len(sim.log)


async def test_optouts_remember_where_they_stopped(
    sim: Any, sim_client: Client, tmp_path: Path
) -> None:
    """`optouts --since-file` lists unsubscribes once; the state file moves past them."""
    env = cli_env(tmp_path, sim)
    ran = await run_cli("--json", "optouts", "--since-file", "state.json", cwd=tmp_path, env=env)
    assert ran.code == 0, ran.err
    first = ran.json()
    saved = json.loads((tmp_path / "state.json").read_text(encoding="utf-8"))
    assert saved["since"] == first["until"]
    again = await run_cli("--json", "optouts", "--since-file", "state.json", cwd=tmp_path, env=env)
    assert again.json()["optouts"] == []
    assert again.json()["since"] == first["until"]
