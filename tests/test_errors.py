"""The exception tree: every error ccasync raises lives in ccasync/errors.py and is drawn there."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
from collections.abc import Iterator
from types import ModuleType

import pytest

import ccasync
import ccasync.errors


def _client_modules() -> Iterator[ModuleType]:
    # The simulator shares no code with the client: its errors are its own business.
    for info in pkgutil.walk_packages(ccasync.__path__, "ccasync."):
        if info.name != "ccasync.sim" and not info.name.startswith("ccasync.sim."):
            yield importlib.import_module(info.name)


def _exceptions_defined_in(module: ModuleType) -> list[type[BaseException]]:
    return [
        obj
        for obj in vars(module).values()
        if inspect.isclass(obj)
        and issubclass(obj, BaseException)
        and obj.__module__ == module.__name__
    ]


_ERRORS = _exceptions_defined_in(ccasync.errors)


def test_no_error_class_outside_errors_module() -> None:
    """Outside errors.py only private modules define exceptions, and never a CCAsyncError."""
    strays = []
    for module in _client_modules():
        if module is ccasync.errors:
            continue
        private = any(part.startswith("_") for part in module.__name__.split("."))
        for cls in _exceptions_defined_in(module):
            if not private or issubclass(cls, ccasync.errors.CCAsyncError):
                strays.append(f"{module.__name__}.{cls.__name__}")
    assert strays == []


@pytest.mark.parametrize("cls", _ERRORS, ids=lambda cls: cls.__name__)
def test_error_class_is_drawn_and_exported(cls: type[BaseException]) -> None:
    """Each error class appears in the tree of the errors docstring and in ccasync.__all__."""
    tree_line = re.compile(rf"^[\s│├└─]*{cls.__name__}\b", re.MULTILINE)
    assert tree_line.search(ccasync.errors.__doc__ or "")
    assert cls.__name__ in ccasync.__all__
    assert getattr(ccasync, cls.__name__) is cls
