"""Layer rules, checked by scanning imports: lower layers never import higher ones."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parents[1] / "ccasync"

# errors ← config, models ← _serde, _protocol, _retry, _limiter ← _transport ← _requestor, auth
# ← resources ← client, testing ← pool, ops ← cli, _demo. A module may import its own rank or lower.
RANKS: dict[str, int] = {
    "ccasync.errors": 0,
    "ccasync.config": 1,
    "ccasync.models": 1,
    "ccasync._checks": 1,
    "ccasync._serde": 2,
    "ccasync._protocol": 2,
    "ccasync._retry": 2,
    "ccasync._limiter": 2,
    "ccasync._transport": 3,
    "ccasync._requestor": 4,
    "ccasync.auth": 4,
    "ccasync._oauth": 4,
    "ccasync.auth._stores": 4,
    "ccasync.resources": 5,
    "ccasync.client": 6,
    "ccasync.testing": 6,
    "ccasync.pool": 7,
    "ccasync.ops": 7,
    "ccasync.cli": 8,
    "ccasync._demo": 8,
    "ccasync.__main__": 8,
}


def _module_name(path: Path) -> str:
    parts = path.relative_to(PKG.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _rank(module: str) -> int | None:
    best = None
    for prefix, rank in RANKS.items():
        if (
            module == prefix or module.startswith(prefix + ".") or module.startswith(prefix + "_")
        ) and (best is None or len(prefix) > len(best[0])):
            best = (prefix, rank)
    return best[1] if best else None


def _imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append(node.module)
            found += [f"{node.module}.{a.name}" for a in node.names]
    return [m for m in found if m.startswith("ccasync")]


def _client_modules() -> list[Path]:
    return [p for p in PKG.rglob("*.py") if "sim" not in p.relative_to(PKG).parts]


@pytest.mark.parametrize("path", _client_modules(), ids=lambda p: str(p.relative_to(PKG)))
def test_no_upward_imports(path: Path) -> None:
    """A client module imports only modules of its own layer or below."""
    me = _module_name(path)
    if me == "ccasync":
        return  # the package root re-exports the public API from every layer
    mine = _rank(me)
    assert mine is not None, f"{me} has no layer: add it to RANKS"
    upward = [m for m in _imports(path) if (r := _rank(m)) is not None and r > mine]
    assert not upward, f"{me} (layer {mine}) imports higher layers: {upward}"


@pytest.mark.parametrize(
    "path",
    [p for p in _client_modules() if p.relative_to(PKG).parts[0] in ("ops", "pool.py")],
    ids=lambda p: str(p.relative_to(PKG)),
)
def test_ops_use_only_public_modules(path: Path) -> None:
    """Bulk workflows use the public client API only: no private ccasync modules."""
    private = [
        m
        for m in _imports(path)
        if any(part.startswith("_") for part in m.split(".")[1:])
        and not m.startswith("ccasync.ops._")
        and not m.startswith("ccasync.ops.")
    ]
    assert not private, f"{path.name} imports private modules: {private}"


def test_sim_shares_no_code_with_the_client() -> None:
    """ccasync.sim imports nothing from ccasync outside ccasync.sim."""
    offenders = {
        str(p.relative_to(PKG)): [
            m for m in _imports(p) if m != "ccasync.sim" and not m.startswith("ccasync.sim.")
        ]
        for p in (PKG / "sim").rglob("*.py")
    }
    assert not {k: v for k, v in offenders.items() if v}
