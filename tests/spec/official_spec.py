"""The official Constant Contact v3 spec: where it is, how it is read, why tests skip without it.

The spec's licence is private, so ccasync does not ship it. Tests that read it carry the ``spec``
marker; ``tests/conftest.py`` skips them all with :data:`SKIP_REASON` when the file is absent. The
file is named by ``CCASYNC_SPEC`` or lies in ``../shared/reference/`` beside the repository.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path
from typing import Any

import pytest
import yaml

SPEC_NAME = "constant-contact-v3-swagger2.yaml"
OPENAPI3_NAME = "constant-contact-v3-openapi3.yaml"  # the vendor's form; has the OAuth schemas
REPO_ROOT = Path(__file__).resolve().parents[2]
SKIP_REASON = (
    "official Constant Contact spec not found (its licence is private, so ccasync does not ship"
    f" it): set CCASYNC_SPEC to {SPEC_NAME} or put it in ../shared/reference/"
)


def spec_path() -> Path | None:
    """Where the spec is, or None when it is not available."""
    configured = os.environ.get("CCASYNC_SPEC")
    candidates = [Path(configured)] if configured else []
    candidates.append(REPO_ROOT.parent / "shared" / "reference" / SPEC_NAME)
    return next((path for path in candidates if path.is_file()), None)


def _read_yaml(path: Path) -> Any:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with path.open(encoding="utf-8") as handle:
        return yaml.load(handle, Loader=loader)


@functools.cache
def load_spec() -> dict[str, Any]:
    """The parsed spec (Swagger 2.0).

    Fails (not skips) when the file is absent: a test that reads the spec must carry the ``spec``
    marker, which skips it before it gets here.
    """
    path = spec_path()
    if path is None:
        pytest.fail(f"{SKIP_REASON}; a test that reads the spec must be marked @pytest.mark.spec")
    loaded: dict[str, Any] = _read_yaml(path)
    return loaded


@functools.cache
def load_openapi3() -> dict[str, Any]:
    """The vendor's OpenAPI 3 file beside the spec; skips the test when only the spec is there."""
    path = spec_path()
    sibling = None if path is None else path.with_name(OPENAPI3_NAME)
    if sibling is None or not sibling.is_file():
        pytest.skip(f"vendor OpenAPI 3 file not found: put {OPENAPI3_NAME} beside {SPEC_NAME}")
    loaded: dict[str, Any] = _read_yaml(sibling)
    return loaded
