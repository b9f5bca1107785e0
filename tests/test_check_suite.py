"""Checks collected once per process and rerun per submission (`grader.grading.suite`) leak nothing from one
student to the next: a check module's caches, a list an `lru_cache` hands out and the global random generators
start every submission as they were after collection. The sandbox is a script: milliseconds each."""

from __future__ import annotations

import dataclasses
import textwrap

import pytest

from conftest import ROOT
from grader.course.manifest import load_course
from grader.feedback.outcomes import Outcome, Status
from grader.grading.engine import grade
from grader.grading.suite import drop_suites, suite_for
from grader.sandbox.fake import ScriptedLauncher, returns

EXERCISE = load_course(ROOT / "course.yaml").exercise("02_backprop")

STATEFUL_CHECKS = textwrap.dedent('''
    import functools
    import random

    import numpy as np
    import pytest

    from grader.checks import fail

    _ANSWERS = {}
    DRAWS = []


    def remembered(submission):
        """A module-level cache of the student's answer."""
        if "value" not in _ANSWERS:
            _ANSWERS["value"] = submission.value()
        return _ANSWERS["value"]


    @functools.lru_cache(maxsize=None)
    def doubled(value):
        return [value * 2]   # the same list for every caller, as long as the cache lives


    @pytest.mark.points(1)
    def test_value(submission):
        """value() returns 2"""
        got = remembered(submission)
        if got != 2:
            fail(f"value() returned {got}")


    @pytest.mark.points(1)
    def test_cached_list(submission):
        """a cached list holds this student's answer only"""
        listed = doubled(2)
        listed.append(submission.value())
        if listed != [4, 2]:
            fail(f"the list is {listed}")


    @pytest.mark.points(1)
    def test_global_generators(submission):
        """draws from the global generators, then reseeds them with the student's answer"""
        DRAWS.append((float(np.random.random()), random.random()))
        np.random.seed(submission.value())
        random.seed(submission.value())
        fail(f"draws so far: {DRAWS}")
''')

FALLBACK_CHECKS = textwrap.dedent('''
    import pytest


    @pytest.fixture
    def doubled(submission):
        return submission.value() * 2


    @pytest.mark.points(1)
    @pytest.mark.parametrize("factor", [1, 3])
    def test_scaled(submission, doubled, factor):
        assert doubled * factor == 4 * factor
''')


def exercise_with(tmp_path, checks: str):
    folder = tmp_path / "exercises" / "99_state"
    folder.mkdir(parents=True)
    (folder / "public_checks.py").write_text(checks)
    (folder / "state.py").write_text("def value():\n    raise NotImplementedError\n")
    return dataclasses.replace(EXERCISE, id="99_state", entry="state.py", points=3, exercise_dir=folder,
                               solution_dir=tmp_path / "solutions" / "99_state")


def student(tmp_path, name: str, value: int):
    path = tmp_path / name / "state.py"
    path.parent.mkdir()
    path.write_text(f"def value():\n    return {value}\n")
    return path


def verdicts(feedback):
    return [(check.id, check.outcome, check.message, check.score) for check in feedback.checks]


@pytest.fixture
def launcher():
    """Each file answers value() with the number written in it."""
    return ScriptedLauncher(lambda path: {"value": returns(int(path.read_text().split("return ")[1]))})


def test_grading_a_then_b_gives_b_exactly_what_b_gets_alone(tmp_path, launcher):
    exercise = exercise_with(tmp_path, STATEFUL_CHECKS)
    a, b = student(tmp_path, "a", 1), student(tmp_path, "b", 2)
    files = exercise.check_files()
    rootdir = exercise.exercise_dir.parent.parent

    drop_suites()
    alone = grade(exercise, b, launcher=launcher)
    drop_suites()
    first = grade(exercise, a, launcher=launcher)
    suite = suite_for(files, None, None, rootdir)
    after_a = grade(exercise, b, launcher=launcher)
    again = grade(exercise, b, launcher=launcher)

    assert suite is not None and suite_for(files, None, None, rootdir) is suite, "the suite was not reused"
    assert alone.status is Status.GRADED and alone.score == 2, verdicts(alone)
    assert verdicts(first) != verdicts(alone)   # A differs, so B could have inherited something of A's
    assert verdicts(after_a) == verdicts(alone)
    assert verdicts(again) == verdicts(alone)
    drop_suites()


def test_checks_a_suite_cannot_rerun_are_graded_by_a_fresh_pytest_run(tmp_path, launcher):
    exercise = exercise_with(tmp_path, FALLBACK_CHECKS)
    exercise = dataclasses.replace(exercise, points=2)
    rootdir = exercise.exercise_dir.parent.parent
    assert suite_for(exercise.check_files(), None, None, rootdir) is None
    for value, score in ((2, 2), (1, 0), (2, 2)):
        feedback = grade(exercise, student(tmp_path, f"s{value}{score}{len(list(tmp_path.iterdir()))}", value),
                         launcher=launcher)
        assert feedback.status is Status.GRADED and feedback.score == score, verdicts(feedback)
        assert all(check.outcome in (Outcome.PASSED, Outcome.FAILED) for check in feedback.checks)


def test_a_check_file_changed_on_disk_is_collected_again(tmp_path, launcher):
    exercise = exercise_with(tmp_path, STATEFUL_CHECKS)
    b = student(tmp_path, "b", 2)
    assert grade(exercise, b, launcher=launcher).score == 2
    checks = exercise.public_checks
    checks.write_text(checks.read_text().replace("if got != 2:", "if got != 3:"))
    assert grade(exercise, b, launcher=launcher).score == 1
