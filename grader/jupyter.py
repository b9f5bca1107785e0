"""Grading from inside Jupyter: `from grader import check; check("02_backprop")`.

It grades the saved notebook (save first: the grader reads the file, not the kernel's memory) in
the same isolated way as the `grade` command, and shows the result as an HTML table.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

from grader.sandbox.output import printable

_COLOURS = {"passed": "#2e9e5b", "failed": "#d04437", "error": "#d04437", "timeout": "#e0a020",
            "memory": "#e0a020", "crashed": "#8e44ad"}


def feedback_html(document: dict[str, Any]) -> str:
    rows = []
    for check in document["checks"]:
        colour = _COLOURS.get(check["outcome"], "#555")
        why = "" if check["outcome"] == "passed" else html.escape(printable(check["message"]))
        if check.get("hint"):
            why += f"<br><b>Hint:</b> {html.escape(printable(check['hint']))}"
        hidden = " <i>(hidden)</i>" if check["visibility"] == "hidden" else ""
        rows.append(f'<tr><td style="color:{colour};font-weight:bold">{check["outcome"].upper()}</td>'
                    f"<td>{html.escape(check['name'])}{hidden}</td><td>{check['score']:g}/{check['max_score']:g}</td>"
                    f'<td style="text-align:left">{why}</td></tr>')
    note = "" if document["hidden_checks_run"] else "<p><i>Hidden checks run when your work is submitted.</i></p>"
    return (f"<h4>{html.escape(document['exercise'])}: {html.escape(document['exercise_title'])}</h4>"
            "<table><tr><th></th><th>check</th><th>points</th><th>why</th></tr>" + "".join(rows) + "</table>"
            f"<p><b>Total: {document['score']:g}/{document['max_score']:g}</b> ({html.escape(document['message'])})</p>{note}")


def _find_notebook(exercise, notebook: str | Path | None) -> Path:
    if notebook is not None:
        return Path(notebook)
    name = Path(exercise.entry).stem + ".ipynb"
    for candidate in (Path.cwd() / name, exercise.exercise_dir / name):
        if candidate.is_file():
            return candidate
    raise FileNotFoundError(f"no {name} in {Path.cwd()} or {exercise.exercise_dir}; pass check(..., notebook='path')")


def check(exercise_id: str, notebook: str | Path | None = None, show: bool = True) -> dict[str, Any]:
    """Grade the saved notebook (or .py file) of an exercise and display the checks; returns the feedback."""
    from grader.engine import grade
    from grader.manifest import find_course

    course = find_course(Path.cwd())
    exercise = course.exercise(exercise_id)
    document = grade(exercise, _find_notebook(exercise, notebook)).to_dict()
    if show:
        try:
            from IPython.display import HTML, display

            display(HTML(feedback_html(document)))
        except ImportError:
            from rich.console import Console

            from grader.render import render

            render(document, Console(highlight=False))
    return document
