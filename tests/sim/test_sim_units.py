"""Pure pieces of the simulator: fault grammar, limit rules, clock, cursors, tokens."""

from __future__ import annotations

import datetime as dt

import pytest

from ccasync.sim import FaultSpecError, VirtualClock
from ccasync.sim._faults import FaultPlan, parse_spec
from ccasync.sim._http import ApiFailure, decode_cursor, encode_cursor, iso, require_uuid
from ccasync.sim._limits import KeyLimits, PerSecond
from ccasync.sim.oauth.tokens import TokenStore, pkce_challenge

T0 = dt.datetime(2026, 3, 1, 23, 59, 58, tzinfo=dt.UTC).timestamp()


def test_fault_grammar_parses_every_documented_example() -> None:
    """The examples of the module docstring all parse into the expected kinds."""
    rules = parse_spec(
        "500:0.05, 503:0.1@/v3/contacts*, reset:0.02, latency:200ms, hang:0.01,"
        "429burst:5@/v3/emails; nth:3:503@POST /v3/activities/contacts_json_import,"
        "503:0.2!retry-after=2"
    )
    assert [r.kind for r in rules] == [
        "status",
        "status",
        "reset",
        "latency",
        "hang",
        "burst",
        "nth",
        "status",
    ]
    assert rules[3].seconds == pytest.approx(0.2)
    assert (rules[6].method, rules[6].glob, rules[6].count) == (
        "POST",
        "/v3/activities/contacts_json_import",
        3,
    )
    assert rules[7].retry_after == 2


@pytest.mark.parametrize(
    ("spec", "fragment"),
    [
        ("404:0.5", "action"),
        ("500:2", "within 0..1"),
        ("latency:fast", "duration"),
        ("nth:0:503", "positive integer"),
        ("500@contacts", "path glob"),
        ("500!retry=3", "unknown option"),
        ("500,,503", "empty rule"),
    ],
)
def test_fault_grammar_rejects_bad_rules_clearly(spec: str, fragment: str) -> None:
    """A bad spec raises FaultSpecError naming the problem."""
    with pytest.raises(FaultSpecError, match=fragment):
        parse_spec(spec)


def test_nth_rule_fires_exactly_once_on_the_kth_match() -> None:
    """nth:3 hits only the third matching request; other paths do not count."""
    plan = FaultPlan("nth:3:503@POST /v3/x", seed=1)
    kinds = [
        plan.decide(m, p)[1]
        for m, p in [
            ("POST", "/v3/x"),
            ("GET", "/v3/x"),
            ("POST", "/v3/x"),
            ("POST", "/v3/x"),
            ("POST", "/v3/x"),
        ]
    ]
    assert [k.status if k else None for k in kinds] == [None, None, None, 503, None]


def test_probabilistic_faults_are_reproducible_under_a_seed() -> None:
    """Two plans with the same seed make the same decisions; another seed differs."""

    def run(seed: int) -> list[bool]:
        plan = FaultPlan("500:0.3", seed=seed)
        return [plan.decide("GET", "/v3/contacts")[1] is not None for _ in range(200)]

    assert run(7) == run(7)
    assert run(7) != run(8)
    assert 30 < sum(run(7)) < 90


def test_burst_without_probability_is_one_burst_at_the_start() -> None:
    """429burst:3 answers the first three matches with 429 and then never again."""
    plan = FaultPlan("429burst:3@/v3/emails*", seed=0)
    got = [plan.decide("GET", "/v3/emails")[1] for _ in range(6)]
    assert [f.status if f else None for f in got] == [429, 429, 429, None, None, None]


def test_sliding_window_never_admits_more_than_the_rate_in_any_second() -> None:
    """Under the sliding rule any (t-1, t] window holds at most floor(rate) admissions."""
    limiter = PerSecond(4, "sliding")
    stamps = [T0 + i * 0.05 for i in range(200)]
    admitted = [t for t in stamps if limiter.admit(t)]
    for t in admitted:
        assert sum(t - 1.0 < u <= t for u in admitted) <= 4


def test_fixed_window_admits_a_double_burst_across_a_second_boundary() -> None:
    """The fixed rule lets 4 through at x.9 and 4 more at (x+1).0, unlike the sliding rule."""
    fixed, sliding = PerSecond(4, "fixed"), PerSecond(4, "sliding")
    base = float(int(T0))
    times = [base + 0.9] * 4 + [base + 1.0] * 4
    assert sum(fixed.admit(t) for t in times) == 8
    assert sum(sliding.admit(t) for t in times) == 4


def test_bucket_rule_refills_at_the_rate() -> None:
    """A token bucket of 4 admits a burst of 4, then one more after 0.25 s."""
    bucket = PerSecond(4, "bucket")
    assert [bucket.admit(T0) for _ in range(5)] == [True, True, True, True, False]
    assert bucket.admit(T0 + 0.25)


def test_daily_quota_resets_at_midnight_utc_and_counts_throttled_requests() -> None:
    """quota_exceeded after per_day requests (throttled ones count); a new UTC day resets it."""
    limits = KeyLimits(1, 3, "sliding")
    limits.check(T0)
    with pytest.raises(ApiFailure) as throttled:
        limits.check(T0)
    assert throttled.value.key == "throttled"
    limits.check(T0 + 1.0)
    with pytest.raises(ApiFailure) as quota:
        limits.check(T0 + 1.5)
    assert (quota.value.key, quota.value.message, quota.value.shape) == (
        "quota_exceeded",
        "Limit Exceeded",
        "object",
    )
    limits.check(T0 + 2.5)  # 00:00:00.5 of the next day


def test_clock_scales_steps_and_freezes() -> None:
    """now() = start + scale * wall + steps; advance fires listeners; scale 0 freezes."""
    wall = [100.0]
    start = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    clock = VirtualClock(start, 10.0, monotonic=lambda: wall[0])
    fired: list[float] = []
    clock.on_advance(lambda: fired.append(clock.timestamp()))
    wall[0] += 1.0
    assert clock.now() == start + dt.timedelta(seconds=10)
    clock.advance(5)
    assert fired == [start.timestamp() + 15]
    clock.set_scale(0)
    wall[0] += 50
    assert clock.now() == start + dt.timedelta(seconds=15)
    with pytest.raises(ValueError, match="backwards"):
        clock.advance(-1)


def test_cursor_round_trips_and_rejects_garbage() -> None:
    """A cursor carries the query and offset; a foreign cursor is a 400."""
    cursor = encode_cursor([("status", "all"), ("limit", "2")], 4)
    assert decode_cursor(cursor) == ([("status", "all"), ("limit", "2")], 4)
    with pytest.raises(ApiFailure) as failure:
        decode_cursor("not-a-cursor")
    assert failure.value.status == 400


def test_uuid_check_and_iso_format() -> None:
    """Malformed ids are 404 'is in an invalid format.'; iso() gives milliseconds and Z."""
    with pytest.raises(ApiFailure) as failure:
        require_uuid("1234", "contact_id")
    assert (failure.value.status, failure.value.message) == (
        404,
        "contact_id is in an invalid format.",
    )
    moment = dt.datetime(2026, 1, 2, 3, 4, 5, 678999, tzinfo=dt.UTC)
    assert iso(moment) == "2026-01-02T03:04:05.678Z"


def test_rotating_refresh_tokens_are_single_use() -> None:
    """Using a rotated refresh token again is invalid_grant; the new one works."""
    import random

    from ccasync.sim.oauth.tokens import OAuthError

    store = TokenStore(random.Random(1), lifetime=86_400, idle_days=180)
    first = store.issue(
        "acct", "cid", frozenset({"contact_data", "offline_access"}), T0, "rotating"
    )
    second = store.use_refresh(first["refresh_token"], "cid", T0 + 1, "rotating")
    assert second["refresh_token"] != first["refresh_token"]
    with pytest.raises(OAuthError) as reuse:
        store.use_refresh(first["refresh_token"], "cid", T0 + 2, "rotating")
    assert reuse.value.error == "invalid_grant"
    assert store.lookup(second["access_token"], T0 + 86_000) is not None
    assert store.lookup(second["access_token"], T0 + 1 + 86_400) is None


def test_pkce_challenge_is_base64url_sha256() -> None:
    """The S256 challenge of the RFC 7636 example verifier matches the RFC."""
    verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
    assert pkce_challenge(verifier) == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
