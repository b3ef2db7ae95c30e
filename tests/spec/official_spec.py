"""The official Constant Contact v3 spec: where it is, how it is read, why tests skip without it.

The spec's licence is private, so ccasync does not ship it. It is the vendor's two files: the
Swagger 2.0 file (named by ``CCASYNC_SPEC`` or in ``../shared/reference/`` beside the repository)
and, beside it, the OpenAPI 3 form (the only one with the OAuth schemas). Tests that read either
carry the ``spec`` marker; ``tests/conftest.py`` skips them all with the one :data:`SKIP_REASON`
unless both files are there.
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
    f" it): set CCASYNC_SPEC to {SPEC_NAME}, with {OPENAPI3_NAME} beside it, or put both files"
    " in ../shared/reference/"
)


def spec_path() -> Path | None:
    """Where the spec's Swagger file is, or None when the spec is not available.

    The spec is available only where the OpenAPI 3 file lies beside the Swagger file: with one
    of them missing every ``spec`` test skips, for the one reason.
    """
    configured = os.environ.get("CCASYNC_SPEC")
    candidates = [Path(configured)] if configured else []
    candidates.append(REPO_ROOT.parent / "shared" / "reference" / SPEC_NAME)
    return next((path for path in candidates if _is_complete(path)), None)


def _is_complete(path: Path) -> bool:
    return path.is_file() and path.with_name(OPENAPI3_NAME).is_file()


def _required_spec_path() -> Path:
    path = spec_path()
    if path is None:
        pytest.fail(f"{SKIP_REASON}; a test that reads the spec must be marked @pytest.mark.spec")
    return path


def _read_yaml(path: Path) -> Any:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with path.open(encoding="utf-8") as handle:
        return yaml.load(handle, Loader=loader)


@functools.cache
def load_spec() -> dict[str, Any]:
    """The parsed spec (Swagger 2.0).

    Fails (not skips) when the spec is absent: a test that reads the spec must carry the ``spec``
    marker, which skips it before it gets here.
    """
    loaded: dict[str, Any] = _read_yaml(_required_spec_path())
    return loaded


@functools.cache
def load_openapi3() -> dict[str, Any]:
    """The parsed OpenAPI 3 form of the spec (the vendor's file beside the Swagger file).

    Fails (not skips) when the spec is absent, like :func:`load_spec`: the ``spec`` marker is
    what skips, with the one reason.
    """
    loaded: dict[str, Any] = _read_yaml(_required_spec_path().with_name(OPENAPI3_NAME))
    return loaded
