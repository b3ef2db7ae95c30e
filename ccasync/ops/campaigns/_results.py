"""Result records of the campaign fan-out operations (one per location or activity)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import attrs

from ccasync.errors import BulkError
from ccasync.ops._common import Outcome, QuotaStop

__all__ = ["CampaignResult", "FanoutResult"]


@attrs.frozen(kw_only=True)
class CampaignResult:
    """One location's (or one activity's) outcome (an :class:`~ccasync.ops.ItemOutcome`).

    - ``key``: the location key (or the activity id for :func:`schedule_campaigns`);
      ``account``: the pool account name (``None`` for a single Client).
    - ``campaign_id``/``activity_id``/``name``: the campaign used (``None`` if never reached).
    - ``scheduled_utc``/``scheduled_local``: the send time in UTC and on the location's wall
      clock (``None`` for send-now and for failures before scheduling).
    - ``outcome``: ``scheduled``, ``sent``, ``already_scheduled``, ``already_sent`` or
      ``failed`` (see :data:`Outcome`); ``created`` is True when this run created the campaign
      (False when an existing one was reused); ``test_sent`` when a test email went out.
    - ``error``/``step``: the exception and the step that failed (``render``, ``time``,
      ``lists``, ``account``, ``create``, ``recipients``, ``test``, ``schedule``, ``send``...);
      ``reason`` says both in words.
    - ``calls``: HTTP requests this item spent (retries included); ``note``: DST adjustments or
      a reused campaign's differing schedule.
    """

    key: str
    account: str | None = None
    campaign_id: str | None = None
    activity_id: str | None = None
    name: str | None = None
    scheduled_utc: dt.datetime | None = None
    scheduled_local: dt.datetime | None = None
    outcome: Outcome = "failed"
    created: bool = False
    test_sent: bool = False
    error: Exception | None = None
    step: str | None = None
    calls: int = 0
    note: str | None = None

    @property
    def ok(self) -> bool:
        """True unless the item failed."""
        return self.outcome != "failed"

    @property
    def reason(self) -> str | None:
        """``"<step>: <error>"`` for a failed item, None otherwise."""
        return None if self.ok else f"{self.step}: {self.error}"


@attrs.frozen
class FanoutResult:
    """All items of one fan-out run, in input order, plus per-account setup calls.

    ``setup_calls`` maps an account name (``""`` for a single Client) to the requests spent
    once per account (the campaign-name index and the list-name lookup; 0 when a journal
    shows the account's work finished).
    """

    items: tuple[CampaignResult, ...]
    setup_calls: dict[str, int] = attrs.field(factory=dict)
    quota_stop: QuotaStop | None = attrs.field(default=None, kw_only=True)
    """Set when the daily quota stopped the run: when the budget resets and an estimate of the
    calls still needed (rerun after the reset, with the same journal and job id)."""

    def __iter__(self) -> Iterator[CampaignResult]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    @property
    def failed_items(self) -> list[CampaignResult]:
        """The items that failed."""
        return [item for item in self.items if not item.ok]

    @property
    def ok(self) -> bool:
        """True when no item failed."""
        return not self.failed_items

    @property
    def calls(self) -> int:
        """Every request spent: per-item calls plus per-account setup calls."""
        return sum(item.calls for item in self.items) + sum(self.setup_calls.values())

    def by_key(self) -> dict[str, CampaignResult]:
        """Items by key."""
        return {item.key: item for item in self.items}

    def raise_for_failures(self) -> None:
        """Raise :class:`BulkError` (carrying this result) if any item failed."""
        failed = self.failed_items
        if failed:
            first = failed[0]
            raise BulkError(
                f"{len(failed)} of {len(self.items)} failed; first: {first.key} at {first.reason}",
                result=self,
            )
