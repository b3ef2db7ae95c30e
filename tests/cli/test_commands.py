"""The command line's shape: --help everywhere, --version, exit statuses, no tracebacks."""

from __future__ import annotations

from pathlib import Path

import pytest

from ccasync.cli import main
from ccasync.cli._commands import build_parser

COMMANDS = [
    [],
    ["demo"],
    ["import"],
    ["auth"],
    ["auth", "login"],
    ["auth", "status"],
    ["auth", "logout"],
    ["campaigns"],
    ["campaigns", "fanout"],
    ["campaigns", "schedule-next"],
    ["campaigns", "send-test"],
    ["campaigns", "send-now"],
    ["campaigns", "status"],
    ["reports"],
    ["reports", "campaign"],
    ["optouts"],
    ["quota"],
    ["sim"],
]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c) or "ccasync")
def test_every_help_lists_exit_codes_and_environment(
    command: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    """`--help` of every command shows the exit statuses and variables, no reST backticks."""
    try:
        status = main([*command, "--help"])
    except SystemExit as exc:  # argparse's own --help exits
        status = exc.code or 0
    assert status == 0
    text = capsys.readouterr().out
    for needle in ("exit status:", "130", "CCASYNC_ACCESS_TOKEN", "CCASYNC_BASE_URL"):
        assert needle in text
    assert "``" not in text
    assert ":func:" not in text


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    """`--version` prints the package version."""
    from ccasync import __version__

    with pytest.raises(SystemExit):
        main(["--version"])
    assert capsys.readouterr().out.strip() == f"ccasync {__version__}"


def test_global_options_after_the_command() -> None:
    """--json and --account work after the command too."""
    args = build_parser().parse_args(["quota", "--json", "--account", "shop"])
    assert (args.json, args.account) == (True, "shop")
    assert build_parser().parse_args(["quota"]).json is False


def test_demo_rejects_non_positive_sizes(capsys: pytest.CaptureFixture[str]) -> None:
    """Zero locations is a usage error (exit status 2)."""
    assert main(["demo", "--locations", "0"]) == 2
    assert "must be positive" in capsys.readouterr().err


def test_no_token_is_authorization_needed(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Without a token or an account, a command needing the API exits 3 with a hint."""
    monkeypatch.chdir(tmp_path)
    for name in ("CCASYNC_ACCESS_TOKEN", "CCASYNC_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    (tmp_path / "c.csv").write_text("email\na@example.com\n", encoding="utf-8")
    assert main(["import", "c.csv", "--list", "x"]) == 3
    assert "CCASYNC_ACCESS_TOKEN" in capsys.readouterr().err


def test_broken_config_file_is_a_usage_error_as_json(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A config file that is not TOML exits 2; with --json stdout holds one error document."""
    (tmp_path / "bad.toml").write_text("[accounts\n", encoding="utf-8")
    assert main(["--json", "--config", str(tmp_path / "bad.toml"), "quota"]) == 2
    captured = capsys.readouterr()
    import json

    document = json.loads(captured.out)
    assert document["exit_code"] == 2
    assert document["error"]["type"] == "ConfigError"
    assert "Traceback" not in captured.err


def test_unknown_command_is_a_usage_error() -> None:
    """argparse exits with status 2 on an unknown command."""
    with pytest.raises(SystemExit) as info:
        main(["nope"])
    assert info.value.code == 2
