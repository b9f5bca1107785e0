"""The content-addressed store of handed-in files: a submission is accepted only once its bytes are here for good.

Bytes arrive in chunks (an upload being read); they go to a temporary file in the store, counted against the
exercise's limit as they come, then are fsynced and renamed to `blobs/<first two hex>/<sha256><suffix>` and the
folder fsynced. Equal bytes share one file; the name is the hash, never anything the student chose.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

BLOBS_DIR = "blobs"
SUFFIXES = (".py", ".ipynb", ".zip")


class TooLarge(ValueError):
    """The upload passed the exercise's size limit; nothing was stored."""


@dataclass(frozen=True)
class Blob:
    sha256: str
    relative_path: str   # relative to the data folder
    size: int


def _fsync_folder(folder: Path) -> None:
    descriptor = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


class BlobWriter:
    """One upload being stored: `write` each chunk, then `commit` (durable) or `discard`."""

    def __init__(self, data_dir: Path, suffix: str, limit_bytes: int) -> None:
        if suffix not in SUFFIXES:
            raise ValueError(f"not a suffix the store keeps: {suffix!r}")
        self.data_dir, self.suffix, self.limit = data_dir, suffix, limit_bytes
        staging = data_dir / BLOBS_DIR / "incoming"
        staging.mkdir(parents=True, exist_ok=True)
        descriptor, name = tempfile.mkstemp(dir=staging, prefix="upload-")
        self._stream = os.fdopen(descriptor, "wb")
        self._path = Path(name)
        self._hash = hashlib.sha256()
        self.size = 0

    def write(self, chunk: bytes) -> None:
        self.size += len(chunk)
        if self.size > self.limit:
            self.discard()
            raise TooLarge(f"the file is larger than this exercise's limit of {self.limit // 1024} KiB")
        self._hash.update(chunk)
        self._stream.write(chunk)

    def commit(self) -> Blob:
        """The bytes, fsynced and renamed to their content address (the folder fsynced too)."""
        self._stream.flush()
        os.fsync(self._stream.fileno())
        self._stream.close()
        sha = self._hash.hexdigest()
        relative = Path(BLOBS_DIR) / sha[:2] / f"{sha}{self.suffix}"
        target = self.data_dir / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(self._path, target)
        _fsync_folder(target.parent)
        return Blob(sha, str(relative), self.size)

    def discard(self) -> None:
        if not self._stream.closed:
            self._stream.close()
        self._path.unlink(missing_ok=True)


def store_bytes(data_dir: Path, data: bytes, suffix: str, limit_bytes: int) -> Blob:
    """Store bytes already in memory (tests, the roster's tools)."""
    writer = BlobWriter(data_dir, suffix, limit_bytes)
    writer.write(data)
    return writer.commit()
