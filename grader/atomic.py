"""Outputs that appear whole or not at all: every file and folder the grader writes for someone to read.

A reader (an instructor's browser, an LMS import, a batch resumed after `kill -9`, Gradescope reading
results.json) must never see half a file. Each output is written under a temporary name beside its target
and renamed over it, which is atomic within one file system; when writing fails, the temporary goes and
the target is as it was.

Files are created owner-only (0600, as `tempfile.mkstemp` makes them: feedback and grades are about
students) unless a `mode` is given, as the student bundles do.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any


@contextlib.contextmanager
def atomic_file(path: Path, mode: int | None = None) -> Iterator[Path]:
    """A new empty file beside `path` for the block to fill by any means (a zip, a stream); renamed over
    `path` when the block ends, removed when it raises. The parent folders are made as needed."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, name = tempfile.mkstemp(prefix=f".{path.name}.partial-", dir=path.parent)
    os.close(descriptor)
    partial = Path(name)
    try:
        yield partial
        if mode is not None:
            partial.chmod(mode)
        os.replace(partial, path)
    except BaseException:
        with contextlib.suppress(OSError):
            partial.unlink()
        raise


@contextlib.contextmanager
def atomic_folder(path: Path, mode: int | None = None) -> Iterator[Path]:
    """A new empty folder beside `path` for the block to fill; renamed to `path` when the block ends (an
    empty folder already there is replaced, a non-empty one is an error), removed with its contents when
    the block raises."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = Path(tempfile.mkdtemp(prefix=f".{path.name}.partial-", dir=path.parent))
    try:
        yield partial
        if mode is not None:
            partial.chmod(mode)
        if path.is_dir() and not path.is_symlink():
            path.rmdir()   # OSError when it is not empty: nothing is overwritten
        partial.rename(path)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise


def write_bytes_atomically(data: bytes, path: Path, mode: int | None = None) -> None:
    with atomic_file(path, mode) as partial, open(partial, "wb") as stream:
        stream.write(data)


def write_text_atomically(text: str, path: Path, mode: int | None = None) -> None:
    """`text` as UTF-8."""
    with atomic_file(path, mode) as partial, open(partial, "w", encoding="utf-8") as stream:
        stream.write(text)


def write_json_atomically(document: Any, path: Path, mode: int | None = None) -> None:
    """The document as indented UTF-8 JSON (not escaped to ASCII) and a final newline."""
    write_text_atomically(json.dumps(document, indent=2, ensure_ascii=False) + "\n", path, mode)
