"""The API reference builds from the docstrings with pdoc, warnings as errors, a page per module.

``docs/build_api.py`` is run in a subprocess exactly as a developer runs it. pdoc comes with the
``test`` extra; where it is missing the test skips, except in CI (``CI`` set), where it fails.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

import ccasync

REPO_ROOT = Path(__file__).resolve().parents[1]


def test_reference_builds_with_a_page_per_public_module(tmp_path: Path) -> None:
    """Every public module gets a page and every name of ccasync.__all__ is on the root page."""
    if importlib.util.find_spec("pdoc") is None:
        if os.environ.get("CI"):
            pytest.fail("pdoc is missing in CI: it is in the test extra")
        pytest.skip("pdoc is not installed (pip install -e '.[test]')")
    path = os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")]))
    env = {**os.environ, "PYTHONPATH": path}
    ran = subprocess.run(
        [sys.executable, "docs/build_api.py", str(tmp_path)],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert ran.returncode == 0, ran.stderr[-3000:]
    for page in ("ccasync.html", "ccasync/client.html", "ccasync/limiter.html", "ccasync/sim.html"):
        assert (tmp_path / page).is_file(), page
    assert (tmp_path / "ccasync" / "ops" / "imports.html").is_file()
    root = (tmp_path / "ccasync.html").read_text(encoding="utf-8")
    missing = [name for name in ccasync.__all__ if name not in root]
    assert missing == []
