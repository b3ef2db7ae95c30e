"""The tags API area."""

from __future__ import annotations

from ccasync.resources._base import Resource


class TagsResource(Resource):
    """The tags endpoints."""
