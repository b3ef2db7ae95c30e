"""The account API area."""

from __future__ import annotations

from ccasync.resources._base import Resource


class AccountResource(Resource):
    """The account endpoints."""
