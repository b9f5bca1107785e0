"""`pytest -p grader.grading.plugin CHECKS --submission FILE`: an author runs the course's checks under pytest
itself and gets the score and seed `grade` gives the same file (real pytest, real sandbox, real files)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from conftest import ROOT
from grader.course.manifest import load_course
from grader.grading.engine import grade

EXERCISE = load_course(ROOT / "course.yaml").exercise("02_backprop")


def run_pytest(*arguments: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pytest", "-p", "grader.grading.plugin", "-p", "no:cacheprovider",
                           "-q", "--tb=no", *arguments], cwd=ROOT, capture_output=True, text=True, timeout=300)


@pytest.mark.parametrize("submission", [EXERCISE.reference_path, EXERCISE.solution_dir / "cases" / "gradient_with_the_wrong_sign.py",
                                        EXERCISE.stub_path], ids=["reference", "a named mistake", "the stub"])
def test_pytest_with_the_plugin_scores_a_file_as_grade_does(submission):
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
