"""How the engine sums up a grading (`_status`), with the sandbox swapped for a script: milliseconds each."""

from __future__ import annotations

import dataclasses

import pytest

from conftest import ROOT, reference_script, scripted_grading
from grader.grading.engine import CheckRun, _status, grade
from grader.course.manifest import load_course
from grader.outcomes import Outcome, Status
from grader.feedback.results import CheckResult
from grader.sandbox.fake import ScriptedLauncher, ScriptedSession, not_importable, raises
from grader.sandbox.session import CallStatus, ErrorInfo

EXERCISE = load_course(ROOT / "course.yaml").exercise("02_backprop")
PASSED = CheckResult("public/a", "a", "public", 1.0, Outcome.PASSED, "correct")
FAILED = CheckResult("public/b", "b", "public", 1.0, Outcome.FAILED, "wrong")
BROKEN = not_importable(CallStatus.RAISED, error=ErrorInfo("NameError", "name 'np' is not defined", 2))


def report(import_failure=None):
    return ScriptedSession({}, import_failure=import_failure).close()


@pytest.mark.parametrize("run, import_failure, deadline, status, words", [
    (CheckRun((PASSED, FAILED)), None, False, Status.GRADED, "1 of 2 checks passed."),
    (CheckRun((PASSED, FAILED)), None, True, Status.TIMED_OUT, "time limit; checks that did not finish score 0. 1 of 2"),
    (CheckRun((FAILED,)), BROKEN, False, Status.SUBMISSION_BROKEN,
     "Your file could not be loaded: importing it raised NameError: name 'np' is not defined (line 2 of your file)."),
    (CheckRun((PASSED,), ("check x broke",)), BROKEN, True, Status.GRADER_FAILED, "this is not your fault"),
])
def test_the_status_says_whose_problem_it_is(run, import_failure, deadline, status, words):
    got, message = _status(run, report(import_failure), deadline)
    assert got is status and words in message, message


def test_a_submission_that_does_not_import_is_broken_and_scores_zero():
    feedback = scripted_grading(import_failure=BROKEN)
    assert feedback.status is Status.SUBMISSION_BROKEN and feedback.score == 0
    assert feedback.checks and all(check.outcome is Outcome.ERROR for check in feedback.checks)


def test_a_refused_file_never_reaches_the_sandbox(tmp_path):
    empty = tmp_path / "backprop.py"
    empty.write_text("\n")
    launcher = ScriptedLauncher(reference_script("02_backprop"))
    feedback = grade(EXERCISE, empty, launcher=launcher)
    assert feedback.status is Status.SUBMISSION_BROKEN and "the file is empty" in feedback.message
    assert launcher.sessions == []


def test_wrong_answers_are_graded_not_broken():
    feedback = scripted_grading(changes={"sigmoid": raises("ValueError", "math domain error", 7)})
    assert feedback.status is Status.GRADED and 0 < feedback.score < feedback.max_score
    assert feedback.message.startswith(f"{sum(c.outcome is Outcome.PASSED for c in feedback.checks)} of {len(feedback.checks)} checks passed.")


def test_points_that_disagree_with_course_yaml_fail_the_grader_not_the_student():
    launcher = ScriptedLauncher(reference_script("02_backprop"))
    feedback = grade(dataclasses.replace(EXERCISE, points=25), EXERCISE.stub_path, launcher=launcher)
    assert feedback.status is Status.GRADER_FAILED and feedback.score == 0
    assert "worth 30 points but course.yaml" in (feedback.grader_error or "") and "says 25" in feedback.grader_error


def test_public_only_gradings_never_run_hidden_checks():
    launcher = ScriptedLauncher(reference_script("02_backprop"))
    feedback = grade(EXERCISE, EXERCISE.stub_path, launcher=launcher, include_hidden=False)
    assert feedback.status is Status.GRADED and not feedback.hidden_checks_run
    assert {check.visibility for check in feedback.checks} == {"public"}
