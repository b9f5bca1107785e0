"""The pytest plugin for course authors: pytest runs the check functions the grader's runner runs.

The grader itself never runs pytest (`check_runner` calls the checks). An author who wants pytest's own output
runs the same check files under pytest with this plugin, through pytest's public API only: it gives the
grader's fixtures (`submission`, `seed`, `rng`, `reference`) from the same `Fixtures`, reads each check's id
and points as the runner does (`check_files.describe`), refuses at collection what the runner does not support,
and turns each check's report into the verdict the runner would give (`judge.verdict`).
"""

from __future__ import annotations

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
        return describe(item.function if isinstance(item, pytest.Function) else item.obj,
                        "hidden" if hidden else "public")
