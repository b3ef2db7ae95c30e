"""A fake account with exactly the contract's Account interface, for pure campaign-book tests.

Other campaign test modules import ``FakeAccount``/``new_book``/``campaign_body`` from here; the
tests below pin that the fake honours the contract (so book tests mean what they say).
"""

from __future__ import annotations

import datetime as dt
import random
import uuid
from collections.abc import Iterable
from typing import Any

import attrs

from ccasync.sim._http import bind_rng
from ccasync.sim.campaigns.book import CampaignBook

T0 = dt.datetime(2026, 3, 2, 12, 0, tzinfo=dt.UTC)
SENDER = "owner@example.com"
HTML = (
    '<html><body>[[trackingImage]]<p>Hello</p><a href="https://example.com/a">A</a>'
    '<a href="https://example.com/b">B</a><a href="https://example.com/a">A again</a></body></html>'
)


@attrs.define
class FakeContact:
    """The SimContact attributes the campaign side reads."""

    contact_id: str
    email: str | None
    first_name: str | None = None
    last_name: str | None = None
    permission_to_send: str = "implicit"
    deleted_at: dt.datetime | None = None
    custom_fields: dict[str, str] = attrs.Factory(dict)


@attrs.frozen
class FakeConfig:
    """The config value the book reads."""

    test_send_daily_cap: int = 50


@attrs.frozen
class FakeState:
    """The state values the book reads."""

    seed: int = 7
    config: FakeConfig = FakeConfig()


class FakeAccount:
    """An in-memory account: lists of contact ids, confirmed emails, a physical address."""

    def __init__(self, seed: int = 7, *, cap: int = 50) -> None:
        """An account whose ids come from ``random.Random(seed)``."""
        self._rng = random.Random(seed)
        self.account_id = "a07e00000001"
        self.state = FakeState(seed, FakeConfig(cap))
        self.summary: dict[str, Any] = {"organization_name": "Acme Pets"}
        self.physical_address: dict[str, Any] | None = {
            "address_line1": "1 Main St",
            "city": "Waltham",
            "state_code": "MA",
            "postal_code": "02451",
            "country_code": "US",
        }
        self.contacts: dict[str, FakeContact] = {}
        self.lists: dict[str, list[str]] = {}
        self.emails = {SENDER: "CONFIRMED", "pending@example.org": "UNCONFIRMED"}
        self.unsubscribes: list[tuple[str, str, dt.datetime]] = []

    def _id(self) -> str:
        return str(uuid.UUID(int=self._rng.getrandbits(128), version=4))

    def add_list(self) -> str:
        """A new empty list; its id."""
        list_id = self._id()
        self.lists[list_id] = []
        return list_id

    def add_contact(self, email: str, *lists: str, first: str | None = None) -> FakeContact:
        """A new contact on ``lists``."""
        contact = FakeContact(self._id(), email, first_name=first)
        self.contacts[contact.contact_id] = contact
        for list_id in lists:
            self.lists[list_id].append(contact.contact_id)
        return contact

    def populate(self, list_id: str, count: int) -> list[FakeContact]:
        """``count`` new contacts on ``list_id``."""
        return [
            self.add_contact(f"c{len(self.contacts)}@example.net", list_id) for _ in range(count)
        ]

    # -- the contract ---------------------------------------------------------------------

    def contacts_on_lists(self, list_ids: Iterable[str]) -> list[FakeContact]:
        """Live, subscribed members, deduplicated, in list then join order."""
        seen: dict[str, FakeContact] = {}
        for list_id in list_ids:
            for contact_id in self.lists.get(list_id, []):
                contact = self.contacts[contact_id]
                live = contact.deleted_at is None and contact.permission_to_send != "unsubscribed"
                if live and contact_id not in seen:
                    seen[contact_id] = contact
        return list(seen.values())

    def contact(self, contact_id: str) -> FakeContact | None:
        """A contact by id (deleted included)."""
        return self.contacts.get(contact_id)

    def list_exists(self, list_id: str) -> bool:
        """True for a known list."""
        return list_id in self.lists

    def confirmed_emails(self) -> set[str]:
        """Addresses with CONFIRMED status."""
        return {e for e, status in self.emails.items() if status == "CONFIRMED"}

    def unsubscribe(self, contact_id: str, reason: str, at: dt.datetime) -> None:
        """Record the opt-out and mark the contact unsubscribed."""
        self.contacts[contact_id].permission_to_send = "unsubscribed"
        self.unsubscribes.append((contact_id, reason, at))


def new_book(seed: int = 7, **kwargs: Any) -> tuple[FakeAccount, CampaignBook]:
    """A fake account and its empty campaign book, ids bound to ``seed``."""
    bind_rng(random.Random(seed))
    account = FakeAccount(seed, **kwargs)
    return account, CampaignBook(account)


def campaign_body(name: str = "Spring sale", **activity: Any) -> dict[str, Any]:
    """A valid POST /emails body; ``activity`` overrides activity fields (None removes one)."""
    fields: dict[str, Any] = {
        "format_type": 5,
        "from_name": "Acme",
        "from_email": SENDER,
        "reply_to_email": SENDER,
        "subject": "Hello",
        "html_content": HTML,
    }
    fields.update(activity)
    return {
        "name": name,
        "email_campaign_activities": [{k: v for k, v in fields.items() if v is not None}],
    }


def activity_put(list_ids: list[str], **fields: Any) -> dict[str, Any]:
    """A PUT body with the required fields and ``contact_list_ids``."""
    body: dict[str, Any] = {
        "from_name": "Acme",
        "from_email": SENDER,
        "reply_to_email": SENDER,
        "subject": "Hello",
        "contact_list_ids": list_ids,
    }
    body.update(fields)
    return body


def test_fake_skips_unsubscribed_and_deleted_members() -> None:
    """contacts_on_lists leaves out unsubscribed and deleted contacts, like the real Account."""
    account = FakeAccount()
    list_id = account.add_list()
    keep, gone, quiet = account.populate(list_id, 3)
    gone.deleted_at = T0
    account.unsubscribe(quiet.contact_id, "x", T0)
    assert account.contacts_on_lists([list_id, list_id]) == [keep]


def test_fake_confirms_only_confirmed_addresses() -> None:
    """confirmed_emails excludes UNCONFIRMED account addresses."""
    assert FakeAccount().confirmed_emails() == {SENDER}
