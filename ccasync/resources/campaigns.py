"""The campaigns API area."""

from __future__ import annotations

from ccasync.resources._base import Resource


class CampaignsResource(Resource):
    """The campaigns endpoints."""
