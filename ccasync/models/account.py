"""Account records (``/account/*``): summary, sender emails and the physical address."""

from __future__ import annotations

import datetime as dt
from typing import Any

import attrs

from ccasync import _checks
from ccasync.errors import ValidationError

EXTRA_FIELDS = frozenset({"physical_address", "company_logo"})
"""Values of ``extra_fields`` on ``GET /account/summary``."""
CONFIRM_STATUSES = frozenset({"CONFIRMED", "C", "UNCONFIRMED", "U"})
"""Values of the ``confirm_status`` filter of ``GET /account/emails``."""
ROLE_CODES = frozenset(
    {"CONTACT", "C", "BILLING", "B", "JOURNALING", "J", "REPLY_TO", "R", "OTHER", "O"}
)
"""Values of the ``role_code`` filter of ``GET /account/emails``."""
SUMMARY_WRITABLE = frozenset(
    {
        "contact_email",
        "contact_phone",
        "country_code",
        "first_name",
        "last_name",
        "organization_name",
        "organization_phone",
        "state_code",
        "time_zone_id",
        "website",
    }
)
"""Fields ``PUT /account/summary`` changes (partial update)."""
US_CA = frozenset({"US", "CA"})
"""Countries whose addresses use ``state_code`` and need ``postal_code``."""


@attrs.define(kw_only=True)
class PhysicalAddress:
    """The organisation's postal address, required to send campaigns.

    ``address_line1`` (1-80 chars), ``city`` and ``country_code`` are required; ``state_code``
    (2 chars) and ``postal_code`` apply to US/CA, ``state_name`` to other countries.
    """

    address_line1: str
    city: str
    country_code: str
    address_line2: str | None = None
    address_line3: str | None = None
    state_code: str | None = None
    state_name: str | None = None
    postal_code: str | None = None
    extra: dict[str, Any] = attrs.field(factory=dict, repr=False)


@attrs.define(kw_only=True)
class CompanyLogo:
    """The account's logo (``extra_fields=company_logo``)."""

    url: str | None = None
    external_url: str | None = None
    internal_id: str | None = None
    extra: dict[str, Any] = attrs.field(factory=dict, repr=False)


@attrs.define(kw_only=True)
class AccountSummary:
    """The account (``Customer``): contact details, organisation, time zone (IANA id).

    ``physical_address`` and ``company_logo`` are only sent when requested.
    """

    contact_email: str | None = None
    contact_phone: str | None = None
    country_code: str | None = None
    encoded_account_id: str | None = None
    encoded_partner_id: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    organization_name: str | None = None
    organization_phone: str | None = None
    state_code: str | None = None
    time_zone_id: str | None = None
    website: str | None = None
    physical_address: PhysicalAddress | None = None
    company_logo: CompanyLogo | None = None
    extra: dict[str, Any] = attrs.field(factory=dict, repr=False)


@attrs.define(kw_only=True)
class AccountEmail:
    """An email address of the account; only ``CONFIRMED`` ones may send campaigns."""

    email_address: str | None = None
    email_id: int | None = None
    confirm_status: str | None = None
    confirm_time: dt.datetime | None = None
    confirm_source_type: str | None = None
    roles: list[str] = attrs.field(factory=list)
    pending_roles: list[str] = attrs.field(factory=list)
    extra: dict[str, Any] = attrs.field(factory=dict, repr=False)

    @property
    def confirmed(self) -> bool:
        """True when ``confirm_status`` is ``CONFIRMED``."""
        return self.confirm_status == "CONFIRMED"


def check_physical_address(address: PhysicalAddress) -> None:
    """Required fields present, lines 1-80 chars, 2-letter state code only for US/CA."""
    for name in ("address_line1", "city", "country_code"):
        _checks.check_required(name, getattr(address, name))
    _checks.check_length("address_line1", address.address_line1, max_len=80, min_len=1)
    _checks.check_length("address_line2", address.address_line2, max_len=80)
    _checks.check_length("address_line3", address.address_line3, max_len=80)
    _checks.check_length("state_code", address.state_code, max_len=2)
    if address.country_code.upper() in US_CA:
        _checks.check_required("postal_code", address.postal_code)
    elif address.state_code:
        raise ValidationError("state_code", "only for US and CA; use state_name elsewhere")


def check_summary_update(fields: dict[str, Any]) -> None:
    """Only writable summary fields, as strings; ``contact_phone`` ≤25 chars."""
    if not fields:
        raise ValidationError("fields", "give at least one field to update")
    for name, value in fields.items():
        if name not in SUMMARY_WRITABLE:
            raise ValidationError(name, "is not a writable account summary field")
        if not isinstance(value, str):
            raise ValidationError(name, "must be a string", value=value)
    _checks.check_length("contact_phone", fields.get("contact_phone"), max_len=25)


@attrs.define(kw_only=True)
class UserPrivilege:
    """One privilege of the user behind the token (``GET /account/user/privileges``).

    ``privilege_name`` reads like ``contacts:write`` or ``campaign:send`` (reference §2.6).
    """

    privilege_name: str
    privilege_id: int | None = None
    extra: dict[str, Any] = attrs.field(factory=dict, repr=False)
