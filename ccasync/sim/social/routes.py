"""``/v3/social`` routes: profiles, connections, hashtag groups (paged) and post creation."""

from __future__ import annotations

import datetime as dt
import math

from aiohttp import web

from .._http import bad_request, csv_param, json_response, read_json
from .._state import Account
from .book import KEY, SocialBook

MAX_GROUPS = 5


def register_social_routes(app: web.Application) -> None:
    """Add the social routes."""
    r = app.router
    r.add_get("/v3/social/profiles", _profiles)
    r.add_get("/v3/social/connections", _connections)
    r.add_get("/v3/social/hashtags/groups", _hashtag_groups)
    r.add_post("/v3/social/posts", _create_post)


def _book(request: web.Request) -> SocialBook:
    account: Account = request["account"]
    return account.social


async def _profiles(request: web.Request) -> web.Response:
    include = csv_param(request, "include")
    if any(value != "accessible" for value in include):
        raise bad_request("include accepts only accessible.", KEY)
    return json_response(_book(request).profile_views("accessible" in include))


async def _connections(request: web.Request) -> web.Response:
    return json_response(_book(request).connections())


def _int_param(request: web.Request, name: str, default: int, low: int, high: int) -> int:
    raw = request.query.get(name)
    if raw is None:
        return default
    if not (len(raw) <= 9 and raw.isascii() and raw.isdigit()) or not low <= int(raw) <= high:
        raise bad_request(f"{name} must be an integer from {low} to {high}.", KEY)
    return int(raw)


async def _hashtag_groups(request: web.Request) -> web.Response:
    limit = _int_param(request, "limit", MAX_GROUPS, 1, MAX_GROUPS)
    page = _int_param(request, "page", 0, 0, 10**6)
    groups = _book(request).hashtag_groups
    chunk = groups[page * limit : (page + 1) * limit]
    links = {}
    if (page + 1) * limit < len(groups):
        links["next"] = {"href": f"{request.path}?limit={limit}&page={page + 1}"}
    meta = {
        "page": page,
        "size": limit,
        "total_elements": len(groups),
        "total_pages": math.ceil(len(groups) / limit),
    }
    return json_response({"hashtag_groups": chunk, "page": meta, "_links": links})


async def _create_post(request: web.Request) -> web.Response:
    now: dt.datetime = request["state"].clock.now()
    post = _book(request).create_post(await read_json(request), now)
    return json_response(post, 201)
