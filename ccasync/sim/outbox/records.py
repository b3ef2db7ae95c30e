"""Outbox records: one :class:`OutboxMessage` per delivered message, kept in send order."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import attrs

KINDS = ("send", "resend", "test", "automation")


@attrs.frozen(kw_only=True)
class OutboxMessage:
    """One message as a recipient got it (nothing is emailed; this is the record).

    ``kind`` is ``send`` (a campaign activity's send, A/B halves and winner included), ``resend``
    (a non-opener resend), ``test`` (``POST …/tests``) or ``automation`` (an automation email).
    ``contact_id`` is None for test sends (their addresses need not be contacts). ``subject``,
    ``preheader`` and ``html`` are rendered: merge tags filled for this recipient.
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
    subject: str
    preheader: str | None
    html: str
    sent_at: dt.datetime
    personal_message: str | None = None


class Outbox:
    """All messages the simulator delivered, oldest first; filter with :meth:`find`.

    Read it from the ``Sim`` handle: ``sim.outbox.find(to="a@example.com")``. It grows for the
    simulator's lifetime; :meth:`clear` empties it between test phases.
    """

    def __init__(self) -> None:
        """An empty outbox."""
        self.messages: list[OutboxMessage] = []

    def __len__(self) -> int:
        """How many messages were delivered."""
        return len(self.messages)

    def __iter__(self) -> Iterator[OutboxMessage]:
        """The messages, oldest first."""
        return iter(list(self.messages))

    def add(self, message: OutboxMessage) -> None:
        """Record a delivered message."""
        self.messages.append(message)

    def clear(self) -> None:
        """Forget every message."""
        self.messages.clear()

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
