"""What running an exercise's checks against one submission gives the engine (no pytest import needed)."""

from __future__ import annotations

from dataclasses import dataclass, field

from grader.feedback.results import CheckResult


@dataclass(frozen=True)
class CheckRun:
    results: tuple[CheckResult, ...]
    problems: tuple[str, ...] = field(default_factory=tuple)   # grader-side failures, for grader_error
    collected: tuple[tuple[str, float], ...] = ()               # (check id, points) of every check that ran
