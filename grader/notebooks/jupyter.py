"""Grading from inside Jupyter: `from grader import check; check("02_backprop")`.

It grades the saved notebook (save first: the grader reads the file, not the kernel's memory) in
the same isolated way as the `grade` command, and shows the result as an HTML table.
"""

from __future__ import annotations

from pathlib import Path

from grader.course.model import Exercise
from grader.feedback.model import Feedback
from grader.views.feedback_html import feedback_html


def _find_notebook(exercise: Exercise, notebook: str | Path | None) -> Path:
    if notebook is not None:
        return Path(notebook)
    name = Path(exercise.entry).stem + ".ipynb"
    for candidate in (Path.cwd() / name, exercise.exercise_dir / name):
        if candidate.is_file():
            return candidate
    raise FileNotFoundError(f"no {name} in {Path.cwd()} or {exercise.exercise_dir}; pass check(..., notebook='path')")


def check(exercise_id: str, notebook: str | Path | None = None, show: bool = True) -> Feedback:
    """Grade the saved notebook (or .py file) of an exercise and display the checks; returns the feedback."""
    from grader.grading.engine import grade
    from grader.course.manifest import find_course

    course = find_course(Path.cwd())
    exercise = course.exercise(exercise_id)
    feedback = grade(exercise, _find_notebook(exercise, notebook))
    if show:
        try:
            from IPython.display import HTML, display

            display(HTML(feedback_html(feedback)))
        except ImportError:
            from rich.console import Console

            from grader.views.terminal import render

            render(feedback, Console(highlight=False))
    return feedback
