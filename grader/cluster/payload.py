"""What travels to a worker: the exercise's course files once (by content hash), each submission's bytes.

Workers share no file system with the instructor's machine. The course copy holds course.yaml and this
exercise's stub, public checks, reference and hidden checks, at the paths the course gives them (hidden
checks find the public ones beside them). A submission travels as its files: a file (a zip too), or
the regular files of a folder that grading reads (`grader.labcode.folder.walk`: links and devices are
never followed, hidden files and caches stay here), so the worker grades and hashes what this machine would. A file beyond what a
submission may be travels as its size alone and is recreated sparse on the worker: the grader refuses
it by its size before reading it, so the feedback is the one a local run writes.
"""

from __future__ import annotations

import hashlib
import itertools
import os
import stat
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from grader.course.model import MANIFEST_NAME, Course, Exercise
from grader.labcode.folder import MAX_FILES, walk


@dataclass(frozen=True)
class SentFile:
    """One file of a submission: its path inside the submission ("" for a submission that is one file),
    its size, and its bytes (None: sent as its size only)."""

    path: str
    size: int
    data: bytes | None


@dataclass(frozen=True)
class WorkItem:
    """One grading, as the worker gets it: no student id, no path of the instructor's, no seed key."""

    course: str          # content hash of the course copy the worker must hold
    exercise: str
    name: str            # the submission's file or folder name (its suffix decides how it is read)
    files: tuple[SentFile, ...]
    seed: int
    strong: bool


def course_files(course_root: Path, exercise: Exercise) -> dict[str, bytes]:
    """course.yaml and the exercise's own files, by their path in the course."""
    paths = [course_root / MANIFEST_NAME, *exercise.course_files()]
    return {path.relative_to(course_root).as_posix(): path.read_bytes() for path in paths if path.is_file()}


def files_digest(files: dict[str, bytes]) -> str:
    digest = hashlib.sha256()
    for path in sorted(files):
        digest.update(f"{path}\n{len(files[path])}\n".encode())
        digest.update(files[path])
    return digest.hexdigest()


def course_copy(course: Course, exercise: Exercise) -> tuple[str, dict[str, bytes]]:
    files = course_files(course.root, exercise)
    return files_digest(files), files


def _read(path: Path, size: int) -> bytes:
    with open(path, "rb", opener=lambda name, flags: os.open(name, flags | os.O_NOFOLLOW)) as stream:
        return stream.read(size)


def submission_files(path: Path, budget: int) -> tuple[SentFile, ...]:
    """The submission's files in sorted order; bytes while their running total stays within `budget`."""
    status = os.lstat(path)
    if stat.S_ISREG(status.st_mode):
        return (SentFile("", status.st_size, _read(path, status.st_size) if status.st_size <= budget else None),)
    if not stat.S_ISDIR(status.st_mode):
        return ()
    sent, total = [], 0
    for item in _folder_files(path):
        item_status = os.lstat(item)
        if not stat.S_ISREG(item_status.st_mode):
            continue
        total += item_status.st_size
        data = _read(item, item_status.st_size) if total <= budget else None
        sent.append(SentFile(item.relative_to(path).as_posix(), item_status.st_size, data))
    return tuple(sent)


def _folder_files(folder: Path) -> list[Path]:
    """The files grading reads from a folder (hidden files and caches stay home), one more than a folder may
    hold at most, so that the worker refuses an oversized folder as this machine would."""
    files = list(itertools.islice(walk(folder), MAX_FILES + 1))
    return sorted(files, key=lambda item: item.relative_to(folder).as_posix())


class UnsafeItem(ValueError):
    """A work item naming a path outside its own folder (the instructor's side never makes one)."""


def _safe_relative(text: str) -> PurePosixPath:
    relative = PurePosixPath(text)
    if text and (relative.is_absolute() or any(part in ("", ".", "..") for part in text.split("/")) or "\0" in text):
        raise UnsafeItem(f"refusing the path {text!r} in a work item")
    return relative


def materialize(item: WorkItem, folder: Path) -> Path:
    """Write the submission into `folder` (a private, empty folder) and return its path there."""
    if "/" in item.name or item.name in ("", ".", "..") or "\0" in item.name:
        raise UnsafeItem(f"refusing the submission name {item.name!r}")
    root = folder / item.name
    if len(item.files) == 1 and item.files[0].path == "":
        _write(root, item.files[0])
        return root
    root.mkdir(mode=0o700)
    for sent in item.files:
        target = root / _safe_relative(sent.path)
        target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        _write(target, sent)
    return root


def _write(path: Path, sent: SentFile) -> None:
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    with os.fdopen(descriptor, "wb") as stream:
        if sent.data is not None:
            stream.write(sent.data)
        stream.truncate(sent.size)   # a file sent by its size alone: sparse, costing no disk
