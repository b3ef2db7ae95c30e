"""The contacts API area."""

from __future__ import annotations

from ccasync.resources._base import Resource


class ContactsResource(Resource):
    """The contacts endpoints."""
