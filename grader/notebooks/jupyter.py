"""Grading from inside Jupyter: `from grader import check; check("02_backprop")`.

It grades the saved notebook (save first: the grader reads the file, not the kernel's memory) in
the same isolated way as the `grade` command, and shows the result as an HTML table.
"""

from __future__ import annotations

import html
from pathlib import Path

from grader.course.model import Exercise
from grader.feedback.model import Feedback
from grader.outcomes import Outcome
from grader.views.terminal import OUTCOME_LOOK
from grader.text import printable


def feedback_html(feedback: Feedback) -> str:
    rows = []
    for check in feedback.checks:
        look = OUTCOME_LOOK[check.outcome]
        why = "" if check.outcome is Outcome.PASSED else html.escape(printable(check.message))
        if check.hint is not None:
            why += f"<br><b>Hint:</b> {html.escape(printable(check.hint.text))}"
        hidden = " <i>(hidden)</i>" if check.visibility == "hidden" else ""
        rows.append(f'<tr><td style="color:{look.colour};font-weight:bold">{look.label}</td>'
                    f"<td>{html.escape(check.name)}{hidden}</td>"
                    f"<td>{feedback.score_of(check):g}/{check.max_score:g}</td>"
                    f'<td style="text-align:left">{why}</td></tr>')
    note = "" if feedback.hidden_checks_run else "<p><i>Hidden checks run when your work is submitted.</i></p>"
    return (f"<h4>{html.escape(feedback.exercise)}: {html.escape(feedback.exercise_title)}</h4>"
            "<table><tr><th></th><th>check</th><th>points</th><th>why</th></tr>" + "".join(rows) + "</table>"
            f"<p><b>Total: {feedback.score:g}/{feedback.max_score:g}</b> ({html.escape(feedback.message)})</p>{note}")


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
