"""The import command's CSV reader: encoding, delimiter, header mapping, checks before any call.

The header is mapped to import keys column by column: ``--map "Column=key"`` first (``key``
empty drops the column), then the import keys themselves (``email``, ``first_name``,
``cf:<custom field>``), then Constant Contact's own export headers ("Email address", "First
name", ...; compared case- and punctuation-insensitively). Columns a Constant Contact export
holds but an import cannot set ("Email status", "Created At", ...) are dropped with a note.
Anything else refuses the header before any API call, naming the columns.

UNCONFIRMED: the exact header labels of Constant Contact's contact export (the UI's CSV); the
aliases below cover the labels seen in its documentation and exports, in any letter case.
"""

from __future__ import annotations

import codecs
import csv
import io
import itertools
import re
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import IO

import attrs

from ccasync.errors import ConfigError, ValidationError
from ccasync.models.activities import CUSTOM_FIELD_PREFIX, IMPORT_KEYS, check_import_row

SAMPLE_ROWS = 1000
"""Rows read and checked before any API call."""

EXPORT_ALIASES: dict[str, str] = {
    "email_address": "email",
    "email_addresses": "email",
    "e_mail": "email",
    "first": "first_name",
    "last": "last_name",
    "company": "company_name",
    "company_organization": "company_name",
    "organization": "company_name",
    "title": "job_title",
    "phone_number": "phone",
    "phone_home": "home_phone",
    "phone_work": "work_phone",
    "phone_mobile": "mobile_phone",
    "phone_other": "other_phone",
    "mobile": "mobile_phone",
    "cell_phone": "mobile_phone",
    "street_address": "street",
    "street_address_line_1": "street",
    "address_line_1": "street",
    "street_address_line_2": "street2",
    "address_line_2": "street2",
    "state_province": "state",
    "province": "state",
    "zip_postal_code": "zip",
    "postal_code": "zip",
    "zip_code": "zip",
    "sms_phone_number": "sms_number",
    "sms_number": "sms_number",
}
"""Normalised Constant Contact export labels and their import keys (besides the keys)."""

EXPORT_ONLY = frozenset(
    {
        "email_status",
        "email_permission_status",
        "email_update_source",
        "email_lists",
        "lists",
        "list_memberships",
        "tags",
        "source_name",
        "created_at",
        "updated_at",
        "confirmed_opt_out_date",
        "confirmed_opt_out_reason",
        "confirmed_opt_out_source",
        "opt_out_date",
        "opt_out_reason",
        "opt_out_source",
        "email_opt_in_date",
        "email_opt_in_source",
        "sms_status",
        "sms_permission_status",
        "contact_id",
    }
)
"""Normalised export labels an import cannot set: dropped with a note."""

_NOT_WORD = re.compile(r"[^0-9a-z]+")


def normalise(label: str) -> str:
    """A header label compared loosely: lower case, runs of other characters as one ``_``."""
    return _NOT_WORD.sub("_", label.strip().lower()).strip("_")


def parse_maps(values: Sequence[str]) -> dict[str, str]:
    """``--map "Column=key"`` values as {column: key} (``key`` empty: drop the column).

    Raises ConfigError for a value without ``=`` or a key that is not an import key.
    """
    out: dict[str, str] = {}
    for value in values:
        column, sep, key = value.partition("=")
        column, key = column.strip(), key.strip()
        if not sep or not column:
            raise ConfigError(f'--map {value!r}: write "Column=key" (key empty drops the column)')
        if key and not _is_key(key):
            raise ConfigError(
                f"--map {value!r}: {key!r} is not an import key (email, first_name, "
                f"last_name, ..., or cf:<custom field name>)"
            )
        out[column] = key
    return out


def _is_key(key: str) -> bool:
    return key in IMPORT_KEYS or (key.startswith(CUSTOM_FIELD_PREFIX) and len(key) > 3)


@attrs.frozen(kw_only=True)
class ColumnPlan:
    """What each CSV column becomes: an import key, or None (dropped)."""

    header: tuple[str, ...]
    keys: tuple[str | None, ...]
    dropped: tuple[str, ...]


def plan_columns(header: Sequence[str], maps: Mapping[str, str]) -> ColumnPlan:
    """Map ``header`` to import keys; ValidationError (field ``header``) lists every problem."""
    lowered = {column.lower(): key for column, key in maps.items()}
    keys: list[str | None] = []
    dropped: list[str] = []
    unknown: list[str] = []
    for label in header:
        key = _key_for(label.strip(), maps, lowered)
        if key is None:
            (
                dropped
                if normalise(label) in EXPORT_ONLY or _mapped_away(label, lowered)
                else unknown
            ).append(label)
        keys.append(key)
    problems = []
    if unknown:
        problems.append(
            f"unknown column(s) {', '.join(repr(c) for c in unknown)}: map them with "
            '--map "Column=key" (key: an import key or cf:<custom field>; empty drops it)'
        )
    repeated = sorted({k for k in keys if k is not None and keys.count(k) > 1})
    if repeated:
        problems.append(f"several columns give {', '.join(repeated)}")
    if not {"email", "sms_number"} & {k for k in keys if k}:
        problems.append("no email column (nor sms_number): map one with --map")
    if len(set(header)) != len(header):
        problems.append("a column name is repeated")
    if problems:
        raise ValidationError("header", "; ".join(problems))
    return ColumnPlan(header=tuple(header), keys=tuple(keys), dropped=tuple(dropped))


def _mapped_away(label: str, lowered: Mapping[str, str]) -> bool:
    return lowered.get(label.strip().lower()) == ""


def _key_for(label: str, maps: Mapping[str, str], lowered: Mapping[str, str]) -> str | None:
    if label in maps or label.lower() in lowered:
        return maps.get(label, lowered.get(label.lower())) or None
    if _is_key(label):
        return label
    if label[:3].lower() == CUSTOM_FIELD_PREFIX and len(label) > 3:
        return CUSTOM_FIELD_PREFIX + label[3:]
    name = normalise(label)
    if name in IMPORT_KEYS:
        return name
    return EXPORT_ALIASES.get(name)


def detect_encoding(path: Path, requested: str) -> str:
    """The codec to read ``path`` with: ``requested``, or for ``auto`` the BOM's, else UTF-8.

    UTF-8 (with or without a BOM) and UTF-16/32 with a BOM are told apart by their first
    bytes; a UTF-8 file with a BOM drops it. Raises ConfigError for an unknown codec and
    OSError for an unreadable file.
    """
    with open(path, "rb") as handle:
        head = handle.read(4)
    if requested != "auto":
        try:
            name = codecs.lookup(requested).name
        except LookupError:
            raise ConfigError(f"--encoding {requested!r} is not a known codec") from None
        return "utf-8-sig" if name == "utf-8" else name
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        return "utf-32"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    return "utf-8-sig"


class CsvInput:
    """One CSV file read as numbered import rows; :meth:`rows` streams them once.

    Opening reads the header (mapped by :func:`plan_columns`) and the first
    :data:`SAMPLE_ROWS` rows, so a missing file, a wrong encoding, a wrong delimiter or a bad
    header fail before any API call. A row with more cells than the header is handed on empty
    (the import rejects it; :attr:`issues` says why, by row). A decode error or an oversized
    cell later in the file ends the rows early: :attr:`failure` says where.
    """

    def __init__(
        self, path: Path, *, encoding: str, delimiter: str, maps: Mapping[str, str]
    ) -> None:
        if len(delimiter) != 1:
            raise ConfigError(f"--delimiter must be one character, got {delimiter!r}")
        self.path = path
        self.encoding = detect_encoding(path, encoding)
        self.size = path.stat().st_size
        self._binary = open(path, "rb")  # noqa: SIM115 - closed by close(), rows outlive a with
        self._text: IO[str] = io.TextIOWrapper(self._binary, encoding=self.encoding, newline="")
        self._reader = csv.reader(self._text, delimiter=delimiter)
        self.issues: dict[int, str] = {}
        self.failure: str | None = None
        self.stop_reason: str | None = None
        self.row = 0
        try:
            self.columns = plan_columns(self._header(delimiter), maps)
            self.sample = list(itertools.islice(self._records(), SAMPLE_ROWS))
        except BaseException:
            self.close()
            raise
        self._rest = self._records()

    def _header(self, delimiter: str) -> list[str]:
        first = next(self._reader, None)
        if not first:
            raise ValidationError("header", "the file is empty (no header line)")
        first[0] = first[0].lstrip("\ufeff")
        if len(first) == 1 and delimiter == ",":
            for other in (";", "\t", "|"):
                if other in first[0]:
                    raise ValidationError(
                        "header",
                        f"one column {first[0][:60]!r}: the file looks {other!r}-separated; "
                        f"pass --delimiter {other!r}",
                    )
        return first

    def _records(self) -> Iterator[dict[str, str]]:
        width = len(self.columns.header)
        keys = self.columns.keys
        while True:
            try:
                cells = next(self._reader, None)
            except csv.Error as exc:
                self.failure = f"after row {self.row}: {exc} (an unbalanced quote?)"
                return
            if cells is None:
                return
            if not cells:
                continue  # blank line: no record, no row number (as the library reads CSV)
            self.row += 1
            if len(cells) > width:
                self.issues[self.row] = (
                    f"{len(cells)} cells for {width} columns (an unquoted {self._delimiter!r}?)"
                )
                yield {}
                continue
            yield {
                key: cell for key, cell in zip(keys, cells, strict=False) if key and cell.strip()
            }

    @property
    def _delimiter(self) -> str:
        return str(self._reader.dialect.delimiter)

    def rows(self) -> Iterator[dict[str, str]]:
        """Every data row (the sample first), ending early after :meth:`stop` or a failure."""
        for record in itertools.chain(self.sample, self._guarded()):
            if self.stop_reason is not None:
                return
            yield record

    def _guarded(self) -> Iterator[dict[str, str]]:
        try:
            yield from self._rest
        except UnicodeDecodeError as exc:
            self.failure = (
                f"after row {self.row}: not valid {self.encoding} "
                f"(byte 0x{exc.object[exc.start]:02x}); pass --encoding"
            )

    def stop(self, reason: str) -> None:
        """Hand out no more rows (the rows already handed out are still imported)."""
        self.stop_reason = reason

    def position(self) -> int:
        """Bytes of the file read so far (for a progress bar)."""
        try:
            return min(self.size, self._binary.tell())
        except (OSError, ValueError):
            return self.size

    def close(self) -> None:
        """Close the file."""
        self._text.close()


def check_rows(
    rows: Sequence[Mapping[str, str]], issues: Mapping[int, str]
) -> list[tuple[int, str]]:
    """Problems of ``rows`` (numbered from 1) found without the API: (row, reason)."""
    found: list[tuple[int, str]] = []
    for row, record in enumerate(rows, start=1):
        if row in issues:
            found.append((row, issues[row]))
            continue
        try:
            check_import_row(_typed(record), row=row)
        except ValidationError as exc:
            found.append((row, f"{exc.field}: {exc.reason}"))
    return found


def _typed(record: Mapping[str, str]) -> dict[str, object]:
    out: dict[str, object] = dict(record)
    for key in ("birthday_month", "birthday_day"):
        value = record.get(key)
        if value is not None:
            out[key] = int(value) if value.strip().isdigit() else value
    return out
