"""Checks read once per process and called per submission (`grader.grading.check_runner`) leak nothing from one
student to the next: a check module's caches, a list an `lru_cache` hands out and the global random generators
start every submission as they were after collection. The runner and pytest with the author's plugin give every
check the same verdict, and what the runner does not support is a grader failure naming the file and line.
The sandbox is a script: milliseconds each."""

from __future__ import annotations

import dataclasses
import textwrap

import pytest

from conftest import ROOT
from grader.course.manifest import load_course
from grader.outcomes import Outcome, Status
from grader.grading.engine import grade
from grader.grading.check_files import unsupported_in
from grader.grading.check_runner import drop_runners, runner_for
from grader.sandbox.fake import ScriptedLauncher, returns

EXERCISE = load_course(ROOT / "course.yaml").exercise("02_backprop")

STATEFUL_CHECKS = textwrap.dedent('''
    import functools
    import random

    import numpy as np
    import pytest

    from grader.authoring import fail

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

    drop_runners()
    alone = grade(exercise, b, launcher=launcher)
    drop_runners()
    first = grade(exercise, a, launcher=launcher)
    runner = runner_for(files, None, None, rootdir)
    after_a = grade(exercise, b, launcher=launcher)
    again = grade(exercise, b, launcher=launcher)

    assert runner_for(files, None, None, rootdir) is runner, "the runner was not reused"
    assert alone.status is Status.GRADED and alone.score == 2, verdicts(alone)
    assert verdicts(first) != verdicts(alone)   # A differs, so B could have inherited something of A's
    assert verdicts(after_a) == verdicts(alone)
    assert verdicts(again) == verdicts(alone)
    drop_runners()


def test_checks_the_runner_does_not_support_are_a_grader_failure_naming_file_and_line(tmp_path, launcher):
    exercise = dataclasses.replace(exercise_with(tmp_path, FALLBACK_CHECKS), points=2)
    feedback = grade(exercise, student(tmp_path, "b", 2), launcher=launcher)
    assert feedback.status is Status.GRADER_FAILED and feedback.checks == ()
    error = feedback.grader_error
    assert f"{exercise.public_checks}:5: defines the fixture doubled" in error, error
    assert f"{exercise.public_checks}:10: check test_scaled is marked parametrize" in error, error
    assert "check test_scaled asks for the fixture doubled, which the grader does not provide" in error, error
    assert "only @pytest.mark.points(N)" in error and "submission, seed, rng, reference" in error, error


def test_a_check_file_changed_on_disk_is_collected_again(tmp_path, launcher):
    exercise = exercise_with(tmp_path, STATEFUL_CHECKS)
    b = student(tmp_path, "b", 2)
    assert grade(exercise, b, launcher=launcher).score == 2
    checks = exercise.public_checks
    checks.write_text(checks.read_text().replace("if got != 2:", "if got != 3:"))
    assert grade(exercise, b, launcher=launcher).score == 1


VERDICT_CHECKS = textwrap.dedent('''
    import pytest

    from grader.authoring import Hint, fail


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


def plugin_verdicts(exercise, path, launcher, seed):
    """The checks run by pytest itself, with the author's plugin (pytest's public API only)."""
    import contextlib
    import io
    from importlib import resources

    from grader.grading.plugin import GradingPlugin
    from grader.grading.proxy import SubmissionProxy

    session = launcher.open_session(path, exercise.limits, deadline=float("inf"))
    plugin = GradingPlugin(SubmissionProxy(session), seed, None, None)
    ini = resources.files("grader.grading").joinpath("checks.ini")
    with contextlib.redirect_stdout(io.StringIO()):
        pytest.main([str(exercise.public_checks), "-c", str(ini), "--rootdir", str(tmp_root(exercise)), "-q",
                     "-p", "no:cacheprovider", "--tb=no", "--assert=plain", "--import-mode=importlib"], plugins=[plugin])
    return plugin.results


def tmp_root(exercise):
    return exercise.exercise_dir.parent.parent


def test_the_runner_and_pytest_with_the_authors_plugin_give_the_same_verdicts(tmp_path, launcher):
    """Pass, fail with a hint, assert, the check's own generator, a missing function, a value the check cannot
    use, a check's bug, a skip and a fixture that fails in set-up: the same verdict whoever calls the check."""
    exercise = dataclasses.replace(exercise_with(tmp_path, VERDICT_CHECKS), points=9)
    b = student(tmp_path, "b", 2)

    def summary(results):
        return [(check.id, check.outcome, check.message, check.hint, check.internal_error is None, check.score)
                for check in results]

    drop_runners()
    runner = summary(grade(exercise, b, launcher=launcher, seed=5).checks)
    drop_runners()
    under_pytest = summary(plugin_verdicts(exercise, b, launcher, seed=5))

    assert runner == under_pytest
    outcomes = [outcome for _, outcome, *_ in runner]
    assert outcomes == [Outcome.PASSED, Outcome.FAILED, Outcome.FAILED, Outcome.FAILED, Outcome.ERROR, Outcome.ERROR,
                        Outcome.INTERNAL_ERROR, Outcome.INTERNAL_ERROR, Outcome.INTERNAL_ERROR], runner


@pytest.mark.parametrize("extra, line, what", [
    ("@pytest.mark.skip(reason='later')\ndef test_later(submission):\n    pass\n", 1, "check test_later is marked skip"),
    ("@pytest.mark.points(1)\n@pytest.mark.parametrize('x', [1, 2])\ndef test_each(submission, x):\n    pass\n", 1,
     "check test_each is marked parametrize"),
    ("async def test_asynchronous(submission):\n    pass\n", 1, "check test_asynchronous is a coroutine"),
    ("def test_draws(submission):\n    yield 1\n", 1, "check test_draws is a generator"),
    ("def test_uses_a_pytest_fixture(submission, tmp_path):\n    pass\n", 1,
     "check test_uses_a_pytest_fixture asks for the fixture tmp_path, which the grader does not provide"),
    ("def test_asks_for_its_request(submission, request):\n    assert request.node.name\n", 1,
     "check test_asks_for_its_request asks for the fixture request"),
    ("@pytest.fixture(autouse=True)\ndef clean():\n    yield\n", 1, "defines the fixture clean"),
    ("def setup_module():\n    pass\n", 1, "defines setup_module, which the grader does not run"),
    ("class TestMore:\n    def test_one(self, submission):\n        pass\n", 1, "defines the test class TestMore"),
    ("pytestmark = pytest.mark.points(1)\n", 1, "sets a module-level pytestmark"),
], ids=["skip", "parametrize", "coroutine", "generator", "pytest's fixture", "pytest's request", "a fixture",
        "xunit set-up", "a class", "module pytestmark"])
def test_what_the_runner_does_not_support_is_named_with_its_file_and_line(tmp_path, launcher, extra, line, what):
    exercise = dataclasses.replace(exercise_with(tmp_path, VERDICT_CHECKS + "\n\n" + extra), points=9)
    first_line = len((VERDICT_CHECKS + "\n\n").splitlines()) + line
    found = [str(problem) for problem in unsupported_in(exercise.public_checks)]
    assert found and all(problem.startswith(f"{exercise.public_checks}:{first_line}: ") for problem in found), found
    assert any(problem.startswith(f"{exercise.public_checks}:{first_line}: {what}") for problem in found), found
    feedback = grade(exercise, student(tmp_path, "b", 2), launcher=launcher)
    assert feedback.status is Status.GRADER_FAILED and what in feedback.grader_error, feedback.grader_error
    drop_runners()


def test_the_courses_checks_are_all_supported():
    from grader.course.manifest import load_course

    for exercise in load_course(ROOT / "course.yaml").exercises:
        for path in exercise.check_files():
            assert unsupported_in(path) == [], path


def test_pytest_exit_in_a_check_stops_the_run_as_a_grader_failure(tmp_path, launcher):
    checks = VERDICT_CHECKS + '\n\n@pytest.mark.points(1)\ndef test_stops(submission):\n    pytest.exit("a check must not stop pytest")\n'
    exercise = dataclasses.replace(exercise_with(tmp_path, checks), points=10)
    drop_runners()
    feedback = grade(exercise, student(tmp_path, "b", 2), launcher=launcher)
    drop_runners()
    assert feedback.status is Status.GRADER_FAILED
    assert "the checks stopped: Exit: a check must not stop pytest" in feedback.grader_error


def test_grade_validate_names_each_unsupported_check_with_its_file_line_and_what_is_allowed(tmp_path, launcher):
    from grader.audit.validate import _validate_exercise

    extra = "\n\n@pytest.mark.points(1)\n@pytest.mark.parametrize('x', [1, 2])\ndef test_each(submission, x):\n    pass\n"
    exercise = exercise_with(tmp_path, VERDICT_CHECKS + extra)
    exercise.hidden_checks.parent.mkdir(parents=True)
    exercise.hidden_checks.write_text("import pytest\n\n\n@pytest.mark.points(1)\ndef test_fine(submission):\n    pass\n")
    line = len((VERDICT_CHECKS + "\n\n").splitlines()) + 1
    findings = list(_validate_exercise(None, exercise, launcher))
    assert [finding.ok for finding in findings] == [False, False], findings
    assert all(f"{exercise.public_checks}:{line}: check test_each" in finding.what for finding in findings), findings
    assert "is marked parametrize" in findings[0].what + findings[1].what
    assert all("only @pytest.mark.points(N)" in finding.what for finding in findings)


def test_no_module_of_the_grader_imports_pytests_private_package():
    """The runner needs none of pytest's internals, and the plugin uses its public API only."""
    import ast

    for path in sorted((ROOT / "grader").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [alias.name for alias in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            assert not any(name == "_pytest" or name.startswith("_pytest.") for name in names), path
