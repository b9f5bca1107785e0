"""Gradescope's results.json as a projection of the feedback document: same scores, no second code path."""

from __future__ import annotations

from typing import Any

_VISIBILITY = {"public": "visible", "hidden": "after_published"}


def to_gradescope(document: dict[str, Any]) -> dict[str, Any]:
    tests = []
    for check in document["checks"]:
        output = check["message"]
        if check.get("hint"):
            output += f"\nHint: {check['hint']}"
        tests.append({
            "name": check["name"],
            "number": check["id"],
            "score": check["score"],
            "max_score": check["max_score"],
            "status": "passed" if check["outcome"] == "passed" else "failed",
            "output": output,
            "visibility": _VISIBILITY[check["visibility"]],
        })
    summary = document["message"]
    if document["status"] == "grader_failed":
        summary += " (The grader failed; your instructor will regrade this submission.)"
    return {
        "score": document["score"],
        "execution_time": document["timing"]["duration_s"],
        "output": summary,
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": tests,
    }
