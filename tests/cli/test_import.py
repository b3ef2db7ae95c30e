"""`ccasync import` in a subprocess against the simulator: checks first, summary, Ctrl-C."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from ccasync import Client
from ccasync.sim import SimConfig, serve
from tests.cli.runner import cli_env, finish, interrupt, run_cli, start_cli

EXPORT = (
    "Email address,First name,Last name,Email status,Created At\n"
    "ana@example.com,Ana,Lima,Active,2024-01-02\n"
    "not-an-email,Bob,Stone,Active,2024-01-02\n"
    "cy@example.com,Cy,Twain,Active,2024-01-02\n"
)


def posts(sim: Any) -> list[str]:
    """Paths of every non-GET request the simulator saw."""
    return [entry.path for entry in sim.log if entry.method != "GET"]


async def test_export_headers_json_summary_and_rejected_rows(
    sim: Any, sim_client: Client, tmp_path: Path
) -> None:
    """A Constant Contact export imports; --json is one document naming the rejected row."""
    (tmp_path / "export.csv").write_text(EXPORT, encoding="utf-8")
    ran = await run_cli(
        "--json", "import", "export.csv", "--list", "Customers",
        cwd=tmp_path, env=cli_env(tmp_path, sim),
    )  # fmt: skip
    assert ran.code == 1, ran.err
    summary = ran.json()
    assert (summary["imported"], summary["rejected"], summary["rows_read"]) == (2, 1, 3)
    assert summary["first_problems"][0]["row"] == 2
    assert "email" in summary["first_problems"][0]["field"]
    assert "columns not imported" in ran.err
    assert "Email status" in ran.err
    found = await sim_client.lists.find_by_name("Customers")
    assert found is not None
    assert found.list_id == summary["list_id"]
    contact = await sim_client.contacts.find_by_email("ana@example.com")
    assert contact is not None
    assert contact.last_name == "Lima"


async def test_missing_file_is_a_usage_error_without_traceback(sim: Any, tmp_path: Path) -> None:
    """A missing file exits 2 with its name; nothing is created (no request at all)."""
    ran = await run_cli(
        "import", "nope.csv", "--list", "X", cwd=tmp_path, env=cli_env(tmp_path, sim)
    )
    assert ran.code == 2
    assert "nope.csv" in ran.err
    assert "Traceback" not in ran.err
    assert len(sim.log) == 0


async def test_cp1252_file_needs_encoding_then_imports(
    sim: Any, sim_client: Client, tmp_path: Path
) -> None:
    """An Excel (cp1252) file exits 2 with an --encoding hint, then imports with it."""
    (tmp_path / "excel.csv").write_bytes("email,first_name\nzoe@example.com,Zoé\n".encode("cp1252"))
    env = cli_env(tmp_path, sim)
    ran = await run_cli("import", "excel.csv", "--list", "X", cwd=tmp_path, env=env)
    assert ran.code == 2
    assert "--encoding" in ran.err
    assert "Traceback" not in ran.err
    assert posts(sim) == []
    ran = await run_cli(
        "import", "excel.csv", "--list", "X", "--encoding", "cp1252", cwd=tmp_path, env=env
    )
    assert ran.code == 0, ran.err
    contact = await sim_client.contacts.find_by_email("zoe@example.com")
    assert contact is not None
    assert contact.first_name == "Zoé"


async def test_bad_header_creates_no_list(sim: Any, tmp_path: Path) -> None:
    """An unknown column is refused before any request; --map maps it; "Col=" drops it."""
    (tmp_path / "c.csv").write_text("E-mail,Store,Notes\na@example.com,12,x\n", encoding="utf-8")
    env = cli_env(tmp_path, sim)
    ran = await run_cli("import", "c.csv", "--list", "X", cwd=tmp_path, env=env)
    assert ran.code == 2
    assert "'Store'" in ran.err
    assert "--map" in ran.err
    assert len(sim.log) == 0
    ran = await run_cli(
        "--json", "import", "c.csv", "--list", "X", "--dry-run",
        "--map", "Store=cf:store", "--map", "Notes=",
        cwd=tmp_path, env=env,
    )  # fmt: skip
    assert ran.code == 0, ran.err
    assert ran.json()["columns"] == {"E-mail": "email", "Store": "cf:store", "Notes": None}
    assert len(sim.log) == 0


async def test_wrong_delimiter_and_unknown_list_id(sim: Any, tmp_path: Path) -> None:
    """A ';' file names --delimiter; an unknown --list-id exits 2 after one GET, no import."""
    (tmp_path / "semi.csv").write_text("email;first_name\na@example.com;A\n", encoding="utf-8")
    env = cli_env(tmp_path, sim)
    ran = await run_cli("import", "semi.csv", "--list", "X", cwd=tmp_path, env=env)
    assert ran.code == 2
    assert "--delimiter" in ran.err
    unknown = "4f8ba6b2-1c8e-11ee-be56-0242ac120002"
    ran = await run_cli(
        "import", "semi.csv", "--delimiter", ";", "--list-id", unknown, cwd=tmp_path, env=env
    )
    assert ran.code == 2
    assert "no list with this id" in ran.err
    assert posts(sim) == []


async def test_dry_run_checks_every_row_without_calls(sim: Any, tmp_path: Path) -> None:
    """--dry-run reads the whole file, lists the rows that would be rejected, calls nothing."""
    rows = "".join(f"c{n}@example.com,{n % 13},1\n" for n in range(1, 30))
    (tmp_path / "c.csv").write_text("email,birthday_month,birthday_day\n" + rows, encoding="utf-8")
    ran = await run_cli(
        "--json", "import", "c.csv", "--list", "X", "--dry-run",
        cwd=tmp_path, env=cli_env(tmp_path),
    )  # fmt: skip
    assert ran.code == 1
    report = ran.json()
    assert (report["rows_read"], report["rejected"]) == (29, 2)  # months 0 (rows 13 and 26)
    assert [p["row"] for p in report["first_problems"]] == [13, 26]
    assert len(sim.log) == 0


async def test_stops_early_when_every_payload_fails(tmp_path: Path) -> None:
    """Every payload answered 500: the import stops sending rows and says why, once."""
    # retry-after=0: the client's retries of each payload are immediate, the test stays fast
    faults = "500!retry-after=0@POST /v3/activities/contacts_json_import"
    async with serve(SimConfig(per_second=None, per_day=None, faults=faults)) as sim:
        rows = "".join(f"c{n}@example.com\n" for n in range(20_000))
        (tmp_path / "c.csv").write_text("email\n" + rows, encoding="utf-8")
        ran = await run_cli(
            "--json", "import", "c.csv", "--list", "X", "--payload-rows", "250",
            cwd=tmp_path, env=cli_env(tmp_path, sim),
        )  # fmt: skip
        tried = [p for p in posts(sim) if p.endswith("contacts_json_import")]
    assert ran.code == 1, ran.err
    summary = ran.json()
    assert "all failed with" in summary["stopped"]
    assert "500" in summary["stopped"]
    assert summary["imported"] == 0
    assert summary["rows_read"] < 20_000
    assert 2 <= len(tried) < 5 * 80 / 2  # 80 payloads in the file, 5 tries each


async def test_ctrl_c_mid_import_prints_what_was_done(tmp_path: Path) -> None:
    """SIGINT while payloads are in flight: exit 130 and a JSON summary saying how to resume."""
    slow = SimConfig(per_second=None, per_day=None, activity_min_duration=3600)
    async with serve(slow) as sim:
        rows = "".join(f"c{n}@example.com\n" for n in range(50))
        (tmp_path / "c.csv").write_text("email\n" + rows, encoding="utf-8")
        proc = await start_cli(
            "--json", "import", "c.csv", "--list", "X", "--payload-rows", "10",
            cwd=tmp_path, env=cli_env(tmp_path, sim),
        )  # fmt: skip
        for _ in range(300):  # at most 30 s for the first payload to arrive
            if any(p.endswith("contacts_json_import") for p in posts(sim)):
                break
            await asyncio.sleep(0.1)
        interrupt(proc)
        ran = await finish(proc, limit=30)
    assert ran.code == 130, ran.err
    summary = ran.json()
    assert summary["interrupted"] is True
    assert "run the same command again" in summary["resume"]
    assert "Traceback" not in ran.err
    assert "interrupted" in ran.err


async def test_journal_rerun_sends_no_accepted_payload(sim: Any, tmp_path: Path) -> None:
    """With --journal the same command run twice imports once: the rerun posts no payload."""
    rows = "".join(f"p{i}@example.com,P{i}\n" for i in range(30))
    (tmp_path / "people.csv").write_text("email,first_name\n" + rows, encoding="utf-8")
    command = ("--json", "import", "people.csv", "--list", "People", "--journal", "jobs.db")
    first = await run_cli(
        *command, "--payload-rows", "10", cwd=tmp_path, env=cli_env(tmp_path, sim)
    )
    assert first.code == 0, first.err
    imports = [p for p in posts(sim) if p.endswith("/contacts_json_import")]
    assert len(imports) == 3
    again = await run_cli(
        *command, "--payload-rows", "10", cwd=tmp_path, env=cli_env(tmp_path, sim)
    )
    assert again.code == 0, again.err
    assert again.json()["imported"] == 30
    assert [p for p in posts(sim) if p.endswith("/contacts_json_import")] == imports
    assert (tmp_path / "jobs.db").is_file()
