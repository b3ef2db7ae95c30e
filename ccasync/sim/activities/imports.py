"""Import endpoints: JSON (``contacts_json_import``) and CSV multipart (``contacts_file_import``).

Like the real API, imports over 40,000 contacts (CSV: 40,000 lines including the header) or
4,000,000 bytes are SILENTLY truncated: the extra rows are dropped without an error. The simulator
records each truncation in ``SimState.truncations`` so tests can assert a client never causes one.
"""

from __future__ import annotations

import csv
import io
from typing import Any

import orjson
from aiohttp import BodyPartReader, MultipartReader, web

from .._http import ApiFailure, bad_request, new_id, read_json, read_object
from .._state import Account, SimState, Truncation
from .._validate import uuid_list
from .import_rows import RowApplier
from .jobs import ImportJob
from .submit import check_queue, submit

MAX_ROWS = 40_000
MAX_BYTES = 4_000_000
MAX_FIELD_BYTES = 64 * 1024  # list_ids (50 UUIDs) and sms_permission_to_send fit easily
_KEY = "activities.api.validation.error"


def _lists(account: Account, list_ids: list[str]) -> list[str]:
    for list_id in list_ids:
        if not account.list_exists(list_id):
            raise bad_request(f"list_ids contains {list_id}, which does not exist.", _KEY)
    return list_ids


def _fit_json_rows(rows: list[Any], body_size: int) -> list[Any]:
    """The rows kept once the 40,000-row and 4,000,000-byte limits are applied."""
    rows = rows[:MAX_ROWS]
    if body_size <= MAX_BYTES:
        return rows
    budget = MAX_BYTES - 64  # room for the envelope around import_data
    kept = 0
    for row in rows:
        budget -= len(orjson.dumps(row)) + 1
        if budget < 0:
            break
        kept += 1
    return rows[:kept]


def _record(
    state: SimState,
    account: Account,
    activity_id: str,
    kind: str,
    received: int,
    kept: int,
    size: int,
) -> None:
    if kept < received or size > MAX_BYTES:
        state.truncations.append(
            Truncation(account.account_id, activity_id, kind, received, kept, size)
        )


async def json_import(request: web.Request) -> web.Response:
    """POST /activities/contacts_json_import."""
    account: Account = request["account"]
    state: SimState = request["state"]
    body = read_object(await read_json(request))
    rows = body.get("import_data")
    if not isinstance(rows, list) or not rows or not all(isinstance(r, dict) for r in rows):
        raise bad_request("import_data must be a non-empty array of contact objects.", _KEY)
    list_ids = _lists(account, uuid_list(body, "list_ids", 50, required=True))
    _sms_permission(body.get("sms_permission_to_send"))
    check_queue(account, state)
    size = request.content_length or len(orjson.dumps(body))
    kept = _fit_json_rows(rows, size)
    activity_id = new_id()
    _record(state, account, activity_id, "contacts_json_import", len(rows), len(kept), size)
    job = ImportJob(RowApplier(account, list_ids, state.clock.now), kept, header_rows=0)
    return submit(request, "contacts_json_import", job, activity_id=activity_id)


def _sms_permission(value: object) -> None:
    if value not in (None, "explicit", "not_set"):
        raise bad_request("sms_permission_to_send must be explicit or not_set.", _KEY)


async def _read_multipart(request: web.Request) -> tuple[bytes, str, dict[str, str]]:
    if request.content_type != "multipart/form-data":
        raise ApiFailure(
            415,
            "unsupported_media_type",
            "contacts_file_import needs a multipart/form-data body "
            "(let the client set the boundary).",
        )
    try:
        reader = await request.multipart()
    except (ValueError, AssertionError, KeyError) as exc:
        raise ApiFailure(415, "unsupported_media_type", f"Malformed multipart body: {exc}") from exc
    try:
        return await _parts(reader)
    except (ValueError, AssertionError, LookupError, RuntimeError, TypeError) as exc:
        # Every step of the read can meet a broken body (a missing header, a truncated part, a
        # nested multipart): all of it is guarded, not only the first call.
        raise bad_request(f"Malformed multipart body: {type(exc).__name__}.", _KEY) from None


async def _parts(reader: MultipartReader) -> tuple[bytes, str, dict[str, str]]:
    data, filename, fields = b"", "", {}
    while (part := await reader.next()) is not None:
        if not isinstance(part, BodyPartReader):
            raise ValueError("nested multipart")
        if part.name == "file":
            filename = part.filename or ""
            data = await part.read()
        elif part.name:
            raw = await part.read()
            if len(raw) > MAX_FIELD_BYTES:
                raise ValueError("form field too long")
            fields[part.name] = raw.decode("utf-8", "replace")
    return data, filename, fields


def _csv_rows(data: bytes) -> tuple[list[dict[str, str]], bool]:
    """Rows of the file after the silent truncation, and whether anything was cut."""
    cut = len(data) > MAX_BYTES
    if cut:
        data = data[:MAX_BYTES]
        data = data[: data.rfind(b"\n") + 1]
    text = data.decode("utf-8-sig", "replace")
    try:
        return _read_csv(csv.reader(io.StringIO(text)), cut)
    except csv.Error as exc:  # a cell over the csv module's limit, a NUL byte, ...
        raise bad_request(f"The file is not a readable CSV file: {exc}", _KEY) from None


def _read_csv(reader: Any, cut: bool) -> tuple[list[dict[str, str]], bool]:
    header = [h.strip().lower() for h in next(reader, [])]
    if "email" not in header and "sms_number" not in header:
        raise bad_request("The file needs an email or sms_number column.", _KEY)
    rows: list[dict[str, str]] = []
    for line in reader:
        if len(rows) >= MAX_ROWS - 1:
            cut = True
            break
        if any(cell.strip() for cell in line):
            rows.append({k: v for k, v in zip(header, line, strict=False) if v.strip()})
    return rows, cut


async def csv_import(request: web.Request) -> web.Response:
    """POST /activities/contacts_file_import (multipart: file, list_ids, sms_permission_to_send)."""
    account: Account = request["account"]
    state: SimState = request["state"]
    data, filename, fields = await _read_multipart(request)
    if not filename.lower().endswith(".csv"):
        raise ApiFailure(415, "unsupported_media_type", "file must be a .csv file.")
    raw_lists = [p.strip() for p in fields.get("list_ids", "").split(",") if p.strip()]
    list_ids = _lists(account, uuid_list({"list_ids": raw_lists}, "list_ids", 50, required=True))
    _sms_permission(fields.get("sms_permission_to_send"))
    check_queue(account, state)
    rows, cut = _csv_rows(data)
    activity_id = new_id()
    if cut:
        total = max(data.count(b"\n") - 1, len(rows))
        _record(state, account, activity_id, "contacts_file_import", total, len(rows), len(data))
    job = ImportJob(RowApplier(account, list_ids, state.clock.now), rows, header_rows=1)
    return submit(
        request, "contacts_file_import", job, activity_id=activity_id, source_file_name=filename
    )
