"""The custom fields API area."""

from __future__ import annotations

from ccasync.resources._base import Resource


class CustomFieldsResource(Resource):
    """The custom fields endpoints."""
