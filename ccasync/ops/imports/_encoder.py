"""Encode clean rows straight into ``contacts_json_import`` payloads cut by size and by rows.

Each row is encoded once with orjson and appended to one growing ``bytearray``; a payload is
closed when the next row would make it reach ``max_bytes`` or exceed ``max_rows``. The API drops
whatever lies beyond 4,000,000 bytes or 40,000 contacts without an error (reference §14.3), so
both limits are hard here: no payload ever reaches ``max_bytes``.

Duplicates inside one payload (merge policy): the earlier entry is marked dead, the two rows are
merged (the later row's non-empty values win) and appended again; dead entries are cut out once,
when the payload closes. Duplicates in different payloads are left to the API's upsert by email.
"""

from __future__ import annotations

import bisect
import enum
import itertools
import operator
import re
from array import array
from collections.abc import Mapping, Sequence
from typing import Any

import attrs
import orjson

from ccasync.ops._common import RowIssue

_SLACK = 65_536


class Full(enum.Enum):
    """The answer of :meth:`PayloadBuilder.offer` when the open payload must be closed first."""

    FULL = "full"


FULL = Full.FULL
_COMMA = ord(",")


@attrs.define(slots=True, eq=False)
class Chunk:
    """One closed payload and the input rows it carries.

    ``rows[i]`` is the input row number of payload entry ``i`` (0-based position in
    ``import_data``); ``merged`` maps a position to the earlier input rows merged into it.
    ``payload`` is dropped (set to None) once submitted, to free memory.
    """

    index: int
    payload: bytes | None
    rows: array[int]
    merged: dict[int, tuple[int, ...]]
    size: int

    @property
    def count(self) -> int:
        """Contacts in the payload."""
        return len(self.rows)

    def input_rows(self, position: int) -> tuple[int, ...]:
        """Input rows behind payload entry ``position`` (0-based), earliest first."""
        return (*self.merged.get(position, ()), self.rows[position])


def _unencodable(row: int, clean: Mapping[str, Any], key: str) -> RowIssue:
    # orjson refuses lone surrogates (what surrogateescape makes of bytes the file's encoding
    # cannot decode): name the first field that holds one.
    field = next((k for k, v in clean.items() if isinstance(v, str) and not _utf8(v)), None)
    reason = "not valid text: undecodable bytes or a lone surrogate (check encoding=)"
    return RowIssue(row, field, reason, key if _utf8(key) else None)


def _utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


_BETWEEN = b'},{"'
"""What separates two encoded rows in orjson's output for a list of non-empty flat dicts."""
_SEPARATOR = re.compile(re.escape(_BETWEEN))
_MATCH_START = re.Match.start


class EncodedRun:
    """Consecutive clean rows encoded by one ``orjson.dumps`` of their list.

    One call for the whole run is ~5x cheaper per row than one call per row (orjson's per-call
    buffer), and the payload takes any stretch of the run as one slice: entry ``k`` is
    ``json[ends[k] - sizes[k] : ends[k]]`` and consecutive entries are comma-separated, exactly
    as they sit in a payload.
    """

    __slots__ = ("ends", "json", "largest", "sizes")

    def __init__(self, json: bytes, sizes: list[int], ends: list[int]) -> None:
        self.json = json
        self.sizes = sizes
        self.ends = ends
        self.largest = max(sizes)

    def __len__(self) -> int:
        return len(self.sizes)

    @classmethod
    def encode(cls, cleans: list[dict[str, Any]]) -> EncodedRun | None:
        """The run's encoding, or None when rows must be encoded one by one.

        None for text JSON cannot carry (orjson refuses lone surrogates: the row-by-row path
        names the row) and for a run whose values contain the row separator itself, where the
        boundaries could not be told from the bytes.
        """
        try:
            json = orjson.dumps(cleans)
        except TypeError:
            return None
        count = len(cleans)
        if count < 2:
            return cls(json, [len(json) - 2], [len(json) - 1]) if count else None
        # Where each separator starts (the '}' closing the entry before it), found in C one
        # match at a time: splitting would copy every entry (~1 MiB more peak RSS per batch).
        cuts = list(map(_MATCH_START, _SEPARATOR.finditer(json)))
        if len(cuts) != count - 1:
            return None
        # Entry k ends after its '}' (at cut + 1, where the ',' is), the last one before ']';
        # the next entry starts after that ',' (the first at 1, after '[').
        ends = list(map(operator.add, cuts, itertools.repeat(1)))
        ends.append(len(json) - 1)
        starts = list(map(operator.add, ends, itertools.repeat(1)))
        starts.insert(0, 1)
        sizes = list(map(operator.sub, ends, starts))
        return cls(json, sizes, ends)


class PayloadBuilder:
    """Accumulates encoded rows; :meth:`add` and :meth:`close` hand back finished chunks."""

    def __init__(
        self,
        list_ids: Sequence[str],
        *,
        max_bytes: int,
        max_rows: int,
        merge_duplicates: bool,
        sms_permission_to_send: str | None = None,
    ) -> None:
        head: dict[str, Any] = {"list_ids": list(list_ids)}
        if sms_permission_to_send is not None:
            head["sms_permission_to_send"] = sms_permission_to_send
        # '{"list_ids":[...],...,"import_data":[' + rows + ']}'
        self._prefix = orjson.dumps(head)[:-1] + b',"import_data":['
        self._suffix = b"]}"
        self.max_bytes = max_bytes
        self.max_rows = max_rows
        self._merge = merge_duplicates
        self._index = 0
        # One buffer for the builder's whole life, written in place: no regrowth, no realloc
        # copies. Entries replaced by a merge stay until the payload closes, hence the slack.
        self._capacity = max_bytes + _SLACK
        self._buf = bytearray(self._capacity)
        self._buf[: len(self._prefix)] = self._prefix
        # Writes go through a view: same-size slice stores, ~2.5x cheaper than on the bytearray
        # (the buffer never changes size, so the view never blocks a resize).
        self._view = memoryview(self._buf)
        self._room_end = self._capacity - len(self._suffix)
        # A row at least this long cannot fit even an empty payload.
        self._alone_limit = max_bytes - len(self._prefix) - len(self._suffix)
        self._reset()

    def _reset(self) -> None:
        self._end = len(self._prefix)
        self._starts: array[int] = array("I")
        self._rows: array[int] = array("I")
        self._keys: dict[str, int] = {}
        self._dead: set[int] = set()
        self._merged: dict[int, tuple[int, ...]] = {}
        self._count = 0
        # The size the payload would have if closed now (live entries, commas, envelope).
        self._size = len(self._prefix) + len(self._suffix)

    @property
    def pending(self) -> int:
        """Live entries in the open payload."""
        return self._count

    def offer(self, row: int, clean: Mapping[str, Any], key: str) -> RowIssue | Full | None:
        """Add input row ``row`` if it fits the open payload; ``FULL`` means close first.

        Returns a :class:`RowIssue` for a row too large for any payload or holding text JSON
        cannot carry (lone surrogates: undecodable bytes of a CSV file, or a broken string),
        ``FULL`` when the open payload must be closed before this row can go in (offer it again
        after :meth:`close`), None once the row is in.
        """
        try:
            encoded = orjson.dumps(clean)
        except TypeError:
            return _unencodable(row, clean, key)
        size = len(encoded)
        if size >= self._alone_limit:
            reason = f"row alone encodes to {size} bytes, over the payload limit"
            return RowIssue(row, None, reason, key)
        if self._merge:
            earlier = self._keys.get(key)
            if earlier is not None:
                return self._offer_merge(row, clean, key, earlier)
        count = self._count
        end = self._end
        if count and (
            count >= self.max_rows
            or self._size + size + 1 >= self.max_bytes
            or end + 1 + size > self._room_end
        ):
            return FULL
        # The common case, inlined (one call per input row): same steps as _append.
        if self._rows:
            self._view[end] = _COMMA
            end += 1
        stop = end + size
        self._view[end:stop] = encoded
        self._starts.append(end)
        self._rows.append(row)
        self._end = stop
        if self._merge:
            self._keys[key] = len(self._rows) - 1
        self._size += size + 1 if count else size
        self._count = count + 1
        return None

    def offer_run(self, first_row: int, run: EncodedRun, start: int, keys: list[str]) -> int:
        """Add entries ``start``, ``start + 1``… of ``run`` (input rows ``first_row + k``) while
        they fit the open payload and need no merge; returns how many were added.

        Stops before a row :meth:`offer` must decide (payload full, a duplicate key to merge, a
        row too large for any payload): the caller offers that row alone, then continues the run.
        ``keys[k]`` is entry ``k``'s upsert key.
        """
        count = self._count
        stop = min(len(run), start + self.max_rows - count)
        if run.largest >= self._alone_limit:
            return 0
        if self._merge:
            stop = self._fresh_until(keys, start, stop)
        if stop <= start:
            return 0
        ends = run.ends
        origin = ends[start] - run.sizes[start]
        comma = 1 if count else 0
        # Entry k fits while the payload would stay under max_bytes and inside the buffer.
        by_size = self.max_bytes - self._size - comma + origin
        by_room = self._room_end - self._end - comma + origin
        stop = min(
            bisect.bisect_left(ends, by_size, start, stop),
            bisect.bisect_right(ends, by_room, start, stop),
        )
        if stop == start and not count:
            stop = start + 1  # an empty payload takes any row that fits alone
        if stop == start:
            return 0
        end = self._end
        if comma:
            self._view[end] = _COMMA
            end += 1
        length = ends[stop - 1] - origin
        with memoryview(run.json) as view:
            self._view[end : end + length] = view[origin : origin + length]
        shift = end - origin
        positions = len(self._rows)
        self._starts.extend(
            map(
                operator.sub,
                map(operator.add, ends[start:stop], itertools.repeat(shift)),
                run.sizes[start:stop],
            )
        )
        self._rows.extend(range(first_row + start, first_row + stop))
        if self._merge:
            self._keys.update(
                zip(keys[start:stop], range(positions, positions + stop - start), strict=True)
            )
        self._end = end + length
        self._size += length + comma
        self._count = count + stop - start
        return stop - start

    def _fresh_until(self, keys: list[str], start: int, stop: int) -> int:
        # The first position from ``start`` whose key is already in the payload or earlier in
        # the run (``stop`` when none): O(1) per key in C when the stretch holds no duplicate.
        stretch = keys[start:stop]
        known = self._keys
        if known.keys().isdisjoint(stretch) and len(set(stretch)) == len(stretch):
            return stop
        seen: set[str] = set()
        for at, key in enumerate(stretch, start):
            if key in known or key in seen:
                return at
            seen.add(key)
        return stop

    def _offer_merge(
        self, row: int, clean: Mapping[str, Any], key: str, earlier: int
    ) -> Full | None:
        merged = self._merge_into(earlier, clean)
        old_len = self._stop(earlier) - self._starts[earlier]
        fits = self._size + len(merged) - old_len < self.max_bytes
        if fits and self._end + 1 + len(merged) + len(self._suffix) <= self._capacity:
            self._kill(earlier, old_len, row)
            self._append(row, merged, key)
            return None
        # No room for the merged entry: the row opens the next payload (the upsert merges),
        # never a second entry for the same email in one payload.
        return FULL

    def add(
        self, row: int, clean: Mapping[str, Any], key: str
    ) -> tuple[list[Chunk], RowIssue | None]:
        """Add input row ``row``, closing the open payload first when needed.

        Returns the chunks this closed and an issue if the row cannot fit any payload.
        """
        closed: list[Chunk] = []
        outcome = self.offer(row, clean, key)
        if outcome is FULL:
            closed.append(self._close())
            outcome = self.offer(row, clean, key)
        assert outcome is not FULL  # an empty payload always takes a row that fits alone
        return closed, outcome

    def _stop(self, position: int) -> int:
        # Entries are contiguous, comma-separated: each ends one byte before the next starts.
        following = position + 1
        return self._starts[following] - 1 if following < len(self._starts) else self._end

    def _merge_into(self, position: int, clean: Mapping[str, Any]) -> bytes:
        with memoryview(self._buf) as view:
            old = orjson.loads(view[self._starts[position] : self._stop(position)])
        old.update(clean)
        return orjson.dumps(old)

    def _kill(self, position: int, length: int, row: int) -> None:
        # The entry at ``position`` is replaced by a merged one appended next (for ``row``).
        self._dead.add(position)
        self._count -= 1
        self._size -= length + (1 if self._count else 0)
        self._merged[len(self._rows)] = (*self._merged.pop(position, ()), self._rows[position])

    def _append(self, row: int, encoded: bytes, key: str) -> None:
        end = self._end
        if self._rows:
            self._view[end] = _COMMA
            end += 1
        self._starts.append(end)
        stop = end + len(encoded)
        self._view[end:stop] = encoded
        self._end = stop
        self._rows.append(row)
        if self._merge:
            self._keys[key] = len(self._rows) - 1
        self._size += len(encoded) + (1 if self._count else 0)
        self._count += 1

    def close(self) -> Chunk | None:
        """Close the open payload (None when it is empty)."""
        return self._close() if self.pending else None

    def close_full(self) -> Chunk:
        """Close the open payload after :meth:`offer` answered ``FULL`` (it is never empty)."""
        return self._close()

    def _close(self) -> Chunk:
        if self._dead:
            self._compact()
        end = self._end + len(self._suffix)
        self._buf[self._end : end] = self._suffix
        with memoryview(self._buf) as view:
            payload = bytes(view[:end])
        chunk = Chunk(self._index, payload, self._rows, self._merged, end)
        self._index += 1
        self._reset()
        return chunk

    def _compact(self) -> None:
        # Slide live entries down over dead ones, in place (destinations never pass sources).
        buf = self._buf
        end = len(self._prefix)
        rows: array[int] = array("I")
        merged: dict[int, tuple[int, ...]] = {}
        for position, row in enumerate(self._rows):
            if position in self._dead:
                continue
            if rows:
                buf[end] = _COMMA
                end += 1
            start, stop = self._starts[position], self._stop(position)
            if start != end:
                buf[end : end + stop - start] = buf[start:stop]
            end += stop - start
            if position in self._merged:
                merged[len(rows)] = self._merged[position]
            rows.append(row)
        self._end, self._rows, self._merged = end, rows, merged
