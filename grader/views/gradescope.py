"""Gradescope's results.json as a projection of the feedback: same scores, no second code path."""

from __future__ import annotations

from typing import Any

from grader.feedback.model import Feedback
from grader.outcomes import Outcome, Status

_VISIBILITY = {"public": "visible", "hidden": "after_published"}


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
