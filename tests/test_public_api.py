"""The public API: a sorted __all__, every name importable and documented."""

from __future__ import annotations

import inspect

import pytest

import ccasync
import ccasync.auth
import ccasync.models
import ccasync.ops


def _isort_key(name: str) -> tuple[int, str]:
    # ruff's RUF022 order: CONSTANTS, then Classes, then functions.
    kind = 0 if name.isupper() else 1 if name[:1].isupper() else 2
    return (kind, name)


@pytest.mark.parametrize("module", [ccasync, ccasync.ops, ccasync.models, ccasync.auth])
def test_all_is_sorted_and_unique(module: object) -> None:
    """__all__ is sorted (ruff's isort-style order) and has no duplicates."""
    names = list(getattr(module, "__all__", []))
    assert names == sorted(names, key=_isort_key)
    assert len(names) == len(set(names))


_PUBLIC = [
    (module, name)
    for module in (ccasync, ccasync.ops, ccasync.models, ccasync.auth)
    for name in module.__all__
    if not name.startswith("__") and not name.isupper()
]


@pytest.mark.parametrize(("module", "name"), _PUBLIC, ids=lambda v: getattr(v, "__name__", v))
def test_public_names_are_documented(module: object, name: str) -> None:
    """Every exported class and function has a docstring, and so do its public methods."""
    obj = getattr(module, name)
    if not (inspect.isclass(obj) or inspect.isfunction(obj)):
        return  # constants and typing aliases carry no docstring of their own
    assert inspect.getdoc(obj), f"{name} has no docstring"
    if inspect.isclass(obj):
        for attr, member in vars(obj).items():
            if attr.startswith("_") or not inspect.isfunction(member):
                continue
            assert inspect.getdoc(member), f"ccasync.{name}.{attr} has no docstring"


def test_client_resources_are_documented() -> None:
    """Every public method of every resource on Client has a docstring."""
    client = ccasync.Client(access_token="t", base_url="http://127.0.0.1:1/v3")
    for area in (
        "account",
        "contacts",
        "custom_fields",
        "tags",
        "lists",
        "activities",
        "campaigns",
        "reports",
    ):
        resource = getattr(client, area)
        assert inspect.getdoc(type(resource)), area
        for attr, member in inspect.getmembers(type(resource), inspect.isfunction):
            if not attr.startswith("_"):
                assert inspect.getdoc(member), f"cc.{area}.{attr} has no docstring"


def test_version() -> None:
    """The package exposes a version string."""
    assert isinstance(ccasync.__version__, str)
