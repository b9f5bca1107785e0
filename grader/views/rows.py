"""One student's line in a batch's exports (CSV, report): built by the batch, read by the views."""

from __future__ import annotations

from dataclasses import dataclass

from grader.feedback.model import Feedback


@dataclass(frozen=True)
class StudentRow:
    student: str
    status: str                  # a Status value, or the gradebook's no_submission
    feedback: Feedback | None    # the latest feedback, when there is a readable one
    problem: str | None = None   # why there is no feedback, or why it cannot be used

    @property
    def note(self) -> str:
        """What an instructor should know about this row: the problem, else what broke in the grader."""
        if self.problem:
            return self.problem
        return (self.feedback.grader_error or "") if self.feedback is not None else ""
