"""`grade validate`: prove the course is consistent before students ever see it.

Every reference solution must earn full marks (under more than one seed), every untouched stub
must earn 0 without a grader failure, every feedback document must be schema-valid,
course.yaml must agree with the checks' points (which every grading checks), and every case file
(solutions/NN/cases/<name>.yaml: its change to the reference and its verdict) must be graded as it says.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterable, Iterator

from grader.audit.cases import CaseFileError, case_submission, cases_of, mismatches
from grader.audit.sources import source_findings
from grader.course.model import Course, Exercise
from grader.grading.check_files import unsupported_in
from grader.grading.engine import grade
from grader.feedback.model import Feedback, schema_errors
from grader.outcomes import Outcome, Status
from grader.sandbox.session import Launcher

VALIDATION_SEEDS = (None, 20261121)   # the file's own seed, then a fixed second one


@dataclass(frozen=True)
class Finding:
    exercise: str
    ok: bool
    what: str


def validate_course(course: Course, launcher: Launcher | None = None,
                    also: Callable[[Exercise], Iterable[Finding]] | None = None) -> list[Finding]:
    """Without a launcher, each exercise is graded in a warm template of its own (as `grade batch` grades)
    where bubblewrap works: a Keras exercise's references, stub and case files then share one TensorFlow
    import instead of paying it in every cold sandbox. Broken entries of course.yaml fail first; `also` gives
    more findings per exercise, listed first (the command adds its notebook's, which this layer cannot build).
    What can be read without grading (sources.py) is checked before any grading."""
    findings = [Finding(broken.id, False, str(problem)) for broken in course.broken for problem in broken.problems]
    for exercise in course.exercises:
        findings += list(also(exercise)) if also is not None else []
        own = _warm_launcher(exercise) if launcher is None else None
        try:
            findings += list(_validate_exercise(course, exercise, launcher or own))
        finally:
            getattr(own, "close", lambda: None)()
    return findings


def _warm_launcher(exercise: Exercise) -> Launcher | None:
    from grader.batch.runner import batch_launcher
    from grader.sandbox.launchers import bwrap_problem

    return batch_launcher(exercise, strong=True) if bwrap_problem() is None else None


def _validate_exercise(course: Course, exercise: Exercise, launcher: Launcher | None) -> Iterator[Finding]:
    def finding(ok: bool, what: str) -> Finding:
        return Finding(exercise.id, ok, what)

    if not exercise.hidden_checks.is_file():
        yield finding(False, f"no hidden checks at {exercise.hidden_checks.relative_to(course.root)}")
        return
    unsupported = [problem for path in exercise.check_files() for problem in unsupported_in(path)]
    if unsupported:   # every grading would be a grader failure: say where and what is allowed, once
        yield from (finding(False, f"the grader does not run this check as written: {problem}") for problem in unsupported)
        return
    yield from source_findings(finding, course, exercise)

    for seed in VALIDATION_SEEDS:
        feedback = grade(exercise, exercise.reference_path, seed=seed, launcher=launcher)
        yield from _schema_finding(finding, feedback, "reference")
        label = f"reference solution (seed {feedback.seed})"
        if feedback.status is not Status.GRADED:
            yield finding(False, f"{label} was not graded normally: {feedback.status.value}: "
                                 f"{feedback.grader_error or feedback.message}")
            continue
        missed = [check.id for check in feedback.checks if check.outcome is not Outcome.PASSED]
        if missed:
            details = "; ".join(f"{c.id}: {c.outcome.value}: {c.message}" for c in feedback.checks if c.id in missed)
            yield finding(False, f"{label} scores {feedback.score:g}/{feedback.max_score:g}; not passed: {details}")
        else:
            yield finding(True, f"{label} earns full marks ({feedback.score:g}/{feedback.max_score:g})")
        if seed is None:
            yield from _points_findings(finding, feedback)

    stub = grade(exercise, exercise.stub_path, launcher=launcher)
    yield from _schema_finding(finding, stub, "stub")
    if stub.status is not Status.GRADED:
        yield finding(False, f"the stub was not graded normally: {stub.status.value}: {stub.grader_error or stub.message}")
    elif stub.score != 0:
        passed = [check.id for check in stub.checks if check.outcome is Outcome.PASSED]
        yield finding(False, f"the untouched stub earns {stub.score:g} points (passes {', '.join(passed)})")
    else:
        yield finding(True, f"the untouched stub earns 0/{stub.max_score:g} without a grader failure")
    yield from _case_findings(finding, exercise, launcher)


def _case_findings(finding, exercise: Exercise, launcher: Launcher | None) -> Iterator[Finding]:
    """Each named mistake and hostile variant is graded as its expected verdict says."""
    try:
        cases = cases_of(exercise)
    except CaseFileError as exc:
        yield finding(False, f"a case file is malformed: {exc}")
        return
    for case in cases:
        try:
            with case_submission(case) as submission:
                feedback = grade(exercise, submission, launcher=launcher)
        except CaseFileError as exc:   # its change no longer applies to the reference: which, where and what to do
            yield finding(False, f"case {case.name}: {exc}")
            continue
        yield from _schema_finding(finding, feedback, f"case {case.name}")
        problems = mismatches(case, feedback)
        if problems:
            yield finding(False, f"case {case.name} ({case.mistake}) is not graded as expected: {'; '.join(problems)}")
        else:
            yield finding(True, f"case {case.name} is graded as expected ({feedback.score:g}/{feedback.max_score:g})")


def _schema_finding(finding, feedback: Feedback, what: str) -> Iterator[Finding]:
    problems = schema_errors(feedback.to_dict())
    if problems:
        yield finding(False, f"the {what}'s feedback breaks the schema: {'; '.join(problems[:3])}")


def _points_findings(finding, feedback: Feedback) -> Iterator[Finding]:
    """What a grading cannot refuse on its own. (Points that disagree with course.yaml make every grading a
    grader failure, which the engine explains; the reference's finding above then names it.)"""
    unpointed = [check.id for check in feedback.checks if check.max_score <= 0]
    if unpointed:
        yield finding(False, f"checks without points (add @pytest.mark.points(n)): {', '.join(unpointed)}")
    ids = [check.id for check in feedback.checks]
    if len(ids) != len(set(ids)):
        yield finding(False, f"check ids repeat: {sorted({i for i in ids if ids.count(i) > 1})}")
    if not any(check.visibility == "hidden" for check in feedback.checks):
        yield finding(False, "no hidden checks ran")
