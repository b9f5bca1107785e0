"""A submission handed in as a folder (or a zip of one): the entry file and the helper modules beside it.

Bounded like any archive: at most MAX_FILES files and the exercise's file size limit in total; links are
not followed; a zip is unpacked with the batch's safe extraction under the same bounds, and a zip with a
member that could not be unpacked (a link, a path leaving the zip) is refused. A folder (or zip) holding
nothing but one folder is that folder. Helper modules travel into the sandbox as text inside one
read-only bundle (`grader.sandbox.packed_folder`); nothing here runs them. Single `grade`, `grade batch`, the
cluster and the similarity report all open submissions here, so they agree on what a folder holds.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import stat
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

from grader.labcode.safezip import UnsafeArchive, extract
from grader.labcode.submission import SubmissionRefused, read_regular

FolderRefused = SubmissionRefused   # the name its callers catch: a folder, a zip or a file that cannot be graded

MAX_FILES = 64
MAX_NESTING = 8   # folders holding one folder each, descended before giving up
_IGNORED = ("__pycache__", "__MACOSX", ".ipynb_checkpoints")


@dataclass(frozen=True)
class Folder:
    entry: Path
    helpers: dict[str, tuple[str, str]]   # module name -> (file relative to the folder, source text)
    sha256: str
    bytes: int


def is_folder_submission(path: Path) -> bool:
    """Whether grading reads `path` as a folder of files (a folder or a zip) rather than as one file."""
    return path.is_dir() or path.suffix.lower() == ".zip"


def ignored(name: str) -> bool:
    """A hidden file or folder, or a cache: never part of what is graded."""
    return name.startswith(".") or name in _IGNORED


def _listing(folder: Path) -> list[os.DirEntry]:
    with os.scandir(folder) as entries:
        return sorted(entries, key=lambda entry: entry.name)


def _is_dir(entry: os.DirEntry) -> bool:
    try:
        return entry.is_dir()
    except OSError:
        return False


def walk(folder: Path) -> Iterator[Path]:
    """The folder's files as grading sees them (hidden files and caches left out), without following links: as
    os.walk(followlinks=False) lists them, in the same order, but without recursion (os.walk recurses once per
    level, so a folder nested a thousand deep raised RecursionError in the trusted process)."""
    pending = [folder]
    while pending:
        try:
            entries = _listing(pending.pop())
        except OSError:   # as os.walk: a folder that cannot be listed is left out
            continue
        yield from (Path(entry.path) for entry in entries if not _is_dir(entry) and not entry.name.startswith("."))
        pending.extend(reversed([Path(entry.path) for entry in entries if _is_dir(entry) and not ignored(entry.name)
                                 and not entry.is_symlink()]))


def every_path(folder: Path, skip: Callable[[str], object]) -> list[Path]:
    """Every path below FOLDER, sorted (files, folders, links: links listed, never followed), leaving out each name
    `skip` accepts and everything below it; OSError when a folder cannot be listed. Without recursion: Path.rglob
    recurses once per level, so a student's folder nested a thousand deep ended the whole batch."""
    found, pending = [], [folder]
    while pending:
        for entry in _listing(pending.pop()):
            if skip(entry.name):
                continue
            found.append(Path(entry.path))
            if entry.is_dir(follow_symlinks=False):
                pending.append(Path(entry.path))
    return sorted(found)


def _files(folder: Path) -> list[Path]:
    found = []
    for path in walk(folder):
        found.append(path)
        if len(found) > MAX_FILES:
            raise FolderRefused(f"the folder holds more than {MAX_FILES} files; hand in your code and its helper modules only")
    return found


def _root(folder: Path) -> Path:
    """A folder holding nothing but one folder (as zips and LMS exports often do): that folder."""
    for _ in range(MAX_NESTING):
        items = [path for path in folder.iterdir() if not path.name.startswith(".") and path.name not in _IGNORED]
        if len(items) != 1 or items[0].is_symlink() or not items[0].is_dir():
            break
        folder = items[0]
    return folder


def _module_name(relative: Path) -> str | None:
    parts = list(relative.with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts) if parts and all(part.isidentifier() for part in parts) else None


def _entry(files: list[Path], folder: Path, entry: str) -> Path:
    top = [path for path in files if path.parent == folder]
    stem = Path(entry).stem
    for name in (entry, f"{stem}.ipynb"):
        if folder / name in top:
            return folder / name
    for suffix in (".ipynb", ".py"):
        candidates = [path for path in top if path.suffix == suffix]
        if len(candidates) == 1:
            return candidates[0]
    names = ", ".join(path.name for path in top if path.suffix in (".py", ".ipynb")) or "none"
    raise FolderRefused(f"the folder does not say which file to grade (its .py and .ipynb files: {names}); "
                        f"name it {entry} or {stem}.ipynb")


def open_folder(folder: Path, entry: str, max_kib: int) -> Folder:
    folder = _root(folder)
    files = _files(folder)
    limit = max_kib * 1024
    digest, total, helpers = hashlib.sha256(), 0, {}
    chosen = _entry(files, folder, entry)
    for path in files:
        status = os.lstat(path)
        if not stat.S_ISREG(status.st_mode):
            continue   # links and devices are never followed
        total += status.st_size
        if total > limit:
            raise FolderRefused(f"the folder's files add up to more than {max_kib / 1024:g} MB; hand in your code "
                                "and its helper modules only")
        relative = path.relative_to(folder)
        try:
            relative.as_posix().encode("utf-8")
        except UnicodeEncodeError:   # it ended the whole batch when it reached the sha256 below
            shown = os.fsencode(relative.as_posix()).decode("utf-8", "backslashreplace")
            raise FolderRefused(f"{shown} is not named in UTF-8; rename it or leave it out") from None
        if path.suffix not in (".py", ".ipynb"):
            continue
        data = read_regular(path, limit)
        digest.update(f"{relative.as_posix()}\n{len(data)}\n".encode())
        digest.update(data)
        name = _module_name(relative) if path.suffix == ".py" and path != chosen else None
        if name is None:
            continue
        try:
            helpers[name] = (relative.as_posix(), data.decode("utf-8-sig"))
        except UnicodeDecodeError:
            raise FolderRefused(f"{relative.as_posix()} is not UTF-8 text; save it as UTF-8") from None
    return Folder(chosen, helpers, digest.hexdigest(), total)


def open_zip(archive: Path, workspace: Path, entry: str, max_kib: int) -> Folder:
    target = workspace / "unzipped"
    target.mkdir()
    try:
        skipped = extract(archive, target, max_files=MAX_FILES, max_total_bytes=max_kib * 1024)
    except UnsafeArchive as exc:
        raise FolderRefused(str(exc).replace(str(archive), "the zip")) from None
    if skipped:   # graded without it, the zip would be judged on less than the student handed in
        raise FolderRefused(f"{skipped[0].name!r} in the zip cannot be unpacked: {skipped[0].reason}; "
                            "hand in a zip of your files only")
    return open_folder(target, entry, max_kib)


@contextlib.contextmanager
def opened(submission: Path, entry: str, max_kib: int) -> Iterator[Folder]:
    """A folder or zip as grading opens it; a zip is unpacked into a private temporary folder, removed after."""
    if submission.is_dir():
        yield open_folder(submission, entry, max_kib)
        return
    with tempfile.TemporaryDirectory(prefix="grader-zip-") as workspace:
        yield open_zip(submission, Path(workspace), entry, max_kib)
