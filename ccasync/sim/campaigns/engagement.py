"""Deterministic engagement: who opens, clicks, forwards, bounces or opts out, and when.

Every contact's behaviour for one activity is a pure function of
``(seed, activity_id, contact_id)``: sixteen uniform draws come from a BLAKE2b digest of those three
values, so the same seed gives the same numbers on every run and platform, and two activities sent
to one contact behave independently.

Default rates (of sends): about 2 % bounce, 32 % of the delivered open (1-3 opens each), a quarter
of the openers click one link, 2 % of the openers forward, 0.5 % of the delivered opt out. All
events fall within 61 hours of the send: bounces 5 s-5 min, first open 1 min-48 h, repeat opens
1-6 h apart, click 10 s-10 min and forward 1 min-1 h after the first open, opt-out 5 min-24 h
after the send.
Without ``[[trackingImage]]`` in the HTML only clickers count as openers, as the real API infers
opens from clicks then (reference section 9.2).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import struct
from collections.abc import Sequence

import attrs

from .records import Event

TRACKING_IMAGE = "[[trackingImage]]"
BOUNCE_CODES: tuple[tuple[str, float], ...] = (
    ("B", 0.35),
    ("D", 0.15),
    ("F", 0.15),
    ("S", 0.10),
    ("V", 0.10),
    ("X", 0.10),
    ("Z", 0.05),
)
DEVICES: tuple[tuple[str, float], ...] = (
    ("computer", 0.50),
    ("mobile", 0.38),
    ("tablet", 0.07),
    ("other", 0.03),
    ("none", 0.02),
)
OPT_OUT_REASONS: tuple[tuple[str, float], ...] = (
    ("I no longer want to receive these emails", 0.4),
    ("The emails are too frequent", 0.25),
    ("The emails are not relevant to me", 0.2),
    ("I never signed up for this mailing list", 0.1),
    ("Other", 0.05),
)
_HREF = re.compile(r"""href\s*=\s*["'](https?://[^"'\s>]+)["']""", re.IGNORECASE)
_UNIT = 2.0**32


@attrs.frozen(kw_only=True)
class Rates:
    """Probabilities of each behaviour; ``click`` and ``forward`` are shares of the openers."""

    bounce: float = 0.02
    open: float = 0.32
    click: float = 0.25
    forward: float = 0.02
    optout: float = 0.005


@attrs.frozen
class Link:
    """A tracked link of an email: its stable numeric ``url_id`` and URL."""

    url_id: str
    url: str


DEFAULT_RATES = Rates()


def links_in(html: str, activity_id: str) -> list[Link]:
    """The distinct http(s) links of ``html`` in order of appearance (duplicates combined)."""
    seen: dict[str, Link] = {}
    for url in _HREF.findall(html):
        if url not in seen:
            digest = hashlib.blake2b(f"{activity_id}:{url}".encode(), digest_size=5).digest()
            seen[url] = Link(str(int.from_bytes(digest, "big")), url)
    return list(seen.values())


class _Draws:
    """Sixteen uniform numbers in [0, 1), converted only when read (most contacts need three)."""

    __slots__ = ("_words",)

    def __init__(self, seed: int, activity_id: str, contact_id: str) -> None:
        key = f"{seed}:{activity_id}:{contact_id}".encode()
        digest = hashlib.blake2b(key, digest_size=64).digest()
        self._words: tuple[int, ...] = struct.unpack("<16I", digest)

    def __getitem__(self, index: int) -> float:
        return self._words[index] / _UNIT


def draws(seed: int, activity_id: str, contact_id: str) -> tuple[float, ...]:
    """Sixteen uniform numbers in [0, 1) fixed by the three inputs."""
    found = _Draws(seed, activity_id, contact_id)
    return tuple(found[i] for i in range(16))


def pick(table: Sequence[tuple[str, float]], u: float) -> str:
    """The entry of a weighted ``table`` that the uniform draw ``u`` falls on."""
    total = 0.0
    for value, weight in table:
        total += weight
        if u < total:
            return value
    return table[-1][0]


def _after(moment: dt.datetime, seconds: float) -> dt.datetime:
    return moment + dt.timedelta(seconds=round(seconds, 3))


def engagement(
    seed: int,
    activity_id: str,
    contact_id: str,
    sent_at: dt.datetime,
    links: Sequence[Link],
    *,
    tracking_image: bool = True,
    rates: Rates = DEFAULT_RATES,
) -> list[Event]:
    """The events one contact produces for one send, in time order (empty for a silent contact)."""
    u = _Draws(seed, activity_id, contact_id)
    if u[0] < rates.bounce:
        code = pick(BOUNCE_CODES, u[1])
        return [Event("em_bounces", contact_id, _after(sent_at, 5 + u[2] * 300), bounce_code=code)]
    events = _opened(u, contact_id, sent_at, links, tracking_image, rates)
    if u[12] < rates.optout:
        reason = pick(OPT_OUT_REASONS, u[14])
        at = _after(sent_at, 300 + u[13] * 86_400)
        events.append(Event("em_optouts", contact_id, at, opt_out_reason=reason))
    return sorted(events, key=lambda e: e.at)


def _opened(
    u: _Draws,
    contact_id: str,
    sent_at: dt.datetime,
    links: Sequence[Link],
    tracking_image: bool,
    rates: Rates,
) -> list[Event]:
    if u[3] >= rates.open:
        return []
    # u[7] is independent of the open draw u[3], so rates.click is a share of the openers.
    clicks = bool(links) and u[7] < rates.click
    if not tracking_image and not clicks:
        return []
    device = pick(DEVICES, u[6])
    first = _after(sent_at, 60 + u[5] * u[5] * 172_800)
    repeats = 0 if not tracking_image else int(u[4] * 3)
    events = [Event("em_opens", contact_id, first, device_type=device)]
    for n in range(1, repeats + 1):
        at = _after(first, n * (3_600 + u[15] * 18_000))
        events.append(Event("em_opens", contact_id, at, device_type=device))
    if clicks:
        link = links[int(u[8] * len(links))]
        at = _after(first, 10 + u[9] * 600)
        events.append(
            Event(
                "em_clicks",
                contact_id,
                at,
                device_type=device,
                url_id=link.url_id,
                link_url=link.url,
            )
        )
    if u[10] < rates.forward:
        events.append(Event("em_forwards", contact_id, _after(first, 60 + u[11] * 3_600)))
    return events
