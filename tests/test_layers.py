"""Layer rules of design.md, checked by scanning the package's source (ccasync is not imported).

The checker is a set of pure functions of a package directory, so the same code checks the real
package and, in the self-test, copies of it with one planted break each. Rules (the ``rule`` of a
:class:`Violation`):

- ``unranked``: every module has a rank in :data:`RANKS` (the longest matching entry wins).
- ``rank``: a module imports only modules of its own rank or lower, following design.md:
  ``errors ← config, events, models, _checks ← _serde, _record_decoder, _protocol, _retry,
  limiter ← transport ← _requestor, auth ← resources ← client ← pool, ops ← testing ← cli``
  (``_version``, a leaf, sits with ``errors``). The package root re-exports the public API from
  every layer, so it ranks above them all.
- ``root``: nothing inside the package imports the package root (``import ccasync``,
  ``from ccasync import Client``): during start-up the root is only partly imported, so such an
  import works or fails by accident of import order. ``from ccasync import X`` is ranked as the
  module that defines ``X`` (found through the root's own imports); a name the root does not
  re-export is reported as such. ``from ccasync import errors`` names a submodule: it is an
  import of ``ccasync.errors``, not of the root.
- ``unknown``: an import of ``ccasync.<something>`` that names no module of the package.
- ``library``: libraries have owners: aiohttp (and its multidict and yarl) only in
  ``ccasync.transport`` and ``ccasync.sim``; cattrs only in ``ccasync._serde``; msgspec only in
  ``ccasync._record_decoder``; redis only in ``ccasync.redis``.
- ``transport``: resources never import the transport (they describe requests; the requestor sends
  them).
- ``privacy``: a private module (a path segment starting with ``_``, other than ``__init__`` and
  ``__main__``) is imported only by modules inside the package that contains it (that package or
  its subpackages): privates of ``ccasync`` itself (``ccasync._protocol``) serve the whole
  package, ``ccasync.ops.imports._submit`` serves ``ccasync.ops.imports`` only. Shared helpers go
  to a ``_common`` module of the package that owns them. A private name (``_x``) is never imported
  from another module.
- ``public``: ``ops`` and ``pool`` import only public modules (no ``_`` segment) outside their
  own tree, which proves the public API is enough. (What they need lives in public modules:
  ``limiter``, ``transport``, ``events``, ``client``, ``config``, ``errors``, ``models``.)
- ``sim``: ``ccasync.sim`` imports nothing from ccasync outside ``ccasync.sim`` (a misunderstanding
  of the API must not hide in both), and only :data:`SIM_USERS` import ``ccasync.sim``.
- ``dynamic``: ``importlib.import_module``/``__import__`` take a literal module name (which then
  counts as an import), so nothing escapes the scan.

Every import counts: ``import a.b.c``, ``from a.b import c`` (``c`` a submodule or a name),
relative imports, imports inside functions and under ``if TYPE_CHECKING:`` (typing against a higher
layer is still a dependency), and ``ccasync.x.y`` attribute chains in a module that binds the
name ``ccasync`` with ``import ccasync.something``.
"""

from __future__ import annotations

import ast
import dataclasses
import functools
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parents[1] / "ccasync"

RANKS: dict[str, int] = {
    "ccasync.errors": 0,
    "ccasync._version": 0,
    "ccasync.config": 1,
    "ccasync.events": 1,
    "ccasync.models": 1,
    "ccasync._checks": 1,
    "ccasync._serde": 2,
    "ccasync._record_decoder": 2,
    "ccasync._protocol": 2,
    "ccasync._retry": 2,
    "ccasync.limiter": 2,
    "ccasync.transport": 3,
    "ccasync._requestor": 4,
    "ccasync.auth": 4,
    "ccasync.journal": 4,
    "ccasync.resources": 5,
    "ccasync.client": 6,
    "ccasync.partner": 6,
    "ccasync.pool": 7,
    "ccasync.ops": 7,
    "ccasync.redis": 8,
    "ccasync.testing": 8,
    "ccasync.pytest_plugin": 8,
    "ccasync.cli": 9,
    # The simulator depends on nothing in the client (rule ``sim``); who may import it is
    # SIM_USERS, not its rank.
    "ccasync.sim": 0,
}
ROOT_RANK = 10
"""The package root (``ccasync/__init__.py``) re-exports every layer: it ranks above them all."""

LIBRARY_OWNERS: dict[str, tuple[str, ...]] = {
    "aiohttp": ("ccasync.transport", "ccasync.sim"),
    "multidict": ("ccasync.transport", "ccasync.sim"),
    "yarl": ("ccasync.transport", "ccasync.sim"),
    "cattrs": ("ccasync._serde",),
    "msgspec": ("ccasync._record_decoder",),
    "redis": ("ccasync.redis",),
}
PUBLIC_API_USERS = ("ccasync.ops", "ccasync.pool")
SIM_USERS = frozenset({"ccasync.cli", "ccasync.testing", "ccasync.pytest_plugin"})
"""Client modules that may import the simulator: the command line, the demo, test support."""


@dataclasses.dataclass(frozen=True)
class Violation:
    """One broken rule: which rule, in which module, and what the import was."""

    rule: str
    module: str
    detail: str


@dataclasses.dataclass(frozen=True)
class Import:
    """One import of ``target`` (a module) by ``importer``, of ``name`` when it is not a module.

    ``via_root`` marks an import written against the package root (``from ccasync import X``).
    """

    importer: str
    target: str
    name: str | None
    line: int
    via_root: bool = False


@dataclasses.dataclass(frozen=True)
class Syntax:
    """What the checks read from one file: its import statements at any depth, and the rest below.

    ``body`` is the module's top level (re-exports, ``__all__``); ``calls`` the
    ``import_module``/``__import__`` calls; ``chains`` the ``top.x.y`` attribute chains (line,
    segments), collected only when the file binds ``top`` with ``import top.something``.
    """

    statements: tuple[ast.Import | ast.ImportFrom, ...]
    body: tuple[ast.stmt, ...]
    calls: tuple[ast.Call, ...]
    chains: tuple[tuple[int, tuple[str, ...]], ...]


_BLOCKS = ("body", "orelse", "finalbody", "handlers", "cases")
"""Fields holding nested statements: import statements live only there, never in expressions."""


def _statements(nodes: list[ast.AST]) -> Iterator[ast.AST]:
    for node in nodes:
        yield node
        for field in _BLOCKS:
            yield from _statements(getattr(node, field, []))


def _dotted(node: ast.Attribute) -> tuple[str, ...] | None:
    parts: list[str] = []
    current: ast.expr = node
    while isinstance(current, ast.Attribute):
        parts.append(current.attr)
        current = current.value
    return (current.id, *reversed(parts)) if isinstance(current, ast.Name) else None


@functools.cache
def syntax(text: str, top: str) -> Syntax:
    """Parse one file (cached by its text: copies of the package share the work)."""
    tree = ast.parse(text)
    statements = tuple(
        n for n in _statements(list(tree.body)) if isinstance(n, ast.Import | ast.ImportFrom)
    )
    binds_top = any(
        within(a.name, top) and a.asname is None
        for n in statements
        if isinstance(n, ast.Import)
        for a in n.names
    )
    # Walking every expression is costly: do it only when a file can hide an import there.
    dynamic = "import_module" in text or "__import__" in text
    walk = list(ast.walk(tree)) if binds_top or dynamic else []
    calls = tuple(n for n in walk if isinstance(n, ast.Call))
    chains = tuple(
        (n.lineno, chain)
        for n in walk
        if binds_top and isinstance(n, ast.Attribute)
        if (chain := _dotted(n)) and chain[0] == top
    )
    return Syntax(statements, tuple(tree.body), calls, chains)


@dataclasses.dataclass(frozen=True)
class Package:
    """A scanned package: its modules (dotted name → syntax) and which of them are packages."""

    top: str
    modules: dict[str, Syntax]
    packages: frozenset[str]

    @functools.cached_property
    def root_sources(self) -> dict[str, str]:
        """Each name the root re-exports → the module the root imports it from."""
        return {bound: source for bound, source, _ in _module_imports(self, self.top)}


def scan(pkg: Path) -> Package:
    """Read every module under ``pkg`` (a package directory)."""
    modules: dict[str, Syntax] = {}
    packages: set[str] = set()
    for path in sorted(pkg.rglob("*.py")):
        parts = path.relative_to(pkg.parent).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
            packages.add(".".join(parts))
        modules[".".join(parts)] = syntax(path.read_text(), pkg.name)
    return Package(pkg.name, modules, frozenset(packages))


def within(module: str, prefix: str) -> bool:
    """True when ``module`` is ``prefix`` or lies under it (dotted segments, not characters)."""
    return module == prefix or module.startswith(prefix + ".")


def rank(package: Package, module: str) -> int | None:
    """The rank of ``module``: the root's, or its longest entry in RANKS; None when it has none."""
    return ROOT_RANK if module == package.top else _listed_rank(module)


@functools.cache
def _listed_rank(module: str) -> int | None:
    found = [(len(k), r) for k, r in RANKS.items() if within(module, k)]
    return max(found)[1] if found else None


def private_owner(module: str) -> str | None:
    """The package a private module belongs to (the part before its first private segment)."""
    parts = module.split(".")
    for i, part in enumerate(parts):
        if part.startswith("_") and part not in ("__init__", "__main__"):
            return ".".join(parts[:i])
    return None


def _is_private_name(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def _relative_base(package: Package, importer: str, node: ast.ImportFrom) -> str | None:
    parts = importer.split(".")
    if importer not in package.packages:
        parts = parts[:-1]
    if node.level - 1 >= len(parts):
        return None
    parts = parts[: len(parts) - (node.level - 1)]
    return ".".join(parts + ([node.module] if node.module else []))


def _from_imports(package: Package, importer: str, node: ast.ImportFrom) -> Iterator[Import]:
    base = (node.module or "") if node.level == 0 else _relative_base(package, importer, node)
    if base is None:
        yield Import(importer, "." * node.level + (node.module or ""), None, node.lineno)
        return
    for alias in node.names:
        sub = f"{base}.{alias.name}"
        if sub in package.modules:
            yield Import(importer, sub, None, node.lineno)
        else:
            yield Import(importer, base, alias.name, node.lineno, via_root=base == package.top)


def _literal_module(call: ast.Call) -> str | None:
    """The module named by an ``import_module("x")``/``__import__("x")`` call, "" if not literal."""
    func = call.func
    called = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
    if called not in ("import_module", "__import__"):
        return None
    if call.args and isinstance(call.args[0], ast.Constant) and isinstance(call.args[0].value, str):
        return call.args[0].value
    return ""


def _chain_import(package: Package, importer: str, line: int, chain: tuple[str, ...]) -> Import:
    for end in range(len(chain), 1, -1):
        target = ".".join(chain[:end])
        if target in package.modules:
            return Import(importer, target, None, line)
    return Import(importer, package.top, chain[1], line, via_root=True)


def imports_of(package: Package, importer: str) -> Iterator[Import]:
    """Every import made by ``importer``, relative ones resolved, anywhere in its source."""
    found = package.modules[importer]
    for node in found.statements:
        if isinstance(node, ast.Import):
            for alias in node.names:
                is_top = alias.name == package.top
                yield Import(importer, alias.name, None, node.lineno, via_root=is_top)
        elif node.module != "__future__":
            yield from _from_imports(package, importer, node)
    for call in found.calls:
        if (named := _literal_module(call)) is not None:
            yield Import(importer, named or "<dynamic>", None, call.lineno)
    for line, chain in found.chains:
        if len(chain) > 1:
            yield _chain_import(package, importer, line, chain)


def _module_imports(package: Package, module: str) -> Iterator[tuple[str, str, str]]:
    """(name bound, module it comes from, name there) for each top-level from-import."""
    for node in package.modules[module].body:
        if isinstance(node, ast.ImportFrom) and node.module != "__future__":
            for imp in _from_imports(package, module, node):
                if imp.name is not None:
                    bound = next(a.asname or a.name for a in node.names if a.name == imp.name)
                    yield bound, imp.target, imp.name


def defining_module(package: Package, module: str, name: str) -> str:
    """The module defining ``name`` as seen in ``module`` (re-exports in the package followed)."""
    seen = {module}
    while True:
        found = {b: (s, n) for b, s, n in _module_imports(package, module)}.get(name)
        if found is None or found[0] not in package.modules or found[0] in seen:
            return module
        module, name = found
        seen.add(module)


def _where(imp: Import) -> str:
    what = imp.target + (f".{imp.name}" if imp.name else "")
    return f"line {imp.line}: {what}"


def _check_root(package: Package, imp: Import) -> Iterator[Violation]:
    """Report an import of the package root; yield nothing for any other import."""
    if not imp.via_root:
        return
    if imp.name is None:
        yield Violation("root", imp.importer, f"{_where(imp)}: imports the package root")
    elif imp.name not in package.root_sources:
        detail = f"{_where(imp)}: not a name the root imports from a module"
        yield Violation("root", imp.importer, detail)
    else:
        defining = defining_module(package, package.top, imp.name)
        detail = f"{_where(imp)}: import it from {defining}, its defining module"
        yield Violation("root", imp.importer, detail)


def effective_target(package: Package, imp: Import) -> str:
    """The module an import depends on: for ``from ccasync import X``, the one defining X."""
    if imp.via_root and imp.name is not None and imp.name in package.root_sources:
        return defining_module(package, package.top, imp.name)
    return imp.target


def _check_internal(package: Package, imp: Import) -> Iterator[Violation]:
    me, where = imp.importer, _where(imp)
    target = effective_target(package, imp)
    if target not in package.modules:
        yield Violation("unknown", me, f"{where}: no such module in the package")
        return
    mine, theirs = rank(package, me), rank(package, target)
    if mine is not None and theirs is not None and theirs > mine:
        yield Violation("rank", me, f"{where}: {target} ranks {theirs}, above {me} ({mine})")
    if within(me, "ccasync.resources") and within(target, "ccasync.transport"):
        yield Violation("transport", me, f"{where}: resources describe requests, never send them")
    in_sim = within(me, "ccasync.sim")
    sim_user = any(within(me, user) for user in SIM_USERS)
    if in_sim != within(target, "ccasync.sim") and (in_sim or not sim_user):
        yield Violation("sim", me, f"{where}: the simulator and the client share no code")
    if not imp.via_root:
        yield from _check_privacy(package, imp)


def _check_privacy(package: Package, imp: Import) -> Iterator[Violation]:
    me, where = imp.importer, _where(imp)
    owner = private_owner(imp.target)
    if owner is not None and not within(me, owner):
        yield Violation("privacy", me, f"{where}: private to {owner}")
    if imp.name and _is_private_name(imp.name) and imp.target != me:
        yield Violation("privacy", me, f"{where}: a private name of another module")
    user = next((u for u in PUBLIC_API_USERS if within(me, u)), None)
    if user is not None and owner is not None and not within(owner, user):
        yield Violation("public", me, f"{where}: a private module; {user} uses public modules only")


def _check_library(imp: Import) -> Iterator[Violation]:
    owners = LIBRARY_OWNERS.get(imp.target.split(".")[0])
    if owners is not None and not any(within(imp.importer, o) for o in owners):
        yield Violation("library", imp.importer, f"{_where(imp)}: owned by {', '.join(owners)}")


def import_violations(package: Package, imp: Import) -> Iterator[Violation]:
    """Every rule ``imp`` breaks."""
    if imp.target == "<dynamic>":
        yield Violation("dynamic", imp.importer, f"line {imp.line}: a non-literal dynamic import")
    elif imp.target.startswith("."):
        yield Violation("unknown", imp.importer, f"{_where(imp)}: above the top-level package")
    elif within(imp.target, package.top):
        yield from _check_root(package, imp)
        yield from _check_internal(package, imp)
    else:
        yield from _check_library(imp)


def unranked(package: Package) -> list[Violation]:
    """Modules with no rank."""
    return [
        Violation("unranked", m, "add it to RANKS")
        for m in package.modules
        if rank(package, m) is None
    ]


def violations(pkg: Path) -> list[Violation]:
    """Every rule broken anywhere in the package at ``pkg``, without duplicates."""
    package = scan(pkg)
    found = dict.fromkeys(unranked(package))
    for module in package.modules:
        for imp in imports_of(package, module):
            found.update(dict.fromkeys(import_violations(package, imp)))
    return list(found)


@functools.cache
def _real() -> list[Violation]:
    return violations(PKG)


RULES = (
    "unranked",
    "rank",
    "root",
    "unknown",
    "library",
    "transport",
    "privacy",
    "public",
    "sim",
    "dynamic",
)


@pytest.mark.parametrize("rule", RULES)
def test_package_keeps_rule(rule: str) -> None:
    """The package breaks no layer rule (each rule reported separately)."""
    broken = [f"{v.module}: {v.detail}" for v in _real() if v.rule == rule]
    assert not broken, f"rule {rule!r} broken:\n" + "\n".join(broken)


def test_every_rank_entry_names_a_module() -> None:
    """RANKS holds no stale entry: each names a module or package that exists."""
    package = scan(PKG)
    stale = [k for k in RANKS if not any(within(m, k) for m in package.modules)]
    assert not stale, f"RANKS entries with no module: {stale}"


def test_root_re_exports_resolve_to_defining_modules() -> None:
    """``from ccasync import X`` resolves to the module defining X, through package re-exports."""
    package = scan(PKG)
    assert defining_module(package, "ccasync", "Client") == "ccasync.client"
    assert defining_module(package, "ccasync", "RateLimiter") == "ccasync.limiter"
    assert defining_module(package, "ccasync", "FileTokenStore") == "ccasync.auth._stores"
    assert rank(package, "ccasync") == ROOT_RANK > max(RANKS.values())


def _plant(pkg: Path, file: str, line: str) -> None:
    path = pkg / file
    text = path.read_text() if path.exists() else '"""A module."""\n'
    path.unlink(missing_ok=True)  # a hard link to the pristine copy: write a new file instead
    path.write_text(text + line + "\n")


PLANTED = [
    # (file, appended line, rule expected, module expected)
    ("_protocol.py", "from ccasync import Client", "rank", "ccasync._protocol"),
    ("_protocol.py", "from ccasync import Client", "root", "ccasync._protocol"),
    ("resources/lists.py", "from ccasync.transport import Transport", "transport", None),
    ("limiter.py", "import aiohttp", "library", "ccasync.limiter"),
    ("limiter.py", "from yarl import URL", "library", "ccasync.limiter"),
    ("_requestor.py", "import cattrs.gen", "library", "ccasync._requestor"),
    (
        "ops/memberships.py",
        "from ccasync.ops.imports._source import read_batches",
        "privacy",
        "ccasync.ops.memberships",
    ),
    ("pool.py", "from ccasync._requestor import Requestor", "public", "ccasync.pool"),
    ("ops/export.py", "from ccasync import _checks", "public", "ccasync.ops.export"),
    ("models/contacts.py", "from .. import client", "rank", "ccasync.models.contacts"),
    ("models/contacts.py", "from ..resources.lists import ListsResource", "rank", None),
    ("errors.py", "import ccasync.client", "rank", "ccasync.errors"),
    ("errors.py", "import ccasync\nx = ccasync.Client", "root", "ccasync.errors"),
    ("_retry.py", "import ccasync.errors\nx = ccasync.client.Client", "rank", "ccasync._retry"),
    ("sim/_http.py", "from ccasync import errors", "sim", "ccasync.sim._http"),
    ("sim/contacts/routes.py", "from ... import config", "sim", "ccasync.sim.contacts.routes"),
    ("client.py", "from ccasync.sim import serve", "sim", "ccasync.client"),
    ("client.py", "from ccasync._protocol import _encode_value", "privacy", "ccasync.client"),
    ("client.py", "from ccasync import NoSuchName", "root", "ccasync.client"),
    ("client.py", "import importlib\nimportlib.import_module('ccasync.pool')", "rank", None),
    ("client.py", "import importlib\nimportlib.import_module(name)", "dynamic", None),
    ("client.py", "def f():\n    import ccasync.pool", "rank", "ccasync.client"),
    ("_serde.py", "if TYPE_CHECKING:\n    from ccasync.client import Client", "rank", None),
    ("stray.py", "", "unranked", "ccasync.stray"),
    ("client.py", "import ccasync.nosuch", "unknown", "ccasync.client"),
    ("pool.py", "from ccasync._checks import check_uuid", "public", "ccasync.pool"),
]


def test_every_rule_has_a_planted_break() -> None:
    """The self-test below plants at least one break of every rule in RULES, and no other rule."""
    planted = {rule for _, _, rule, _ in PLANTED}
    assert sorted(set(RULES) - planted) == [], "rules no planted break proves"
    assert sorted(planted - set(RULES)) == [], "planted breaks of rules not in RULES"


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the package, made once; each planted break copies it again."""
    target = tmp_path_factory.mktemp("pristine") / "ccasync"
    shutil.copytree(PKG, target, ignore=shutil.ignore_patterns("__pycache__"))
    return target


def test_unplanted_copy_passes(pristine: Path) -> None:
    """A plain copy of the package breaks no rule, so each planted break below is the cause."""
    assert violations(pristine) == []


@pytest.mark.parametrize(
    ("file", "line", "rule", "module"), PLANTED, ids=[f"{p[2]}:{p[0]}:{p[1]}" for p in PLANTED]
)
def test_planted_break_is_caught(
    pristine: Path, tmp_path: Path, file: str, line: str, rule: str, module: str | None
) -> None:
    """One import planted in a copy of the package is reported under the rule it breaks."""
    pkg = tmp_path / "ccasync"
    shutil.copytree(pristine, pkg, copy_function=os.link)
    _plant(pkg, file, line)
    expected = module or "ccasync." + file.removesuffix(".py").replace("/", ".")
    found = [v for v in violations(pkg) if v.rule == rule and v.module == expected]
    assert found, f"{rule!r} not reported for {expected}: {violations(pkg)}"
