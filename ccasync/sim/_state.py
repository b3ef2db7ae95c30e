"""The simulator's whole state: API keys, accounts (with their data), tokens, log, faults, clock."""

from __future__ import annotations

import asyncio
import datetime as dt
import random
from collections.abc import Iterable, Sequence
from typing import Any

import attrs

from ._clock import VirtualClock
from ._config import SimConfig
from ._faults import FaultPlan
from ._http import bind_rng, new_id
from ._identity import ApiKey, default_emails
from ._log import RequestLog
from .activities.queue import ActivityQueue
from .automations.book import AutomationBook
from .campaigns.book import CampaignBook
from .contacts.records import SimContact, SimCustomField, SimList, SimTag
from .events.book import EventBook
from .oauth.tokens import TokenStore
from .outbox import post
from .outbox.records import Outbox
from .partner.auth import PartnerRegistry
from .segments.store import SegmentBook
from .social.book import SocialBook

MAX_LISTS_PER_CONTACT = 50


class Account:
    """One Constant Contact account with its own contacts, lists, tags, fields and activities."""

    def __init__(self, state: SimState, account_id: str, api_key: ApiKey, name: str) -> None:
        """A fresh account with the default owner data (confirmed emails, physical address)."""
        now = state.clock.now()
        self.state = state
        self.account_id = account_id
        self.api_key = api_key
        self.name = name
        self.summary: dict[str, Any] = {
            "contact_email": "owner@example.com",
            "contact_phone": "555-0100",
            "country_code": "US",
            "first_name": "Sam",
            "last_name": "Owner",
            "organization_name": name,
            "organization_phone": "555-0101",
            "state_code": "MA",
            "time_zone_id": "America/New_York",
            "website": "https://example.com",
        }
        self.emails: list[dict[str, Any]] = default_emails(now)
        self.physical_address: dict[str, Any] | None = {
            "address_line1": "123 Main Street",
            "city": "Waltham",
            "state_code": "MA",
            "postal_code": "02451",
            "country_code": "US",
        }
        self.contacts: dict[str, SimContact] = {}
        self.by_email: dict[str, str] = {}
        self.lists: dict[str, SimList] = {}
        self.tags: dict[str, SimTag] = {}
        self.custom_fields: dict[str, SimCustomField] = {}
        cfg = state.config
        self.activities = ActivityQueue(
            cfg.activity_start_delay, cfg.activity_min_duration, cfg.activity_unit_seconds
        )
        self.exports: dict[str, str] = {}
        self.campaigns = CampaignBook(self)
        self.segments = SegmentBook()
        self.automations = AutomationBook(self)
        self.events = EventBook(self)
        self.social = SocialBook(self)

    # -- contract for the campaign side -------------------------------------------------------

    def contacts_on_lists(self, list_ids: Iterable[str]) -> list[SimContact]:
        """Live, not-unsubscribed members of ``list_ids``, deduplicated, in list then join order."""
        seen: dict[str, SimContact] = {}
        for list_id in list_ids:
            found = self.lists.get(list_id)
            if found is None or found.deleted_at is not None:
                continue
            for contact_id in found.members:
                contact = self.contacts[contact_id]
                if (
                    contact_id not in seen
                    and not contact.is_deleted
                    and not contact.is_unsubscribed
                ):
                    seen[contact_id] = contact
        return list(seen.values())

    def segment_exists(self, segment_id: int) -> bool:
        """True for a segment that exists and is not deleted."""
        found = self.segments.get(segment_id)
        return found is not None and found.deleted_at is None

    def contacts_in_segment(self, segment_id: int) -> list[SimContact]:
        """Live, not-unsubscribed contacts meeting the segment's criteria now (send time).

        Empty for an unknown or deleted segment (UNCONFIRMED what a send to a segment deleted
        after scheduling does; the API only says not to delete it).
        """
        found = self.segments.get(segment_id)
        if found is None or found.deleted_at is not None:
            return []
        return [c for c in self.contacts.values() if found.matches(c) and not c.is_unsubscribed]

    def contact(self, contact_id: str) -> SimContact | None:
        """A contact by id (deleted ones included), or None."""
        return self.contacts.get(contact_id)

    def list_exists(self, list_id: str) -> bool:
        """True for a list that exists and is not deleted."""
        found = self.lists.get(list_id)
        return found is not None and found.deleted_at is None

    def confirmed_emails(self) -> set[str]:
        """Account email addresses with confirm_status CONFIRMED (usable as from/reply-to)."""
        return {e["email_address"] for e in self.emails if e["confirm_status"] == "CONFIRMED"}

    def unsubscribe(self, contact_id: str, reason: str, at: dt.datetime) -> None:
        """Record a contact-initiated unsubscribe (opt_out_source "Contact")."""
        contact = self.contacts[contact_id]
        contact.permission_to_send = "unsubscribed"
        contact.opt_out_source = "Contact"
        contact.opt_out_date = at
        contact.opt_out_reason = reason
        contact.updated_at = at

    def mail(self, kind: str, draft: Any, contact_ids: Iterable[str], at: dt.datetime) -> None:
        """Record ``draft`` delivered to contacts in the outbox (merge tags filled per contact)."""
        post.to_contacts(self, kind, draft, contact_ids, at)

    def mail_test(
        self, draft: Any, addresses: Sequence[str], message: str | None, at: dt.datetime
    ) -> None:
        """Record a test send in the outbox (merge tags filled with the owner's details)."""
        post.to_addresses(self, draft, addresses, message, at)

    def custom_field_label(self, custom_field_id: str) -> str | None:
        """The label of a custom field, or None if unknown."""
        found = self.custom_fields.get(custom_field_id)
        return None if found is None else found.label

    # -- contact data operations --------------------------------------------------------------

    def find_email(self, email: str) -> SimContact | None:
        """The contact owning ``email`` (case-insensitive), deleted ones included."""
        contact_id = self.by_email.get(email.strip().lower())
        return None if contact_id is None else self.contacts[contact_id]

    def create_contact(self, email: str | None, now: dt.datetime) -> SimContact:
        """A new contact; the caller checked that the email is free."""
        contact = SimContact(contact_id=new_id(), email=email, created_at=now, updated_at=now)
        self.contacts[contact.contact_id] = contact
        if email:
            self.by_email[email.lower()] = contact.contact_id
        return contact

    def change_email(self, contact: SimContact, email: str) -> None:
        """Move ``contact`` to a new (free) address."""
        if contact.email:
            self.by_email.pop(contact.email.lower(), None)
        contact.email = email
        self.by_email[email.lower()] = contact.contact_id

    def add_membership(self, contact: SimContact, list_id: str) -> bool:
        """Put ``contact`` on a live list; False when it already has 50 other lists."""
        if list_id in contact.list_ids:
            return True
        if len(contact.list_ids) >= MAX_LISTS_PER_CONTACT:
            return False
        contact.list_ids[list_id] = None
        self.lists[list_id].members[contact.contact_id] = None
        if self.automations.flows:  # a join may start a flow; skip the clock read on bulk paths
            self.automations.joined(contact.contact_id, list_id, self.state.clock.now())
        return True

    def remove_membership(self, contact: SimContact, list_id: str) -> None:
        """Take ``contact`` off ``list_id`` (no-op if not a member)."""
        contact.list_ids.pop(list_id, None)
        found = self.lists.get(list_id)
        if found is not None:
            found.members.pop(contact.contact_id, None)

    def add_tagging(self, contact: SimContact, tag_id: str) -> None:
        """Tag ``contact``."""
        contact.tag_ids[tag_id] = None
        self.tags[tag_id].members[contact.contact_id] = None

    def remove_tagging(self, contact: SimContact, tag_id: str) -> None:
        """Untag ``contact``."""
        contact.tag_ids.pop(tag_id, None)
        found = self.tags.get(tag_id)
        if found is not None:
            found.members.pop(contact.contact_id, None)

    def delete_contact(self, contact: SimContact, now: dt.datetime) -> None:
        """Soft delete: hide the contact and strip its list memberships (email stays taken)."""
        for list_id in list(contact.list_ids):
            self.remove_membership(contact, list_id)
        contact.deleted_at = now
        contact.updated_at = now

    def delete_list(self, list_id: str, now: dt.datetime) -> None:
        """Delete a list and all its memberships."""
        found = self.lists[list_id]
        for contact_id in list(found.members):
            self.remove_membership(self.contacts[contact_id], list_id)
        found.deleted_at = now
        found.updated_at = now

    def delete_tag(self, tag_id: str) -> None:
        """Untag everyone and remove the tag."""
        found = self.tags.pop(tag_id, None)
        if found is None:
            return
        for contact_id in found.members:
            self.contacts[contact_id].tag_ids.pop(tag_id, None)

    def delete_custom_field(self, custom_field_id: str) -> None:
        """Remove a custom field and its values on every contact."""
        if self.custom_fields.pop(custom_field_id, None) is None:
            return
        for contact in self.contacts.values():
            contact.custom_fields.pop(custom_field_id, None)
            contact.custom_field_choices.pop(custom_field_id, None)

    def live_lists(self) -> list[SimList]:
        """Lists that are not deleted, in creation order."""
        return [found for found in self.lists.values() if found.deleted_at is None]

    def list_named(self, name: str) -> SimList | None:
        """The live list called ``name`` (case-insensitive; UNCONFIRMED which the API uses)."""
        folded = name.casefold()
        for found in self.lists.values():
            if found.deleted_at is None and found.name.casefold() == folded:
                return found
        return None


@attrs.frozen
class Truncation:
    """An import the simulator truncated as the real API silently does (for tests to assert on)."""

    account_id: str
    activity_id: str
    kind: str
    rows_received: int
    rows_kept: int
    bytes_received: int


SLICE_UNITS = 100
"""Bulk-activity rows applied per tick outside clock advances (~4 ms of work): a big import is
spread over many short slices instead of holding the event loop for tens of milliseconds."""


class SimState:
    """Keys, accounts, tokens, clock, faults and request log of one simulator."""

    def __init__(self, config: SimConfig) -> None:
        """Build the state with the default key, account and development token of ``config``."""
        self.config = config
        self.seed = config.seed
        self.rng = random.Random(config.seed)
        bind_rng(self.rng)
        self.clock = VirtualClock(config.start_time, config.time_scale)
        self.clock.on_advance(self._run_all_due)
        self.tokens = TokenStore(
            random.Random(f"tokens-{config.seed}"),
            lifetime=config.access_token_lifetime,
            idle_days=config.refresh_token_idle_days,
        )
        self.log = RequestLog()
        self.faults = FaultPlan(config.faults, config.seed)
        self.keys: dict[str, ApiKey] = {}
        self.accounts: dict[str, Account] = {}
        self.truncations: list[Truncation] = []
        self.outbox = Outbox()
        self.partners = PartnerRegistry(config)
        self.handler_errors: list[str] = []
        """Unexpected exceptions the app middleware turned into 500s (method, path, repr)."""
        self.shutdown = asyncio.Event()
        self.add_api_key(config.client_id, client_secret=config.client_secret)
        self.default_account = self.add_account(config.client_id, name="Sim Account")
        self.tokens.add_dev_token(
            config.access_token, self.default_account.account_id, config.client_id
        )

    def now(self) -> float:
        """Simulated POSIX time."""
        return self.clock.timestamp()

    def add_api_key(
        self,
        client_id: str,
        *,
        client_secret: str | None = None,
        refresh_tokens: str | None = None,
        per_second: float | str | None = "config",
        per_day: int | str | None = "config",
    ) -> ApiKey:
        """Register an API key; limits default to the config's, ``None`` = off."""
        if client_id in self.keys:
            raise ValueError(f"API key {client_id!r} already exists")
        cfg = self.config
        key = ApiKey(
            client_id,
            client_secret if client_secret is not None else f"{client_id}-secret",
            refresh_tokens=refresh_tokens or cfg.refresh_tokens,
            per_second=cfg.per_second if per_second == "config" else per_second,  # type: ignore[arg-type]
            per_day=cfg.per_day if per_day == "config" else per_day,  # type: ignore[arg-type]
            rate_rule=cfg.rate_rule,
            token_per_second=cfg.token_per_second,
        )
        self.keys[client_id] = key
        return key

    def add_account(self, client_id: str | None = None, *, name: str = "Sim Account") -> Account:
        """A new account served by API key ``client_id`` (default key when None)."""
        key = self.keys[client_id or self.config.client_id]
        account_id = f"a07e{self.rng.getrandbits(48):012x}"
        account = Account(self, account_id, key, name)
        self.accounts[account_id] = account
        key.account_ids.append(account_id)
        return account

    def internal_errors(self) -> list[str]:
        """Every unexpected exception the simulator contained (handlers, jobs, sends), in order
        of kind; empty in a healthy run (tests assert it after fuzzing)."""
        found = list(self.handler_errors)
        for account in self.accounts.values():
            found += [f"activity {a}: {e}" for a, e in account.activities.failures]
            found += [f"campaign {k} {r}: {e}" for k, r, e in account.campaigns.failures]
            found += [f"automation {a}: {e}" for a, e in account.automations.failures]
        return found

    def _run_all_due(self) -> None:
        """After a clock advance: everything due runs now, unsliced (tests step the clock)."""
        self.tick()

    def tick(self, max_units: int | None = None) -> bool:
        """Run the work due at the current simulated time (activities, campaign schedules).

        ``max_units`` bounds the bulk-activity rows applied per account in this call (the
        request middleware and the background ticker pass ``SLICE_UNITS``; a clock advance runs
        everything). Returns True when due activity work was left for a later call.
        """
        bind_rng(self.rng)
        now = self.clock.timestamp()
        moment: dt.datetime | None = None
        backlog = False
        for account in self.accounts.values():
            if account.activities.pending:
                backlog = account.activities.tick(now, max_units) or backlog
            if moment is None:
                moment = dt.datetime.fromtimestamp(now, dt.UTC)
            account.campaigns.tick(moment)
            account.automations.tick(moment)
        return backlog
