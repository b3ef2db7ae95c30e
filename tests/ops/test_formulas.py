"""FormulaGuard: streaming CSV formula neutralisation, whatever the chunk boundaries."""

from __future__ import annotations

import csv
import io

import pytest
from hypothesis import Phase, given, settings
from hypothesis import strategies as st

from ccasync.errors import DecodeError
from ccasync.ops._formulas import FormulaGuard, neutralise

# No "explain" phase: it imports a deprecated module, an error under filterwarnings=error.
PHASES = [Phase.explicit, Phase.reuse, Phase.generate, Phase.shrink]


def _run(data: bytes, cuts: list[int]) -> bytes:
    guard = FormulaGuard()
    out = []
    start = 0
    for cut in sorted(set(cuts)):
        out.append(guard.feed(data[start:cut]))
        start = cut
    out.append(guard.feed(data[start:]))
    out.append(guard.close())
    return b"".join(out)


def _rows(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8", "surrogateescape"), newline="")))


SAMPLE = 'email,name\r\na@x.com,"=1+2\nsecond line"\n"b@x.com","say ""hi"""\nc@x.com,-é@\n'.encode()


def test_every_split_point_gives_the_same_rows() -> None:
    """Cutting the input anywhere (inside quotes, newlines, UTF-8 sequences) changes nothing."""
    expected = [[neutralise(c) for c in row] for row in _rows(SAMPLE)]
    assert expected[1][1] == "'=1+2\nsecond line"
    assert expected[3][1] == "'-é@"
    for cut in range(len(SAMPLE) + 1):
        assert _rows(_run(SAMPLE, [cut])) == expected


def test_bom_is_kept_and_not_taken_for_cell_text() -> None:
    """A UTF-8 BOM stays in front; the first header cell is checked without it."""
    out = _run("\ufeff=a,b\n".encode(), [1, 2])
    assert out == "\ufeff'=a,b\r\n".encode()


def test_unterminated_quote_is_a_decode_error() -> None:
    """A last record with an open quote is not CSV: DecodeError, never a silent cut."""
    with pytest.raises(DecodeError, match="not valid CSV"):
        _run(b'a,"open\n', [])


CELLS = st.text(st.characters(codec="utf-8"), max_size=12)


@settings(max_examples=60, derandomize=True, deadline=None, phases=PHASES)
@given(
    rows=st.lists(st.lists(CELLS, min_size=1, max_size=4), min_size=1, max_size=6),
    cuts=st.lists(st.integers(0, 400), max_size=6),
)
def test_property_rows_survive_any_chunking(rows: list[list[str]], cuts: list[int]) -> None:
    """Any CSV, cut anywhere: the output holds the same rows, formula cells prefixed."""
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    data = buffer.getvalue().encode("utf-8", "surrogateescape")
    expected = [[neutralise(c) for c in row] for row in _rows(data)]
    assert _rows(_run(data, cuts)) == expected
