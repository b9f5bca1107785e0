"""What the student handed in (a script, a notebook, a folder or a zip) -> the one file the sandbox runs.

The graded module keeps what the graded functions need (`program`); a folder's helper modules travel
with it in a bundle. Everything here reads and parses; nothing of the submission runs in this process.
The notes say, for the feedback, what was left out and why, which definition was graded where a name is
reused, and which Keras 2 spellings ran through the compatibility layer.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from pathlib import Path

from grader.course.model import Exercise
from grader.feedback.model import SubmissionInfo
from grader.labcode.folder import Folder, FolderRefused, is_folder_submission, open_folder, open_zip
from grader.labcode.program import SCRIPT_CELL, Cell, GradedModule, TooLargeToRead, UnreadableCell, build_module, parsed
from grader.labcode.signatures import Signature, signatures, signatures_of_file
from grader.labcode.spellings import old_spellings
from grader.labcode.submission import inspect_file
from grader.labcode.notebook import NotebookError, notebook_source
from grader.sandbox import packed_folder

MAX_LISTED = 12


@dataclass(frozen=True)
class Prepared:
    info: SubmissionInfo
    refusal: str | None = None
    module_path: Path | None = None
    module: GradedModule | None = None
    expected: dict[str, Signature] = field(default_factory=dict)    # the exercise's functions
    submitted: dict[str, Signature] = field(default_factory=dict)   # the student's, as graded
    notes: tuple[str, ...] = ()

    def locate(self, line: int) -> str:
        return self.module.locate(line) if self.module else f"line {line} of your file"

    def defined_in(self, name: str) -> str | None:
        return self.module.defined_in(name) if self.module else None


def _script(path: Path) -> str:
    text = path.read_bytes().decode("utf-8-sig")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _graded_module(entry: Path, targets: set[str], keep: str, lab_names: dict[str, str]) -> GradedModule:
    if entry.suffix == ".ipynb":
        return notebook_source(entry, keep, targets, lab_names)
    text = _script(entry)
    try:
        return build_module([Cell(SCRIPT_CELL, text)], targets, keep, lab_names)
    except TooLargeToRead:
        raise
    except UnreadableCell:   # Python's parser gives up: the sandbox reports it, as for any file
        return GradedModule(text)


def reading_notes(module: GradedModule, keep: str, tree: ast.Module | None = None) -> list[str]:
    """What the feedback says about how the file was read; `tree` is the graded text parsed, if parsed already."""
    notes = []
    if module.left_out:
        listed = "; ".join(f"{item.where()} ({item.why})" for item in module.left_out[:MAX_LISTED])
        more = f"; and {len(module.left_out) - MAX_LISTED} more" if len(module.left_out) > MAX_LISTED else ""
        notes.append(f"Left out of grading, as the graded functions do not need them: {listed}{more}. "
                     "To run every statement, grade with --all-cells.")
    notes += [note[:1].upper() + note[1:] + "." for note in module.notes]
    spellings = old_spellings(module.text, tree)
    if spellings:
        notes.append(f"Your code uses Keras 2 spellings, graded through a compatibility layer: {', '.join(spellings)}.")
    return notes


def prepare(exercise: Exercise, submission: Path, workspace: Path, keep: str | None = None) -> Prepared:
    """Read the submission and write the file the sandbox gets into `workspace`."""
    keep = keep or exercise.cells
    max_kib = exercise.limits.max_file_kib
    folder: Folder | None = None
    if is_folder_submission(submission):
        try:
            folder = open_folder(submission, exercise.entry, max_kib) if submission.is_dir() else \
                open_zip(submission, workspace, exercise.entry, max_kib)
        except (FolderRefused, OSError) as exc:
            return Prepared(SubmissionInfo(str(submission), "", 0), str(exc))
        _, refusal = inspect_file(folder.entry, max_kib)
        info = SubmissionInfo(str(submission), folder.sha256, folder.bytes)
        entry = folder.entry
    else:
        info, refusal = inspect_file(submission, max_kib)
        entry = submission
    if refusal is not None:
        return Prepared(info, refusal)
    expected = signatures_of_file(exercise.stub_path)
    try:
        module = _graded_module(entry, set(expected), keep, dict(exercise.lab_names))
    except (NotebookError, TooLargeToRead) as exc:
        return Prepared(info, str(exc), expected=expected)
    if folder is None:   # a script keeps its own name in the sandbox, a notebook becomes the exercise's module
        module_path = workspace / (entry.name if entry.suffix == ".py" else exercise.entry)
        module_path.write_text(module.text, encoding="utf-8")
    else:
        data = packed_folder.pack(exercise.entry, module.text, folder.helpers)
        if len(data) > max_kib * 1024:   # the sandbox reads at most this much of the one file it gets
            return Prepared(info, f"the folder's code is more than {max_kib / 1024:g} MB; hand in your code and its "
                                  "helper modules only", expected=expected)
        module_path = workspace / (Path(exercise.entry).stem + packed_folder.SUFFIX)
        module_path.write_bytes(data)
    tree = parsed(module.text)   # once, for the notes, the syntax check and the signatures
    notes = reading_notes(module, keep, tree)
    problem = module.syntax_problem(tree)
    if problem is not None:   # said here, naming the cell: the sandbox would name the file it was given
        return Prepared(info, problem, module=module, expected=expected, notes=tuple(notes))
    if folder is not None and folder.helpers:
        notes.append(f"Graded {entry.name} with the helper modules beside it: {', '.join(sorted(folder.helpers))}.")
    return Prepared(info, None, module_path, module, expected, signatures(module.text, tree), tuple(notes))


__all__ = ["Prepared", "prepare", "reading_notes"]
