"""Every exercise as a notebook, generated from its README and stub so the two never drift.

`grade notebooks` writes exercises/NN_topic/<entry>.ipynb; `grade notebooks --check` fails when a
notebook in the folder is not what the sources generate (the test suite runs it).
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from grader.atomic import write_text_atomically
from grader.course.model import Course, Exercise


def notebook_path(exercise: Exercise) -> Path:
    return exercise.exercise_dir / (Path(exercise.entry).stem + ".ipynb")


def _cell_id(exercise: Exercise, index: int) -> str:
    return f"{exercise.id.replace('_', '-')}-{index:02d}"


def readme_sections(exercise: Exercise) -> list[str]:
    """The exercise's README cut before every `## ` heading: one markdown cell each."""
    readme = (exercise.exercise_dir / "README.md").read_text(encoding="utf-8")
    return [part.strip() for part in re.split(r"(?m)^(?=## )", readme) if part.strip()]


def build_notebook(exercise: Exercise) -> nbformat.NotebookNode:
    """Markdown cells from the README (one per section), the stub as code, and a cell that checks it."""
    sections = readme_sections(exercise)
    stub = exercise.stub_path.read_text(encoding="utf-8").rstrip() + "\n"
    cells = [new_markdown_cell(section) for section in sections]
    cells.append(new_code_cell(stub))
    cells.append(new_markdown_cell("Save the notebook, then run the next cell to grade it (the grader reads the saved file)."))
    cells.append(new_code_cell(f'from grader import check\ncheck("{exercise.id}")'))
    for index, cell in enumerate(cells):
        cell["id"] = _cell_id(exercise, index)
    notebook = new_notebook(cells=cells, metadata={
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
        "grader": {"exercise": exercise.id, "generated_from": ["README.md", exercise.entry]},
    })
    return notebook


def _text(notebook: nbformat.NotebookNode) -> str:
    return nbformat.writes(notebook) + "\n"


def write_notebooks(course: Course) -> list[Path]:
    """Write the notebooks that differ from what their README and stub generate; leave the others untouched,
    so nothing changes that does not need to."""
    written = []
    for exercise in course.exercises:
        path = notebook_path(exercise)
        text = _text(build_notebook(exercise))
        if _on_disk(path) != text:
            write_text_atomically(text, path, mode=0o644)
            written.append(path)
    return written


def _on_disk(path: Path) -> str | None:
    return path.read_text(encoding="utf-8") if path.is_file() else None


def stale_notebooks(course: Course) -> list[str]:
    """The exercises whose notebook is missing or differs from what their README and stub generate."""
    problems = []
    for exercise in course.exercises:
        path = notebook_path(exercise)
        current = _on_disk(path)
        if current is None:
            problems.append(f"{path.relative_to(course.root)} is missing")
        elif current != _text(build_notebook(exercise)):
            problems.append(f"{path.relative_to(course.root)} differs from its README.md and {exercise.entry}")
    return problems
