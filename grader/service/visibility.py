"""What a student may see of the hidden checks before the exercise's due time (course.yaml `hidden_before_due`), in
the spirit of Gradescope's visibility settings, as a pure function of the feedback document and the time.

- `full` (the default, and every exercise after its due time): the document as graded.
- `outcome_and_hint`: each hidden check's name, outcome, points and hint; no messages.
- `score_only`: the hidden checks' points together (one row for those passed, one for the rest), no names, no
  count, no messages, no hints.

Both restricted views leave out the program's printed output (a hidden check's inputs may be printed there), the
grader's error text and the hidden checks' durations and limits, and give the grading's time in whole seconds only (a
program can take as long as a hidden input says: timing is a channel too); they say in the document's message until
when the hidden checks are held back. What is shown is itself a valid feedback document: every view (`grade submit`, the web page, Jupyter) reads it as any
other. The stored document stays whole; the instructor sees it all.
"""

from __future__ import annotations

import dataclasses
import math
import re
from datetime import datetime
from typing import Any

from grader.course.model import Exercise
from grader.feedback.model import Feedback, FeedbackError, OutputTail
from grader.feedback.results import CheckResult
from grader.outcomes import Outcome
from grader.service.policies import shown_time

FULL, OUTCOME_AND_HINT, SCORE_ONLY = "full", "outcome_and_hint", "score_only"
HELD_BACK = "details after the due time"
_SUMMARY = re.compile(r"\b\d+ of \d+ checks passed\.")


def hidden_view(exercise: Exercise, now: datetime) -> str:
    """What students see of the exercise's hidden checks at `now`: its setting until the due time, then full."""
    if exercise.due is None or now >= exercise.due:
        return FULL
    return exercise.hidden_before_due


def visible_document(document: dict[str, Any] | None, exercise: Exercise, now: datetime) -> dict[str, Any] | None:
    """The feedback document as the student may see it at `now`; None when it cannot be read (a restricted view
    fails closed: it never passes on a document it could not take apart)."""
    view = hidden_view(exercise, now)
    if document is None or view == FULL:
        return document
    try:
        feedback = Feedback.from_dict(document)
    except FeedbackError:
        return None
    return held_back(feedback, view, exercise.due).to_dict()


def held_back(feedback: Feedback, view: str, due: datetime | None) -> Feedback:
    """The feedback with its hidden checks shown as `view` allows (see the module)."""
    if view == FULL:
        return feedback
    until = f"until {shown_time(due)}" if due is not None else "for now"
    public = [check for check in feedback.checks if check.visibility != "hidden"]
    hidden = [check for check in feedback.checks if check.visibility == "hidden"]
    if view == OUTCOME_AND_HINT:
        checks = [_without_message(check) if check.visibility == "hidden" else check for check in feedback.checks]
        said = f"The hidden checks show their outcome and hint only {until}; your program's output too."
        message = feedback.message
    else:
        checks = public + _totals(hidden, feedback)
        said = f"The hidden checks show only the points they earned together {until}; your program's output too."
        passed = sum(1 for check in public if check.outcome is Outcome.PASSED)
        message = _SUMMARY.sub(f"{passed} of {len(public)} public checks passed.", feedback.message)
    return dataclasses.replace(
        feedback, checks=tuple(_untimed(check) for check in checks), message=f"{message} {said}".strip(),
        output=OutputTail("", "", 0, 0, False), duration_s=float(math.ceil(feedback.duration_s)), student_s=None,
        grader_s=None,
        grader_error=f"the grader failed ({HELD_BACK})" if feedback.grader_error else None)


def _untimed(check: CheckResult) -> CheckResult:
    """A hidden check without its duration and the limit that stopped it: what a program chooses to take (time,
    memory, processes) is a channel for the inputs it was given; the outcome says enough."""
    return dataclasses.replace(check, duration_s=0.0, limit=None) if check.visibility == "hidden" else check


def _without_message(check: CheckResult) -> CheckResult:
    return dataclasses.replace(check, message="" if check.outcome is Outcome.PASSED else f"({HELD_BACK})",
                               internal_error="a check of the grader broke" if check.internal_error else None)


def _totals(hidden: list[CheckResult], feedback: Feedback) -> list[CheckResult]:
    """The hidden checks as at most two rows: the points earned, and the points not earned."""
    earned = [check for check in hidden if feedback.score_of(check) > 0]
    missed = [check for check in hidden if feedback.score_of(check) <= 0]
    rows = []
    if earned:
        rows.append(CheckResult("hidden/earned", "hidden checks: points earned", "hidden",
                                sum(check.max_score for check in earned), Outcome.PASSED, ""))
    if missed:
        rows.append(CheckResult("hidden/not_earned", "hidden checks: points not earned", "hidden",
                                sum(check.max_score for check in missed), Outcome.FAILED, f"({HELD_BACK})"))
    return rows
