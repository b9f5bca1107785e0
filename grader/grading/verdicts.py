"""How a check ends without passing: the student's answer was wrong, or the call gave no answer.

Kept apart from the check helpers (and numpy) so the proxy that raises them is light to import.
"""

from __future__ import annotations

from typing import NoReturn

from grader.outcomes import Outcome
from grader.feedback.results import Hint


class CheckFailed(AssertionError):
    """The submission answered and the answer is wrong."""

    def __init__(self, message: str, hint: Hint | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


class SubmissionFailure(Exception):
    """A call produced no value (raised, hung, crashed ...); the check's outcome says which."""

    def __init__(self, outcome: Outcome, message: str, hint: Hint | None = None, limit: str | None = None) -> None:
        super().__init__(message)
        self.outcome = outcome
        self.message = message
        self.hint = hint   # a check may catch the failure, name the likely mistake and re-raise
        self.limit = limit  # which resource limit stopped the call, if one did


def fail(message: str, hint: Hint | None = None) -> NoReturn:
    """End the check as failed (the submission answered, wrongly) with `message` for the student and, where the
    mistake is a known one, its `hint`."""
    raise CheckFailed(message, hint)
