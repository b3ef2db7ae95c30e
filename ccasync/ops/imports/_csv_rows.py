"""CSV records as read-only mappings that keep their batch's raw cells for the fast paths."""

from __future__ import annotations

import itertools
from collections.abc import ItemsView, Iterator, KeysView, Mapping, ValuesView


class CsvBatch:
    """Consecutive records of one CSV file: the shared ``header`` and each record's ``cells``.

    ``first`` is the row number of ``rows[0]``. Iterating gives ``(row number, CsvRecord)``
    pairs, like any other source's batch; the validator and the encoder also work on a whole
    batch at once, column by column (see ``RowChecker.check_csv``).
    """

    __slots__ = ("first", "header", "rows")

    def __init__(self, header: tuple[str, ...], rows: list[list[str]], first: int = 1) -> None:
        self.header = header
        self.rows = rows
        self.first = first

    def __len__(self) -> int:
        return len(self.rows)

    def __iter__(self) -> Iterator[tuple[int, CsvRecord]]:
        count = len(self.rows)
        records = map(CsvRecord, itertools.repeat(self, count), range(count))
        return zip(range(self.first, self.first + count), records, strict=True)


class CsvRecord(Mapping[str, str]):
    """Record ``index`` of a :class:`CsvBatch`.

    As a mapping it equals ``dict(zip(header, cells))``: surplus cells belong to no column,
    missing cells are absent, a repeated column name keeps its last cell.
    """

    __slots__ = ("batch", "index")

    def __init__(self, batch: CsvBatch, index: int) -> None:
        self.batch = batch
        self.index = index

    @property
    def header(self) -> tuple[str, ...]:
        """The file's column names."""
        return self.batch.header

    @property
    def cells(self) -> list[str]:
        """This record's raw cells, in file order."""
        return self.batch.rows[self.index]

    def as_dict(self) -> dict[str, str]:
        """The record as a plain dict (column name → cell)."""
        return dict(zip(self.batch.header, self.batch.rows[self.index], strict=False))

    def __getitem__(self, key: str) -> str:
        return self.as_dict()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self.as_dict())

    def __len__(self) -> int:
        return len(self.as_dict())

    def keys(self) -> KeysView[str]:
        """Column names present in this record."""
        return self.as_dict().keys()

    def values(self) -> ValuesView[str]:
        """Cells of this record, in column order."""
        return self.as_dict().values()

    def items(self) -> ItemsView[str, str]:
        """(column name, cell) pairs, in column order."""
        return self.as_dict().items()

    def __repr__(self) -> str:
        return f"CsvRecord({self.as_dict()!r})"
