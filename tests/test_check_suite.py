"""Checks collected once per process and rerun per submission (`grader.grading.suite`) leak nothing from one
student to the next: a check module's caches, a list an `lru_cache` hands out and the global random generators
start every submission as they were after collection. The sandbox is a script: milliseconds each."""

from __future__ import annotations

import dataclasses
import textwrap

import pytest

from conftest import ROOT
from grader.course.manifest import load_course
from grader.outcomes import Outcome, Status
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


VERDICT_CHECKS = textwrap.dedent('''
    import pytest

    from grader.checks import Hint, fail


    @pytest.mark.points(1)
    def test_passes(submission):
        assert submission.value() == 2


    @pytest.mark.points(1)
    def test_fails_with_a_hint(submission):
        if submission.value() != 3:
            fail(f"value() returned {submission.value()}", Hint("not-three", "Return three."))


    @pytest.mark.points(1)
    def test_plain_assert(submission):
        assert submission.value() == 5


    @pytest.mark.points(1)
    def test_draws_from_its_own_generator(submission, rng, seed):
        fail(f"{submission.value()} {rng.integers(10**9)} {seed}")


    @pytest.mark.points(1)
    def test_missing_function(submission):
        submission.nothing_here()


    @pytest.mark.points(1)
    def test_cannot_compute_with_the_answer(submission):
        submission.value()
        [][submission.value()]


    @pytest.mark.points(1)
    def test_a_bug_of_the_check(submission):
        undefined_name


    @pytest.mark.points(1)
    def test_skips(submission):
        pytest.skip("checks do not skip")


    @pytest.mark.points(1)
    def test_needs_the_reference(submission, reference):
        pass
''')


def test_plain_checks_run_without_pytests_protocol_and_get_the_verdicts_it_gives(tmp_path, launcher, monkeypatch):
    """The suite's direct run, pytest's run protocol on the collected items, and a fresh pytest run agree on
    every verdict: pass, fail with a hint, assert, the check's own generator, a missing function, a value the
    check cannot use, a check's bug, a skip and a fixture that fails in set-up."""
    import grader.grading.suite as suite_module
    from grader.grading.plugin import GradingPlugin

    exercise = dataclasses.replace(exercise_with(tmp_path, VERDICT_CHECKS), points=9)
    rootdir = exercise.exercise_dir.parent.parent
    b = student(tmp_path, "b", 2)

    def graded():
        drop_suites()
        feedback = grade(exercise, b, launcher=launcher, seed=5)
        return [(check.id, check.outcome, check.message, check.hint, check.internal_error is None, check.score)
                for check in feedback.checks]

    direct = graded()
    suite = suite_for(exercise.check_files(), None, None, rootdir)
    assert suite is not None and suite._direct, "every check here is plain: the suite runs them directly"
    with monkeypatch.context() as patch:
        patch.setattr(GradingPlugin, "runs_directly", staticmethod(lambda item: False))
        protocol = graded()
    with monkeypatch.context() as patch:
        patch.setattr(suite_module, "suite_for", lambda *args, **kwargs: None)
        fresh = graded()
    drop_suites()

    assert direct == protocol == fresh
    outcomes = [outcome for _, outcome, *_ in direct]
    assert outcomes == [Outcome.PASSED, Outcome.FAILED, Outcome.FAILED, Outcome.FAILED, Outcome.ERROR, Outcome.ERROR,
                        Outcome.INTERNAL_ERROR, Outcome.INTERNAL_ERROR, Outcome.INTERNAL_ERROR], direct


@pytest.mark.parametrize("extra", [
    "@pytest.mark.skip(reason='later')\ndef test_later(submission):\n    pass\n",
    "async def test_asynchronous(submission):\n    pass\n",
    "def test_uses_a_pytest_fixture(submission, tmp_path):\n    pass\n",
    "def test_asks_for_its_request(submission, request):\n    assert request.node.name\n",
], ids=["a marker other than points", "a coroutine", "a fixture of pytest's", "pytest's request"])
def test_a_check_that_is_not_plain_keeps_pytests_protocol(tmp_path, extra):
    exercise = exercise_with(tmp_path, VERDICT_CHECKS + "\n\n" + extra)
    suite = suite_for(exercise.check_files(), None, None, exercise.exercise_dir.parent.parent)
    try:
        assert suite is not None and not suite._direct
    finally:
        drop_suites()


def test_pytest_exit_in_a_check_stops_the_run_as_a_grader_failure_in_both_ways(tmp_path, launcher, monkeypatch):
    from grader.grading.plugin import GradingPlugin

    checks = VERDICT_CHECKS + '\n\n@pytest.mark.points(1)\ndef test_stops(submission):\n    pytest.exit("a check must not stop pytest")\n'
    exercise = dataclasses.replace(exercise_with(tmp_path, checks), points=10)
    b = student(tmp_path, "b", 2)
    outcomes = []
    for direct in (True, False):
        drop_suites()
        with monkeypatch.context() as patch:
            if not direct:
                patch.setattr(GradingPlugin, "runs_directly", staticmethod(lambda item: False))
            feedback = grade(exercise, b, launcher=launcher)
        assert feedback.status is Status.GRADER_FAILED and "the checks stopped" in feedback.grader_error
        outcomes.append(feedback.grader_error)
    drop_suites()
    assert outcomes[0] == outcomes[1]
