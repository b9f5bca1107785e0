"""Case files: named mistakes and hostile variants, each beside its expected verdict (DMOJ's testsuite style).

    solutions/NN_topic/cases/<name>.py     a whole submission with one mistake (or one attack)
    solutions/NN_topic/cases/<name>.yaml   what grading it must give:

        kind: mistake            # mistake | hostile
        mistake: the update steps along the gradient   # in words, for reports
        status: graded           # the feedback's status
        score: 24                # the feedback's score (a list: any of these, for an attack whose effect varies)
        checks:                  # every check NOT listed here must pass
          public/update_worked_example: {outcome: failed, hint: update-sign}
          hidden/update_random: {outcome: [failed, error]}   # several outcomes allowed; no hint key: no hint
          hidden/train_random: {outcome: [failed, passed], hint: h}   # caught under some seeds only: the hint
                                 # is checked when it fails, and `score` lists both totals
        roots:                   # optional: hints that claim only that a function is wrong (a cascade's root)
          update-is-wrong: update

`grade validate`, the tests, both benchmarks and `grade audit` read them. The audit takes each hint's
cases as the declaration of the mistake the hint names: a mutant has it when it behaves like the case on
a function the case gets wrong, or (for a hint in `roots`) when the named function is wrong.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from grader.course.model import Exercise
from grader.feedback.model import Feedback
from grader.outcomes import Outcome

CASES_DIR = "cases"
KINDS = ("mistake", "hostile")


class CaseFileError(ValueError):
    """A case's YAML is not in the format above."""


@dataclass(frozen=True)
class ExpectedCheck:
    outcomes: tuple[str, ...]
    hint: str | None


@dataclass(frozen=True)
class Case:
    name: str
    path: Path          # the submission
    kind: str
    mistake: str
    status: str
    score: tuple[float, ...]
    checks: dict[str, ExpectedCheck]
    roots: dict[str, str] = field(default_factory=dict)   # hint id -> the function whose fault it names

    @property
    def hints(self) -> set[str]:
        return {check.hint for check in self.checks.values() if check.hint}

    def source(self) -> str:
        return self.path.read_text(encoding="utf-8")


def cases_of(exercise: Exercise, kind: str | None = None) -> list[Case]:
    """The exercise's cases in name order (none if it has no cases folder)."""
    folder = exercise.solution_dir / CASES_DIR
    cases = [load_case(path) for path in sorted(folder.glob("*.yaml"))] if folder.is_dir() else []
    return [case for case in cases if kind is None or case.kind == kind]


def load_case(expected: Path) -> Case:
    try:
        data: Any = yaml.safe_load(expected.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise CaseFileError(f"{expected}: not YAML ({exc})") from None
    if not isinstance(data, dict) or not {"kind", "mistake", "status", "score"} <= data.keys():
        raise CaseFileError(f"{expected}: needs kind, mistake, status and score")
    if data["kind"] not in KINDS:
        raise CaseFileError(f"{expected}: kind must be one of {', '.join(KINDS)}")
    submission = expected.with_suffix(".py")
    if not submission.is_file():
        raise CaseFileError(f"{expected}: no submission {submission.name} beside it")
    checks: dict[str, ExpectedCheck] = {}
    for check_id, spec in (data.get("checks") or {}).items():
        if not isinstance(spec, dict) or "outcome" not in spec:
            raise CaseFileError(f"{expected}: check {check_id} needs an outcome")
        outcomes = spec["outcome"] if isinstance(spec["outcome"], list) else [spec["outcome"]]
        unknown = [o for o in outcomes if o not in {item.value for item in Outcome}]
        if unknown:
            raise CaseFileError(f"{expected}: check {check_id}: unknown outcome {unknown[0]!r}")
        checks[check_id] = ExpectedCheck(tuple(outcomes), spec.get("hint"))
    return Case(expected.stem, submission, data["kind"], str(data["mistake"]), str(data["status"]),
                tuple(float(v) for v in (data["score"] if isinstance(data["score"], list) else [data["score"]])), checks, dict(data.get("roots") or {}))


def mismatches(case: Case, feedback: Feedback) -> list[str]:
    """How the grading differs from the case's expected verdict (empty: as expected)."""
    problems = []
    if feedback.status.value != case.status:
        problems.append(f"status is {feedback.status.value}, expected {case.status}")
    if not any(abs(feedback.score - score) <= 1e-9 for score in case.score):
        problems.append(f"score is {feedback.score:g}, expected {' or '.join(f'{s:g}' for s in case.score)}")
    graded = {check.id: check for check in feedback.checks}
    for check_id in sorted(set(case.checks) - set(graded)):
        problems.append(f"{check_id} did not run")
    for check_id, check in graded.items():
        expected = case.checks.get(check_id, ExpectedCheck((Outcome.PASSED.value,), None))
        hint = check.hint.id if check.hint else None
        if check.outcome.value not in expected.outcomes:
            problems.append(f"{check_id} {check.outcome.value}, expected {'/'.join(expected.outcomes)}")
        elif check.outcome is not Outcome.PASSED and hint != expected.hint:   # a passed check has no hint
            problems.append(f"{check_id} hint {hint or 'none'}, expected {expected.hint or 'none'}")
    return problems
