"""A job's input fingerprint: what makes a rerun with another input a clear error."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

_BLOCK = 65_536


def fingerprint(*parts: object) -> str:
    """A short stable digest of ``parts`` (JSON-able values, or a :class:`~pathlib.Path`).

    A path counts as its size plus a hash of its first and last 64 KiB, so a file edited or
    swapped under the same name gives another fingerprint without reading it whole.
    """
    digest = hashlib.blake2b(digest_size=16)
    for part in parts:
        digest.update(_part_bytes(part))
        digest.update(b"\x00")
    return digest.hexdigest()


def _part_bytes(part: object) -> bytes:
    if isinstance(part, Path):
        return _file_digest(part)
    return json.dumps(part, sort_keys=True, separators=(",", ":"), default=str).encode()


def _file_digest(path: Path) -> bytes:
    digest = hashlib.blake2b(digest_size=16)
    with path.open("rb") as handle:
        size = os.fstat(handle.fileno()).st_size
        digest.update(str(size).encode())
        digest.update(handle.read(_BLOCK))
        if size > _BLOCK:
            handle.seek(max(_BLOCK, size - _BLOCK))
            digest.update(handle.read(_BLOCK))
    return digest.digest()
