"""The simulator package shares no code with the client."""

from __future__ import annotations

import ast
from pathlib import Path

SIM = Path(__file__).resolve().parents[2] / "ccasync" / "sim"


def _imported_modules(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append(node.module)
        elif isinstance(node, ast.ImportFrom) and node.level > 1:
            found.append("." * node.level + (node.module or ""))
    return found


def test_sim_imports_nothing_from_the_rest_of_ccasync() -> None:
    """No module of ccasync.sim imports ccasync.* outside ccasync.sim (or climbs out relatively)."""
    offenders = []
    for path in sorted(SIM.glob("*.py")):
        for module in _imported_modules(path):
            outside = module.startswith("..") or (
                module.split(".")[0] == "ccasync" and not module.startswith("ccasync.sim")
            )
            if outside:
                offenders.append(f"{path.name}: {module}")
    assert offenders == []
