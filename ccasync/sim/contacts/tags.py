"""Tag endpoints (``/v3/contact_tags``): CRUD with asynchronous delete (202 + activity).

As documented, the next-page href of ``GET /contact_tags`` is the INTERNAL path
``/contacts-service/v3/accounts/<account_id>/contact_tags?cursor=...``: clients must take the
cursor and call ``/v3/contact_tags?cursor=...``.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from .._http import (
    conflict,
    iso,
    json_response,
    new_id,
    not_found,
    page,
    query_flag,
    read_json,
    read_object,
    require_uuid,
)
from .._state import Account
from .._validate import opt_str, req_str
from ..activities.jobs import TagDeleteJob
from ..activities.submit import submit
from .records import SimTag


def register_tag_routes(app: web.Application) -> None:
    """Add the ``/v3/contact_tags`` routes."""
    r = app.router
    r.add_get("/v3/contact_tags", _search)
    r.add_post("/v3/contact_tags", _create)
    r.add_get("/v3/contact_tags/{tag_id}", _get)
    r.add_put("/v3/contact_tags/{tag_id}", _put)
    r.add_delete("/v3/contact_tags/{tag_id}", _delete)


def tag_json(account: Account, tag: SimTag, with_count: bool) -> dict[str, Any]:
    """A ``Tag``; ``contacts_count`` counts live contacts when asked."""
    body: dict[str, Any] = {"tag_id": tag.tag_id, "name": tag.name}
    if with_count:
        body["contacts_count"] = sum(not account.contacts[c].is_deleted for c in tag.members)
    body["created_at"] = iso(tag.created_at)
    body["updated_at"] = iso(tag.updated_at)
    if tag.tag_source is not None:
        body["tag_source"] = tag.tag_source
    return body


def _find(request: web.Request) -> SimTag:
    account: Account = request["account"]
    tag_id = require_uuid(request.match_info["tag_id"], "tag_id")
    tag = account.tags.get(tag_id)
    if tag is None:
        raise not_found(f"Tag {tag_id} was not found.", "contact_tags.api.not_found")
    return tag


def _name_free(account: Account, name: str, own_id: str | None = None) -> None:
    # UNCONFIRMED: whether tag-name uniqueness ignores case; the sim takes the stricter reading.
    folded = name.casefold()
    for tag in account.tags.values():
        if tag.tag_id != own_id and tag.name.casefold() == folded:
            raise conflict(f"A tag named {name!r} already exists.", "contact_tags.api.conflict")


async def _create(request: web.Request) -> web.Response:
    account: Account = request["account"]
    body = read_object(await read_json(request))
    name = req_str(body, "name", 255)
    _name_free(account, name)
    now = request["state"].clock.now()
    tag = SimTag(new_id(), name, now, now, opt_str(body, "tag_source", 255))
    account.tags[tag.tag_id] = tag
    return json_response(tag_json(account, tag, False), 201)


async def _get(request: web.Request) -> web.Response:
    return json_response(
        tag_json(request["account"], _find(request), query_flag(request, "include_count"))
    )


async def _put(request: web.Request) -> web.Response:
    account: Account = request["account"]
    tag = _find(request)
    name = req_str(read_object(await read_json(request)), "name", 255)
    _name_free(account, name, tag.tag_id)
    tag.name = name
    tag.updated_at = request["state"].clock.now()
    return json_response(tag_json(account, tag, False))


async def _delete(request: web.Request) -> web.Response:
    """202 with an ``ActivityGeneric`` (errors as ``[{message}]``) that untags then deletes."""
    account: Account = request["account"]
    tag = _find(request)
    return submit(
        request,
        "contacts_tags_delete",
        TagDeleteJob(account, [tag.tag_id]),
        status=202,
        object_errors=True,
    )


async def _search(request: web.Request) -> web.Response:
    account: Account = request["account"]
    with_count = query_flag(request, "include_count")
    tags = list(account.tags.values())
    path = f"/contacts-service/v3/accounts/{account.account_id}/contact_tags"
    chunk, links = page(tags, request, default_limit=50, max_limit=500, path=path)
    body: dict[str, Any] = {"tags": [tag_json(account, t, with_count) for t in chunk]}
    if links:
        body["_links"] = links
    return json_response(body)
