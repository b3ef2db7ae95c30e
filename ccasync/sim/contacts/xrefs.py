"""V2 -> V3 id cross-references for contacts and lists (``…/contact_id_xrefs``, ``list_id_xrefs``).

Every contact and list of a simulated account has a V2 ``sequence_id``: its 1-based position in
creation order, zero-padded to 10 digits like the spec's example ("0016633325"). The positions
never change (deleted records stay in the account's tables), so the mapping is stable.
UNCONFIRMED: whether contacts and lists created through V3 have a V2 id at all, and whether the
real API lists unknown or deleted ids; the simulator maps every id it knows (deleted ones
included, as V2 ids outlive deletion) and leaves unknown ids out, sorted by ``sequence_id`` as
the spec says.

These routes must be registered before ``/v3/contacts/{contact_id}`` and
``/v3/contact_lists/{list_id}``, which would otherwise take ``contact_id_xrefs`` for an id.
"""

from __future__ import annotations

from collections.abc import Iterable

from aiohttp import web

from .._http import bad_request, csv_param, json_response
from .._state import Account

MAX_IDS = 500
_DIGITS = 10


def register_xref_routes(app: web.Application) -> None:
    """Add the two xref routes (before the ``{id}`` routes of contacts and lists)."""
    app.router.add_get("/v3/contacts/contact_id_xrefs", _contact_xrefs)
    app.router.add_get("/v3/contact_lists/list_id_xrefs", _list_xrefs)


def sequence_id(position: int) -> str:
    """The V2 id of the record created ``position``-th (from 1) in its account."""
    return f"{position:0{_DIGITS}d}"


def _wanted(request: web.Request) -> list[int]:
    raw = csv_param(request, "sequence_ids")
    if not raw or len(raw) > MAX_IDS:
        raise bad_request(f"sequence_ids must list 1 to {MAX_IDS} ids.")
    wanted: list[int] = []
    for item in raw:
        if not (len(item) <= 18 and item.isascii() and item.isdigit()):
            raise bad_request(f"sequence_ids: {item[:40]!r} is not a V2 id.")
        wanted.append(int(item))
    return sorted(set(wanted))


def _pairs(ids: Iterable[str], wanted: list[int]) -> list[tuple[str, str]]:
    table = list(ids)
    return [(sequence_id(n), table[n - 1]) for n in wanted if 1 <= n <= len(table)]


async def _contact_xrefs(request: web.Request) -> web.Response:
    account: Account = request["account"]
    pairs = _pairs(account.contacts, _wanted(request))
    return json_response({"xrefs": [{"sequence_id": s, "contact_id": c} for s, c in pairs]})


async def _list_xrefs(request: web.Request) -> web.Response:
    account: Account = request["account"]
    pairs = _pairs(account.lists, _wanted(request))
    return json_response({"xrefs": [{"sequence_id": s, "list_id": i} for s, i in pairs]})
