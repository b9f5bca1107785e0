"""Case files: named mistakes and hostile variants, each beside its expected verdict (DMOJ's testsuite style).

    solutions/NN_topic/cases/<name>.yaml   the submission, as its change to the reference, and what grading it
                                           must give:

        kind: mistake            # mistake | hostile
        mistake: the update steps along the gradient   # in words, for reports
        change:                  # replacements made in order to the reference (solutions/NN_topic/<entry>.py);
        - old: |2                # each `old` is whole lines that occur exactly once in the text it meets
                return {name: params[name] - learning_rate * grads[name] for name in params}
          new: |2                # (`|2`: the block keeps the first line's own indentation)
                return {name: params[name] + learning_rate * grads[name] for name in params}
        status: graded           # the feedback's status
        score: 24                # the feedback's score (a list: any of these, for an attack whose effect varies)
        checks:                  # every check NOT listed here must pass
          public/update_worked_example: {outcome: failed, hint: update-sign}
          hidden/update_random: {outcome: [failed, error]}   # several outcomes allowed; no hint key: no hint
          hidden/train_random: {outcome: [failed, passed], hint: h}   # caught under some seeds only: the hint
                                 # is checked when it fails, and `score` lists both totals
        roots:                   # optional: hints that claim only that a function is wrong (a cascade's root)
          update-is-wrong: update

A case not derived from the reference (written from scratch) has no `change:` and its whole submission beside
the YAML instead: <name>.py, <name>.ipynb or a folder <name>/. `Case.source()` and `case_submission()` are the one
way to read a case's submission: `grade validate`, the tests, both benchmarks and `grade audit` use them, and a
change that no longer applies to the reference is reported (CaseChangeError) with its case, number and text.
The audit takes each hint's cases as the declaration of the mistake the hint names: a mutant has it when it
behaves like the case on a function the case gets wrong, or (for a hint in `roots`) when the named function is
wrong.
"""

from __future__ import annotations

import shutil
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

import yaml

from grader.audit.changes import ChangeDoesNotApply, Replacement, apply_changes
from grader.course.model import Exercise
from grader.feedback.model import Feedback
from grader.outcomes import Outcome

CASES_DIR = "cases"
KINDS = ("mistake", "hostile")
WHOLE_SUBMISSIONS = (".py", ".ipynb", "")   # a case written from scratch: <name>.py, <name>.ipynb or <name>/


class CaseFileError(ValueError):
    """A case's YAML is not in the format above."""


class CaseChangeError(CaseFileError):
    """A case's change no longer applies to the reference (its `old` text is gone, or occurs more than once)."""


@dataclass(frozen=True)
class ExpectedCheck:
    outcomes: tuple[str, ...]
    hint: str | None


@dataclass(frozen=True)
class Case:
    name: str
    expected: Path      # the YAML
    kind: str
    mistake: str
    status: str
    score: tuple[float, ...]
    checks: dict[str, ExpectedCheck]
    roots: dict[str, str] = field(default_factory=dict)   # hint id -> the function whose fault it names
    change: tuple[Replacement, ...] = ()   # made to the reference, in order
    reference: Path | None = None          # the reference the change is made to
    whole: Path | None = None              # or the whole submission, for a case not derived from the reference

    @property
    def hints(self) -> set[str]:
        return {check.hint for check in self.checks.values() if check.hint}

    def source(self) -> str:
        """The submission's text: the reference with the change made (CaseChangeError when it no longer applies)."""
        if self.whole is not None:
            if self.whole.is_dir():
                raise CaseFileError(f"{_shown(self.whole)} is a folder: grade it through case_submission()")
            return self.whole.read_text(encoding="utf-8")
        assert self.reference is not None
        reference = self.reference.read_text(encoding="utf-8")
        try:
            return apply_changes(reference, self.change)
        except ChangeDoesNotApply as exc:
            raise CaseChangeError(_does_not_apply(self, exc)) from None


def _shown(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _does_not_apply(case: Case, exc: ChangeDoesNotApply) -> str:
    assert case.reference is not None
    found = "no longer occurs in it" if exc.count == 0 else "now occurs there more than once"
    looked_for = "".join(f"    | {line}\n" for line in exc.old.splitlines()) or "    | (nothing)\n"
    earlier = f" (after changes 1-{exc.index} are made)" if exc.index else ""
    return (f"{_shown(case.expected)}: change {exc.index + 1} of {exc.total} no longer applies to the reference "
            f"{_shown(case.reference)}: its old text {found}{earlier}. It looked for:\n{looked_for}"
            f"What to do: find what this case changes in today's reference and copy those whole lines into `old:` "
            f"(and the changed lines into `new:`){'; add a neighbouring line to both so old occurs once' if exc.count else ''}. "
            f"Then run `grade validate --exercise {case.expected.parent.parent.name}`.")


@contextmanager
def case_submission(case: Case) -> Iterator[Path]:
    """The case's submission as a file to grade: the whole one beside the YAML, or its change made to the reference
    in a temporary folder (under the reference's name) that is removed afterwards."""
    if case.whole is not None:
        yield case.whole
        return
    assert case.reference is not None
    source = case.source()
    folder = Path(tempfile.mkdtemp(prefix=f"grader-case-{case.name[:40]}-"))
    try:
        path = folder / case.reference.name
        path.write_text(source, encoding="utf-8")
        yield path
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def cases_of(exercise: Exercise, kind: str | None = None) -> list[Case]:
    """The exercise's cases in name order (none if it has no cases folder)."""
    folder = exercise.solution_dir / CASES_DIR
    cases = [load_case(path, exercise.reference_path) for path in sorted(folder.glob("*.yaml"))] if folder.is_dir() else []
    return [case for case in cases if kind is None or case.kind == kind]


def load_case(expected: Path, reference: Path | None = None) -> Case:
    """One case from its YAML; a `change:` is made to `reference` when the submission is read (Case.source)."""
    try:
        data: Any = yaml.safe_load(expected.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise CaseFileError(f"{expected}: not YAML ({exc})") from None
    if not isinstance(data, dict) or not {"kind", "mistake", "status", "score"} <= data.keys():
        raise CaseFileError(f"{expected}: needs kind, mistake, status and score")
    if data["kind"] not in KINDS:
        raise CaseFileError(f"{expected}: kind must be one of {', '.join(KINDS)}")
    change = _change(expected, data.get("change"))
    wholes = [expected.with_suffix(suffix) for suffix in WHOLE_SUBMISSIONS if expected.with_suffix(suffix).exists()]
    if change and wholes:
        raise CaseFileError(f"{expected}: has a `change:` and a whole submission {wholes[0].name} beside it: "
                            f"keep one (the change, unless the case is not derived from the reference)")
    if not change and not wholes:
        raise CaseFileError(f"{expected}: needs a `change:` list of {{old, new}} replacements to the reference, "
                            f"or a whole submission {expected.stem}.py beside it")
    if change and reference is None:
        raise CaseFileError(f"{expected}: has a `change:` but no reference to make it to")
    checks: dict[str, ExpectedCheck] = {}
    for check_id, spec in (data.get("checks") or {}).items():
        if not isinstance(spec, dict) or "outcome" not in spec:
            raise CaseFileError(f"{expected}: check {check_id} needs an outcome")
        outcomes = spec["outcome"] if isinstance(spec["outcome"], list) else [spec["outcome"]]
        unknown = [o for o in outcomes if o not in {item.value for item in Outcome}]
        if unknown:
            raise CaseFileError(f"{expected}: check {check_id}: unknown outcome {unknown[0]!r}")
        checks[check_id] = ExpectedCheck(tuple(outcomes), spec.get("hint"))
    return Case(expected.stem, expected, data["kind"], str(data["mistake"]), str(data["status"]),
                tuple(float(v) for v in (data["score"] if isinstance(data["score"], list) else [data["score"]])), checks,
                dict(data.get("roots") or {}), change, reference if change else None, wholes[0] if wholes else None)


def _change(expected: Path, items: Any) -> tuple[Replacement, ...]:
    if items is None:
        return ()
    if not isinstance(items, list) or not items:
        raise CaseFileError(f"{expected}: `change:` must be a list of {{old: ..., new: ...}} replacements")
    for number, item in enumerate(items, 1):
        if not isinstance(item, dict) or set(item) != {"old", "new"} or not all(isinstance(v, str) for v in item.values()):
            raise CaseFileError(f"{expected}: change {number} must have exactly the text keys `old` and `new`")
        if not item["old"]:
            raise CaseFileError(f"{expected}: change {number}: `old` is empty (it names the lines the change replaces)")
    return tuple(Replacement(item["old"], item["new"]) for item in items)


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
