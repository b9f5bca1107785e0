"""One grading's feedback as an HTML table, with the terminal's labels and colours (Jupyter's `check()`)."""

from __future__ import annotations

from dataclasses import dataclass

from grader.feedback.model import Feedback
from grader.outcomes import Outcome
from grader.text import printable
from grader.views.terminal import OUTCOME_LOOK


@dataclass(frozen=True)
class _Row:
    label: str
    colour: str
    name: str
    hidden: bool
    score: float
    max_score: float
    why: str
    hint: str


def feedback_html(feedback: Feedback) -> str:
    """The table of checks, the total and the note on hidden checks; every text escaped by the page layer."""
    from grader.views.pages import render

    rows = [_Row(OUTCOME_LOOK[check.outcome].label, OUTCOME_LOOK[check.outcome].colour, check.name,
                 check.visibility == "hidden", feedback.score_of(check), check.max_score,
                 "" if check.outcome is Outcome.PASSED else printable(check.message),
                 printable(check.hint.text) if check.hint is not None else "")
            for check in feedback.checks]
    return str(render("feedback.html.j2", exercise=feedback.exercise, title=feedback.exercise_title, rows=rows,
                      score=feedback.score, max_score=feedback.max_score, message=feedback.message,
                      hidden_checks_run=feedback.hidden_checks_run))
