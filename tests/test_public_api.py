"""The public API: a sorted __all__, every name importable and documented."""

from __future__ import annotations

import inspect

import pytest

import ccasync
import ccasync.ops


@pytest.mark.parametrize("module", [ccasync, ccasync.ops])
def test_all_is_sorted_and_unique(module: object) -> None:
    """__all__ is sorted and has no duplicates."""
    names = list(getattr(module, "__all__", []))
    assert names == sorted(names)
    assert len(names) == len(set(names))


@pytest.mark.parametrize("name", [n for n in ccasync.__all__ if n != "__version__"])
def test_public_names_are_documented(name: str) -> None:
    """Every exported class and function has a docstring, and so do its public methods."""
    obj = getattr(ccasync, name)
    assert inspect.getdoc(obj), f"ccasync.{name} has no docstring"
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
