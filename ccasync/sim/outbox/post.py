"""Putting a delivered message in the outbox, rendered for its recipient."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import TYPE_CHECKING, Protocol

from .records import OutboxMessage, Template
from .render import contact_values, owner_values

if TYPE_CHECKING:
    from .._state import Account


class Draft(Protocol):
    """What a message is made from (a campaign activity or an automation email has it)."""

    @property
    def activity_id(self) -> str: ...
    @property
    def campaign_id(self) -> str | None: ...
    @property
    def from_name(self) -> str: ...
    @property
    def from_email(self) -> str: ...
    @property
    def reply_to_email(self) -> str: ...
    @property
    def subject(self) -> str: ...
    @property
    def html_content(self) -> str: ...
    @property
    def preheader(self) -> str | None: ...


def _template(draft: Draft) -> Template:
    return Template(draft.subject, draft.preheader, draft.html_content)


def _message(
    account: Account,
    kind: str,
    draft: Draft,
    template: Template,
    values: dict[str, str],
    to: str,
    contact_id: str | None,
    at: dt.datetime,
    personal_message: str | None = None,
) -> OutboxMessage:
    return OutboxMessage(
        kind=kind,
        account_id=account.account_id,
        activity_id=draft.activity_id,
        campaign_id=draft.campaign_id,
        contact_id=contact_id,
        to=to,
        from_name=draft.from_name,
        from_email=draft.from_email,
        reply_to_email=draft.reply_to_email,
        sent_at=at,
        template=template,
        values=values,
        personal_message=personal_message,
    )


def to_contacts(
    account: Account, kind: str, draft: Draft, contact_ids: Iterable[str], at: dt.datetime
) -> None:
    """Record ``draft`` delivered to each contact, merge tags filled from its own fields."""
    names = {f.custom_field_id: f.name for f in account.custom_fields.values()}
    outbox = account.state.outbox
    template = _template(draft)
    for contact_id in contact_ids:
        contact = account.contacts.get(contact_id)
        if contact is None or not contact.email:
            continue
        values = contact_values(contact, names)
        message = _message(account, kind, draft, template, values, contact.email, contact_id, at)
        outbox.add(message)


def to_addresses(
    account: Account,
    draft: Draft,
    addresses: Iterable[str],
    personal_message: str | None,
    at: dt.datetime,
) -> None:
    """Record a test send: each address gets the email with the account owner's details.

    UNCONFIRMED (a conflict): Constant Contact's knowledge base says a test shows "the personal
    information you provided for your own account"; the API reference notes that dynamic content
    is not processed in test sends. The simulator fills the personalization tags with the owner's
    details, as the knowledge base describes.
    """
    values = owner_values(account.summary, (f.name for f in account.custom_fields.values()))
    outbox = account.state.outbox
    template = _template(draft)
    for address in addresses:
        message = _message(
            account, "test", draft, template, values, address, None, at, personal_message
        )
        outbox.add(message)
