"""Read an import source as numbered batches of import-key mappings, streaming.

Sources: a CSV path (``str`` or ``os.PathLike``), a text file object holding CSV, an iterable or
an async iterable of mappings (import keys), ``JsonImportContact`` or ``Contact`` records. Rows
are numbered from 1: for CSV the first record after the header is row 1 (header not counted).
"""

from __future__ import annotations

import csv
import itertools
import os
from collections.abc import AsyncIterable, AsyncIterator, Iterable, Iterator, Mapping
from typing import IO, Any

from ccasync.errors import ValidationError
from ccasync.models.activities import JsonImportContact
from ccasync.ops.imports._csv_rows import CsvBatch, CsvRecord
from ccasync.ops.imports._row_checks import CF_PREFIX, STANDARD_KEYS

BATCH = 1000
Numbered = list[tuple[int, Mapping[str, Any]]]

_PHONE_KINDS = {"home": "home_phone", "work": "work_phone", "mobile": "mobile_phone"}
_ADDRESS_KINDS = {"home": "home_", "work": "work_", "other": "other_"}
_ADDRESS_FIELDS = {"street": "street", "city": "city", "state": "state", "postal_code": "zip"}


def check_header(columns: Iterable[str]) -> None:
    """Raise ValidationError for a CSV column that is neither a standard key nor ``cf:<name>``."""
    for column in columns:
        name = column.strip()
        if name[:3].lower() != CF_PREFIX and name.lower() not in STANDARD_KEYS:
            raise ValidationError(f"csv column {name!r}", "not an import key (see §8.2 keys)")


def _csv_batches(handle: IO[str]) -> Iterator[Numbered]:
    reader = csv.reader(handle)
    first = next(reader, None)
    if first is None:
        return
    first[0] = first[0].lstrip("\ufeff")
    check_header(first)
    header = tuple(first)
    # Blank lines are no records (and take no row number); cells map to columns by position.
    nonblank = filter(None, reader)
    row = 1
    while cells := list(itertools.islice(nonblank, BATCH)):
        batch = CsvBatch(header, cells)
        records = map(CsvRecord, itertools.repeat(batch), range(len(cells)))
        yield list(zip(range(row, row + len(cells)), records, strict=False))
        row += len(cells)


def _path_batches(path: str | os.PathLike[str]) -> Iterator[Numbered]:
    with open(path, encoding="utf-8-sig", newline="") as handle:
        yield from _csv_batches(handle)


def contact_to_keys(contact: Any, cf_names: Mapping[str, str]) -> dict[str, Any]:
    """Import keys of a ``Contact`` record; ``cf_names`` maps custom_field_id to field name.

    Only the first phone of each kind and the first address of each kind are kept (the import
    format has one key per kind); a custom field id not in ``cf_names`` yields ``cf:?<id>``,
    which validation then rejects as unknown.
    """
    keys: dict[str, Any] = {}
    address = getattr(getattr(contact, "email_address", None), "address", None)
    keys["email"] = address
    for name in ("first_name", "last_name", "job_title", "company_name", "anniversary"):
        keys[name] = getattr(contact, name, None)
    keys["birthday_month"] = getattr(contact, "birthday_month", None)
    keys["birthday_day"] = getattr(contact, "birthday_day", None)
    for phone in getattr(contact, "phone_numbers", None) or ():
        key = _PHONE_KINDS.get(getattr(phone, "kind", None) or "", "other_phone")
        keys.setdefault(key, getattr(phone, "phone_number", None))
    for street in getattr(contact, "street_addresses", None) or ():
        prefix = _ADDRESS_KINDS.get(getattr(street, "kind", None) or "", "")
        if any(keys.get(prefix + f) for f in _ADDRESS_FIELDS.values()):
            continue
        for attr, key in _ADDRESS_FIELDS.items():
            keys[prefix + key] = getattr(street, attr, None)
        keys[prefix + "country"] = getattr(street, "country", None)
    for field in getattr(contact, "custom_fields", None) or ():
        field_id = getattr(field, "custom_field_id", "")
        keys[CF_PREFIX + cf_names.get(field_id, f"?{field_id}")] = getattr(field, "value", None)
    return keys


def _as_keys(item: Any, cf_names: Mapping[str, str]) -> Mapping[str, Any]:
    if isinstance(item, Mapping):
        return item
    if isinstance(item, JsonImportContact):
        return item.to_json()
    return contact_to_keys(item, cf_names)


def _numbered(items: Iterable[Any], cf_names: Mapping[str, str]) -> Iterator[Numbered]:
    counter = itertools.count(1)
    iterator = iter(items)
    while batch := list(itertools.islice(iterator, BATCH)):
        yield [(next(counter), _as_keys(item, cf_names)) for item in batch]


async def read_batches(source: Any, cf_names: Mapping[str, str]) -> AsyncIterator[Numbered]:
    """Yield lists of ``(row number, import-key mapping)`` of at most 1,000 rows, in order.

    Raises ValidationError for a CSV header with an unknown column, TypeError for a source of
    an unsupported type.
    """
    if isinstance(source, str | os.PathLike):
        for batch in _path_batches(source):
            yield batch
    elif hasattr(source, "read"):
        for batch in _csv_batches(source):
            yield batch
    elif isinstance(source, AsyncIterable):
        async for batch in _async_numbered(source, cf_names):
            yield batch
    elif isinstance(source, Iterable):
        for batch in _numbered(source, cf_names):
            yield batch
    else:
        raise TypeError(f"unsupported import source: {type(source).__name__}")


async def _async_numbered(
    items: AsyncIterable[Any], cf_names: Mapping[str, str]
) -> AsyncIterator[Numbered]:
    batch: Numbered = []
    row = 0
    async for item in items:
        row += 1
        batch.append((row, _as_keys(item, cf_names)))
        if len(batch) >= BATCH:
            yield batch
            batch = []
    if batch:
        yield batch
