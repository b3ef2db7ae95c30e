"""Bulk activity endpoints (``/v3/activities/*``) and the activity/export read endpoints.

Every POST answers 201 with the activity (``initialized``), or 429 when the account's queue is
full (see :mod:`ccasync.sim.activities.submit`).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from aiohttp import web

from .._http import (
    bad_request,
    json_response,
    new_id,
    not_found,
    page,
    read_json,
    read_object,
    require_uuid,
)
from .._state import Account, SimState
from .._validate import uuid_list
from ..contacts.records import SimContact
from .imports import csv_import, json_import
from .jobs import (
    EXPORT_FIELDS,
    ContactDeleteJob,
    CustomFieldDeleteJob,
    ExportJob,
    ListDeleteJob,
    MembershipJob,
    TagDeleteJob,
    TaggingJob,
    resolve_source,
)
from .queue import Activity
from .submit import submit

# The documented values of GET /activities?state= (an "initialized" filter is not among them).
_STATES = ("processing", "completed", "cancelled", "failed", "timed_out")
_KEY = "activities.api.validation.error"
# UNCONFIRMED: the spec names no values for an export's status (its example: unsubscribed);
# the sim takes the contact statuses and permissions. "deleted" is left out: exports never
# include deleted contacts here.
_EXPORT_STATUSES = (
    "all",
    "active",
    "explicit",
    "implicit",
    "not_set",
    "pending_confirmation",
    "temp_hold",
    "unsubscribed",
)


def register_bulk_routes(app: web.Application) -> None:
    """Add ``/v3/activities*`` and ``/v3/contact_exports/{id}``."""
    r = app.router
    r.add_get("/v3/activities", _list_activities)
    r.add_get("/v3/activities/{activity_id}", _get_activity)
    r.add_post("/v3/activities/contacts_json_import", json_import)
    r.add_post("/v3/activities/contacts_file_import", csv_import)
    r.add_post("/v3/activities/add_list_memberships", _add_memberships)
    r.add_post("/v3/activities/remove_list_memberships", _remove_memberships)
    r.add_post("/v3/activities/contact_delete", _contact_delete)
    r.add_post("/v3/activities/list_delete", _list_delete)
    r.add_post("/v3/activities/contacts_taggings_add", _taggings_add)
    r.add_post("/v3/activities/contacts_taggings_remove", _taggings_remove)
    r.add_post("/v3/activities/contacts_tags_delete", _tags_delete)
    r.add_post("/v3/activities/custom_fields_delete", _custom_fields_delete)
    r.add_post("/v3/activities/contact_exports", _export)
    r.add_get("/v3/contact_exports/{file_export_id}", _download)


def _source(
    body: dict[str, Any],
    allowed: dict[str, int],
    flags: tuple[str, ...],
    segments: Account | None = None,
) -> dict[str, Any]:
    """The one selector of ``source``: an id list (``allowed`` maxima) or a true ``flags`` key.

    With ``segments`` (the account) a ``segment_id`` source is allowed too, as the API documents
    for ``add_list_memberships``.
    """
    source = body.get("source")
    if not isinstance(source, dict):
        raise bad_request("source is required.", _KEY)
    keys = [k for k, v in source.items() if v not in (None, False, [])]
    names = (*allowed, *flags, *(("segment_id",) if segments is not None else ()))
    if len(keys) != 1 or keys[0] not in names:
        raise bad_request(
            f"source must contain exactly one of {', '.join(names)} (as the sim supports).", _KEY
        )
    key = keys[0]
    if key == "segment_id":
        assert segments is not None
        return {key: _segment_id(segments, source[key], "source.segment_id")}
    if key in flags:
        if source[key] is not True:
            raise bad_request(f"source.{key} must be true.", _KEY)
        return {key: True}
    return {key: uuid_list(source, key, allowed[key], required=True)}


def _segment_id(account: Account, value: Any, field: str) -> int:
    """A validated ``segment_id``: an integer naming a live segment of the account (else 400)."""
    if not isinstance(value, int) or isinstance(value, bool):
        raise bad_request(f"{field} must be an integer.", _KEY)
    if not account.segment_exists(value):
        raise bad_request(f"{field} {value} does not exist.", _KEY)
    return value


def _exclude(body: dict[str, Any], source: dict[str, Any], max_items: int = 500) -> set[str]:
    raw = body.get("exclude")
    if raw is None:
        return set()
    if not isinstance(raw, dict):
        raise bad_request("exclude must be an object with contact_ids.", _KEY)
    if not ({"all_active_contacts", "list_ids"} & set(source)):
        raise bad_request(
            "exclude is only allowed with all_active_contacts or list_ids sources.", _KEY
        )
    return set(uuid_list(raw, "contact_ids", max_items))


def _targets(
    account: Account, body: dict[str, Any], field: str, table: str, max_items: int
) -> list[str]:
    ids = uuid_list(body, field, max_items, required=True)
    for item in ids:
        known = account.list_exists(item) if table == "lists" else item in account.tags
        if not known:
            raise bad_request(f"{field} contains {item}, which does not exist.", _KEY)
    return ids


async def _membership(request: web.Request, remove: bool) -> web.Response:
    account: Account = request["account"]
    body = read_object(await read_json(request))
    # engagement_level sources are not simulated (400); the API documents no segment_id
    # source for removals.
    source = _source(
        body,
        {"list_ids": 50, "contact_ids": 500, "tag_ids": 50},
        ("all_active_contacts",),
        None if remove else account,
    )
    exclude = _exclude(body, source)
    lists = _targets(account, body, "list_ids", "lists", 50)
    kind = "remove_list_memberships" if remove else "add_list_memberships"
    return submit(request, kind, MembershipJob(account, source, lists, exclude, remove))


async def _add_memberships(request: web.Request) -> web.Response:
    return await _membership(request, remove=False)


async def _remove_memberships(request: web.Request) -> web.Response:
    return await _membership(request, remove=True)


async def _contact_delete(request: web.Request) -> web.Response:
    account: Account = request["account"]
    body = read_object(await read_json(request))
    contact_ids = uuid_list(body, "contact_ids", 500)
    list_ids = uuid_list(body, "list_ids", 50)
    if bool(contact_ids) == bool(list_ids):
        raise bad_request("Provide either contact_ids or list_ids.", _KEY)
    clock = request["state"].clock
    return submit(
        request, "contact_delete", ContactDeleteJob(account, contact_ids, list_ids, clock.now)
    )


async def _list_delete(request: web.Request) -> web.Response:
    account: Account = request["account"]
    body = read_object(await read_json(request))
    return submit(
        request,
        "list_delete",
        ListDeleteJob(account, uuid_list(body, "list_ids", 100, required=True)),
    )


async def _tagging(request: web.Request, remove: bool) -> web.Response:
    account: Account = request["account"]
    body = read_object(await read_json(request))
    flags = ("all_active_contacts", "new_subscriber")
    source = _source(body, {"contact_ids": 500, "list_ids": 50, "tag_ids": 50}, flags)
    exclude = _exclude(body, source)
    tags = _targets(account, body, "tag_ids", "tags", 50)
    kind = "contacts_taggings_remove" if remove else "contacts_taggings_add"
    return submit(request, kind, TaggingJob(account, source, tags, exclude, remove))


async def _taggings_add(request: web.Request) -> web.Response:
    return await _tagging(request, remove=False)


async def _taggings_remove(request: web.Request) -> web.Response:
    return await _tagging(request, remove=True)


async def _tags_delete(request: web.Request) -> web.Response:
    account: Account = request["account"]
    body = read_object(await read_json(request))
    return submit(
        request,
        "contacts_tags_delete",
        TagDeleteJob(account, uuid_list(body, "tag_ids", 500, required=True)),
    )


async def _custom_fields_delete(request: web.Request) -> web.Response:
    account: Account = request["account"]
    body = read_object(await read_json(request))
    ids = uuid_list(body, "custom_field_ids", 100, required=True)
    return submit(request, "custom_fields_delete", CustomFieldDeleteJob(account, ids))


def _export_fields(account: Account, body: dict[str, Any]) -> list[str]:
    fields = body.get("fields")
    if fields is None:
        # The spec: "By default, all fields are returned". UNCONFIRMED: the real column set and
        # order; the sim writes every field it knows, then one cf:<name> column per custom field.
        return [*EXPORT_FIELDS, *(f"cf:{f.name}" for f in account.custom_fields.values())]
    if not isinstance(fields, list) or not all(isinstance(f, str) for f in fields) or not fields:
        raise bad_request("fields must be a non-empty array of field names.", _KEY)
    bad = [f for f in fields if f not in EXPORT_FIELDS and not f.startswith("cf:")]
    if bad:
        raise bad_request(f"fields contains unsupported values: {', '.join(bad)}.", _KEY)
    if (
        any(f.startswith(("email_optin", "email_optout")) for f in fields)
        and "email_address" not in fields
    ):
        raise bad_request(
            "email_optin_* and email_optout_* fields need email_address in fields.", _KEY
        )
    return list(fields)


def _export_companions(body: dict[str, Any], filters: list[str]) -> None:
    """``status`` only with contact_ids or list_ids; ``exclude`` only with list_ids or
    new_subscriber (the spec's ContactsExport rules); either alone is fine."""
    rules = {"status": {"contact_ids", "list_ids"}, "exclude": {"list_ids", "new_subscriber"}}
    for name, partners in rules.items():
        others = set(filters) - partners
        if body.get(name) and others:
            raise bad_request(
                f"{name} cannot be combined with {', '.join(sorted(others))}; only with "
                f"{' or '.join(sorted(partners))}.",
                _KEY,
            )


def _export_selector(account: Account, body: dict[str, Any], now: dt.datetime) -> Any:
    filters = [
        k
        for k in ("contact_ids", "list_ids", "tag_ids", "segment_id", "new_subscriber")
        if body.get(k)
    ]
    # The spec lets new_subscriber go with list_ids; every other pair is exclusive.
    if len(filters) > 1 and set(filters) != {"list_ids", "new_subscriber"}:
        raise bad_request(
            "contact_ids, list_ids, tag_ids, segment_id and new_subscriber are mutually exclusive "
            "(except list_ids with new_subscriber).",
            _KEY,
        )
    limits = {"contact_ids": 500, "list_ids": 50, "tag_ids": 50}
    source: dict[str, Any] = {f: uuid_list(body, f, limits[f]) for f in filters if f in limits}
    if "segment_id" in filters:
        source["segment_id"] = _segment_id(account, body["segment_id"], "segment_id")
    _export_companions(body, filters)
    status = body.get("status")
    if status is not None and status not in _EXPORT_STATUSES:
        raise bad_request(f"status must be one of {', '.join(_EXPORT_STATUSES)}.", _KEY)
    if status == "all":
        status = None
    exclude = set(uuid_list(body.get("exclude") or {}, "contact_ids", 50))
    since = now - dt.timedelta(days=30)

    def select() -> list[SimContact]:
        """The contacts to export, chosen when the export starts processing."""
        if source:
            pool = resolve_source(account, source)
        else:
            pool = [c for c in account.contacts.values() if not c.is_deleted]
        if "new_subscriber" in filters:
            pool = [c for c in pool if c.created_at >= since]
        if status:
            pool = [
                c
                for c in pool
                if c.permission_to_send == status or (status == "active" and not c.is_unsubscribed)
            ]
        return [c for c in pool if c.contact_id not in exclude]

    return select


async def _export(request: web.Request) -> web.Response:
    account: Account = request["account"]
    body = read_object(await read_json(request))
    fields = _export_fields(account, body)
    select = _export_selector(account, body, request["state"].clock.now())
    activity_id = new_id()
    job = ExportJob(account, select, fields, activity_id)
    return submit(request, "contact_exports", job, activity_id=activity_id)


async def _download(request: web.Request) -> web.Response:
    account: Account = request["account"]
    export_id = require_uuid(request.match_info["file_export_id"], "file_export_id")
    text = account.exports.get(export_id)
    if text is None:
        raise not_found(
            f"Export {export_id} was not found or is not complete.", "activities.api.not_found"
        )
    return web.Response(text=text, content_type="text/csv")


def _visible(request: web.Request) -> list[Activity]:
    account: Account = request["account"]
    state: SimState = request["state"]
    return account.activities.visible(state.now(), state.config.activity_retention_days)


async def _list_activities(request: web.Request) -> web.Response:
    wanted = request.query.get("state")
    if wanted is not None and wanted not in _STATES:
        raise bad_request(f"state must be one of {', '.join(_STATES)}.", _KEY)
    activities = [a for a in reversed(_visible(request)) if wanted is None or a.state == wanted]
    chunk, links = page(activities, request, default_limit=50, max_limit=500, path="/v3/activities")
    body: dict[str, Any] = {"activities": [a.to_json() for a in chunk]}
    if links:
        body["_links"] = links
    return json_response(body)


async def _get_activity(request: web.Request) -> web.Response:
    account: Account = request["account"]
    state: SimState = request["state"]
    activity_id = require_uuid(request.match_info["activity_id"], "activity_id")
    found = account.activities.get(activity_id, state.now(), state.config.activity_retention_days)
    if found is None:
        raise not_found(f"Activity {activity_id} was not found.", "activities.api.not_found")
    return json_response(found.to_json())
