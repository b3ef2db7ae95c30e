"""ccasync.sim: a stateful offline Constant Contact v3 server (limits, faults, virtual clock).

It imports nothing from the rest of ccasync, so a misunderstanding of the API cannot hide in
both the client and the simulator. In process::

    async with serve(SimConfig(per_second=None, per_day=None)) as sim:
        sim.base_url    # http://127.0.0.1:PORT/v3
        sim.token       # development token of the default account
        sim.outbox      # every delivered message, merge tags filled (ccasync.sim.outbox)

The outbox holds one :class:`OutboxMessage` per delivered message (campaign sends, non-opener
resends, test sends, automation emails): recipient, activity, and the rendered subject, preheader
and HTML, with Constant Contact's ``[[FirstName]]``-style tags (``[[FirstName OR "Friend"]]``
fallbacks, custom fields by name) filled from the contact's fields; test sends get the account
owner's details. ``sim.outbox.find(to=..., activity_id=..., kind=...)`` filters it; the tag list
and what is UNCONFIRMED are in :mod:`ccasync.sim.outbox.render`.

Command line: ``python -m ccasync.sim --port 8080`` (see ``--help``; the fault grammar is in
:mod:`ccasync.sim._faults`).

Layout: the names exported here are the simulator's public API; everything else is internal.
The root holds what every area shares (``_server`` runs it, ``_app`` is the middleware chain,
``_config``, ``_clock``, ``_state``, ``_identity``, ``_log``, ``_http`` request/response
helpers, ``_validate``, ``_limits``, ``_faults``, ``_account``). Each API area is a subpackage
holding its routes with their records and rules: ``oauth/``, ``contacts/`` (contacts, lists,
tags, custom fields, V2 xrefs), ``activities/`` (the bulk-activity queue, imports and other
jobs), ``segments/``, ``campaigns/``, ``reports/`` (email, contact, landing-page and SMS
reports), ``automations/``, ``events/``, ``social/`` and ``partner/`` (technology partners: their
own token endpoint, client accounts, webhooks); ``outbox/`` renders every delivered message.
Every one of the spec's 128 operations is served. Area modules are named plainly (``routes``,
``records``, ``rules``) because sibling areas share them; they are internal all the same.

Technology partners: ``POST {sim.url}/partner/oauth2/token`` with the client credentials
``sim.partner_client_id`` / ``sim.partner_client_secret`` gives a JWT; ``/v3/partner/*`` requests
send it as a Bearer token together with ``x-api-key: sim.partner_api_key``. Accounts a partner
provisions are real simulator accounts (``sim.issue_tokens(encoded_account_id)`` gives their
owner's tokens); webhook notifications are recorded in
``sim.state.partners.partners[api_key].deliveries``.
"""

from ._clock import VirtualClock
from ._config import SimConfig
from ._faults import FaultSpecError
from ._identity import ApiKey
from ._log import LogEntry, RequestLog
from ._server import AccountHandle, Sim, serve
from ._state import Account, SimState
from .outbox.records import Outbox, OutboxMessage

__all__ = [
    "Account",
    "AccountHandle",
    "ApiKey",
    "FaultSpecError",
    "LogEntry",
    "Outbox",
    "OutboxMessage",
    "RequestLog",
    "Sim",
    "SimConfig",
    "SimState",
    "VirtualClock",
    "serve",
]
