"""API keys (OAuth applications with their limits) and the default owner data of accounts."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ._http import iso
from ._limits import KeyLimits, PerSecond


class ApiKey:
    """One application (``client_id``): its secret, refresh-token mode, limits and accounts."""

    def __init__(
        self,
        client_id: str,
        client_secret: str,
        *,
        refresh_tokens: str,
        per_second: float | None,
        per_day: int | None,
        rate_rule: str,
        token_per_second: float | None,
    ) -> None:
        """Limits ``None`` = off; ``refresh_tokens`` is "rotating" or "long_lived"."""
        self.client_id = client_id
        self.client_secret = client_secret
        self.refresh_tokens = refresh_tokens
        self.limits = KeyLimits(per_second, per_day, rate_rule)
        self.token_limit = PerSecond(token_per_second, "sliding") if token_per_second else None
        self.account_ids: list[str] = []


def default_emails(now: dt.datetime) -> list[dict[str, Any]]:
    """A new account's emails: three CONFIRMED senders and one pending address."""

    def confirmed(email_id: int, address: str, roles: list[str]) -> dict[str, Any]:
        """One CONFIRMED account email entry."""
        return {
            "email_address": address,
            "email_id": email_id,
            "confirm_status": "CONFIRMED",
            "confirm_time": iso(now),
            "confirm_source_type": "SITE_OWNER",
            "roles": roles,
            "pending_roles": [],
        }

    return [
        confirmed(1, "owner@example.com", ["CONTACT", "BILLING", "REPLY_TO"]),
        confirmed(2, "marketing@example.com", ["OTHER"]),
        confirmed(3, "support@example.com", ["REPLY_TO"]),
        {
            "email_address": "pending@example.org",
            "email_id": 4,
            "confirm_status": "UNCONFIRMED",
            "roles": [],
            "pending_roles": ["OTHER"],
        },
    ]
