"""The verdict on one check: produced by the pytest plugin, consumed by the feedback builder."""

from __future__ import annotations

from dataclasses import dataclass

from grader.outcomes import Limit, Outcome


@dataclass(frozen=True)
class Hint:
    """A recognised beginner mistake: a stable id for reports and a sentence that names it."""

    id: str
    text: str


@dataclass(frozen=True)
class CheckResult:
    id: str
    name: str
    visibility: str          # "public" or "hidden"
    max_score: float
    outcome: Outcome
    message: str
    hint: Hint | None = None
    duration_s: float = 0.0
    internal_error: str | None = None   # with Outcome.INTERNAL_ERROR: what broke in the check (a grader bug)
    limit: Limit | None = None          # the resource limit that stopped the submission, if one did

    @property
    def score(self) -> float:
        """Fail closed: only an explicit pass from the trusted side earns points."""
        return self.max_score if self.outcome is Outcome.PASSED and self.internal_error is None else 0.0
