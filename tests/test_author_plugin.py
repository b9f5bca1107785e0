"""`pytest -p grader.grading.plugin CHECKS --submission FILE`: an author runs the course's checks under pytest
itself and gets the score and seed `grade` gives the same file (real pytest, real sandbox, real files)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from conftest import ROOT
from grader.audit.cases import Case, case_submission, cases_of
from grader.course.manifest import load_course
from grader.grading.engine import grade

EXERCISE = load_course(ROOT / "course.yaml").exercise("02_backprop")


def run_pytest(*arguments: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pytest", "-p", "grader.grading.plugin", "-p", "no:cacheprovider",
                           "-q", "--tb=no", *arguments], cwd=ROOT, capture_output=True, text=True, timeout=300)


NAMED_MISTAKE = next(case for case in cases_of(EXERCISE) if case.name == "gradient_with_the_wrong_sign")


@pytest.mark.parametrize("submission", [EXERCISE.reference_path, NAMED_MISTAKE, EXERCISE.stub_path],
                         ids=["reference", "a named mistake", "the stub"])
def test_pytest_with_the_plugin_scores_a_file_as_grade_does(submission):
    if isinstance(submission, Case):   # the case file's change, made to the reference
        with case_submission(submission) as path:
            _scores_as_grade_does(path)
    else:
        _scores_as_grade_does(submission)


def _scores_as_grade_does(submission):
    assert submission.is_file(), submission
    run = run_pytest(str(EXERCISE.public_checks), str(EXERCISE.hidden_checks), "--submission", str(submission))
    feedback = grade(EXERCISE, submission)
    summary = f"grader: {feedback.score:g} of {feedback.max_score:g} points, seed {feedback.seed}"
    assert summary in run.stdout, run.stdout[-2000:] + run.stderr[-2000:]
    failed = {check.id.split("/", 1)[1] for check in feedback.checks if check.score == 0}
    reported = {line.split("::test_", 1)[1].split(" ")[0] for line in run.stdout.splitlines() if line.startswith("FAILED")}
    assert reported == failed


def test_the_plugin_needs_a_submission():
    run = run_pytest(str(EXERCISE.public_checks))
    assert run.returncode == pytest.ExitCode.USAGE_ERROR and "give --submission PATH" in run.stderr, run.stderr
