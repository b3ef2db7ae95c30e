"""The work behind each bulk activity kind (applied in slices as the activity progresses)."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable
from typing import Any

from .._http import iso
from .._state import Account
from ..contacts.records import SimContact
from .import_rows import RowApplier


class _Job:
    """Shared parts: the error list and per-unit progress over a resolved item list."""

    def __init__(self) -> None:
        self.errors: list[str] = []
        self.items: list[Any] = []
        self.completed = 0

    def start(self) -> int:
        """Resolve the work when processing starts; return the number of units."""
        self.items = self.resolve()
        return len(self.items)

    def resolve(self) -> list[Any]:
        """The items this activity works on, resolved when processing starts."""
        raise NotImplementedError

    def run(self, begin: int, end: int) -> None:
        """Apply work units ``begin`` (inclusive) to ``end`` (exclusive)."""
        for item in self.items[begin:end]:
            self.apply(item)
        self.completed = end

    def apply(self, item: Any) -> None:
        """Apply the activity to one item."""
        raise NotImplementedError

    def finish(self) -> None:
        """Nothing more to do by default."""

    def status(self) -> dict[str, Any] | None:
        """The activity's ``status`` object (None when its schema has none)."""
        return {"items_total_count": len(self.items), "items_completed_count": self.completed}


def resolve_source(account: Account, source: dict[str, Any]) -> list[SimContact]:
    """Contacts picked by a validated bulk ``source``: ids, a segment, all active, or new ones.

    A segment is evaluated when the activity starts; one deleted meanwhile picks nobody.
    """
    contacts = account.contacts
    if "contact_ids" in source:
        found = (contacts.get(i) for i in source["contact_ids"])
        return [c for c in found if c is not None and not c.is_deleted]
    if "list_ids" in source:
        seen: dict[str, None] = {}
        for list_id in source["list_ids"]:
            lst = account.lists.get(list_id)
            if lst is not None:
                seen.update(dict.fromkeys(lst.members))
        return [contacts[i] for i in seen]
    if "tag_ids" in source:
        tagged: dict[str, None] = {}
        for tag_id in source["tag_ids"]:
            tag = account.tags.get(tag_id)
            if tag is not None:
                tagged.update(dict.fromkeys(tag.members))
        return [contacts[i] for i in tagged if not contacts[i].is_deleted]
    if "segment_id" in source:
        segment = account.segments.get(source["segment_id"])
        if segment is None or segment.deleted_at is not None:
            return []
        return [c for c in contacts.values() if segment.matches(c)]
    if "new_subscriber" in source:
        since = account.state.clock.now() - dt.timedelta(days=30)
        return [c for c in contacts.values() if not c.is_deleted and c.created_at >= since]
    return [c for c in contacts.values() if not c.is_deleted and not c.is_unsubscribed]


class ImportJob(_Job):
    """JSON or CSV import: upsert by email, list memberships, per-row errors."""

    def __init__(self, applier: RowApplier, rows: list[dict[str, str]], header_rows: int) -> None:
        """``rows`` are already truncated; ``header_rows`` 1 for CSV (row numbers count it)."""
        super().__init__()
        self.applier = applier
        self.items = rows
        self.header_rows = header_rows
        self.errors = applier.errors

    def start(self) -> int:
        """Resolve the work when processing starts; return the number of units."""
        return len(self.items)

    def run(self, begin: int, end: int) -> None:
        """Apply work units ``begin`` (inclusive) to ``end`` (exclusive)."""
        self.applier.apply_many(self.items[begin:end], begin + 1 + self.header_rows)
        self.completed = end

    def status(self) -> dict[str, Any]:
        """The activity's ``status`` object (None when its schema has none)."""
        counts = self.applier
        return {
            "items_total_count": len(self.items) + self.header_rows,
            "person_count": counts.person_count,
            "error_count": counts.error_count,
            "correctable_count": counts.correctable_count,
            "cannot_add_to_list_count": counts.cannot_add_to_list_count,
        }


class MembershipJob(_Job):
    """Add contacts to, or remove them from, lists (unsubscribed contacts are never added)."""

    def __init__(
        self,
        account: Account,
        source: dict[str, Any],
        list_ids: list[str],
        exclude: set[str],
        remove: bool,
    ) -> None:
        """Resolve ``source`` when processing starts; ``exclude`` holds contact ids to skip."""
        super().__init__()
        self.account, self.source, self.list_ids = account, source, list_ids
        self.exclude, self.remove = exclude, remove

    def resolve(self) -> list[Any]:
        """The items this activity works on, resolved when processing starts."""
        return [
            c for c in resolve_source(self.account, self.source) if c.contact_id not in self.exclude
        ]

    def apply(self, item: Any) -> None:
        """Apply the activity to one item."""
        contact: SimContact = item
        for list_id in self.list_ids:
            if self.remove:
                self.account.remove_membership(contact, list_id)
            elif not self.account.list_exists(list_id):
                continue
            elif contact.is_unsubscribed:
                return
            elif not self.account.add_membership(contact, list_id):
                self.errors.append(f"Contact {contact.contact_id} is already on 50 lists.")

    def status(self) -> dict[str, Any]:
        """The activity's ``status`` object (None when its schema has none)."""
        return {**super().status(), "list_count": len(self.list_ids)}  # type: ignore[dict-item]


class ContactDeleteJob(_Job):
    """Soft-delete contacts given by id or by list membership."""

    def __init__(
        self, account: Account, contact_ids: list[str], list_ids: list[str], now: Callable[[], Any]
    ) -> None:
        """Exactly one of ``contact_ids`` / ``list_ids`` is non-empty."""
        super().__init__()
        self.account, self.contact_ids, self.list_ids, self.now = (
            account,
            contact_ids,
            list_ids,
            now,
        )

    def resolve(self) -> list[Any]:
        """The items this activity works on, resolved when processing starts."""
        if self.contact_ids:
            return resolve_source(self.account, {"contact_ids": self.contact_ids})
        return resolve_source(self.account, {"list_ids": self.list_ids})

    def apply(self, item: Any) -> None:
        """Apply the activity to one item."""
        if not item.is_deleted:
            self.account.delete_contact(item, self.now())

    def status(self) -> dict[str, Any]:
        """The activity's ``status`` object (None when its schema has none)."""
        return {**super().status(), "list_count": len(self.list_ids)}  # type: ignore[dict-item]


class ListDeleteJob(_Job):
    """Delete lists (and their memberships)."""

    def __init__(self, account: Account, list_ids: list[str], *, with_status: bool = True) -> None:
        """``with_status`` False for ``DELETE /contact_lists/{id}`` (its schema has no status)."""
        super().__init__()
        self.account, self.list_ids, self.with_status = account, list_ids, with_status

    def resolve(self) -> list[Any]:
        """The items this activity works on, resolved when processing starts."""
        return list(self.list_ids)

    def apply(self, item: Any) -> None:
        """Apply the activity to one item."""
        if self.account.list_exists(item):
            self.account.delete_list(item, self.account.state.clock.now())

    def status(self) -> dict[str, Any] | None:
        """The activity's ``status`` object (None when its schema has none)."""
        return {"list_count": len(self.list_ids)} if self.with_status else None


class TaggingJob(_Job):
    """Add or remove tags on the contacts of a source."""

    def __init__(
        self,
        account: Account,
        source: dict[str, Any],
        tag_ids: list[str],
        exclude: set[str],
        remove: bool,
    ) -> None:
        """Resolve ``source`` when processing starts."""
        super().__init__()
        self.account, self.source, self.tag_ids = account, source, tag_ids
        self.exclude, self.remove = exclude, remove

    def resolve(self) -> list[Any]:
        """The items this activity works on, resolved when processing starts."""
        return [
            c for c in resolve_source(self.account, self.source) if c.contact_id not in self.exclude
        ]

    def apply(self, item: Any) -> None:
        """Apply the activity to one item."""
        for tag_id in self.tag_ids:
            if self.remove:
                self.account.remove_tagging(item, tag_id)
            elif tag_id in self.account.tags and len(item.tag_ids) < 50:
                self.account.add_tagging(item, tag_id)


class TagDeleteJob(_Job):
    """Untag everyone and delete tags."""

    def __init__(self, account: Account, tag_ids: list[str]) -> None:
        """Delete ``tag_ids`` (unknown ones are ignored)."""
        super().__init__()
        self.account, self.tag_ids = account, tag_ids

    def resolve(self) -> list[Any]:
        """The items this activity works on, resolved when processing starts."""
        return list(self.tag_ids)

    def apply(self, item: Any) -> None:
        """Apply the activity to one item."""
        self.account.delete_tag(item)


class CustomFieldDeleteJob(_Job):
    """Delete custom fields and their values."""

    def __init__(self, account: Account, field_ids: list[str]) -> None:
        """Delete ``field_ids``."""
        super().__init__()
        self.account, self.field_ids = account, field_ids

    def resolve(self) -> list[Any]:
        """The items this activity works on, resolved when processing starts."""
        return list(self.field_ids)

    def apply(self, item: Any) -> None:
        """Apply the activity to one item."""
        self.account.delete_custom_field(item)

    def status(self) -> None:
        """The activity's ``status`` object (None when its schema has none)."""
        return None


EXPORT_FIELDS = (
    "email_address",
    "first_name",
    "last_name",
    "job_title",
    "company_name",
    "birthday_month",
    "birthday_day",
    "anniversary",
    "created_at",
    "updated_at",
    "email_optin_source",
    "email_optin_date",
    "email_optout_source",
    "email_optout_date",
    "email_optout_reason",
    "email_permission_status",
    "list_memberships",
    "tags",
    "contact_id",
)


def _export_value(account: Account, contact: SimContact, field: str) -> str:
    values: dict[str, Callable[[], Any]] = {
        "email_address": lambda: contact.email,
        "email_optin_source": lambda: contact.opt_in_source,
        "email_optin_date": lambda: contact.opt_in_date and iso(contact.opt_in_date),
        "email_optout_source": lambda: contact.opt_out_source,
        "email_optout_date": lambda: contact.opt_out_date and iso(contact.opt_out_date),
        "email_optout_reason": lambda: contact.opt_out_reason,
        "email_permission_status": lambda: contact.permission_to_send,
        "created_at": lambda: iso(contact.created_at),
        "updated_at": lambda: iso(contact.updated_at),
        "list_memberships": lambda: ",".join(account.lists[i].name for i in contact.list_ids),
        "tags": lambda: ",".join(
            account.tags[i].name for i in contact.tag_ids if i in account.tags
        ),
    }
    if field in values:
        value = values[field]()
    elif field.startswith("cf:"):
        ids = {f.name: f.custom_field_id for f in account.custom_fields.values()}
        value = contact.custom_fields.get(ids.get(field[3:], ""))
    else:
        value = getattr(contact, field, None)
    return "" if value is None else str(value)


class ExportJob(_Job):
    """Export contacts to CSV, downloadable at ``/v3/contact_exports/{activity_id}``.

    UNCONFIRMED: the real file's header labels; the simulator uses the requested field names.
    """

    def __init__(
        self,
        account: Account,
        select: Callable[[], list[SimContact]],
        fields: list[str],
        export_id: str,
    ) -> None:
        """``select`` picks the contacts when processing starts."""
        super().__init__()
        self.account, self.select, self.fields, self.export_id = account, select, fields, export_id
        self.buffer = io.StringIO()
        self.writer = csv.writer(self.buffer, lineterminator="\n")
        self.writer.writerow(fields)

    def resolve(self) -> list[Any]:
        """The items this activity works on, resolved when processing starts."""
        return self.select()

    def apply(self, item: Any) -> None:
        """Apply the activity to one item."""
        self.writer.writerow([_export_value(self.account, item, f) for f in self.fields])

    def finish(self) -> None:
        """Store the CSV for download."""
        self.account.exports[self.export_id] = self.buffer.getvalue()
