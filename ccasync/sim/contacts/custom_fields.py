"""Custom field endpoints (``/v3/contact_custom_fields``): CRUD, 100 per account, unique labels."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from .._http import (
    bad_request,
    conflict,
    iso,
    json_response,
    new_id,
    not_found,
    page,
    read_json,
    read_object,
    require_uuid,
)
from .._state import Account
from .._validate import opt_int, req_str
from .records import SimCustomField

MAX_FIELDS = 100
# UNCONFIRMED: the full enum (these are the values seen in the spec).
TYPES = ("string", "date", "number", "currency", "single_select", "multi_select")
_KEY = "contact_custom_fields.api.validation.error"


def register_custom_field_routes(app: web.Application) -> None:
    """Add the ``/v3/contact_custom_fields`` routes."""
    r = app.router
    r.add_get("/v3/contact_custom_fields", _search)
    r.add_post("/v3/contact_custom_fields", _create)
    r.add_get("/v3/contact_custom_fields/{custom_field_id}", _get)
    r.add_put("/v3/contact_custom_fields/{custom_field_id}", _put)
    r.add_delete("/v3/contact_custom_fields/{custom_field_id}", _delete)


def field_json(field: SimCustomField) -> dict[str, Any]:
    """A ``CustomField``."""
    body: dict[str, Any] = {
        "custom_field_id": field.custom_field_id,
        "label": field.label,
        "name": field.name,
        "type": field.type,
    }
    if field.metadata is not None:
        body["metadata"] = field.metadata
    if field.version is not None:
        body["version"] = field.version
    if field.choices is not None:
        body["choices"] = field.choices
    body["created_at"] = iso(field.created_at)
    body["updated_at"] = iso(field.updated_at)
    return body


def _choices(raw: object, field_id: str) -> list[dict[str, Any]] | None:
    if raw is None:
        return None
    if not isinstance(raw, list) or len(raw) > 100:
        raise bad_request("choices must be an array of at most 100 items.", _KEY)
    choices = []
    for number, item in enumerate(raw, start=1):
        if not isinstance(item, dict):
            raise bad_request("choices items must be objects.", _KEY)
        label = req_str(item, "choice_label", 255)
        order = opt_int(item, "display_order", 0, 10_000)
        choices.append(
            {
                "custom_field_id": field_id,
                "choice_id": number,
                "choice_label": label,
                "display_order": number if order is None else order,
            }
        )
    return choices


def _metadata(raw: object) -> dict[str, Any] | None:
    if raw is None or isinstance(raw, dict):
        return raw
    raise bad_request("metadata must be an object.", _KEY)


def _label_free(account: Account, label: str, own_id: str | None = None) -> None:
    name = label.replace(" ", "_").casefold()
    for other in account.custom_fields.values():
        if other.custom_field_id != own_id and (
            other.label.casefold() == label.casefold() or other.name.casefold() == name
        ):
            raise conflict(
                f"A custom field labelled {label!r} already exists.",
                "contact_custom_fields.api.conflict",
            )


def _find(request: web.Request) -> SimCustomField:
    account: Account = request["account"]
    field_id = require_uuid(request.match_info["custom_field_id"], "custom_field_id")
    field = account.custom_fields.get(field_id)
    if field is None:
        raise not_found(
            f"Custom field {field_id} was not found.", "contact_custom_fields.api.not_found"
        )
    return field


async def _create(request: web.Request) -> web.Response:
    account: Account = request["account"]
    body = read_object(await read_json(request))
    label = req_str(body, "label", 50)
    kind = req_str(body, "type", 20)
    if kind not in TYPES:
        raise bad_request(f"type must be one of {', '.join(TYPES)}.", _KEY)
    _label_free(account, label)
    if len(account.custom_fields) >= MAX_FIELDS:
        # UNCONFIRMED: the status and body for the 100-field cap (the cap itself is documented).
        raise bad_request(
            f"The account already has the maximum of {MAX_FIELDS} custom fields.", _KEY
        )
    now = request["state"].clock.now()
    field_id = new_id()
    field = SimCustomField(
        field_id,
        label,
        kind,
        now,
        now,
        _metadata(body.get("metadata")),
        _choices(body.get("choices"), field_id),
        opt_int(body, "version", 1, 2),
    )
    account.custom_fields[field_id] = field
    return json_response(field_json(field), 201)


async def _get(request: web.Request) -> web.Response:
    return json_response(field_json(_find(request)))


async def _put(request: web.Request) -> web.Response:
    """Replace label and choices (omitted properties become null)."""
    account: Account = request["account"]
    field = _find(request)
    body = read_object(await read_json(request))
    label = req_str(body, "label", 50)
    _label_free(account, label, field.custom_field_id)
    field.label = label
    field.choices = _choices(body.get("choices"), field.custom_field_id)
    field.updated_at = request["state"].clock.now()
    return json_response(field_json(field))


async def _delete(request: web.Request) -> web.Response:
    account: Account = request["account"]
    account.delete_custom_field(_find(request).custom_field_id)
    return web.Response(status=204)


async def _search(request: web.Request) -> web.Response:
    account: Account = request["account"]
    fields = list(account.custom_fields.values())
    chunk, links = page(
        fields, request, default_limit=50, max_limit=100, path="/v3/contact_custom_fields"
    )
    body: dict[str, Any] = {"custom_fields": [field_json(f) for f in chunk]}
    if links:
        body["_links"] = links
    return json_response(body)
