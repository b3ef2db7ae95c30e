"""The lists API area."""

from __future__ import annotations

from ccasync.resources._base import Resource


class ListsResource(Resource):
    """The lists endpoints."""
