"""The technology-partner client: ``x-api-key`` plus a short-lived partner JWT.

- :class:`PartnerClient` calls ``/partner/…``: client accounts (provision, plans, cancel, SSO
  users, unsubscribes, ``account_operations/sync`` on a client account's behalf) and webhook
  topic subscriptions.
- :class:`PartnerToken` keeps the partner JWT valid (client credentials; what the docs leave
  open is marked UNCONFIRMED in its module).
"""

from ccasync.partner._client import PartnerClient
from ccasync.partner._token import DEFAULT_PARTNER_TOKEN_URL, PARTNER_SCOPE, PartnerToken

__all__ = ["DEFAULT_PARTNER_TOKEN_URL", "PARTNER_SCOPE", "PartnerClient", "PartnerToken"]
