"""The reports API area."""

from __future__ import annotations

from ccasync.resources._base import Resource


class ReportsResource(Resource):
    """The reports endpoints."""
