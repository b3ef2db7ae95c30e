"""The bulk activities API area (``/activities/*``): imports, memberships, deletes, tags, exports.

Every bulk POST answers 201 with an :class:`Activity`, a job the API runs in the background;
:meth:`ActivitiesResource.wait` polls it until it ends. Each call costs one request of the
4/s and 10,000/day budget; at most 1,000 activities may be queued per account (a 429 with
``RateLimitKind.QUEUED_ACTIVITIES`` beyond that).
"""

from __future__ import annotations

import asyncio
import csv
import io
import math
import time
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import IO, Any

import orjson

from ccasync import _checks, _protocol
from ccasync._protocol import MultipartField
from ccasync._requestor import APIResponse
from ccasync._retry import Replay
from ccasync._serde import structure
from ccasync.config import DEFAULT_WAIT_TIMEOUT
from ccasync.errors import ValidationError, WaitTimeoutError
from ccasync.models.activities import (
    LISTABLE_STATES,
    MAX_IMPORT_BYTES,
    MAX_IMPORT_ROWS,
    Activity,
    JsonImportContact,
    check_import_row,
    with_activity_id,
)
from ccasync.resources._base import Resource

SMS_PERMISSIONS = frozenset({"explicit", "not_set"})
"""Values of ``sms_permission_to_send`` on imports."""
MAX_SOURCE_CONTACTS = 500
"""Contact ids per bulk call."""
MAX_LISTS = 50
"""List ids per bulk call (targets or source)."""
MAX_TAGS = 50
"""Tag ids per tagging call."""
MAX_SEGMENT_ID = 2**63 - 1
"""Largest segment id accepted locally (segment ids are positive integers; no bound documented)."""

CsvFile = bytes | str | Path | IO[bytes]
"""What ``import_csv`` reads: the CSV bytes, a path, or a binary file object."""


def activity_from_response(response: APIResponse) -> Activity:
    """Structure a bulk answer; fill ``activity_id`` from the self link or ``Location`` header.

    ``DELETE /contact_lists/{id}`` documents its 202 body without ``activity_id``; an answer
    naming no id anywhere raises DecodeError naming ``activity_id``.
    """
    location = next((v for k, v in response.headers.items() if k.lower() == "location"), None)
    return structure(with_activity_id(response.data or {}, location), Activity)


class _PollSchedule:
    """When to poll next: geometric growth, or the remaining time estimated from progress.

    With two observations of ``percent_done`` that show progress, the remaining time is the
    remaining percent over the observed rate (plus 10 %), clamped to ``[initial, cap]``; without
    one the interval starts at ``initial`` and grows by ``factor`` up to ``cap``.
    """

    def __init__(self, initial: float, cap: float, factor: float) -> None:
        self._step = initial
        self._initial = initial
        self._cap = cap
        self._factor = factor
        self._first: tuple[float, float] | None = None

    def next_delay(self, elapsed: float, percent: int | None) -> float:
        step = self._step
        self._step = min(self._step * self._factor, self._cap)
        if percent is None:
            return step
        if self._first is None or percent <= self._first[1]:
            # No progress yet (queued behind other activities): the rate is measured from the
            # last poll that still saw the starting value, not from the first poll.
            self._first = (elapsed, float(percent))
            return step
        estimate = self._remaining(elapsed, float(percent))
        if estimate is None:
            return step
        return min(max(estimate, self._initial), self._cap)

    def _remaining(self, elapsed: float, percent: float) -> float | None:
        assert self._first is not None
        start_time, start_percent = self._first
        if elapsed <= start_time or percent <= start_percent:
            return None
        rate = (percent - start_percent) / (elapsed - start_time)
        return max(0.0, 100.0 - percent) / rate * 1.1


class ActivitiesResource(Resource):
    """The bulk activity endpoints; reach it as ``cc.activities``."""

    # --- imports --------------------------------------------------------------------------------

    async def import_contacts(
        self,
        contacts: Sequence[JsonImportContact | Mapping[str, Any]],
        list_ids: Sequence[str],
        *,
        sms_permission_to_send: str | None = None,
    ) -> Activity:
        """Upsert contacts by email into ``list_ids`` (``POST /activities/contacts_json_import``).

        Limits: ≤40,000 rows and an encoded body < 4,000,000 bytes (the API silently drops
        anything beyond, so it is refused here), 1-50 lists, ≤25 custom fields (``cf:<name>``,
        which must exist), ≤3 phones and ≤3 addresses per row. One API call; retried safely
        (an upsert). Raises ValidationError (naming the 1-based row), APIError subclasses.
        """
        _check_import_targets(list_ids, sms_permission_to_send)
        rows = [_import_row(c) for c in contacts]
        _checks.check_count("import_data", rows, max_items=MAX_IMPORT_ROWS, min_items=1)
        for number, row in enumerate(rows, start=1):
            check_import_row(row, row=number)
        body: dict[str, Any] = {"import_data": rows, "list_ids": list(list_ids)}
        if sms_permission_to_send is not None:
            body["sms_permission_to_send"] = sms_permission_to_send
        return await self.import_contacts_payload(orjson.dumps(body))

    async def import_contacts_payload(self, payload: bytes) -> Activity:
        """Send a pre-encoded ``contacts_json_import`` body (for callers that chunk by size).

        The payload must be < 4,000,000 bytes (the API would drop the rest silently); its
        content is not re-validated. One API call, retried safely (an upsert). Raises
        ValidationError (size), APIError subclasses.
        """
        if len(payload) >= MAX_IMPORT_BYTES:
            raise ValidationError(
                "payload", f"must be < {MAX_IMPORT_BYTES:,} bytes, got {len(payload):,}"
            )
        response = await self._requestor.request(
            "POST",
            "/activities/contacts_json_import",
            content=payload,
            replay=Replay.UPSERT,
            expected=(201,),
        )
        return activity_from_response(response)

    async def import_csv(
        self,
        file: CsvFile,
        list_ids: Sequence[str],
        *,
        file_name: str = "contacts.csv",
        sms_permission_to_send: str | None = None,
    ) -> Activity:
        """Upload a CSV of contacts into ``list_ids`` (``POST /activities/contacts_file_import``).

        ``file`` is the CSV bytes, a path, or a binary file object. Columns: ``email`` or
        ``sms_number`` plus optional ``first_name``, ``last_name``, ``cf:<name>``… Limits:
        ≤40,000 lines including the header and ≤4,000,000 bytes (the API silently ignores the
        rest, so it is refused here); 1-50 lists; ``file_name`` must end in ``.csv``. Sent as
        multipart/form-data with the boundary set by the HTTP library (a hand-set Content-Type
        earns a 415). One API call, retried safely (an upsert). Raises ValidationError,
        APIError subclasses.
        """
        data = await _read_file(file)
        _check_csv(data, file_name)
        _check_import_targets(list_ids, sms_permission_to_send)
        fields = [
            MultipartField("file", data, filename=file_name, content_type="text/csv"),
            MultipartField("list_ids", ",".join(list_ids)),
        ]
        if sms_permission_to_send is not None:
            fields.append(MultipartField("sms_permission_to_send", sms_permission_to_send))
        response = await self._requestor.request(
            "POST",
            "/activities/contacts_file_import",
            multipart=tuple(fields),
            replay=Replay.UPSERT,
            expected=(201,),
        )
        return activity_from_response(response)

    # --- list memberships -----------------------------------------------------------------------

    async def add_list_memberships(
        self,
        list_ids: Sequence[str],
        *,
        contact_ids: Sequence[str] | None = None,
        source_list_ids: Sequence[str] | None = None,
        all_active_contacts: bool = False,
        tag_ids: Sequence[str] | None = None,
        exclude_contact_ids: Sequence[str] | None = None,
        segment_id: int | None = None,
    ) -> Activity:
        """Add contacts to ``list_ids`` (``POST /activities/add_list_memberships``).

        Exactly one source: ``contact_ids`` (≤500), ``source_list_ids`` (members of ≤50 lists),
        ``all_active_contacts``, ``tag_ids`` (≤50) or ``segment_id`` (the segment's members
        when the activity runs). 1-50 target lists.
        ``exclude_contact_ids`` only with ``all_active_contacts`` or ``source_list_ids``.
        Previously unsubscribed contacts are not added. One API call, retried safely.
        Raises ValidationError, APIError subclasses.
        """
        body = _membership_body(
            list_ids,
            contact_ids,
            source_list_ids,
            all_active_contacts,
            tag_ids,
            exclude_contact_ids,
            segment_id,
        )
        return await self._post("/activities/add_list_memberships", body, Replay.UPSERT)

    async def remove_list_memberships(
        self,
        list_ids: Sequence[str],
        *,
        contact_ids: Sequence[str] | None = None,
        source_list_ids: Sequence[str] | None = None,
        all_active_contacts: bool = False,
        tag_ids: Sequence[str] | None = None,
        exclude_contact_ids: Sequence[str] | None = None,
    ) -> Activity:
        """Remove contacts from ``list_ids`` (``POST /activities/remove_list_memberships``).

        Same sources and limits as :meth:`add_list_memberships` except ``segment_id`` (the API
        documents no segment source for removals). One API call, retried
        safely. Raises ValidationError, APIError subclasses.
        """
        body = _membership_body(
            list_ids,
            contact_ids,
            source_list_ids,
            all_active_contacts,
            tag_ids,
            exclude_contact_ids,
        )
        return await self._post("/activities/remove_list_memberships", body, Replay.UPSERT)

    # --- deletes --------------------------------------------------------------------------------

    async def delete_contacts(
        self, *, contact_ids: Sequence[str] | None = None, list_ids: Sequence[str] | None = None
    ) -> Activity:
        """Delete contacts (``POST /activities/contact_delete``): ≤500 ids, or all members of ≤50
        lists. Exactly one of the two. Deleted contacts can be revived by an import or a PUT.

        One API call (not repeated after a possible landing). Raises ValidationError, APIError.
        """
        _checks.check_exactly_one(
            ("contact_ids", "list_ids"), (contact_ids is not None, list_ids is not None)
        )
        _checks.check_uuids("contact_ids", contact_ids, max_items=MAX_SOURCE_CONTACTS)
        _checks.check_uuids("list_ids", list_ids, max_items=MAX_LISTS)
        body = {"contact_ids": contact_ids} if contact_ids is not None else {"list_ids": list_ids}
        return await self._post("/activities/contact_delete", _lists_of(body), Replay.BY_METHOD)

    async def delete_lists(self, list_ids: Sequence[str]) -> Activity:
        """Delete 1-100 lists and their memberships (``POST /activities/list_delete``).

        One API call. Raises ValidationError, APIError subclasses.
        """
        _checks.check_uuids("list_ids", list_ids, max_items=100, min_items=1)
        return await self._post("/activities/list_delete", {"list_ids": list(list_ids)})

    async def delete_custom_fields(self, custom_field_ids: Sequence[str]) -> Activity:
        """Delete 1-100 custom fields (``POST /activities/custom_fields_delete``).

        One API call. Raises ValidationError, APIError subclasses.
        """
        _checks.check_uuids("custom_field_ids", custom_field_ids, max_items=100, min_items=1)
        body = {"custom_field_ids": list(custom_field_ids)}
        return await self._post("/activities/custom_fields_delete", body)

    # --- tags -----------------------------------------------------------------------------------

    async def add_tags(
        self,
        tag_ids: Sequence[str],
        *,
        contact_ids: Sequence[str] | None = None,
        list_ids: Sequence[str] | None = None,
        source_tag_ids: Sequence[str] | None = None,
        all_active_contacts: bool = False,
        new_subscriber: bool = False,
        exclude_contact_ids: Sequence[str] | None = None,
    ) -> Activity:
        """Tag contacts with 1-50 ``tag_ids`` (``POST /activities/contacts_taggings_add``).

        Exactly one source: ``contact_ids`` (≤500), ``list_ids`` (≤50), ``source_tag_ids``
        (≤50), ``all_active_contacts`` or ``new_subscriber``. One API call, retried safely.
        Raises ValidationError, APIError subclasses.
        """
        body = _tagging_body(
            tag_ids,
            contact_ids,
            list_ids,
            source_tag_ids,
            all_active_contacts,
            new_subscriber,
            exclude_contact_ids,
        )
        return await self._post("/activities/contacts_taggings_add", body, Replay.UPSERT)

    async def remove_tags(
        self,
        tag_ids: Sequence[str],
        *,
        contact_ids: Sequence[str] | None = None,
        list_ids: Sequence[str] | None = None,
        source_tag_ids: Sequence[str] | None = None,
        all_active_contacts: bool = False,
        new_subscriber: bool = False,
        exclude_contact_ids: Sequence[str] | None = None,
    ) -> Activity:
        """Untag contacts (``POST /activities/contacts_taggings_remove``); as :meth:`add_tags`.

        One API call, retried safely. Raises ValidationError, APIError subclasses.
        """
        body = _tagging_body(
            tag_ids,
            contact_ids,
            list_ids,
            source_tag_ids,
            all_active_contacts,
            new_subscriber,
            exclude_contact_ids,
        )
        return await self._post("/activities/contacts_taggings_remove", body, Replay.UPSERT)

    async def delete_tags(self, tag_ids: Sequence[str]) -> Activity:
        """Untag everyone and delete 1-500 tags (``POST /activities/contacts_tags_delete``).

        One API call. Raises ValidationError, APIError subclasses.
        """
        _checks.check_uuids("tag_ids", tag_ids, max_items=500, min_items=1)
        return await self._post("/activities/contacts_tags_delete", {"tag_ids": list(tag_ids)})

    # --- exports --------------------------------------------------------------------------------

    async def export_contacts(
        self,
        *,
        contact_ids: Sequence[str] | None = None,
        list_ids: Sequence[str] | None = None,
        tag_ids: Sequence[str] | None = None,
        segment_id: int | None = None,
        new_subscriber: bool | None = None,
        status: str | None = None,
        fields: Sequence[str] | None = None,
        exclude_contact_ids: Sequence[str] | None = None,
    ) -> Activity:
        """Start a CSV export of contacts (``POST /activities/contact_exports``).

        At most one selector: ``contact_ids`` (≤500), ``list_ids`` (≤50), ``tag_ids`` (≤50),
        ``segment_id`` or ``new_subscriber`` (which may also narrow ``list_ids`` to contacts
        of the last 30 days); none exports every contact. ``fields`` names the CSV columns
        (default: every field); ``exclude_contact_ids`` ≤50. ``status`` combines only with
        ``contact_ids`` or ``list_ids``, ``exclude_contact_ids`` only with ``list_ids`` or
        ``new_subscriber``. Wait for the activity, then
        stream the file with :meth:`download_export`. One API call. Raises ValidationError,
        APIError.
        """
        body: dict[str, Any] = {
            "contact_ids": _opt_list(contact_ids),
            "list_ids": _opt_list(list_ids),
            "tag_ids": _opt_list(tag_ids),
            "segment_id": segment_id,
            "new_subscriber": new_subscriber,
        }
        _check_export_selectors(body)
        _check_export_companions(body, status, exclude_contact_ids)
        _checks.check_uuids("exclude_contact_ids", exclude_contact_ids, max_items=50)
        body |= {"status": status, "fields": _opt_list(fields)}
        if exclude_contact_ids is not None:
            body["exclude"] = {"contact_ids": list(exclude_contact_ids)}
        body = {k: v for k, v in body.items() if v is not None}
        return await self._post("/activities/contact_exports", body)

    def download_export(
        self, export: Activity | str
    ) -> AbstractAsyncContextManager[AsyncIterator[bytes]]:
        """Stream an export's CSV (``GET /contact_exports/{id}``, ``text/csv``) chunk by chunk.

        ``export`` is the finished export :class:`Activity` (its results link is followed), the
        results href, or the export id. Use as ``async with cc.activities.download_export(a)
        as chunks: async for chunk in chunks: ...``; memory stays flat. One API call, not
        retried mid-body. Raises ValidationError (no results link yet: wait first),
        NotFoundError, other APIError subclasses.
        """
        return self._requestor.stream(self._export_path(export))

    def _export_path(self, export: Activity | str) -> str:
        if isinstance(export, Activity):
            href = export.results_href
            if href is None:
                raise ValidationError(
                    "export", "the activity has no results link yet; wait() for it to complete"
                )
        elif _checks.is_uuid(export):
            return f"/contact_exports/{export}"
        else:
            href = export
        if href.startswith(("http://", "https://")):
            return href
        prefix = _protocol.base_path(self._requestor.base_url)
        return href[len(prefix) :] if prefix and href.startswith(prefix + "/") else href

    # --- status ---------------------------------------------------------------------------------

    async def get(self, activity_id: str) -> Activity:
        """Get one activity's state and counters (``GET /activities/{id}``).

        Statuses are kept 10 days. One API call. Raises ValidationError (malformed id),
        NotFoundError (unknown or expired), other APIError subclasses.
        """
        _checks.check_uuid("activity_id", activity_id)
        return await self._requestor.get_model(f"/activities/{activity_id}", Activity)

    def iter_all(self, state: str | None = None, limit: int = 500) -> AsyncIterator[Activity]:
        """Iterate over the last 10 days of activities (``GET /activities``), page by page.

        ``state``: processing, completed, cancelled, failed or timed_out; ``limit`` 1-500 per
        page (one API call per page). Raises ValidationError, APIError subclasses.
        """
        _checks.check_enum("state", state, LISTABLE_STATES)
        _checks.check_range("limit", limit, low=1, high=500)
        return self._requestor.iter_items(
            "/activities",
            items_key="activities",
            model=Activity,
            params={"state": state, "limit": limit},
        )

    async def wait(
        self,
        activity_id: str | Activity,
        *,
        timeout: float | None = DEFAULT_WAIT_TIMEOUT,
        initial: float = 1.0,
        max_interval: float = 30.0,
        factor: float = 2.0,
    ) -> Activity:
        """Poll an activity until its state is terminal and return it (it may have failed).

        Polls adaptively and never more often than needed: the first wait is ``initial``
        seconds and grows by ``factor`` up to ``max_interval``; once ``percent_done`` shows
        progress the next poll is timed for the estimated end. ``timeout`` is the most seconds
        to wait (default 3,600; ``None`` explicitly waits without limit); the last poll
        happens when it runs out. Every duration must be a finite number. Each poll costs one
        API call. Raises :class:`WaitTimeoutError` past ``timeout``, ValidationError, APIError.
        """
        wanted = activity_id.activity_id if isinstance(activity_id, Activity) else activity_id
        _checks.check_uuid("activity_id", wanted)
        _check_wait_args(timeout, initial, max_interval, factor)
        schedule = _PollSchedule(initial, max_interval, factor)
        elapsed = 0.0
        while True:
            started = time.monotonic()
            current = await self.get(wanted)
            elapsed += time.monotonic() - started
            if current.done:
                return current
            delay = schedule.next_delay(elapsed, current.percent_done)
            if timeout is not None:
                left = timeout - elapsed
                if left <= 0:
                    raise WaitTimeoutError(
                        f"activity {wanted} still {current.state} "
                        f"({current.percent_done}%) after {timeout:g} s"
                    )
                delay = min(delay, left)
            await self._requestor.sleep(delay)
            elapsed += delay

    async def _post(
        self, path: str, body: Mapping[str, Any], replay: Replay = Replay.BY_METHOD
    ) -> Activity:
        response = await self._requestor.request(
            "POST", path, json=dict(body), replay=replay, expected=(201,)
        )
        return activity_from_response(response)


def _import_row(contact: JsonImportContact | Mapping[str, Any]) -> dict[str, Any]:
    if isinstance(contact, JsonImportContact):
        return contact.to_json()
    return {k: v for k, v in contact.items() if v is not None}


def _check_import_targets(list_ids: Sequence[str], sms_permission_to_send: str | None) -> None:
    _checks.check_uuids("list_ids", list_ids, max_items=MAX_LISTS, min_items=1)
    _checks.check_enum("sms_permission_to_send", sms_permission_to_send, SMS_PERMISSIONS)


async def _read_file(file: CsvFile) -> bytes:
    if isinstance(file, bytes):
        return file
    if isinstance(file, str | Path):
        return await asyncio.to_thread(Path(file).read_bytes)
    return await asyncio.to_thread(file.read)


def _check_csv(data: bytes, file_name: str) -> None:
    if not file_name.lower().endswith(".csv"):
        raise ValidationError("file_name", "must end in .csv (the API answers 415 otherwise)")
    if not data.strip():
        raise ValidationError("file", "is empty")
    if len(data) > MAX_IMPORT_BYTES:
        raise ValidationError("file", f"at most {MAX_IMPORT_BYTES:,} bytes, got {len(data):,}")
    text = data.decode("utf-8-sig", errors="replace")
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, [])
    if not {"email", "sms_number"} & {h.strip().lower() for h in header}:
        raise ValidationError("file", "the header needs an email or sms_number column")
    lines = 1 + sum(1 for _ in reader)
    if lines > MAX_IMPORT_ROWS:
        raise ValidationError(
            "file", f"at most {MAX_IMPORT_ROWS:,} lines including the header, got {lines:,}"
        )


def _check_export_selectors(selectors: Mapping[str, Any]) -> None:
    chosen = [name for name, value in selectors.items() if value not in (None, False)]
    # The spec allows new_subscriber together with list_ids; every other pair is exclusive.
    if len(chosen) > 1 and set(chosen) != {"list_ids", "new_subscriber"}:
        raise ValidationError(" | ".join(chosen), "at most one contact selector is allowed")
    _checks.check_range("segment_id", selectors["segment_id"], low=1, high=MAX_SEGMENT_ID)
    _checks.check_uuids("contact_ids", selectors["contact_ids"], max_items=MAX_SOURCE_CONTACTS)
    _checks.check_uuids("list_ids", selectors["list_ids"], max_items=MAX_LISTS)
    _checks.check_uuids("tag_ids", selectors["tag_ids"], max_items=MAX_TAGS)


def _check_export_companions(
    selectors: Mapping[str, Any], status: str | None, exclude: Sequence[str] | None
) -> None:
    # The spec's ContactsExport: status goes only with contact_ids or list_ids, exclude only
    # with list_ids or new_subscriber; either may also stand alone.
    chosen = {name for name, value in selectors.items() if value not in (None, False)}
    rules = (
        ("status", status, {"contact_ids", "list_ids"}),
        ("exclude_contact_ids", exclude, {"list_ids", "new_subscriber"}),
    )
    for name, value, partners in rules:
        if value is not None and chosen - partners:
            others = ", ".join(sorted(chosen - partners))
            raise ValidationError(
                name, f"cannot be combined with {others}; only with {' or '.join(sorted(partners))}"
            )


def _opt_list(values: Sequence[str] | None) -> list[str] | None:
    return None if values is None else list(values)


def _lists_of(body: Mapping[str, Sequence[str] | None]) -> dict[str, Any]:
    return {k: list(v) for k, v in body.items() if v is not None}


def _source(
    contact_ids: Sequence[str] | None,
    list_ids: Sequence[str] | None,
    tag_ids: Sequence[str] | None,
    flags: Mapping[str, bool],
    segment: Mapping[str, int | None] | None = None,
) -> dict[str, Any]:
    named = {"contact_ids": contact_ids, "list_ids": list_ids, "tag_ids": tag_ids}
    segment = segment or {}
    given = [v is not None for v in [*named.values(), *segment.values()]] + list(flags.values())
    _checks.check_exactly_one([f"source.{n}" for n in [*named, *segment, *flags]], given)
    _checks.check_uuids("source.contact_ids", contact_ids, max_items=MAX_SOURCE_CONTACTS)
    _checks.check_uuids("source.list_ids", list_ids, max_items=MAX_LISTS)
    _checks.check_uuids("source.tag_ids", tag_ids, max_items=MAX_TAGS)
    for name, value in segment.items():
        _checks.check_range(f"source.{name}", value, low=1, high=MAX_SEGMENT_ID)
    source = _lists_of(named)
    source.update({k: v for k, v in segment.items() if v is not None})
    source.update({k: True for k, v in flags.items() if v})
    return source


def _exclude(
    exclude_contact_ids: Sequence[str] | None, source: Mapping[str, Any]
) -> dict[str, Any]:
    if exclude_contact_ids is None:
        return {}
    if not ({"all_active_contacts", "list_ids"} & source.keys()):
        raise ValidationError(
            "exclude_contact_ids", "only allowed with all_active_contacts or a list_ids source"
        )
    _checks.check_uuids("exclude_contact_ids", exclude_contact_ids, max_items=MAX_SOURCE_CONTACTS)
    return {"exclude": {"contact_ids": list(exclude_contact_ids)}}


def _membership_body(
    list_ids: Sequence[str],
    contact_ids: Sequence[str] | None,
    source_list_ids: Sequence[str] | None,
    all_active_contacts: bool,
    tag_ids: Sequence[str] | None,
    exclude_contact_ids: Sequence[str] | None,
    segment_id: int | None = None,
) -> dict[str, Any]:
    _checks.check_uuids("list_ids", list_ids, max_items=MAX_LISTS, min_items=1)
    # Only additions take a segment source; the spec lists none for removals.
    segment = {"segment_id": segment_id} if segment_id is not None else None
    source = _source(
        contact_ids,
        source_list_ids,
        tag_ids,
        {"all_active_contacts": all_active_contacts},
        segment,
    )
    body = {"source": source, "list_ids": list(list_ids)}
    return body | _exclude(exclude_contact_ids, source)


def _tagging_body(
    tag_ids: Sequence[str],
    contact_ids: Sequence[str] | None,
    list_ids: Sequence[str] | None,
    source_tag_ids: Sequence[str] | None,
    all_active_contacts: bool,
    new_subscriber: bool,
    exclude_contact_ids: Sequence[str] | None,
) -> dict[str, Any]:
    _checks.check_uuids("tag_ids", tag_ids, max_items=MAX_TAGS, min_items=1)
    flags = {"all_active_contacts": all_active_contacts, "new_subscriber": new_subscriber}
    source = _source(contact_ids, list_ids, source_tag_ids, flags)
    body = {"source": source, "tag_ids": list(tag_ids)}
    return body | _exclude(exclude_contact_ids, source)


def _check_wait_args(
    timeout: float | None, initial: float, max_interval: float, factor: float
) -> None:
    # ``not (... >= ...)`` also refuses NaN, which passes every comparison-based check.
    if timeout is not None and not (math.isfinite(timeout) and timeout >= 0):
        raise ValidationError("timeout", "must be a finite number >= 0 seconds", value=timeout)
    if not (math.isfinite(initial) and initial > 0):
        raise ValidationError("initial", "must be a finite number > 0 seconds", value=initial)
    if not (math.isfinite(max_interval) and max_interval >= initial):
        raise ValidationError("max_interval", "must be finite and >= initial", value=max_interval)
    if not (math.isfinite(factor) and factor >= 1):
        raise ValidationError("factor", "must be a finite number >= 1", value=factor)
