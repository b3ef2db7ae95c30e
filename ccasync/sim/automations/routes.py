"""``/v3/automations/workflows`` routes (list, create, get, update).

UNCONFIRMED: the spec documents the list's success status as **209**, almost certainly a typo;
the simulator answers 200 (the conformance test validates it against the 209 schema).
"""

from __future__ import annotations

import datetime as dt

from aiohttp import web

from .._http import json_response, read_json
from .._state import Account
from .._validate import is_choice
from . import rules
from .book import AutomationBook
from .records import automation_json, summary_json

_SORTS = ("ASC", "DESC")
_ORIGINS = ("SCRATCH", "TEMPLATE")


def register_automation_routes(app: web.Application) -> None:
    """Add the automation routes."""
    r = app.router
    r.add_get("/v3/automations/workflows", _list)
    r.add_post("/v3/automations/workflows", _create)
    r.add_get("/v3/automations/workflows/{automation_flow_id}", _get)
    r.add_put("/v3/automations/workflows/{automation_flow_id}", _put)


def _book(request: web.Request) -> AutomationBook:
    account: Account = request["account"]
    return account.automations


def _now(request: web.Request) -> dt.datetime:
    now: dt.datetime = request["state"].clock.now()
    return now


async def _list(request: web.Request) -> web.Response:
    query = {k: v for k, v in request.query.items() if len(v) <= 255}
    if not is_choice(query.get("sort_direction", "DESC"), _SORTS):
        raise rules.invalid("sort_direction must be ASC or DESC.")
    if not is_choice(query.get("created_from", "SCRATCH"), _ORIGINS):
        raise rules.invalid("created_from must be SCRATCH or TEMPLATE.")
    flows = _book(request).listing(query)
    return json_response({"flow_summaries": [summary_json(f) for f in flows]})


async def _create(request: web.Request) -> web.Response:
    name = rules.workflow_name(request.query.get("workflowName"))
    flow = _book(request).create(await read_json(request), name, _now(request))
    return json_response(automation_json(flow), 201)


async def _get(request: web.Request) -> web.Response:
    flow = _book(request).get(request.match_info["automation_flow_id"])
    return json_response(automation_json(flow))


async def _put(request: web.Request) -> web.Response:
    body = await read_json(request)
    flow = _book(request).update(request.match_info["automation_flow_id"], body, _now(request))
    return json_response(automation_json(flow))
