"""Two file chores every layer above needs: writing a file atomically, hashing a file.

A user's files are sacred: an output appears complete or not at all. :func:`atomic_path`
gives a temporary path beside the target; it is moved onto the target (``os.replace``,
atomic on one file system) only when the block ends without error, and removed otherwise.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def atomic_path(path: str | os.PathLike[str], suffix: str = ".tmp") -> Iterator[Path]:
    """A temporary path (``.<name><suffix>`` in the target's folder, created if missing) to
    write to; it replaces ``path`` when the block ends, and is removed if the block fails."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}{suffix}")
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def write_atomic(path: str | os.PathLike[str], text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically; returns the path. One implementation:
    :func:`formcheck.io.outputs.write_atomic` (fixed-length temporary name, flushed to disk,
    a full disk named in one :class:`~formcheck.io.outputs.OutputError` line)."""
    from formcheck.io.outputs import write_atomic as write

    return write(path, text)


def file_sha256(path: str | os.PathLike[str], chunk: int = 1 << 20) -> str:
    """SHA-256 of the file's bytes, hex, read in ``chunk``-byte blocks."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            h.update(block)
    return h.hexdigest()
