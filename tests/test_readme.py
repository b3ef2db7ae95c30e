"""README.md's Python blocks stay true: each is marked, and the checked ones pass mypy --strict.

Every ```` ```python ```` block in README.md is preceded, on the line right before its fence, by
one of two HTML comments (invisible on GitHub):

- ``<!-- check -->``: the block runs as written (imports included) and is type-checked with
  ``mypy --strict`` against this tree's ``ccasync``. A block that uses ``await`` at top level runs
  as written in ``python -m asyncio``; it is checked as the body of an ``async def``.
- ``<!-- fragment -->``: an excerpt that relies on names from around it (``cc``, ids, tokens). It
  is type-checked too, after :data:`FRAGMENT_PRELUDE` (the public API imported, ``cc`` a
  ``Client``); the only errors forgiven are "name is not defined" for the names in
  :data:`BORROWED` (they become ``Any``). So a renamed argument, attribute or method in a
  fragment still fails, and so does a call of a removed or renamed public function: its name is
  undefined but not borrowed.

An unmarked block fails the suite, so a new example cannot slip in unchecked by omission. The
README's code blocks are also formatted by ``ruff format`` (ruff formats Markdown since 0.16), so
``ruff format --check .`` keeps their layout.
"""

from __future__ import annotations

import ast
import inspect
import re
import textwrap
from pathlib import Path
from typing import NamedTuple

import pytest
from mypy import api as mypy_api

REPO_ROOT = Path(__file__).resolve().parents[1]
README = REPO_ROOT / "README.md"
CHECK = "<!-- check -->"
FRAGMENT = "<!-- fragment -->"
MARKERS = (CHECK, FRAGMENT)
PYTHON_INFO = {"python", "py", "python3"}
_FENCE = re.compile(r"^(?P<indent>\s*)(?P<fence>`{3,}|~{3,})(?P<info>.*)$")
_WRAPPER = "async def _readme_block() -> None:\n"
_MYPY_LINE = re.compile(r"^(?P<path>.+?):(?P<line>\d+): (?P<text>.*)$")
FRAGMENT_PRELUDE = (
    "import datetime as dt\n"
    "from datetime import UTC, datetime, timedelta\n"
    "import ccasync\n"
    "from ccasync import *\n"
    "from ccasync.models import *\n"
    "from ccasync.ops import *\n"
    "from ccasync.client import Client\n"
    "cc: Client\n"
)
BORROWED = frozenset(
    {
        # ids, tokens and keys the prose around a fragment says where to get
        "API_KEY",
        "activity_id",
        "campaign",
        "code",
        "csrf_value",
        "last_check",
        "list_id",
        "london_list_id",
        "path",
        "segment_id",
        "tag_id",
        "token",
        "token_boston",
        "token_paris",
        "vip_id",
        # the reader's own objects and callbacks
        "count_contacts",
        "crm",
        "pool_or_client",
        "refresher_denver",
    }
)
"""Names README fragments take from the prose around them: the only undefined names forgiven.

Never a ccasync name: a fragment using a public name that no longer exists must fail."""
# mypy may add a suggestion before the code: ...is not defined; did you mean "x"?  [name-defined]
_UNDEFINED = re.compile(r'^error: Name "(?P<name>[^"]+)" is not defined\b.*\[name-defined\]$')


class Block(NamedTuple):
    """One fenced Python block of a Markdown text."""

    line: int  # 1-based line of the opening fence
    marker: str | None  # CHECK, FRAGMENT, or None when the line before the fence is neither
    code: str  # the block's text, dedented by the fence's indentation


def python_blocks(text: str) -> list[Block]:
    """Every fenced Python block of ``text`` (CommonMark fences: ``` or ~~~, closed by a fence of
    the same character at least as long), with the marker on the line right before it."""
    lines = text.splitlines()
    blocks: list[Block] = []
    index = 0
    while index < len(lines):
        opening = _FENCE.match(lines[index])
        if opening is None:
            index += 1
            continue
        fence, indent = opening["fence"], len(opening["indent"])
        words = opening["info"].split()
        start = index
        index += 1
        body: list[str] = []
        while index < len(lines):
            closing = _FENCE.match(lines[index])
            if (
                closing is not None
                and closing["fence"][0] == fence[0]
                and len(closing["fence"]) >= len(fence)
                and not closing["info"].strip()
            ):
                break
            body.append(lines[index])
            index += 1
        index += 1
        if words and words[0].lower() in PYTHON_INFO:
            before = lines[start - 1].strip() if start > 0 else ""
            marker = before if before in MARKERS else None
            code = "\n".join(line[indent:] if line[:indent].isspace() else line for line in body)
            blocks.append(Block(start + 1, marker, code + "\n"))
    return blocks


def dangling_markers(text: str) -> list[int]:
    """Lines holding a marker that is not right before a Python block's fence."""
    marked = {block.line - 1 for block in python_blocks(text) if block.marker is not None}
    return [
        number
        for number, line in enumerate(text.splitlines(), start=1)
        if line.strip() in MARKERS and number not in marked
    ]


def uses_top_level_await(code: str) -> bool:
    """True when ``code`` awaits at top level (valid in ``python -m asyncio``)."""
    compiled = compile(
        code, "<readme>", "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT, dont_inherit=True
    )
    return bool(compiled.co_flags & inspect.CO_COROUTINE)


def as_module(code: str, prelude: str = "") -> tuple[str, int]:
    """Module source for a block (after ``prelude``), and how many lines precede the block."""
    lines = prelude.count("\n")
    if uses_top_level_await(code):
        return prelude + _WRAPPER + textwrap.indent(code, "    "), lines + 1
    return prelude + code, lines


def module_for(block: Block) -> tuple[str, int]:
    """:func:`as_module` for ``block``: fragments get :data:`FRAGMENT_PRELUDE`."""
    return as_module(block.code, FRAGMENT_PRELUDE if block.marker == FRAGMENT else "")


BLOCKS = python_blocks(README.read_text(encoding="utf-8"))
MARKED = [block for block in BLOCKS if block.marker in MARKERS]


def test_every_python_block_is_marked() -> None:
    """Each README Python block says whether it is checked or a fragment; no marker dangles."""
    text = README.read_text(encoding="utf-8")
    unmarked = [f"README.md:{block.line}" for block in python_blocks(text) if block.marker is None]
    assert not unmarked, f"put {CHECK} or {FRAGMENT} on the line before: {unmarked}"
    assert dangling_markers(text) == [], "a marker must sit right before a ```python fence"


@pytest.mark.parametrize("block", BLOCKS, ids=[f"README.md:{block.line}" for block in BLOCKS])
def test_every_python_block_parses(block: Block) -> None:
    """Fragments too are valid Python (top-level await allowed), so a typo cannot hide in one."""
    try:
        uses_top_level_await(block.code)
    except SyntaxError as exc:
        pytest.fail(f"README.md:{block.line + (exc.lineno or 0)}: {exc.msg}")


def run_mypy(blocks: list[Block], folder: Path, cache_dir: Path) -> str:
    """``mypy --strict`` output for ``blocks`` (one module each, in ``folder``), run once."""
    files = []
    for block in blocks:
        source, _ = module_for(block)
        path = folder / f"readme_line_{block.line}.py"
        path.write_text(source, encoding="utf-8")
        files.append(str(path))
    # mypy_path puts THIS tree's ccasync first, whatever is installed; no project config applies.
    config = folder / "mypy.ini"
    config.write_text(f"[mypy]\nmypy_path = {REPO_ROOT}\n", encoding="utf-8")
    options = ["--strict", "--config-file", str(config), "--cache-dir", str(cache_dir)]
    stdout, stderr, status = mypy_api.run(
        [*options, "--no-error-summary", "--hide-error-context", *files]
    )
    if status not in (0, 1):
        pytest.fail(f"mypy could not run (status {status}):\n{stderr}{stdout}")
    return stdout


def _cache_dir(request: pytest.FixtureRequest, folder: Path) -> Path:
    cache = getattr(request.config, "cache", None)
    return cache.mkdir("mypy-readme") if cache is not None else folder / ".mypy_cache"


@pytest.fixture(scope="module")
def mypy_messages(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    """``mypy --strict`` output for every marked README block, run once."""
    folder = tmp_path_factory.mktemp("readme_blocks")
    return run_mypy(MARKED, folder, _cache_dir(request, folder))


@pytest.mark.parametrize("block", MARKED, ids=[f"README.md:{block.line}" for block in MARKED])
def test_block_passes_mypy_strict(block: Block, mypy_messages: str) -> None:
    """A README block type-checks under ``mypy --strict`` against this tree's ccasync (a fragment
    may use the names of :data:`BORROWED` undefined, and nothing else)."""
    assert readme_errors(block, mypy_messages) == []


def test_every_borrowed_name_is_borrowed(mypy_messages: str) -> None:
    """Each BORROWED name is used undefined by a README fragment: no stale entry can hide one."""
    used = {
        found["name"]
        for message in mypy_messages.splitlines()
        if (line := _MYPY_LINE.match(message)) and (found := _UNDEFINED.match(line["text"]))
    }
    assert sorted(BORROWED - used) == []


def readme_errors(
    block: Block, mypy_messages: str, borrowed: frozenset[str] = BORROWED
) -> list[str]:
    """The mypy errors of ``block``'s module, at README line numbers (in a fragment, "not
    defined" errors for the names in ``borrowed`` are forgiven)."""
    _, added = module_for(block)
    errors = []
    for message in mypy_messages.splitlines():
        found = _MYPY_LINE.match(message)
        if not found or Path(found["path"]).name != f"readme_line_{block.line}.py":
            continue
        if not found["text"].startswith("error:"):
            continue  # a note only explains the error before it
        undefined = _UNDEFINED.match(found["text"])
        if block.marker == FRAGMENT and undefined and undefined["name"] in borrowed:
            continue
        errors.append(f"README.md:{block.line + int(found['line']) - added}: {found['text']}")
    return errors


def test_python_blocks_finds_markers_and_list_item_blocks() -> None:
    """The extractor reads markers, dedents blocks inside list items and skips other languages."""
    text = (
        "<!-- check -->\n```python\nx = 1\n```\n\n- item\n\n  <!-- fragment -->\n"
        "  ```py\n  y = x\n  ```\n\n````python\n```\nz = 2\n````\n\n```bash\nls\n```\n"
    )
    assert python_blocks(text) == [
        Block(2, CHECK, "x = 1\n"),
        Block(9, FRAGMENT, "y = x\n"),
        Block(13, None, "```\nz = 2\n"),
    ]


def test_dangling_marker_is_found() -> None:
    """A marker that is not right before a Python fence is reported by its line."""
    text = "<!-- check -->\n\n```python\nx = 1\n```\n<!-- fragment -->\n```bash\nls\n```\n"
    assert dangling_markers(text) == [1, 6]


def test_top_level_await_blocks_are_wrapped() -> None:
    """A block awaiting at top level is checked inside an async def; others are left as they are."""
    assert as_module("import asyncio\nawait asyncio.sleep(0)\n") == (
        _WRAPPER + "    import asyncio\n    await asyncio.sleep(0)\n",
        1,
    )
    assert as_module("x = 1\n") == ("x = 1\n", 0)


def test_fragment_checks_catch_a_renamed_argument_but_forgive_borrowed_names(
    request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    """Old keywords and removed functions fail in a fragment; borrowed names (``job``) do not."""
    stale = Block(10, FRAGMENT, "done = await cc.activities.wait(job, deadline=600)\n")
    fresh = Block(20, FRAGMENT, "done = await cc.activities.wait(job, timeout=600)\n")
    removed = Block(30, FRAGMENT, "when = next_weekly(dt.time(9), 'Europe/Paris')\n")
    messages = run_mypy([stale, fresh, removed], tmp_path, _cache_dir(request, tmp_path))
    borrowed = BORROWED | {"job"}
    assert readme_errors(fresh, messages, borrowed) == []
    (error,) = readme_errors(stale, messages, borrowed)
    assert error.startswith("README.md:11: error: ")
    assert '"deadline"' in error
    (error,) = readme_errors(removed, messages, borrowed)
    assert error.startswith("README.md:31: error: ")
    assert 'Name "next_weekly" is not defined' in error
    (error,) = readme_errors(fresh, messages)
    assert 'Name "job" is not defined' in error
