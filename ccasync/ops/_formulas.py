"""Streaming CSV formula neutralisation: no cell of the output starts a spreadsheet formula.

A cell that begins with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is read by
spreadsheet programs as a formula (CSV injection, OWASP); such cells get a leading apostrophe,
which the spreadsheet shows as text. Every other cell is written unchanged in content (quoting
may change: the output is RFC 4180 CSV with ``\\r\\n`` line ends). Bytes that are not UTF-8 pass
through unchanged (surrogate escapes), so nothing is lost or guessed.

The input arrives in chunks that may cut a record, a quoted cell or a UTF-8 sequence anywhere:
complete records are found by the parity of the quotes before each newline (a newline ends a
record only outside quotes), so memory holds at most one record plus one chunk.
"""

from __future__ import annotations

import codecs
import csv
import io

from ccasync.errors import DecodeError

__all__ = ["FORMULA_STARTS", "FormulaGuard"]

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""The first characters that make a spreadsheet read a cell as a formula."""

_ERRORS = "surrogateescape"


class FormulaGuard:
    """Rewrites CSV bytes chunk by chunk; :meth:`feed` each chunk, then :meth:`close` once."""

    def __init__(self) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8")(_ERRORS)
        self._tail = ""
        self._scanned = 0
        self._parity = 0
        self._first = True

    def feed(self, data: bytes) -> bytes:
        """The neutralised bytes of every record completed by ``data`` (may be empty)."""
        return self._take(self._decoder.decode(data), final=False)

    def close(self) -> bytes:
        """The neutralised bytes of what is left (the last record may lack its newline)."""
        return self._take(self._decoder.decode(b"", final=True), final=True)

    def _take(self, text: str, *, final: bool) -> bytes:
        if self._first and text:
            self._first = False
            bom = text.startswith("\ufeff")
            text = text[1:] if bom else text
            prefix = "\ufeff" if bom else ""
        else:
            prefix = ""
        buf = self._tail + text
        cut = len(buf) if final else self._record_end(buf)
        done, self._tail = buf[:cut], buf[cut:]
        return (prefix + _rewrite(done)).encode("utf-8", _ERRORS)

    def _record_end(self, buf: str) -> int:
        # ``buf`` starts at a record boundary; quotes in buf[:scanned] have parity ``parity``.
        parity = self._parity
        pos = self._scanned
        cut = 0
        while (newline := buf.find("\n", pos)) >= 0:
            parity ^= buf.count('"', pos, newline) & 1
            pos = newline + 1
            if not parity:
                cut = pos
        parity ^= buf.count('"', pos) & 1
        # The quotes of buf[:cut] are even, so the tail keeps the running parity.
        self._parity = parity
        self._scanned = len(buf) - cut
        return cut


def neutralise(cell: str) -> str:
    """``cell`` with an apostrophe in front when it begins like a formula."""
    return "'" + cell if cell.startswith(FORMULA_STARTS) else cell


def _rewrite(text: str) -> str:
    if not text:
        return ""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    try:
        for row in csv.reader(io.StringIO(text, newline=""), strict=True):
            writer.writerow([neutralise(cell) for cell in row])
    except csv.Error as exc:
        raise DecodeError(f"the export is not valid CSV: {exc}") from None
    return out.getvalue()
