"""Grading from inside Jupyter: `from grader import check; check("02_backprop")`.

It grades the saved notebook (save first: the grader reads the file, not the kernel's memory) in
the same isolated way as the `grade` command, and shows the result as an HTML table.
`check("02_backprop", submit=True)` hands the same saved file in to the course's grading service instead, as
`grade submit` does (the token from GRADE_TOKEN or ~/.config/grade/token, the server from `server=` or
GRADE_SERVER), waits, and shows the service's table, hidden checks included as far as the exercise's policy
shows them before its due time.
"""

from __future__ import annotations

from pathlib import Path

from grader.course.model import Exercise
from grader.feedback.model import Feedback
from grader.views.feedback_html import feedback_html

SUBMIT_TIMEOUT_S = 900.0


def _find_notebook(exercise: Exercise, notebook: str | Path | None) -> Path:
    if notebook is not None:
        return Path(notebook)
    name = Path(exercise.entry).stem + ".ipynb"
    for candidate in (Path.cwd() / name, exercise.exercise_dir / name):
        if candidate.is_file():
            return candidate
    raise FileNotFoundError(f"no {name} in {Path.cwd()} or {exercise.exercise_dir}; pass check(..., notebook='path')")


def _submitted(exercise: Exercise, path: Path, server: str | None, timeout_s: float) -> Feedback:
    """Hand the saved file in to the grading service and wait for its feedback (ClientError: what went wrong)."""
    from grader.service.client import Client, ClientError, find_server, find_token, payload, standing_line

    client = Client(find_server(server), find_token())
    name, data = payload(path, exercise.limits.max_file_kib * 1024)
    submitted = client.submit(exercise.id, name, data)
    print(f"handed in {name} as submission {submitted}")

    def progress(state: str, waited: float) -> None:
        print(f"\rsubmission {submitted}: {state} ({waited:.0f} s)", end="", flush=True)

    answer = client.wait(submitted, progress, timeout_s)
    said = standing_line(answer)
    print(f"\rsubmission {submitted}: {answer['submission']['status']}" + (f"; {said}" if said else ""))
    document = answer.get("feedback")
    if document is None:
        raise ClientError(f"submission {submitted}: the grader failed on it; this is not your fault, and your course "
                          f"staff can see it")
    return Feedback.from_dict(document)


def check(exercise_id: str, notebook: str | Path | None = None, show: bool = True, submit: bool = False,
          server: str | None = None, timeout_s: float = SUBMIT_TIMEOUT_S) -> Feedback:
    """Grade the saved notebook (or .py file) of an exercise and display the checks; returns the feedback.
    `submit=True`: hand it in to the course's grading service and show the grade it gives (see the module)."""
    from grader.course.manifest import find_course

    course = find_course(Path.cwd())
    exercise = course.exercise(exercise_id)
    path = _find_notebook(exercise, notebook)
    if submit:
        feedback = _submitted(exercise, path, server, timeout_s)
    else:
        from grader.grading.engine import grade

        feedback = grade(exercise, path)
    if show:
        try:
            from IPython.display import HTML, display

            display(HTML(feedback_html(feedback)))
        except ImportError:
            from rich.console import Console

            from grader.views.terminal import render

            render(feedback, Console(highlight=False))
    return feedback
