"""The activities API area."""

from __future__ import annotations

from ccasync.resources._base import Resource


class ActivitiesResource(Resource):
    """The activities endpoints."""
