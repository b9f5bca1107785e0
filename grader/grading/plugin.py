"""The pytest plugin for course authors: pytest runs the check functions the grader's runner runs.

    pytest -p grader.grading.plugin exercises/02_backprop/public_checks.py solutions/02_backprop/hidden_checks.py \
        --submission solutions/02_backprop/backprop.py [--grader-seed N]

The grader itself never runs pytest (`check_runner` calls the checks). An author who wants pytest's own output
runs the same check files under pytest with this plugin, through pytest's public API only: the submission is
copied, read and sandboxed as `grade` does it, the grader's fixtures (`submission`, `seed`, `rng`, `reference`)
come from the same `Fixtures`, each check's id and points are read as the runner reads them
(`check_files.describe`), what the runner does not support is refused at collection, and each check's report
becomes the verdict the runner would give (`judge.verdict`); the summary says the score.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pytest

from grader.feedback.results import CheckResult
from grader.grading.check_files import Check, describe, unsupported_in
from grader.grading.fixtures import Fixtures
from grader.grading.judge import INTERNAL_ERROR_MESSAGE, verdict
from grader.grading.proxy import SubmissionProxy

__all__ = ["GradingPlugin", "INTERNAL_ERROR_MESSAGE"]


class GradingPlugin:
    """Fixtures and report listeners for one submission's run of the check files under pytest."""

    def __init__(self, proxy: SubmissionProxy, seed: int, hidden_checks: Path | None,
                 reference_path: Path | None, only: str | None = None) -> None:
        self._only = only
        self._hidden_checks = hidden_checks.resolve() if hidden_checks else None
        self._fixtures = Fixtures(proxy, seed, reference_path)
        self.seed_used = seed
        self.collected: list[tuple[str, float]] = []
        self.results: list[CheckResult] = []

    # ------------------------------------------------------------------ fixtures

    @pytest.fixture
    def submission(self) -> SubmissionProxy:
        return self._fixtures.proxy

    @pytest.fixture
    def seed(self) -> int:
        return self._fixtures.seed

    @pytest.fixture
    def rng(self, request: pytest.FixtureRequest) -> np.random.Generator:
        return self._fixtures.rng(self.check(request.node).id)

    @pytest.fixture
    def reference(self) -> ModuleType:
        return self._fixtures.reference()

    # ------------------------------------------------------------------ hooks

    def pytest_configure(self, config: pytest.Config) -> None:
        config.addinivalue_line("markers", "points(n): how many points the check is worth")

    def pytest_collection_modifyitems(self, config: pytest.Config, items: list[pytest.Item]) -> None:
        problems = [str(problem) for path in sorted({item.path for item in items}) for problem in unsupported_in(path)]
        if problems:
            raise pytest.UsageError("the grader does not run these checks as written:\n" + "\n".join(problems))
        if self._only is not None:
            kept = [item for item in items if self.check(item).id == self._only]
            config.hook.pytest_deselected(items=[item for item in items if item not in kept])
            items[:] = kept
        self.collected = [(self.check(item).id, self.check(item).points) for item in items]

    def pytest_runtest_setup(self, item: pytest.Item) -> None:
        self._fixtures.proxy.start_check()

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo) -> Any:
        report = yield
        if call.when == "call" or (call.when == "setup" and call.excinfo is not None):
            self.results.append(verdict(self.check(item), self._fixtures.proxy, call.when,
                                        call.excinfo.value if call.excinfo else None, call.duration))
        return report

    # ------------------------------------------------------------------ helpers

    def check(self, item: pytest.Item) -> Check:
        hidden = self._hidden_checks is not None and item.path.resolve() == self._hidden_checks
        function = item.function if isinstance(item, pytest.Function) else getattr(item, "obj")
        return describe(function, "hidden" if hidden else "public")


# ---------------------------------------------------------------------- `pytest -p grader.grading.plugin`

def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("grader", "grading a submission with the course's checks")
    group.addoption("--submission", metavar="PATH", help="the file, notebook, folder or zip to run the checks on")
    group.addoption("--grader-seed", type=int, default=None, metavar="N",
                    help="the seed of the hidden inputs (default: the one `grade` uses for this file)")


def pytest_configure(config: pytest.Config) -> None:
    submission = config.getoption("submission")
    if submission is None:
        raise pytest.UsageError("the grader's plugin grades a submission: give --submission PATH")
    from grader.course.manifest import find_course
    from grader.grading.engine import submission_proxy

    check_files = [Path(argument.split("::")[0]) for argument in config.args]
    exercise = _exercise_of(find_course(check_files[0].resolve().parent), check_files)
    stack = contextlib.ExitStack()
    config.add_cleanup(stack.close)
    proxy, seed = stack.enter_context(submission_proxy(exercise, Path(submission), seed=config.getoption("grader_seed")))
    hidden = exercise.hidden_checks if any(path.resolve() == exercise.hidden_checks.resolve() for path in check_files) \
        else None
    config.pluginmanager.register(GradingPlugin(proxy, seed, hidden, exercise.reference_path if hidden else None),
                                  "grader-grading")


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    plugin = config.pluginmanager.get_plugin("grader-grading")
    if isinstance(plugin, GradingPlugin):
        score = sum(result.score for result in plugin.results)
        most = sum(result.max_score for result in plugin.results)
        terminalreporter.write_line(f"grader: {score:g} of {most:g} points, seed {plugin.seed_used}")


def _exercise_of(course: Any, check_files: list[Path]) -> Any:
    """The exercise whose check files these are."""
    for exercise in course.exercises:
        if {path.resolve() for path in check_files} <= {path.resolve() for path in exercise.check_files()}:
            return exercise
    raise pytest.UsageError(f"{', '.join(map(str, check_files))} are not the check files of one exercise in "
                            f"{course.root / 'course.yaml'}")
