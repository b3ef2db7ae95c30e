"""One CSV record as a read-only mapping that keeps the raw cells for the column-plan fast path."""

from __future__ import annotations

from collections.abc import ItemsView, Iterator, KeysView, Mapping, ValuesView


class CsvRecord(Mapping[str, str]):
    """A CSV record: ``header`` (shared by every record of one file) and this record's ``cells``.

    As a mapping it equals ``dict(zip(header, cells))``: surplus cells belong to no column,
    missing cells are absent, a repeated column name keeps its last cell. The validator reads
    ``cells`` by position through a plan made once per ``header`` instead of walking a dict.
    """

    __slots__ = ("cells", "header")

    def __init__(self, header: tuple[str, ...], cells: list[str]) -> None:
        self.header = header
        self.cells = cells

    def as_dict(self) -> dict[str, str]:
        """The record as a plain dict (column name → cell)."""
        return dict(zip(self.header, self.cells, strict=False))

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
