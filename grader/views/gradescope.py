"""Gradescope's results.json as a projection of the feedback: same scores, no second code path."""

from __future__ import annotations

from typing import Any

from grader.feedback.model import Feedback
from grader.outcomes import Outcome, Status

_VISIBILITY = {"public": "visible", "hidden": "after_published"}
INSTRUCTORS_ONLY = "hidden"   # Gradescope never shows such a test to students; instructors always see it


def grader_error_test(grader_error: str) -> dict[str, Any]:
    """The grader's own failure, for the instructor: a test worth nothing that students never see."""
    return {"name": "The grader failed (for instructors)", "score": 0, "max_score": 0, "status": "failed",
            "output": f"{grader_error}\nThe submission is not at fault as far as the grader knows; fix the cause and "
                      "regrade.", "visibility": INSTRUCTORS_ONLY}


def to_gradescope(feedback: Feedback) -> dict[str, Any]:
    tests = []
    for check in feedback.checks:
        output = check.message
        if check.hint is not None:
            output += f"\nHint: {check.hint.text}"
        tests.append({
            "name": check.name,
            "number": check.id,
            "score": feedback.score_of(check),
            "max_score": check.max_score,
            "status": "passed" if check.outcome is Outcome.PASSED else "failed",
            "output": output,
            "visibility": _VISIBILITY[check.visibility],
        })
    summary = feedback.message
    if feedback.status is Status.GRADER_FAILED:
        summary += " (The grader failed; your instructor will regrade this submission.)"
    return {
        "score": feedback.score,
        "execution_time": round(feedback.duration_s, 3),
        "output": summary,
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": tests,
    }
