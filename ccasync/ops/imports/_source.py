"""Read an import source as numbered batches of import-key mappings, streaming.

Accepted sources (anything else is a :class:`ValidationError` naming ``source``):

- a CSV **file path**: ``str`` or ``os.PathLike``. A ``str`` is always a path, never CSV text
  (a ``str`` holding a line break is refused as such); pass CSV text as ``io.StringIO(text)``;
- a **text** file object holding CSV (``io.StringIO``, ``open(path, newline="")``);
- a **binary** file object holding CSV (``io.BytesIO``, ``open(path, "rb")``), decoded like a
  path;
- an iterable or async iterable of mappings of import keys, ``JsonImportContact`` or
  ``Contact`` records (not a ``str``, ``bytes`` or a single mapping).

Files and binary streams are decoded with ``encoding``, or, when it is None, by their byte
order mark (UTF-8, UTF-16, UTF-32), by the NUL pattern of UTF-16 without one, else as UTF-8.
Bytes the encoding cannot decode never abort the import: when the first 64 KiB already hold
one, the file is refused up front (naming the offset, suggesting ``encoding=``); later ones
reach the row as lone surrogates and the row is rejected when it is encoded.

CSV file-level rules, checked from the header before anything is sent: every column (after
the ``columns`` renaming) is a standard import key or ``cf:<name>``, no key appears twice, and
there is an ``email`` or ``sms_number`` column. Lines are bounded (:data:`MAX_LINE_CHARS`); a
longer line, or a record Python's csv module refuses (a cell over 131,072 characters), stops
the reading with a :class:`ValidationError` naming the row, after every earlier row was
yielded (the pipeline then finishes those and raises ``BulkError`` with the partial result).
A record with more cells than the header keeps one surplus cell (the checker rejects it).

Rows are numbered from 1: for CSV the first record after the header is row 1 (header not
counted, blank lines take no number).
"""

from __future__ import annotations

import codecs
import csv
import io
import itertools
import os
from collections.abc import AsyncIterable, AsyncIterator, Iterable, Iterator, Mapping
from typing import IO, Any

from ccasync.errors import ValidationError
from ccasync.models.activities import JsonImportContact
from ccasync.ops.imports._csv_rows import CsvBatch
from ccasync.ops.imports._row_checks import CF_PREFIX, STANDARD_KEYS

BATCH = 1000
BATCH_CHARS = 16 * 1024 * 1024
"""A CSV batch also ends once its lines hold this many characters (memory stays bounded)."""
MAX_LINE_CHARS = 1024 * 1024
BLOCK_CHARS = 64 * 1024
"""Characters read from a CSV stream at a time (lines are cut from these blocks)."""
"""The longest CSV line accepted (characters); a real import line is a few KiB at most."""
SNIFF_BYTES = 64 * 1024
Numbered = list[tuple[int, Mapping[str, Any]]]
Batch = Numbered | CsvBatch
"""A batch of ``(row number, record)`` pairs: a list, or a CSV batch (iterable as such)."""
ColumnMap = Mapping[str, str | None]

_PHONE_KINDS = {"home": "home_phone", "work": "work_phone", "mobile": "mobile_phone"}
_ADDRESS_KINDS = {"home": "home_", "work": "work_", "other": "other_"}
_ADDRESS_FIELDS = {"street": "street", "city": "city", "state": "state", "postal_code": "zip"}
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_MAX_PATH = 4096


def _key_of(column: str) -> str:
    """The import key a column means: ``cf:`` names compare case-insensitively, keys by case."""
    name = column.strip()
    if name[:3].lower() == CF_PREFIX:
        return CF_PREFIX + name[3:].strip().casefold()
    return name.lower()


def check_header(columns: Iterable[str]) -> None:
    """Refuse a CSV header that cannot import: unknown or repeated keys, no address column.

    Raises :class:`ValidationError` naming the column (``email`` when neither an ``email`` nor
    an ``sms_number`` column exists).
    """
    seen: dict[str, int] = {}
    for position, column in enumerate(columns, 1):
        name = column.strip()
        key = _key_of(name)
        if key[:3] != CF_PREFIX and key not in STANDARD_KEYS:
            raise ValidationError(f"csv column {name!r}", "not an import key (see §8.2 keys)")
        if key in seen:
            raise ValidationError(
                f"csv column {name!r}",
                f"appears twice (columns {seen[key]} and {position}): "
                "one would silently replace the other",
            )
        seen[key] = position
    if "email" not in seen and "sms_number" not in seen:
        raise ValidationError(
            "email", "the CSV header has no email column (nor sms_number): no row could import"
        )


class _Lines:
    """The lines of a text stream, each at most ``limit`` characters; counts what it read.

    The stream is read in blocks of ``block`` characters, each cut into lines in C: a Python
    call per line cost a sixth of the CSV parsing. Lines end at ``\\n``, ``\\r`` or
    ``\\r\\n`` (universal newlines, kept untranslated), as csv expects. ``chars`` counts the
    characters read from the stream (up to a block ahead of the lines handed out).
    """

    def __init__(self, handle: IO[str], limit: int, block: int = BLOCK_CHARS) -> None:
        self._handle = handle
        self._limit = limit
        self._block = block
        self.chars = 0

    def __iter__(self) -> Iterator[str]:
        return itertools.chain.from_iterable(self._blocks())

    def _blocks(self) -> Iterator[list[str]]:
        carry = ""
        while block := self._handle.read(self._block):
            self.chars += len(block)
            text = carry + block if carry else block
            cut = text.rfind("\n") + 1 or text.rfind("\r") + 1
            if not cut:
                if len(text) > self._limit:
                    raise _LineTooLong
                carry = text
                continue
            carry = text[cut:]
            lines = _split_lines(text[:cut] if carry else text)
            # Only the first line can pass the limit: every later one lies within this block.
            self._check(lines[0])
            yield lines
        if carry:
            self._check(carry)
            yield [carry]

    def _check(self, line: str) -> None:
        if len(line) > self._limit and len(line.rstrip("\r\n")) > self._limit:
            raise _LineTooLong


# Line boundaries str.splitlines knows and universal newlines do not.
_OTHER_BREAKS = ("\v", "\f", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029")


def _split_lines(text: str) -> list[str]:
    """``text`` cut after each ``\\n``, ``\\r`` or ``\\r\\n``, line ends kept."""
    # One memchr-speed search per character: ~20x faster than a regex character class.
    if not any(map(text.__contains__, _OTHER_BREAKS)):
        return text.splitlines(keepends=True)
    return io.StringIO(text, newline="").readlines()


class _LineTooLong(Exception):
    """A line passed MAX_LINE_CHARS (internal: turned into a ValidationError with the row)."""


class CsvSource:
    """An opened CSV stream whose header was read and checked (before anything is sent).

    ``owned``: the file this source opened (closed by :meth:`close`); ``wrapper``: a text layer
    put over a caller's binary stream (detached by :meth:`close`, leaving that stream open).
    """

    def __init__(
        self,
        handle: IO[str],
        columns: ColumnMap | None,
        *,
        owned: IO[Any] | None = None,
        wrapper: io.TextIOWrapper | None = None,
    ) -> None:
        self._owned = owned
        self._wrapper = wrapper
        self._lines = _Lines(handle, MAX_LINE_CHARS)
        self._reader = csv.reader(self._lines)
        self._batch_start = 0
        first = self._next_record(0) or []
        if first:
            first[0] = first[0].lstrip("\ufeff")
        self._width = len(first)
        self._keep, header = _apply_columns(first, columns or {})
        if first:
            check_header(header)
        self.header = tuple(header)

    def close(self) -> None:
        """Close the file this source opened (a stream passed in is left open)."""
        if self._wrapper is not None:
            self._wrapper.detach()
            self._wrapper = None
        if self._owned is not None:
            self._owned.close()
            self._owned = None

    def _next_record(self, row: int) -> list[str] | None:
        try:
            return next(self._reader, None)
        except (_LineTooLong, csv.Error, UnicodeError) as exc:
            raise _unreadable(exc, row + 1) from None

    def batches(self) -> Iterator[CsvBatch]:
        """Numbered batches; a line or record that cannot be read raises after the rows before."""
        if not self.header:
            return
        row = 1
        while True:
            cells_batch, problem, more = self._read_batch(row - 1)
            if cells_batch:
                yield CsvBatch(self.header, cells_batch, row)
                row += len(cells_batch)
            if problem is not None:
                raise problem
            if not more:
                return

    def _read_batch(self, before: int) -> tuple[list[list[str]], ValidationError | None, bool]:
        """Up to BATCH records (or BATCH_CHARS characters); the problem that stopped it; more?"""
        rows: list[list[str]] = []
        append = rows.append
        lines = self._lines
        stop = lines.chars + BATCH_CHARS
        width = self._width
        keep = self._keep
        # The per-record loop of every import: locals only, one exception frame for the batch.
        try:
            for cells in self._reader:
                if not cells:
                    continue  # a blank line is no record and takes no row number
                if len(cells) > width:
                    # The row is rejected; one surplus cell says so without keeping thousands.
                    cells = cells[: width + 1]
                if keep is not None:
                    cells = [cells[i] for i in keep if i < len(cells)] + cells[width:]
                append(cells)
                if len(rows) >= BATCH or lines.chars >= stop:
                    return rows, None, True
        except (_LineTooLong, csv.Error, UnicodeError) as exc:
            return rows, _unreadable(exc, before + len(rows) + 1), False
        return rows, None, False


def _unreadable(exc: Exception, row: int) -> ValidationError:
    """The error for a CSV line or record that stops the reading at ``row``."""
    if isinstance(exc, _LineTooLong):
        reason = f"a line longer than {MAX_LINE_CHARS:,} characters; reading stopped"
    elif isinstance(exc, csv.Error):
        reason = f"not readable as CSV ({exc}); reading stopped"
    else:
        reason = f"not decodable ({exc}); reading stopped"
    return ValidationError("source", reason, row=row)


def _apply_columns(header: list[str], columns: ColumnMap) -> tuple[list[int] | None, list[str]]:
    """Renamed header and the positions kept (None: all), for ``columns`` (header → key)."""
    if not columns:
        return None, header
    keep: list[int] = []
    renamed: list[str] = []
    for at, name in enumerate(header):
        target = columns.get(name.strip(), name)
        if target is None:
            continue
        keep.append(at)
        renamed.append(target)
    return (None if len(keep) == len(header) else keep), renamed


def detect_encoding(head: bytes) -> str:
    """The encoding a CSV file's first bytes show: a byte order mark, UTF-16's NULs, or UTF-8."""
    for bom, name in _BOMS:
        if head.startswith(bom):
            return name
    if len(head) >= 4 and head[1] == 0 and head[3] == 0 and head[0] and head[2]:
        return "utf-16-le"
    if len(head) >= 4 and head[0] == 0 and head[2] == 0 and head[1] and head[3]:
        return "utf-16-be"
    return "utf-8"


def _check_sample(sample: bytes, encoding: str, guessed: bool) -> None:
    try:
        codecs.getincrementaldecoder(encoding)("strict").decode(sample, final=False)
    except UnicodeDecodeError as exc:
        hint = " (pass encoding=, e.g. 'cp1252' for Excel on Windows)" if guessed else ""
        raise ValidationError(
            "encoding",
            f"the file is not {encoding}: byte 0x{sample[exc.start]:02x} at offset "
            f"{exc.start}{hint}",
        ) from None
    except UnicodeError as exc:  # e.g. UTF-16 without a byte order mark
        raise ValidationError("encoding", f"the file is not {encoding}: {exc}") from None
    except LookupError:
        raise ValidationError("encoding", "unknown encoding", value=encoding) from None


def _head(binary: IO[bytes]) -> bytes:
    """The first bytes of ``binary`` without consuming them (seek back, or peek)."""
    if binary.seekable():
        start = binary.tell()
        head = binary.read(SNIFF_BYTES)
        binary.seek(start)
        return head
    peek = getattr(binary, "peek", None)
    return bytes(peek(SNIFF_BYTES)[:SNIFF_BYTES]) if peek is not None else b""


def _text_stream(binary: IO[bytes], encoding: str | None) -> io.TextIOWrapper:
    head = _head(binary)
    chosen = encoding or detect_encoding(head)
    _check_sample(head, chosen, guessed=encoding is None)
    if codecs.lookup(chosen).name == "utf-8":
        chosen = "utf-8-sig"  # a BOM is no data, whatever the caller said
    # surrogateescape: a bad byte later in the file reaches its row (rejected), never raises.
    return io.TextIOWrapper(binary, encoding=chosen, errors="surrogateescape", newline="")


def _path_source(
    path: str | os.PathLike[str], encoding: str | None, columns: ColumnMap | None
) -> CsvSource:
    try:
        binary = open(path, "rb")  # noqa: SIM115 -- closed by CsvSource.close
    except (OSError, ValueError) as exc:
        why = exc.strerror if isinstance(exc, OSError) and exc.strerror else type(exc).__name__
        raise ValidationError("source", f"cannot open the CSV file: {why}") from None
    try:
        return CsvSource(_text_stream(binary, encoding), columns, owned=binary)
    except BaseException:
        binary.close()
        raise


def _stream_source(stream: Any, encoding: str | None, columns: ColumnMap | None) -> CsvSource:
    if isinstance(stream, io.TextIOBase):
        return CsvSource(stream, columns)  # type: ignore[arg-type]
    if not isinstance(stream, io.IOBase):
        raise ValidationError("source", f"unsupported file object: {type(stream).__name__}")
    wrapper = _text_stream(stream, encoding)  # type: ignore[arg-type]
    try:
        return CsvSource(wrapper, columns, wrapper=wrapper)
    except BaseException:
        wrapper.detach()
        raise


def _check_encoding(encoding: str | None) -> None:
    if encoding is None:
        return
    try:
        info = codecs.lookup(encoding)
    except (LookupError, TypeError, ValueError):
        info = None
    # Bytes-to-bytes codecs (base64, zlib) are known to codecs but decode no text.
    if info is None or not getattr(info, "_is_text_encoding", True):
        raise ValidationError("encoding", "unknown text encoding", value=str(encoding)[:100])


def open_source(source: Any, *, encoding: str | None, columns: ColumnMap | None) -> ImportSource:
    """Check ``source`` and, for CSV, open it and check its header; nothing is sent yet.

    Raises :class:`ValidationError` (field ``source``, ``encoding``, ``email`` or the CSV
    column) for a source that cannot import at all.
    """
    _check_encoding(encoding)
    if isinstance(source, str):
        if "\n" in source or "\r" in source or len(source) > _MAX_PATH or "\x00" in source:
            raise ValidationError(
                "source", "a str is a file path; pass CSV text as io.StringIO(text)"
            )
        return ImportSource(csv_source=_path_source(source, encoding, columns))
    if isinstance(source, os.PathLike):
        return ImportSource(csv_source=_path_source(source, encoding, columns))
    if hasattr(source, "read"):
        return ImportSource(csv_source=_stream_source(source, encoding, columns))
    if isinstance(source, bytes | bytearray | memoryview | Mapping):
        kind = type(source).__name__
        raise ValidationError(
            "source", f"a {kind} is no row source: pass a path, a file, or an iterable of rows"
        )
    if isinstance(source, AsyncIterable | Iterable):
        return ImportSource(items=source)
    raise ValidationError("source", f"unsupported import source: {type(source).__name__}")


class ImportSource:
    """A checked source: an opened CSV file or stream, or an iterable of rows."""

    def __init__(self, *, csv_source: CsvSource | None = None, items: Any = None) -> None:
        self._csv = csv_source
        self._items = items

    def close(self) -> None:
        """Release the file this source opened, if any."""
        if self._csv is not None:
            self._csv.close()

    async def batches(self, cf_names: Mapping[str, str]) -> AsyncIterator[Batch]:
        """Batches of ``(row number, record)`` of at most 1,000 rows, in order.

        A CSV line or record that cannot be read raises :class:`ValidationError` (with its
        row) after every earlier row was yielded.
        """
        if self._csv is not None:
            for csv_batch in self._csv.batches():
                yield csv_batch
        elif isinstance(self._items, AsyncIterable):
            async for batch in _async_numbered(self._items, cf_names):
                yield batch
        else:
            for batch in _numbered(self._items, cf_names):
                yield batch


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


def _as_keys(item: Any, cf_names: Mapping[str, str]) -> Any:
    # Anything that is neither a mapping nor a contact record passes through unchanged: the
    # row checker rejects it with its row number.
    if isinstance(item, Mapping):
        return item
    if isinstance(item, JsonImportContact):
        return item.to_json()
    if hasattr(item, "email_address"):
        return contact_to_keys(item, cf_names)
    return item


def _numbered(items: Iterable[Any], cf_names: Mapping[str, str]) -> Iterator[Numbered]:
    counter = itertools.count(1)
    iterator = iter(items)
    while batch := list(itertools.islice(iterator, BATCH)):
        yield [(next(counter), _as_keys(item, cf_names)) for item in batch]


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


async def read_batches(
    source: Any,
    cf_names: Mapping[str, str],
    *,
    encoding: str | None = None,
    columns: ColumnMap | None = None,
) -> AsyncIterator[Batch]:
    """:func:`open_source` and its batches in one go (closed at the end); raises like both."""
    opened = open_source(source, encoding=encoding, columns=columns)
    try:
        async for batch in opened.batches(cf_names):
            yield batch
    finally:
        opened.close()
