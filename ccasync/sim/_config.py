"""Immutable configuration of one simulator instance (limits, faults, clock and activity speed)."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

import attrs

RateRule = Literal["sliding", "fixed", "bucket"]
RefreshMode = Literal["rotating", "long_lived"]


def _positive_or_none(_inst: Any, attr: attrs.Attribute[Any], value: Any) -> None:
    if value is not None and not (isinstance(value, int | float) and value > 0):
        raise ValueError(f"{attr.name} must be a positive number or None, got {value!r}")


@attrs.frozen(kw_only=True)
class SimConfig:
    """Everything that shapes a simulator run; ``per_second``/``per_day`` None switch a limit off.

    Limits are per API key (``client_id``) and shared by all its accounts. ``time_scale`` is
    simulated seconds per wall second (0 = the clock only moves through ``VirtualClock.advance``).
    Activity speed: an activity starts ``activity_start_delay`` simulated seconds after the
    previous one of its account finished, then takes
    ``max(activity_min_duration, units * activity_unit_seconds)`` simulated seconds. With the
    defaults a 40,000-contact import completes about 1.3 s after it was accepted and a small one
    after about 0.2 s (at time scale 1).

    The default technology partner authenticates with ``x-api-key: partner_api_key`` and a JWT
    from ``POST /partner/oauth2/token`` (client credentials ``partner_client_id`` /
    ``partner_client_secret``), valid ``partner_token_lifetime`` simulated seconds.
    """

    host: str = "127.0.0.1"
    port: int = 0
    access_token: str = "dev-token"
    client_id: str = "sim-client"
    client_secret: str = "sim-secret"
    per_second: float | None = attrs.field(default=4, validator=_positive_or_none)
    per_day: int | None = attrs.field(default=10_000, validator=_positive_or_none)
    rate_rule: RateRule = attrs.field(
        default="sliding", validator=attrs.validators.in_(("sliding", "fixed", "bucket"))
    )
    token_per_second: float | None = attrs.field(default=1.0, validator=_positive_or_none)
    faults: str | None = None
    seed: int = 0
    time_scale: float = attrs.field(default=1.0, validator=attrs.validators.ge(0.0))
    start_time: dt.datetime | None = None
    activity_start_delay: float = 0.1
    activity_min_duration: float = 0.1
    activity_unit_seconds: float = 1.2 / 40_000
    activity_retention_days: int = 10
    test_send_daily_cap: int = 50
    queued_activity_cap: int = 1000
    refresh_tokens: RefreshMode = attrs.field(
        default="rotating", validator=attrs.validators.in_(("rotating", "long_lived"))
    )
    access_token_lifetime: float = 86_400.0
    refresh_token_idle_days: int = 180
    hang_seconds: float = 300.0
    partner_api_key: str = "sim-partner-key"
    partner_client_id: str = "sim-partner"
    partner_client_secret: str = "sim-partner-secret"
    partner_token_lifetime: float = 3600.0
    tick_interval: float = 0.05
