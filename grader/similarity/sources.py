"""The code that is compared: a student's file or notebook, the code every student was given, and the
exercise's correct solutions.

A notebook is compared on all its code cells (not only what grading keeps: a copied training loop is a
copy too), joined in order, with each line remembered as "cell N, line M" so that the instructor can find
it in Jupyter. The code every student has (the stub, its notebook, the README's examples) is returned
as texts to mask, because sharing it says nothing about who wrote what. The correct solutions (the
reference in solutions/ID/ and the solutions written independently of it and of each other in the
course's solutions/ID/independent/) measure what correct solutions share (dictated.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from grader.course.model import Exercise
from grader.labcode.program import KEEP_ALL
from grader.labcode.notebook import NotebookError, notebook_source
from grader.similarity.budget import DEFAULT, SOURCE_BYTES, SimilarityBudget, cut_text, size

INDEPENDENT_DIR = "independent"   # solutions/ID/independent/*.py: correct solutions written independently
LAB_DIR = "lab"                   # solutions/ID/lab/*.py: the code of the course's lab, which students are given
_FENCED = re.compile(r"^(`{3,}|~{3,})[^\n]*\n(.*?)^\1", re.MULTILINE | re.DOTALL)
_INLINE = re.compile(r"(`+)(?!`)(.+?)(?<!`)\1(?!`)", re.DOTALL)


class SourceError(ValueError):
    """A submission that cannot be compared; the message says why in plain words."""


@dataclass(frozen=True)
class Document:
    """One student's code as compared, and where its lines came from."""

    student: str
    text: str
    cells: dict[int, tuple[int, int]] = field(default_factory=dict)   # notebooks: line -> (cell, line in cell)
    left_out: str = ""   # what of the submission is not in `text` (beyond the bytes compared), in plain words

    def label(self, line: int) -> str:
        """One line as the student knows it: "12", or "3:5" (cell 3, line 5) in a notebook."""
        cell = self.cells.get(line)
        return f"{cell[0]}:{cell[1]}" if cell else str(line)

    def where(self, first: int, last: int) -> str:
        """Lines `first`..`last` as the student knows them: "12-20", or "cell 3: 1-9" in a notebook."""
        if not self.cells:
            return f"{first}-{last}"
        start, end = self.cells.get(first), self.cells.get(last)
        if start is None or end is None:
            return f"{first}-{last}"
        if start[0] == end[0]:
            return f"cell {start[0]}: {start[1]}-{end[1]}"
        return f"cell {start[0]}: {start[1]} to cell {end[0]}: {end[1]}"


def read_document(student: str, path: Path, max_bytes: int, source_bytes: int = SOURCE_BYTES) -> Document:
    """The student's code from a .py file or a notebook's code cells, at most `source_bytes` of it (ending at
    a line's end; `left_out` says what was not read); SourceError when it cannot be read."""
    try:
        file_size = path.stat().st_size
    except OSError as exc:
        raise SourceError(f"{path} cannot be read ({exc.strerror or exc})") from None
    if file_size > max_bytes:
        raise SourceError(f"the file is larger than {max_bytes // 1024} KiB, the course's limit; it was not compared")
    if path.suffix == ".ipynb":
        try:
            source = notebook_source(path, KEEP_ALL)
        except NotebookError as exc:
            raise SourceError(f"the notebook cannot be read: {exc}") from None
        text, left_out = cut_text(source.text, source_bytes)
        note = f"only the first {size(len(text))} of its code cells were compared ({left_out} characters left out)"
        return Document(student, text, dict(source.cell_of_line), note if left_out else "")
    try:
        with path.open("rb") as stream:
            data = stream.read(source_bytes + 1)
    except OSError as exc:
        raise SourceError(f"{path} cannot be read ({exc.strerror or exc})") from None
    if len(data) <= source_bytes:
        return Document(student, data.decode("utf-8", "replace"))
    data = data[:data.rfind(b"\n", 0, source_bytes) + 1 or source_bytes]
    return Document(student, data.decode("utf-8", "replace"),
                    left_out=f"only its first {size(len(data))} of {size(file_size)} were compared")


def readme_code(markdown: str) -> list[str]:
    """Every fenced block and every inline code span of a README: what students may paste from it."""
    blocks = [match.group(2) for match in _FENCED.finditer(markdown)]
    rest = _FENCED.sub("", markdown)
    return blocks + [match.group(2).strip() for match in _INLINE.finditer(rest)]


def _course_files(folder: Path, budget: SimilarityBudget, leave_out: Path | None = None) -> list[str]:
    """The .py files directly in a folder of the course (not links, not `leave_out`), in name order: at most
    `budget.solutions` of them, each cut to `budget.source_bytes`; a file that cannot be read is left out."""
    if not folder.is_dir():
        return []
    paths = [path for path in sorted(folder.glob("*.py")) if path != leave_out and path.is_file() and not path.is_symlink()]
    texts = []
    for path in paths[:budget.solutions]:
        try:
            with path.open("rb") as stream:
                texts.append(stream.read(budget.source_bytes).decode("utf-8", "replace"))
        except OSError:
            continue
    return texts


def _independent_folder(exercise: Exercise) -> Path:
    return exercise.solution_dir / INDEPENDENT_DIR


def given_code(exercise: Exercise, budget: SimilarityBudget = DEFAULT) -> list[str]:
    """The code every student of this exercise was given: the stub, the stub's notebook, the README's code,
    and the code of the course's lab the README points to (solutions/ID/lab/*.py)."""
    texts: list[str] = []
    stub = exercise.stub_path
    if stub.is_file():
        texts.append(stub.read_text(encoding="utf-8", errors="replace"))
    notebook = stub.with_suffix(".ipynb")
    if notebook.is_file():
        try:
            texts.append(notebook_source(notebook, KEEP_ALL).text)
        except NotebookError:
            pass   # a damaged stub notebook: the .py stub still masks the same code
    readme = exercise.exercise_dir / "README.md"
    if readme.is_file():
        texts.extend(readme_code(readme.read_text(encoding="utf-8", errors="replace")))
    return texts + _course_files(exercise.solution_dir / LAB_DIR, budget)


def correct_solutions(exercise: Exercise, budget: SimilarityBudget = DEFAULT) -> list[str]:
    """The exercise's correct solutions: the reference (every module in solutions/ID/ but the hidden checks),
    then the solutions written independently of it and of each other (solutions/ID/independent/*.py), in
    name order; at most `budget.solutions` files, each cut to `budget.source_bytes`."""
    references = _course_files(exercise.solution_dir, budget, leave_out=exercise.hidden_checks)
    return (references + _course_files(_independent_folder(exercise), budget))[:budget.solutions]
