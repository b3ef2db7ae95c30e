"""Server text is printed literally: markup escaped, control characters stripped."""

from __future__ import annotations

import datetime as dt
import io

from rich.console import Console

from ccasync.cli._output import Exit, Output, classify, safe
from ccasync.errors import APIErrorDetail, BadRequestError, BulkError, QuotaExhaustedError

HOSTILE = "bad [/red] [link=https://evil.example]click[/link] \x1b[31mred\x1b[0m \x07 end"


def _output() -> tuple[Output, io.StringIO]:
    err = io.StringIO()
    console = Console(file=err, force_terminal=False, width=200)
    return Output(as_json=False, out=console, err=console), err


def test_hostile_error_text_prints_literally() -> None:
    """A server message with rich markup and escape sequences neither crashes nor renders."""
    output, err = _output()
    error = BadRequestError(400, [APIErrorDetail("bad", HOSTILE)], method="POST", url="/v3/x")
    assert output.fail(error) is Exit.FAILED
    text = err.getvalue()
    assert "[/red]" in text
    assert "[link=https://evil.example]" in text
    assert "\x1b" not in text
    assert "\x07" not in text


def test_safe_strips_controls_and_keeps_newlines() -> None:
    """safe() drops C0/C1 controls but not newlines or tabs."""
    assert safe("a\x1b[2Jb\x9bc\nd\te") == "a[2Jbc\nd\te"


def test_quota_exhaustion_maps_to_4_with_the_reset_time() -> None:
    """QuotaExhaustedError, also as the cause of a BulkError, is exit 4 naming the reset."""
    resets = dt.datetime(2026, 12, 7, tzinfo=dt.UTC)
    quota = QuotaExhaustedError("spent", resets_at=resets)
    assert classify(quota) == (
        Exit.QUOTA,
        f"the daily quota resets at {resets.isoformat()} (00:00 UTC)",
    )
    bulk = BulkError("stopped", result=None)
    bulk.__cause__ = quota
    assert classify(bulk)[0] is Exit.QUOTA
