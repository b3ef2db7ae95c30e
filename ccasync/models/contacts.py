"""Contact records (``/contacts``): a contact to create, a contact read, counts, sign-up results.

:class:`NewContact` is what ``cc.contacts.create`` sends; :class:`Contact` (a subclass adding
``contact_id`` and the other server-assigned fields) is what the API returns.

JSON keys are attribute names. Sub-resource lists of :class:`Contact` (``custom_fields``,
``phone_numbers``, ``street_addresses``, ``list_memberships``, ``taggings``, ``notes``) are
``None`` when the server did not send them (they are only returned when requested with
``include=``): a ``None`` list is omitted on PUT and the API then leaves it untouched, whereas
``[]`` clears it. Every record keeps unknown server keys in ``extra`` and writes them back.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import attrs

from ccasync import _checks
from ccasync.errors import ValidationError

PERMISSIONS = frozenset(
    {"explicit", "implicit", "not_set", "pending_confirmation", "temp_hold", "unsubscribed"}
)
"""Values of ``email_address.permission_to_send``."""
SOURCES = frozenset({"Contact", "Account"})
"""Values of ``create_source`` / ``update_source`` / ``opt_in_source``."""
PHONE_KINDS = frozenset({"home", "work", "mobile", "other"})
"""Values of ``PhoneNumber.kind``."""
ADDRESS_KINDS = frozenset({"home", "work", "other"})
"""Values of ``StreetAddress.kind``."""
INCLUDES = frozenset(
    {"custom_fields", "list_memberships", "phone_numbers", "street_addresses", "taggings", "notes"}
)
"""Sub-resources that ``include=`` may request on ``GET /contacts`` and ``GET /contacts/{id}``."""
STATUSES = frozenset(
    {"all", "active", "deleted", "not_set", "pending_confirmation", "temp_hold", "unsubscribed"}
)
"""Values of the ``status`` filter of ``GET /contacts``."""
SMS_STATUSES = frozenset({"all", "explicit", "unsubscribed", "pending_confirmation", "not_set"})
"""Values of the ``sms_status`` filter of ``GET /contacts``."""

NAME_MAX = 50
"""Max characters of ``first_name``, ``last_name``, ``job_title``, ``company_name``."""
EMAIL_MAX = 80
"""Max characters of an email address."""
MAX_LISTS = 50
"""Max list memberships per contact."""
MAX_CUSTOM_FIELDS = 25
"""Max custom field values per contact."""
MAX_PHONES = 3
"""Max phone numbers per contact."""
MAX_ADDRESSES = 3
"""Max street addresses per contact."""
MAX_TAGS = 50
"""Max tags per contact."""
MAX_NOTES = 150
"""Max notes per contact."""


@attrs.define(kw_only=True)
class EmailAddress:
    """A contact's email address and its consent state (``permission_to_send``).

    On write only ``address`` (≤80 chars), ``permission_to_send`` (one of :data:`PERMISSIONS`)
    and ``opt_out_reason`` (≤255) matter; the rest is read-only.
    """

    address: str
    permission_to_send: str | None = None
    created_at: dt.datetime | None = None
    updated_at: dt.datetime | None = None
    opt_in_source: str | None = None
    opt_in_date: dt.datetime | None = None
    opt_out_source: str | None = None
    opt_out_date: dt.datetime | None = None
    opt_out_reason: str | None = None
    confirm_status: str | None = None
    extra: dict[str, Any] = attrs.field(factory=dict, repr=False)


@attrs.define(kw_only=True)
class PhoneNumber:
    """One phone number (≤25 chars) of a kind in :data:`PHONE_KINDS`."""

    phone_number: str | None = None
    kind: str | None = None
    phone_number_id: str | None = None
    created_at: dt.datetime | None = None
    updated_at: dt.datetime | None = None
    update_source: str | None = None
    create_source: str | None = None
    extra: dict[str, Any] = attrs.field(factory=dict, repr=False)


@attrs.define(kw_only=True)
class StreetAddress:
    """One postal address; ``kind`` (home, work, other) is required, street ≤255, others ≤50."""

    kind: str
    street: str | None = None
    city: str | None = None
    state: str | None = None
    postal_code: str | None = None
    country: str | None = None
    street_address_id: str | None = None
    created_at: dt.datetime | None = None
    updated_at: dt.datetime | None = None
    extra: dict[str, Any] = attrs.field(factory=dict, repr=False)


@attrs.define(kw_only=True)
class ContactCustomField:
    """A custom field value on a contact: ``custom_field_id`` (UUID), ``value`` ≤255 chars.

    ``choice_ids`` selects choices of single/multi-select fields.
    """

    custom_field_id: str
    value: str | None = None
    choice_ids: list[str] | None = None
    extra: dict[str, Any] = attrs.field(factory=dict, repr=False)


@attrs.define(kw_only=True)
class Note:
    """A note on a contact (content ≤2,000 chars; ≤150 notes per contact)."""

    note_id: str | None = None
    created_at: dt.datetime | None = None
    content: str | None = None
    extra: dict[str, Any] = attrs.field(factory=dict, repr=False)


@attrs.define(kw_only=True)
class NewContact:
    """A contact to create (``POST /contacts``): the fields you send, no server-assigned ones.

    ``create_source`` (``Contact`` or ``Account``) is required, and one of ``first_name``,
    ``last_name``, ``email_address``, ``sms_channel``. ``cc.contacts.create`` answers with a
    :class:`Contact`, whose ``contact_id`` is always set. ``sms_channel`` is kept as the raw JSON
    object: its request and response shapes differ. See the module docstring for ``None``
    versus ``[]`` sub-resources.
    """

    email_address: EmailAddress | None = None
    first_name: str | None = None
    last_name: str | None = None
    job_title: str | None = None
    company_name: str | None = None
    birthday_month: int | None = None
    birthday_day: int | None = None
    anniversary: str | None = None
    create_source: str | None = None
    custom_fields: list[ContactCustomField] | None = None
    phone_numbers: list[PhoneNumber] | None = None
    street_addresses: list[StreetAddress] | None = None
    list_memberships: list[str] | None = None
    taggings: list[str] | None = None
    notes: list[Note] | None = None
    sms_channel: dict[str, Any] | None = None
    extra: dict[str, Any] = attrs.field(factory=dict, repr=False)


@attrs.define(kw_only=True)
class Contact(NewContact):
    """A contact as the API returns it (``ContactResource``): ``contact_id`` is always set.

    Read it, change it, and PUT it back with ``update``, which needs ``update_source``. An
    answer without ``contact_id`` raises :class:`~ccasync.errors.DecodeError` naming the field.
    A ``Contact`` passed to ``cc.contacts.create`` sends only its :class:`NewContact` fields.
    """

    contact_id: str
    update_source: str | None = None
    created_at: dt.datetime | None = None
    updated_at: dt.datetime | None = None
    deleted_at: dt.date | None = None


@attrs.define(kw_only=True)
class ContactCounts:
    """Contact totals by consent state (``GET /contacts/counts``)."""

    total: int | None = None
    explicit: int | None = None
    implicit: int | None = None
    pending: int | None = None
    unsubscribed: int | None = None
    new_subscriber: int | None = None
    extra: dict[str, Any] = attrs.field(factory=dict, repr=False)


@attrs.define(kw_only=True)
class SignUpFormResult:
    """The answer of ``POST /contacts/sign_up_form``.

    ``created`` is True when the API created the contact (201), False when it updated an
    existing one (200). ``action`` is the API's own word for it (UNCONFIRMED literal values,
    documented as "created or updated").
    """

    contact_id: str
    action: str | None = None
    created: bool = False
    extra: dict[str, Any] = attrs.field(factory=dict, repr=False)


def check_new_contact(contact: NewContact) -> None:
    """Validate ``contact`` for ``POST /contacts``.

    Raises :class:`ValidationError` naming the field and the broken rule.
    """
    _checks.check_required("create_source", contact.create_source)
    _check_minimal(contact)
    _checks.check_enum("create_source", contact.create_source, SOURCES)
    _check_fields(contact)


def check_contact_update(contact: Contact) -> None:
    """Validate ``contact`` for ``PUT /contacts/{contact_id}``.

    A PUT of a record read as deleted (``deleted_at`` set) revives it and needs
    ``update_source`` Account (the spec's rule).

    Raises :class:`ValidationError` naming the field and the broken rule.
    """
    _checks.check_uuid("contact_id", contact.contact_id)
    _checks.check_required("update_source", contact.update_source)
    if contact.deleted_at is not None and contact.update_source != "Account":
        raise ValidationError("update_source", "must be Account to restore a deleted contact")
    _checks.check_enum("create_source", contact.create_source, SOURCES)
    _checks.check_enum("update_source", contact.update_source, SOURCES)
    _check_fields(contact)


def _check_fields(contact: NewContact) -> None:
    _check_scalars(contact)
    _check_email(contact.email_address)
    _check_sub_resources(contact)


def _check_minimal(contact: NewContact) -> None:
    if not any((contact.first_name, contact.last_name, contact.email_address, contact.sms_channel)):
        raise ValidationError(
            "contact", "needs at least one of first_name, last_name, email_address, sms_channel"
        )


def _check_scalars(contact: NewContact) -> None:
    for name in ("first_name", "last_name", "job_title", "company_name"):
        _checks.check_length(name, getattr(contact, name), max_len=NAME_MAX)
    _checks.check_length("anniversary", contact.anniversary, max_len=10)
    check_birthday(contact.birthday_month, contact.birthday_day)


def check_birthday(month: int | None, day: int | None, *, row: int | None = None) -> None:
    """``birthday_month`` 1-12 and ``birthday_day`` 1-31, given together or not at all."""
    _checks.check_range("birthday_month", month, low=1, high=12, row=row)
    _checks.check_range("birthday_day", day, low=1, high=31, row=row)
    if (month is None) != (day is None):
        raise ValidationError("birthday_month", "must be given together with birthday_day", row=row)


def _check_email(email: EmailAddress | None) -> None:
    if email is None:
        return
    _checks.check_required("email_address.address", email.address)
    _checks.check_length("email_address.address", email.address, max_len=EMAIL_MAX)
    _checks.check_enum("email_address.permission_to_send", email.permission_to_send, PERMISSIONS)
    _checks.check_length("email_address.opt_out_reason", email.opt_out_reason, max_len=255)


def _check_sub_resources(contact: NewContact) -> None:
    _checks.check_uuids("list_memberships", contact.list_memberships, max_items=MAX_LISTS)
    _checks.check_uuids("taggings", contact.taggings, max_items=MAX_TAGS)
    _checks.check_count("notes", contact.notes, max_items=MAX_NOTES)
    _check_custom_fields(contact.custom_fields)
    _check_phones(contact.phone_numbers)
    _check_addresses(contact.street_addresses)


def _check_custom_fields(fields: list[ContactCustomField] | None) -> None:
    _checks.check_count("custom_fields", fields, max_items=MAX_CUSTOM_FIELDS)
    for i, field in enumerate(fields or ()):
        _checks.check_uuid(f"custom_fields[{i}].custom_field_id", field.custom_field_id)
        _checks.check_length(f"custom_fields[{i}].value", field.value, max_len=255)


def _check_phones(phones: list[PhoneNumber] | None) -> None:
    _checks.check_count("phone_numbers", phones, max_items=MAX_PHONES)
    for i, phone in enumerate(phones or ()):
        _checks.check_length(f"phone_numbers[{i}].phone_number", phone.phone_number, max_len=25)
        _checks.check_enum(f"phone_numbers[{i}].kind", phone.kind, PHONE_KINDS)


def _check_addresses(addresses: list[StreetAddress] | None) -> None:
    _checks.check_count("street_addresses", addresses, max_items=MAX_ADDRESSES)
    for i, address in enumerate(addresses or ()):
        check_street_address(address, field=f"street_addresses[{i}]")


def check_street_address(address: StreetAddress, *, field: str = "street_address") -> None:
    """``kind`` is required and known; street ≤255 chars; city/state/postal_code/country ≤50."""
    _checks.check_required(f"{field}.kind", address.kind)
    _checks.check_enum(f"{field}.kind", address.kind, ADDRESS_KINDS)
    _checks.check_length(f"{field}.street", address.street, max_len=255)
    for name in ("city", "state", "postal_code", "country"):
        _checks.check_length(f"{field}.{name}", getattr(address, name), max_len=50)


XREF_MAX = 500
"""Max V2 ids per ``GET /contacts/contact_id_xrefs`` (and ``/contact_lists/list_id_xrefs``) call."""


@attrs.define(kw_only=True)
class ContactXref:
    """A V2 contact id (``sequence_id``) mapped to its V3 ``contact_id``."""

    sequence_id: str
    contact_id: str | None = None
    extra: dict[str, Any] = attrs.field(factory=dict, repr=False)
