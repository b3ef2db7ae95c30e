"""pyproject.toml declares exactly what the code imports, with the security floors it needs."""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.version import Version

REPO_ROOT = Path(__file__).resolve().parents[1]
PROJECT = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
# import name -> distribution name, where they differ
DISTRIBUTION_OF = {
    "constant_contact_api_client": "constant-contact-api-client",
    "email_validator": "email-validator",
    "yaml": "PyYAML",
}
# needed without an import statement: zoneinfo reads tzdata where the OS has no zone database
DATA_ONLY = {"tzdata"}
# lowest versions with the fix: GHSA-cq5v-8q36-5273 (aiohttp), CVE-2025-67221 (orjson)
SECURITY_FLOORS = {"aiohttp": "3.14.3", "orjson": "3.11.6"}
# subpackages that are optional extras: what they import is declared in that extra, not at runtime
EXTRA_PACKAGES = {"redis": "redis", "pytest_plugin": "pytest"}


def canonical(name: str) -> str:
    """A distribution name as PyPI compares them (PEP 503)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def local_names(folder: Path) -> set[str]:
    """Top-level import names that are this repository's own code, seen from ``folder``.

    A package (``ccasync``, ``tests``: it has an ``__init__.py``) imports its modules by absolute
    name (``ccasync.redis``) or relatively, so only the package's own name is local: a module
    stem such as ``redis`` is never a top-level import there, and ``import redis`` is the
    third-party distribution. A folder of scripts (``benchmarks``) runs with itself on
    ``sys.path``, so there its modules' stems are local too.
    """
    names = {"ccasync", folder.name}
    if not (folder / "__init__.py").is_file():
        names |= {path.stem for path in folder.glob("*.py")}
    return names


def third_party_imports(
    folder: Path, *, skip: tuple[str, ...] = (), only: str | None = None
) -> set[str]:
    """Distributions imported by the .py files under ``folder`` (stdlib and its own modules out).

    ``skip`` names subfolders of ``folder`` whose files are left out; ``only`` keeps one subfolder.
    """
    local = local_names(folder)
    found: set[str] = set()
    for path in folder.rglob("*.py"):
        top_folder = path.relative_to(folder).parts[0]
        if top_folder in skip or (only is not None and top_folder != only):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for top in (name.partition(".")[0] for name in names):
                if top not in sys.stdlib_module_names and top not in local:
                    found.add(canonical(DISTRIBUTION_OF.get(top, top)))
    return found


def declared(requirements: list[str]) -> dict[str, Requirement]:
    """Requirement strings by canonical distribution name."""
    parsed = (Requirement(text) for text in requirements)
    return {canonical(requirement.name): requirement for requirement in parsed}


def test_runtime_dependencies_are_what_the_library_imports() -> None:
    """[project].dependencies lists every distribution ccasync/ imports, and nothing else."""
    runtime = set(declared(PROJECT["dependencies"])) - DATA_ONLY
    assert runtime == third_party_imports(REPO_ROOT / "ccasync", skip=tuple(EXTRA_PACKAGES))


@pytest.mark.parametrize(("package", "extra"), sorted(EXTRA_PACKAGES.items()))
def test_optional_packages_import_only_runtime_and_their_extra(package: str, extra: str) -> None:
    """An optional subpackage (``ccasync.redis``) imports only runtime deps and its own extra."""
    available = set(declared(PROJECT["dependencies"])) | set(
        declared(PROJECT["optional-dependencies"][extra])
    )
    imported = third_party_imports(REPO_ROOT / "ccasync", only=package)
    assert imported - available == set()
    assert canonical(extra) in imported


@pytest.mark.parametrize(("folder", "extra"), [("tests", "test"), ("benchmarks", "bench")])
def test_extras_cover_what_tests_and_benchmarks_import(folder: str, extra: str) -> None:
    """Tests and benchmarks import only runtime dependencies and their own extra."""
    available = set(declared(PROJECT["dependencies"])) | set(
        declared(PROJECT["optional-dependencies"][extra])
    )
    assert third_party_imports(REPO_ROOT / folder) - available == set()


def test_examples_import_only_runtime_dependencies() -> None:
    """The scripts in examples/ need nothing beyond ``pip install ccasync`` (not library code)."""
    runtime = set(declared(PROJECT["dependencies"]))
    assert third_party_imports(REPO_ROOT / "examples") - runtime == set()


@pytest.mark.parametrize(("name", "floor"), sorted(SECURITY_FLOORS.items()))
def test_security_floors(name: str, floor: str) -> None:
    """No version below the one with the security fix can satisfy the runtime requirement."""
    requirement = declared(PROJECT["dependencies"])[name]
    lower_bounds = [
        Version(spec.version) for spec in requirement.specifier if spec.operator in (">=", ">")
    ]
    assert lower_bounds, f"{requirement} has no lower bound"
    assert max(lower_bounds) >= Version(floor), f"{requirement} allows versions below {floor}"


def test_module_named_like_a_distribution_does_not_hide_its_import(tmp_path: Path) -> None:
    """``import redis`` in ccasync is the redis distribution, even beside ``ccasync/redis.py``."""
    package = tmp_path / "ccasync"
    package.mkdir()
    (package / "__init__.py").write_text("from ccasync import redis\n", encoding="utf-8")
    (package / "redis.py").write_text("import redis\nfrom . import events\n", encoding="utf-8")
    (package / "events.py").write_text("import ccasync.redis\n", encoding="utf-8")
    assert third_party_imports(package) == {"redis"}


def test_scripts_import_their_sibling_modules(tmp_path: Path) -> None:
    """In a folder of scripts (no ``__init__.py``) a sibling module's stem is local code."""
    scripts = tmp_path / "benchmarks"
    scripts.mkdir()
    (scripts / "_simproc.py").write_text("import aiohttp\n", encoding="utf-8")
    (scripts / "bench_x.py").write_text("import _simproc\nimport redis\n", encoding="utf-8")
    assert third_party_imports(scripts) == {"aiohttp", "redis"}
