"""Configuration values: every number is checked finite and bounded, by one rule."""

from __future__ import annotations

import math
from typing import Any

import pytest

from ccasync import Client, ConfigError, RateLimiter
from ccasync.config import MAX_SECONDS, RetryPolicy, check_base_url, check_number, redact_url
from ccasync.errors import ValidationError
from ccasync.ops.campaigns.fanout import CampaignTemplate
from ccasync.ops.campaigns.scheduling import zone_info
from ccasync.transport import AiohttpTransport

BAD_NUMBERS = [math.nan, math.inf, -math.inf, 1e308, True, "5", None]


@pytest.mark.parametrize("value", BAD_NUMBERS)
@pytest.mark.parametrize("name", ["base_delay", "max_delay", "max_retry_after", "throttle_pause"])
def test_retry_policy_refuses_non_finite_or_huge_seconds(name: str, value: object) -> None:
    """A RetryPolicy delay that is not a finite number of seconds within bounds is a ConfigError."""
    with pytest.raises(ConfigError, match=name):
        RetryPolicy(**{name: value})  # type: ignore[arg-type]


@pytest.mark.parametrize("value", [math.nan, math.inf, 0, 2.5, 10_001, True])
def test_retry_policy_max_attempts_is_a_bounded_integer(value: object) -> None:
    """max_attempts must be an integer 1..10,000 (nan once sent 1,025 requests for one GET)."""
    with pytest.raises(ConfigError, match="max_attempts"):
        RetryPolicy(max_attempts=value)  # type: ignore[arg-type]


@pytest.mark.parametrize("value", [math.nan, math.inf, -1.0, 0.0, MAX_SECONDS * 2, "30"])
def test_client_timeout_must_be_finite(value: object) -> None:
    """Client(timeout=inf) used to construct and then fail every request with OverflowError."""
    with pytest.raises(ConfigError, match="timeout"):
        Client(access_token="t", timeout=value)  # type: ignore[arg-type]


@pytest.mark.parametrize("value", [1e308, 1e7, math.inf])
def test_rate_limiter_rate_is_bounded(value: float) -> None:
    """A per_second beyond 1,000,000 is a ConfigError, not an OverflowError later."""
    with pytest.raises(ConfigError, match="per_second"):
        RateLimiter(per_second=value)


def test_check_number_accepts_the_bounds_it_names() -> None:
    """check_number passes a value inside (low, high] and names the setting when it refuses."""
    check_number("x", 1.5, low=0, high=2)
    check_number("x", 2, low=0, high=2)
    with pytest.raises(ConfigError, match=r"x must be a finite number in \(0, 2\]"):
        check_number("x", 0, low=0, high=2)


def test_zone_name_too_long_is_a_validation_error() -> None:
    """zone_info('A' * 10000) raised OSError (file name too long); now ValidationError."""
    with pytest.raises(ValidationError, match="timezone") as info:
        zone_info("A" * 10_000)
    assert len(str(info.value)) < 300


@pytest.mark.parametrize("name", ["", "../../etc/passwd", "Europe/\x00Paris", "/abs"])
def test_zone_name_odd_values_are_validation_errors(name: str) -> None:
    """Names the zone database refuses in any way give ValidationError (field timezone)."""
    with pytest.raises(ValidationError, match="timezone"):
        zone_info(name)


def test_template_value_none_is_a_validation_error() -> None:
    """A placeholder whose value is None is refused (it used to render as the text "None")."""
    template = CampaignTemplate(
        name="N $city",
        subject="S",
        from_name="F",
        from_email="a@example.com",
        html_content="<p>$city</p>",
    )
    with pytest.raises(ValidationError, match=r"name: value for \$city is None"):
        template.render({"city": None})
    assert template.render({"city": 0})["name"] == "N 0"


def test_config_error_never_echoes_a_url_password() -> None:
    """A base URL refused for its scheme shows neither its userinfo password nor its query."""
    with pytest.raises(ConfigError) as info:
        check_base_url("http://user:hunter2@example.com/v3?email=a@b.c")
    text = str(info.value)
    assert "hunter2" not in text
    assert "a@b.c" not in text
    assert "user:***@example.com" in text


def test_redact_url_keeps_what_identifies_the_endpoint() -> None:
    """redact_url masks the password and drops query and fragment, keeping host and path."""
    assert redact_url("https://u:p@h:8443/v3/x?q=1#f") == "https://u:***@h:8443/v3/x"
    assert redact_url("https://h/v3") == "https://h/v3"
    assert redact_url("not a url ?q") == "not a url "


@pytest.mark.parametrize(
    "build",
    [
        lambda: AiohttpTransport(timeout=math.inf),
        lambda: AiohttpTransport(max_connections=0),
        lambda: RateLimiter(max_pause=math.inf),
        lambda: RateLimiter(margin=math.nan),
        lambda: RateLimiter(per_day=1.5),  # type: ignore[arg-type]
    ],
)
def test_every_numeric_setting_shares_the_rule(build: Any) -> None:
    """The transport's and the limiter's numbers go through the same finite-number check."""
    with pytest.raises(ConfigError, match="must be"):
        build()
