"""Outbox records: one :class:`OutboxMessage` per delivered message, kept in send order."""

from __future__ import annotations

import collections
import datetime as dt
from collections.abc import Iterator, Mapping

import attrs

from .render import fill

KINDS = ("send", "resend", "test", "automation")
DEFAULT_LIMIT = 100_000


@attrs.frozen
class Template:
    """The unrendered content of one send, shared by all of its messages."""

    subject: str
    preheader: str | None
    html: str


@attrs.frozen(kw_only=True)
class OutboxMessage:
    """One message as a recipient got it (nothing is emailed; this is the record).

    ``kind`` is ``send`` (a campaign activity's send, A/B halves and winner included), ``resend``
    (a non-opener resend), ``test`` (``POST …/tests``) or ``automation`` (an automation email).
    ``contact_id`` is None for test sends (their addresses need not be contacts). ``subject``,
    ``preheader`` and ``html`` are rendered, merge tags filled with this recipient's values as
    they were at send time; the rendering happens when they are read, so a 40,000-recipient send
    does not render 40,000 bodies up front.
    """

    kind: str
    account_id: str
    activity_id: str
    campaign_id: str | None
    contact_id: str | None
    to: str
    from_name: str
    from_email: str
    reply_to_email: str
    sent_at: dt.datetime
    template: Template
    values: Mapping[str, str]
    personal_message: str | None = None

    @property
    def subject(self) -> str:
        """The subject line with merge tags filled."""
        return fill(self.template.subject, self.values, as_html=False)

    @property
    def preheader(self) -> str | None:
        """The preheader with merge tags filled (None when the email has none)."""
        raw = self.template.preheader
        return None if raw is None else fill(raw, self.values, as_html=False)

    @property
    def html(self) -> str:
        """The HTML body with merge tags filled (values escaped) and the tracking image."""
        tracking = f"https://open.sim.invalid/{self.activity_id}/{self.contact_id or self.to}.gif"
        return fill(self.template.html, self.values, as_html=True, tracking=tracking)


class Outbox:
    """All messages the simulator delivered, oldest first; filter with :meth:`find`.

    Read it from the ``Sim`` handle: ``sim.outbox.find(to="a@example.com")``. It keeps the
    newest ``limit`` messages (100,000 by default; ``dropped`` counts the older ones let go, so a
    long-running simulator stays bounded); :meth:`clear` empties it between test phases.
    """

    def __init__(self, limit: int = DEFAULT_LIMIT) -> None:
        """An empty outbox keeping at most ``limit`` messages."""
        self.messages: collections.deque[OutboxMessage] = collections.deque(maxlen=limit)
        self.dropped = 0

    def __len__(self) -> int:
        """How many messages were delivered."""
        return len(self.messages)

    def __iter__(self) -> Iterator[OutboxMessage]:
        """The messages, oldest first."""
        return iter(list(self.messages))

    def add(self, message: OutboxMessage) -> None:
        """Record a delivered message (the oldest one goes when the outbox is full)."""
        if len(self.messages) == self.messages.maxlen:
            self.dropped += 1
        self.messages.append(message)

    def clear(self) -> None:
        """Forget every message."""
        self.messages.clear()
        self.dropped = 0

    def find(
        self,
        *,
        to: str | None = None,
        activity_id: str | None = None,
        kind: str | None = None,
        account_id: str | None = None,
        contact_id: str | None = None,
    ) -> list[OutboxMessage]:
        """Messages matching every given filter (``to`` compared case-insensitively)."""
        wanted = None if to is None else to.lower()
        return [
            m
            for m in self.messages
            if (wanted is None or m.to.lower() == wanted)
            and (activity_id is None or m.activity_id == activity_id)
            and (kind is None or m.kind == kind)
            and (account_id is None or m.account_id == account_id)
            and (contact_id is None or m.contact_id == contact_id)
        ]
