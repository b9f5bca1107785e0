"""Find each student's submission in a folder (or an extracted archive): one entry per student."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from grader.course import Exercise

SUBMISSION_SUFFIXES = (".py", ".ipynb")
_IGNORED = re.compile(r"^(\.|__MACOSX$|__pycache__$|Thumbs\.db$)")


@dataclass(frozen=True)
class StudentEntry:
    """A student's submission, or the reason there is none to grade."""

    student: str
    path: Path | None
    problem: str | None = None


def student_id(name: str, is_file: bool) -> str:
    """A file's name without its extension, or a folder's name, made safe for file names."""
    stem = Path(name).stem if is_file else name
    return re.sub(r"[^A-Za-z0-9_.@-]+", "_", stem).strip("._") or "student"


def _inside(path: Path, root: Path) -> bool:
    try:
        path.resolve().relative_to(root.resolve())
        return True
    except (ValueError, OSError, RuntimeError):
        return False


def _candidate(folder: Path, root: Path, exercise: Exercise) -> tuple[Path | None, str | None]:
    files = [p for p in sorted(folder.rglob("*")) if not any(_IGNORED.match(part) for part in p.relative_to(folder).parts)]
    links = [p for p in files if p.is_symlink() and not _inside(p, root)]
    if links:
        return None, f"{links[0].relative_to(folder)} is a symbolic link pointing outside the submission"
    python = [p for p in files if p.suffix in SUBMISSION_SUFFIXES and p.is_file() and not p.is_symlink()]
    notebook_name = Path(exercise.entry).stem + ".ipynb"
    named = [p for p in python if p.name in (exercise.entry, notebook_name)]
    if len(named) == 1:
        return named[0], None
    if len(named) > 1:
        return None, f"several files named {exercise.entry}: {', '.join(str(p.relative_to(folder)) for p in named)}"
    if len(python) == 1:
        return python[0], None
    if not python:
        return None, f"no .py file (expected {exercise.entry})"
    return None, (f"several candidate files ({', '.join(p.name for p in python[:5])}); "
                  f"name the one to grade {exercise.entry}")


def collect(root: Path, exercise: Exercise) -> list[StudentEntry]:
    """One entry per student, sorted by student id; problems are entries too, never exceptions."""
    entries: dict[str, StudentEntry] = {}
    for item in sorted(root.iterdir()):
        if _IGNORED.match(item.name):
            continue
        student = student_id(item.name, item.is_file() or item.is_symlink())
        if student in entries:
            student = f"{student}_{len(entries)}"
        if item.is_symlink() and not _inside(item, root):
            entries[student] = StudentEntry(student, None, "the submission is a symbolic link pointing outside the folder")
        elif item.is_dir():
            path, problem = _candidate(item, root, exercise)
            entries[student] = StudentEntry(student, path, problem)
        elif item.is_file() and item.suffix in SUBMISSION_SUFFIXES:
            entries[student] = StudentEntry(student, item)
        elif item.is_file():
            entries[student] = StudentEntry(student, None, f"{item.name} is not a Python file")
    return [entries[key] for key in sorted(entries)]
