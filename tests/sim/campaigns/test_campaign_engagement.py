"""Pure tests of deterministic engagement generation (seeded draws, rates, timing, links)."""

from __future__ import annotations

import datetime as dt
from collections import Counter

from ccasync.sim.campaigns.engagement import BOUNCE_CODES, draws, engagement, links_in, pick
from ccasync.sim.campaigns.records import Event
from tests.sim.campaigns.test_campaign_fakes import T0

LINKS = links_in('<a href="https://e.com/1">1</a> <a href="https://e.com/2">2</a>', "act")
CONTACTS = [f"contact-{i}" for i in range(4000)]


def _all(seed: int, activity: str = "act", *, image: bool = True) -> dict[str, list[Event]]:
    return {c: engagement(seed, activity, c, T0, LINKS, tracking_image=image) for c in CONTACTS}


def test_same_seed_gives_same_events_and_other_seeds_differ() -> None:
    """Engagement is a pure function of (seed, activity, contact)."""
    assert _all(1) == _all(1)
    assert _all(1) != _all(2)
    assert _all(1, "act") != _all(1, "other-act")


def test_draws_are_uniform_and_stable() -> None:
    """The sixteen draws lie in [0, 1) and do not change between calls."""
    values = draws(0, "a", "c")
    assert len(values) == 16
    assert all(0 <= v < 1 for v in values)
    assert values == draws(0, "a", "c")


def test_rates_are_in_the_documented_ranges() -> None:
    """About 2 % bounce, 25-40 % of the delivered open, ~0.5 % opt out, openers click."""
    events = _all(9)
    kinds: Counter[str] = Counter()
    for per_contact in events.values():
        kinds.update({e.kind for e in per_contact})
    n = len(CONTACTS)
    delivered = n - kinds["em_bounces"]
    assert 0.01 * n <= kinds["em_bounces"] <= 0.03 * n
    assert 0.25 * delivered <= kinds["em_opens"] <= 0.40 * delivered
    assert 0.15 * kinds["em_opens"] <= kinds["em_clicks"] <= 0.35 * kinds["em_opens"]
    assert 0.001 * n <= kinds["em_optouts"] <= 0.01 * n


def test_events_follow_the_send_within_61_hours() -> None:
    """Every event is after the send time and within 61 hours of it, in time order."""
    limit = T0 + dt.timedelta(hours=61)
    for per_contact in _all(4).values():
        times = [e.at for e in per_contact]
        assert times == sorted(times)
        assert all(T0 < t <= limit for t in times)


def test_bounced_contacts_do_nothing_else_and_codes_are_valid() -> None:
    """A bounce is the contact's only event and carries a documented bounce code."""
    codes = {code for code, _ in BOUNCE_CODES}
    for per_contact in _all(6).values():
        bounces = [e for e in per_contact if e.kind == "em_bounces"]
        if bounces:
            assert per_contact == bounces
            assert bounces[0].bounce_code in codes


def test_clicks_need_links_and_hit_real_links() -> None:
    """Without links nobody clicks; clicks carry the url_id and URL of a link of the email."""
    no_links = [engagement(3, "act", c, T0, []) for c in CONTACTS]
    assert not any(e.kind == "em_clicks" for per in no_links for e in per)
    clicks = [e for per in _all(3).values() for e in per if e.kind == "em_clicks"]
    assert clicks
    assert {(e.url_id, e.link_url) for e in clicks} <= {(k.url_id, k.url) for k in LINKS}


def test_without_tracking_image_only_clickers_open() -> None:
    """Without [[trackingImage]] opens are inferred from clicks only."""
    for per_contact in _all(8, image=False).values():
        kinds = {e.kind for e in per_contact}
        assert ("em_opens" in kinds) == ("em_clicks" in kinds)


def test_links_are_deduplicated_with_stable_ids() -> None:
    """Duplicate URLs are combined; url_ids are numeric strings fixed per activity and URL."""
    html = '<a href="https://x.io/a">1</a><a href="https://x.io/a">2</a><a href="http://y.io">3</a>'
    links = links_in(html, "act")
    assert [link.url for link in links] == ["https://x.io/a", "http://y.io"]
    assert all(link.url_id.isdigit() for link in links)
    assert links == links_in(html, "act")
    assert links[0].url_id != links_in(html, "act-2")[0].url_id


def test_pick_walks_the_weights() -> None:
    """pick returns the entry whose cumulative weight the draw falls under."""
    table = (("a", 0.5), ("b", 0.5))
    assert (pick(table, 0.0), pick(table, 0.49), pick(table, 0.5), pick(table, 0.99)) == (
        "a",
        "a",
        "b",
        "b",
    )
