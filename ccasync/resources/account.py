"""The account API area (``/account/*``)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import Any

from ccasync import _checks
from ccasync._serde import structure
from ccasync.errors import ConflictError, ValidationError
from ccasync.models.account import (
    CONFIRM_STATUSES,
    EXTRA_FIELDS,
    ROLE_CODES,
    AccountEmail,
    AccountSummary,
    PhysicalAddress,
    UserPrivilege,
    check_physical_address,
    check_summary_update,
)
from ccasync.resources._base import Resource

_ADDRESS_PATH = "/account/summary/physical_address"


class AccountResource(Resource):
    """The account endpoints; reach it as ``cc.account``."""

    async def get_summary(self, extra_fields: Sequence[str] = ()) -> AccountSummary:
        """The account summary (``GET /account/summary``).

        ``extra_fields``: ``physical_address`` and/or ``company_logo``. One API call.
        Raises ValidationError (unknown extra field), APIError subclasses.
        """
        _checks.check_enums("extra_fields", list(extra_fields), EXTRA_FIELDS)
        return await self._requestor.get_model(
            "/account/summary", AccountSummary, params={"extra_fields": list(extra_fields) or None}
        )

    async def update_summary(self, **fields: str) -> AccountSummary:
        """Change some account summary fields (``PUT /account/summary``, a partial update).

        Writable: contact_email, contact_phone (≤25), country_code, first_name, last_name,
        organization_name, organization_phone, state_code, time_zone_id, website. One API
        call, retried safely. Raises ValidationError, APIError subclasses.
        """
        check_summary_update(fields)
        return await self._requestor.send_model(
            "PUT", "/account/summary", AccountSummary, json=fields
        )

    async def list_emails(
        self,
        confirm_status: str | None = None,
        role_code: str | None = None,
        *,
        email_address: str | None = None,
    ) -> list[AccountEmail]:
        """The account's email addresses (``GET /account/emails``), filtered by at most one of
        ``confirm_status`` (CONFIRMED, UNCONFIRMED, C, U), ``role_code`` (CONTACT, BILLING,
        REPLY_TO, JOURNALING, OTHER or their initials) or ``email_address``.

        One API call (not paginated). Raises ValidationError, APIError subclasses.
        """
        _checks.check_enum("confirm_status", confirm_status, CONFIRM_STATUSES)
        _checks.check_enum("role_code", role_code, ROLE_CODES)
        params = {
            "confirm_status": confirm_status,
            "role_code": role_code,
            "email_address": email_address,
        }
        given = [k for k, v in params.items() if v is not None]
        if len(given) > 1:
            raise ValidationError(" | ".join(given), "only one filter at a time is allowed")
        response = await self._requestor.request("GET", "/account/emails", params=params)
        return structure(response.data or [], list[AccountEmail])

    async def iter_emails(
        self, confirm_status: str | None = None, role_code: str | None = None
    ) -> AsyncIterator[AccountEmail]:
        """Iterate over :meth:`list_emails` (same filters and errors; one API call)."""
        for email in await self.list_emails(confirm_status, role_code):
            yield email

    async def confirmed_senders(self) -> list[str]:
        """The CONFIRMED addresses: the only ones allowed as ``from_email``/``reply_to_email``.

        One API call. Raises APIError subclasses.
        """
        emails = await self.list_emails(confirm_status="CONFIRMED")
        return [e.email_address for e in emails if e.confirmed and e.email_address]

    async def add_email(self, address: str) -> AccountEmail:
        """Add an account email (``POST /account/emails``); it stays UNCONFIRMED until the
        owner clicks the confirmation link Constant Contact sends.

        ``address`` ≤80 chars. One API call. Raises ValidationError, ConflictError (exists),
        other APIError subclasses.
        """
        _checks.check_required("address", address)
        _checks.check_length("address", address, max_len=80)
        return await self._requestor.send_model(
            "POST",
            "/account/emails",
            AccountEmail,
            json={"email_address": address},
            expected=(201,),
        )

    async def get_physical_address(self) -> PhysicalAddress:
        """The organisation's postal address (``GET /account/summary/physical_address``).

        One API call. Raises APIError subclasses (NotFoundError when none is set).
        """
        return await self._requestor.get_model(_ADDRESS_PATH, PhysicalAddress)

    async def set_physical_address(self, address: PhysicalAddress) -> PhysicalAddress:
        """Create or replace the organisation's postal address (required to send campaigns).

        POSTs it; when one exists already (409) PUTs it instead (a full replace: omitted
        fields are removed; needs the account owner role). One or two API calls. Raises
        ValidationError (missing line 1, city or country; postal code for US/CA; lines >80
        chars), ForbiddenError, other APIError subclasses.
        """
        check_physical_address(address)
        try:
            response = await self._requestor.request(
                "POST", _ADDRESS_PATH, json=address, expected=(201, 200)
            )
        except ConflictError:
            response = await self._requestor.request("PUT", _ADDRESS_PATH, json=address)
        data: Any = response.data
        return structure(data, PhysicalAddress)

    async def user_privileges(self) -> list[UserPrivilege]:
        """The privileges of the user behind the token (``GET /account/user/privileges``).

        Needs no scope: check ``contacts:write`` or ``campaign:send`` before a job that a
        Campaign Creator role would fail with 403. One API call. Raises APIError subclasses.
        """
        response = await self._requestor.request("GET", "/account/user/privileges")
        return structure(response.data or [], list[UserPrivilege])
