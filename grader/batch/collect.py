"""Find each student's submission in a folder (or an extracted archive): one entry per student.

A student's file is graded as it is; a student's folder (or zip) is graded as single `grade` grades one:
its entry file with the helper modules beside it, bounded and hashed by `grader.labcode.folder`.

A student's id comes from their own file or folder name alone, so it never changes when other students
are added and never collides: a name that is already safe for file names is its own id; any other name
keeps its readable part and gets `~` and a hash of the exact name (`~` never occurs in a safe name).

Canvas's and Moodle's downloads are read by their names (`grader.lms.download`): the id is then the LMS's name and
its student id, the LMS's lateness is kept, and of the files a student uploaded again under one name the latest
is graded. Entries that do not carry the detected LMS's names are graded under their own names, as above.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from grader.batch.gradebook import StudentRecord
from grader.course.model import Exercise
from grader.labcode.folder import FolderRefused, every_path, is_folder_submission, opened
from grader.lms import moodle
from grader.lms.download import Reading, read_names
from grader.lms.identity import LmsName

SUBMISSION_SUFFIXES = (".py", ".ipynb")
_IGNORED = re.compile(r"^(\.|__MACOSX$|__pycache__$|Thumbs\.db$)")
_SAFE = re.compile(r"\w[\w.-]*")          # letters and digits of any script, `_`, `.`, `-`; no leading `.` or `-`
_UNSAFE_RUN = re.compile(r"[^\w.-]+")
MAX_ID_BYTES = 100                         # leaves room for `.json` and a temporary prefix within 255 bytes


@dataclass(frozen=True)
class StudentEntry:
    """A student's submission, or the reason there is none to grade; `submitted_as` is the name handed in."""

    student: str
    path: Path | None
    problem: str | None = None
    submitted_as: str = ""
    sha256: str = ""   # a folder's or zip's, as grading records it; "" for a file (hashed when planning)
    lms: LmsName | None = None       # who the LMS's download says handed it in (None in a plain folder)
    submitted_at: str | None = None  # the newest modification time of what is graded (UTC, ISO 8601), as recorded
    superseded: tuple[str, ...] = ()  # earlier uploads under the same name, not graded

    @property
    def record(self) -> StudentRecord:
        """What the gradebook keeps about this student (see `Gradebook.name`)."""
        if self.lms is None:
            return StudentRecord(self.student, self.submitted_as, submitted_at=self.submitted_at)
        return StudentRecord(self.student, self.submitted_as, self.lms.lms, self.lms.lms_id, self.lms.name, self.lms.late,
                             self.submitted_at)


@dataclass(frozen=True)
class Collected:
    """Every student's entry, and how the folder's names were read (plain, Canvas or Moodle)."""

    entries: list[StudentEntry]
    reading: Reading
    not_submissions: tuple[str, ...] = field(default=())   # an LMS's entries that are no files (Moodle's online text)


Item = tuple[str, Path | None, str | None, str]   # name handed in, what to grade, problem, sha256


def _raw(name: str) -> bytes:
    try:
        return os.fsencode(name)
    except UnicodeEncodeError:
        return name.encode("utf-8", "replace")


def shown(name: str) -> str:
    """A file name as text that can always be written (bytes that are not UTF-8 shown as \\xNN)."""
    return _raw(name).decode("utf-8", "backslashreplace")


def student_id(name: str, is_file: bool) -> str:
    """The id of the student who handed in `name` (a file's name without its extension, or a folder's name)."""
    stem = name.rsplit(".", 1)[0] if is_file and "." in name.lstrip(".") else name
    if _SAFE.fullmatch(stem) and stem == unicodedata.normalize("NFC", stem) and len(stem.encode()) <= MAX_ID_BYTES:
        return stem
    readable = _UNSAFE_RUN.sub("_", unicodedata.normalize("NFC", shown(stem))).strip("_.-")
    while len(readable.encode()) > MAX_ID_BYTES - 11:
        readable = readable[:-1]
    return f"{readable}~{hashlib.sha256(_raw(stem)).hexdigest()[:10]}"


def _files(folder: Path) -> list[Path]:
    return every_path(folder, _IGNORED.match)


def _link_problem(link: Path, root: Path) -> str:
    target = os.readlink(link)
    whose = "another student's submission" if _inside(link.parent / target, root) else "a file outside the submission"
    return (f"{shown(str(link.relative_to(root)))} is a symbolic link to {whose} ({shown(target)}), not a file; "
            f"the student must hand in the file itself")


def _inside(path: Path, root: Path) -> bool:
    try:
        path.resolve().relative_to(root.resolve())
        return True
    except (ValueError, OSError, RuntimeError):
        return False


def _folder(path: Path, exercise: Exercise) -> tuple[Path | None, str | None, str]:
    """A folder or zip as single `grade` reads it (its entry file and the helper modules beside it, bounded
    alike), with the sha256 its feedback will record; or why it cannot be graded."""
    try:
        with opened(path, exercise.entry, exercise.limits.max_file_kib) as folder:
            return path, None, folder.sha256
    except FolderRefused as exc:
        return None, str(exc), ""


def _entry(item: Path, root: Path, exercise: Exercise) -> tuple[Path | None, str | None, str]:
    """What to grade for one top-level item (and, for a folder or zip, its sha256), or why there is nothing to grade.
    A link anywhere inside a student's folder is reported: it could name another student's files."""
    if item.is_symlink():
        return None, _link_problem(item, root), ""
    if item.is_dir():
        files = _files(item)
        links = [p for p in files if p.is_symlink()]
        if links:
            return None, _link_problem(links[0], root), ""
        if len(files) == 1 and files[0].suffix.lower() == ".zip" and files[0].is_file():
            return _folder(files[0], exercise)   # an LMS's folder holding the student's own zip
        return _folder(item, exercise)
    if not item.is_file():
        return None, f"{shown(item.name)} is not a regular file", ""
    if item.suffix in SUBMISSION_SUFFIXES:
        return item, None, ""
    if is_folder_submission(item):
        return _folder(item, exercise)
    return None, f"{shown(item.name)} is not a Python file (.py), notebook (.ipynb) or zip", ""


def collect(root: Path, exercise: Exercise, skipped: dict[str, str] | None = None) -> list[StudentEntry]:
    """One entry per student, sorted by student id; problems are entries too, never exceptions.

    `skipped` maps archive members that could not be extracted to the reason, so that the student who
    handed them in is told why, instead of being told there is no file."""
    return gather(root, exercise, skipped).entries


def _is_file_entry(item: Path) -> bool:
    return not item.is_dir() or item.is_symlink()


def gather(root: Path, exercise: Exercise, skipped: dict[str, str] | None = None,
           staging: Path | None = None) -> Collected:
    """`collect`, saying which format the names were read in and which entries of an LMS's download hold no file.

    `staging`: where a student whose LMS download holds several files (an entry file and its helper modules, as
    Canvas writes them, one per upload) gets them as one folder under their own names, graded as any student's
    folder is. Without it, several files are reported as several submissions."""
    items = [item for item in sorted(root.iterdir()) if not _IGNORED.match(item.name)]
    reading = read_names([(item.name, not _is_file_entry(item)) for item in items])
    found: dict[str, list[Item]] = {}
    named: dict[str, dict[str, LmsName]] = {}   # student -> item name -> its LMS name
    not_submissions = []
    for item in items:
        lms = reading.names.get(item.name)
        if lms is not None and lms.lms == "moodle" and moodle.plugin_of(item.name, not _is_file_entry(item)) != \
                moodle.SUBMITTED_FILES:
            not_submissions.append(item.name)
            continue
        try:
            outcome = _entry(item, root, exercise)
        except OSError as exc:
            outcome = None, f"{shown(item.name)} cannot be read ({exc.strerror or exc})", ""
        student = lms.student if lms is not None else student_id(item.name, _is_file_entry(item))
        found.setdefault(student, []).append((item.name, *outcome))
        if lms is not None:
            named.setdefault(student, {})[item.name] = lms
    for member, reason in (skipped or {}).items():
        parts = member.replace("\\", "/").split("/")
        if all(parts) and not any(_IGNORED.match(part) for part in parts) and ":" not in parts[0]:
            lms = reading.names.get(parts[0]) or reading.read(parts[0], len(parts) > 1)
            student = lms.student if lms is not None else student_id(parts[0], len(parts) == 1)
            found.setdefault(student, []).append(
                (parts[0], None, f"{shown(member)} in the archive was not extracted: {reason}", ""))
            if lms is not None:
                named.setdefault(student, {})[parts[0]] = lms
    entries = [_lms_entry(student, found[student], named.get(student, {}), exercise, staging) for student in sorted(found)]
    return Collected(_one_student_per_lms_id(entries), reading, tuple(not_submissions))


def _one_student_per_lms_id(entries: list[StudentEntry]) -> list[StudentEntry]:
    """An LMS id under two names (never in a real download) grades neither: the exports would give one roster row
    two grades. Both are reported."""
    claims: dict[tuple[str, str], list[str]] = {}
    for entry in entries:
        if entry.lms is not None:
            claims.setdefault((entry.lms.lms, entry.lms.lms_id), []).append(entry.student)
    result = []
    for entry in entries:
        claimants = claims.get((entry.lms.lms, entry.lms.lms_id), []) if entry.lms is not None else []
        if len(claimants) > 1:
            assert entry.lms is not None
            problem = (f"the download gives {entry.lms.lms} id {entry.lms.lms_id} to {len(claimants)} names "
                       f"({', '.join(claimants)}); none of them is graded: download the submissions again")
            entry = StudentEntry(entry.student, None, problem, entry.submitted_as, "", entry.lms, None, entry.superseded)
        result.append(entry)
    return result


def _latest(items: list[Item], named: dict[str, LmsName]) -> tuple[list[Item], LmsName | None, tuple[str, ...]]:
    """Of the files an LMS says one student uploaded under the same name, the latest (the largest order);
    the student's LMS name (of the latest upload, whose LATE marker counts); the earlier uploads' names."""
    if not named:
        return items, None, ()
    newest: dict[str, Item] = {}
    for item in items:
        lms = named.get(item[0])
        key = lms.original if lms is not None else item[0]
        if key not in newest or (lms is not None and lms.order > named[newest[key][0]].order):
            newest[key] = item
    kept = list(newest.values())
    superseded = tuple(sorted(shown(item[0]) for item in items if item not in kept))
    lms = max((named[item[0]] for item in kept if item[0] in named), key=lambda name: name.order, default=None)
    return kept, lms, superseded


def _lms_entry(student: str, items: list[Item], named: dict[str, LmsName], exercise: Exercise,
               staging: Path | None) -> StudentEntry:
    """A student's entry: their latest uploads, as a folder in `staging` when they are several files."""
    kept, lms, superseded = _latest(items, named)
    files = [(named[name].original, path) for name, path, problem, _ in kept
             if name in named and path is not None and problem is None and path.is_file() and not path.is_symlink()]
    if staging is None or len(kept) < 2 or len(files) != len(kept):
        return _one_entry(student, kept, lms, superseded)
    folder = staging / student
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    problem = None
    for original, path in files:
        if original != Path(original).name or original.startswith(".") or (folder / original).exists():
            problem = f"the upload named {shown(original)!r} cannot be placed beside the others (its name is a path, " \
                      f"hidden, or taken twice)"
            break
        shutil.copy2(path, folder / original)
    names = ", ".join(sorted(shown(name) for name, _, _, _ in kept))
    staged: tuple[Path | None, str | None, str] = (None, problem, "") if problem else _folder(folder, exercise)
    return _one_entry(student, [(names, *staged)], lms, superseded)


def _recorded_time(path: Path) -> str | None:
    """The newest modification time of a file, or of the files in a folder, as the file system records it."""
    try:
        files = [path] if path.is_file() else [p for p in _files(path) if p.is_file() and not p.is_symlink()]
        newest = max((p.stat().st_mtime for p in files), default=None)
    except OSError:
        return None
    return None if newest is None else datetime.fromtimestamp(newest, timezone.utc).isoformat(timespec="seconds")


def _one_entry(student: str, items: list[Item], lms: LmsName | None = None, superseded: tuple[str, ...] = ()) -> StudentEntry:
    """A student's entry from everything found under their id: exactly one gradable item, or a problem."""
    names = sorted({shown(name) for name, _, _, _ in items})
    gradable = [(path, sha256) for _, path, problem, sha256 in items if path is not None and problem is None]
    problems = [problem for _, _, problem, _ in items if problem is not None]
    if len(gradable) == 1 and not problems:
        path = gradable[0][0]
        return StudentEntry(student, path, None, names[0], gradable[0][1], lms, _recorded_time(path), superseded)
    if len(items) > 1 and len(names) > 1:
        problems.insert(0, f"several submissions for this student ({', '.join(names)}); keep only one")
    return StudentEntry(student, None, "; ".join(problems) or "nothing to grade", ", ".join(names), "", lms, None,
                        superseded)
