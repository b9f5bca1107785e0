"""An upload's name and bytes: what the student called the file is kept only to show it back to them; what is
stored is named by its hash, with the suffix the grader reads it by (.py, .ipynb or .zip)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path, PurePosixPath, PureWindowsPath

from starlette.concurrency import run_in_threadpool

from grader.service.blobs import SUFFIXES, Blob, BlobWriter
from grader.text import one_line

MAX_NAME_CHARS = 200


class BadName(ValueError):
    """Not a name the service grades: not .py, .ipynb or .zip."""


def suffix_and_name(uploaded: str) -> tuple[str, str]:
    """The suffix to store under and the name to show, from whatever the client sent as the file's name
    (folders, `..`, drive letters, control characters and length are dropped from what is shown)."""
    text = uploaded.replace("\x00", "")
    base = PureWindowsPath(PurePosixPath(text).name).name   # the last part, whichever separator was used
    suffix = PurePosixPath(base).suffix.lower()
    if suffix not in SUFFIXES:
        raise BadName("hand in a .py file, a notebook (.ipynb) or a .zip of your folder")
    shown = one_line(base, MAX_NAME_CHARS) or f"submission{suffix}"
    return suffix, shown


async def store_stream(data_dir: Path, suffix: str, limit_bytes: int, chunks: AsyncIterator[bytes]) -> Blob:
    """Store the chunks as they arrive (TooLarge past the limit); the blob once durable."""
    writer = BlobWriter(data_dir, suffix, limit_bytes)
    try:
        async for chunk in chunks:
            writer.write(chunk)
        return await run_in_threadpool(writer.commit)
    except BaseException:
        writer.discard()
        raise
