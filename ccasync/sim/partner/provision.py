"""Provisioning a client account: the ``Provision`` body checked, a real simulator account made.

The new account is served by the simulator's default API key, so its owner's tokens come from
the usual OAuth flows (in tests: ``sim.issue_tokens(encoded_account_id)``). It starts with the
``contact_email`` as its one CONFIRMED account email, no physical address (so a campaign needs
one first, as a real new account would; UNCONFIRMED), and, as the spec describes, the client
added to a default contact list ("General Interest"; the name is UNCONFIRMED).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from .._http import bad_request, conflict, iso, new_id
from .._validate import opt_bool, opt_str, req_str, valid_email
from ..contacts.records import SimList
from .records import ClientAccount, Partner

if TYPE_CHECKING:
    from .._state import SimState

KEY = "partner.api.validation.error"
_OPTIONAL = {
    "first_name": (2, 80),
    "last_name": (2, 80),
    "organization_name": (1, 50),
    "password": (8, 80),
    "contact_phone": (5, 25),
    "organization_phone": (5, 25),
    "external_id": (0, 255),
    "external_provider": (0, 80),
    "partner_account_id": (0, 80),
    "billing_locale": (0, 20),
    "time_zone_id": (0, 64),
    "website": (0, 255),
}
_SUMMARY = (
    "first_name",
    "last_name",
    "organization_name",
    "contact_phone",
    "organization_phone",
    "time_zone_id",
    "website",
)


def login_taken(state: SimState, login_name: str) -> bool:
    """True when any partner's client already uses ``login_name`` (case-insensitive)."""
    folded = login_name.casefold()
    return any(
        c.login_name.casefold() == folded
        for p in state.partners.partners.values()
        for c in p.clients.values()
    )


def provision(state: SimState, partner: Partner, body: Any, now: dt.datetime) -> ClientAccount:
    """POST /partner/accounts: validate, create the account, record it as the partner's client."""
    if not isinstance(body, dict):
        raise bad_request("The request body must be a Provision object.", KEY)
    email = req_str(body, "contact_email", 80)
    if not valid_email(email):
        raise bad_request("contact_email is not a valid email address.", KEY)
    login = req_str(body, "login_name", 50, min_len=6)
    country = req_str(body, "country_code", 3, min_len=2).upper()
    region = req_str(body, "state_code", 3, min_len=0)
    values = {f: opt_str(body, f, high, min_len=low) for f, (low, high) in _OPTIONAL.items()}
    managed = opt_bool(body, "managed_site_owner")
    for flag in ("enable_single_billing", "gdpr_opt_out"):
        opt_bool(body, flag)
    if login_taken(state, login):
        raise conflict(f"The login_name {login} is already in use.", "partner.api.conflict")
    organization = values["organization_name"] or login
    account = state.add_account(name=organization)
    account.summary |= {"contact_email": email, "country_code": country, "state_code": region}
    account.summary |= {f: values[f] for f in _SUMMARY if values[f] is not None}
    account.emails = [
        {
            "email_address": email,
            "email_id": 1,
            "confirm_status": "CONFIRMED",
            "confirm_time": iso(now),
            "confirm_source_type": "PARTNER",
            "roles": ["CONTACT", "BILLING", "REPLY_TO"],
            "pending_roles": [],
        }
    ]
    account.physical_address = None
    default_list = SimList(new_id(), "General Interest", now, now)
    account.lists[default_list.list_id] = default_list
    owner = account.create_contact(email, now)
    owner.first_name, owner.last_name = values["first_name"], values["last_name"]
    account.add_membership(owner, default_list.list_id)
    client = ClientAccount(
        account_id=account.account_id,
        provision_uuid=new_id(),
        login_name=login,
        managed=True if managed is None else managed,
        created_at=now,
    )
    partner.clients[account.account_id] = client
    return client
