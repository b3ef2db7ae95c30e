"""``/v3/partner/webhooks/subscriptions`` routes: the four billing topics, subscribe, test.

A test send records a :class:`~ccasync.sim.partner.records.WebhookDelivery` with ``test=True``
and example data (the spec: "a POST notification to your chosen topic's callback URI with example
data"); testing a topic without a subscription is 400 (UNCONFIRMED). ``hook_uri`` must be an
absolute https URL of at most 2,048 characters (UNCONFIRMED; http is refused as a callback would
carry the api key).
"""

from __future__ import annotations

import datetime as dt

from aiohttp import web

from .._http import ApiFailure, bad_request, json_response, read_json, read_object
from .provision import KEY
from .records import TOPICS, Partner, topic_json

_BASE = "/v3/partner/webhooks/subscriptions"
_ONE = _BASE + "/{topic_id}"


def register_partner_webhook_routes(app: web.Application) -> None:
    """Add the webhook subscription routes."""
    r = app.router
    r.add_get(_BASE, _list)
    r.add_get(_ONE, _get)
    r.add_put(_ONE, _put)
    r.add_delete(_ONE, _delete)
    r.add_post(_ONE + "/tests", _test)


def _topic(request: web.Request) -> int:
    raw = request.match_info["topic_id"]
    if not (len(raw) <= 3 and raw.isascii() and raw.isdigit()) or int(raw) not in TOPICS:
        raise ApiFailure(404, "partner.api.not_found", f"Topic {raw[:20]} was not found.")
    return int(raw)


def _partner(request: web.Request) -> Partner:
    partner: Partner = request["partner"]
    return partner


async def _list(request: web.Request) -> web.Response:
    hooks = _partner(request).hooks
    return json_response([topic_json(t, hooks[t]) for t in sorted(hooks)])


async def _get(request: web.Request) -> web.Response:
    topic = _topic(request)
    return json_response(topic_json(topic, _partner(request).hooks.get(topic)))


async def _put(request: web.Request) -> web.Response:
    topic = _topic(request)
    body = read_object(await read_json(request))
    hook = body.get("hook_uri")
    if not isinstance(hook, str) or len(hook) > 2048 or not hook.startswith("https://"):
        raise bad_request("hook_uri must be an https URL of at most 2048 characters.", KEY)
    _partner(request).hooks[topic] = hook
    return json_response({"topic_id": topic, "hook_uri": hook})


async def _delete(request: web.Request) -> web.Response:
    topic = _topic(request)
    if _partner(request).hooks.pop(topic, None) is None:
        raise ApiFailure(404, "partner.api.not_found", f"No subscription to topic {topic}.")
    return web.Response(status=204)


async def _test(request: web.Request) -> web.Response:
    topic = _topic(request)
    partner = _partner(request)
    if topic not in partner.hooks:
        raise bad_request(f"Subscribe to topic {topic} before testing it.", KEY)
    now: dt.datetime = request["state"].clock.now()
    partner.notify(
        topic, "https://api.cc.email/v3/partner/accounts/a07e00000000/plan", now, test=True
    )
    return json_response(topic_json(topic, partner.hooks[topic]), 201)
