"""A private copy of what the student handed in, read once and never through a link.

Every mode grades from this copy: what is hashed, recorded and graded are the same bytes, even if the
student's file changes while it is graded (a synced or shared folder), and a symbolic link anywhere in
the submission (the file itself, the folder, a file or folder inside it) is refused: a link is never
graded as the linker's work, whoever's file it names. Reading is bounded before it starts: a folder's
files are counted and their sizes summed from `lstat`, one file more than allowed ends the copy.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from grader.labcode.folder import MAX_FILES, FolderRefused, ignored
from grader.labcode.submission import read_regular

ZIP_SIZE_FACTOR = 4   # a zip may be this many times the exercise's size limit (it holds more than code)
MAX_DEPTH = 32        # folders within folders: os.fwalk recurses (and holds a descriptor) once per level, so a
                      # folder nested a thousand deep raised RecursionError, the grader's failure, not the student's


class LinkRefused(FolderRefused):
    """The submission is, or holds, a symbolic link."""


def _link(relative: str) -> LinkRefused:
    where = "the submission" if relative in ("", ".") else relative
    return LinkRefused(f"{where} is a symbolic link, not a file; a link is never graded as your work: hand in "
                       "the file itself")


def _read_file(path: Path, limit: int) -> bytes:
    """At most `limit` + 1 bytes of a regular file, opened without following a link; a larger file is refused
    by its size before it is read."""
    try:
        return read_regular(path, limit, refuse_larger=True)
    except FolderRefused:
        raise
    except OSError:
        if os.path.islink(path):
            raise _link(path.name) from None
        raise


def snapshot(submission: Path, into: Path, max_kib: int) -> Path:
    """Copy the submission (a file, a folder or a zip) into the empty folder `into`; the copy's path.

    A file larger than the limit is copied up to one byte past it, so grading still says it is too large."""
    limit = max_kib * 1024
    status = os.lstat(submission)
    into.mkdir(parents=True, exist_ok=True)
    # named as UTF-8 can write it: a name that is not UTF-8 (\xff.py) reached the sandbox's set-up, which could not
    # encode it, and every check broke as the grader's failure
    copy = into / os.fsencode(submission.name).decode("utf-8", "replace")
    if stat.S_ISLNK(status.st_mode):
        raise _link("")
    if stat.S_ISDIR(status.st_mode):
        _copy_folder(submission, copy, limit)
        return copy
    copy.write_bytes(_read_file(submission, ZIP_SIZE_FACTOR * limit if submission.suffix.lower() == ".zip" else limit))
    return copy


def _copy_folder(folder: Path, copy: Path, limit: int) -> None:
    """The folder's files as grading sees them (hidden files and caches left out), refusing every link.

    Walked through directory descriptors (`os.fwalk`), each file opened relative to its folder's descriptor
    with O_NOFOLLOW: a folder swapped for a link while it is copied is never entered, a file swapped for one
    is refused, so no path the student controls can point the copy at someone else's files."""
    copy.mkdir()
    count, total = 0, 0
    for root, folders, files, root_fd in os.fwalk(folder, follow_symlinks=False):
        relative = Path(root).relative_to(folder)
        folders[:] = sorted(name for name in folders if not ignored(name))
        if folders and len(relative.parts) >= MAX_DEPTH:
            raise FolderRefused(f"the folder has folders nested more than {MAX_DEPTH} deep; hand in your code and its "
                                "helper modules only")
        for name in folders:
            if stat.S_ISLNK(os.stat(name, dir_fd=root_fd, follow_symlinks=False).st_mode):
                raise _link((relative / name).as_posix())   # fwalk lists a link to a folder among the folders
            (copy / relative / name).mkdir()
        for name in sorted(name for name in files if not name.startswith(".")):   # as folder.walk
            status = os.stat(name, dir_fd=root_fd, follow_symlinks=False)
            if stat.S_ISLNK(status.st_mode):
                raise _link((relative / name).as_posix())
            count += 1
            total += status.st_size
            if count > MAX_FILES:
                raise FolderRefused(f"the folder holds more than {MAX_FILES} files; hand in your code and its helper "
                                    "modules only")
            if total > limit:
                raise FolderRefused(f"the folder's files add up to more than {limit / 1024 / 1024:g} MB; hand in your "
                                    "code and its helper modules only")
            try:
                data = read_regular(Path(name), limit, dir_fd=root_fd)
            except OSError:
                if stat.S_ISLNK(os.stat(name, dir_fd=root_fd, follow_symlinks=False).st_mode):
                    raise _link((relative / name).as_posix()) from None
                raise
            (copy / relative / name).write_bytes(data)
