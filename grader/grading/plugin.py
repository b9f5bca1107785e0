"""The pytest plugin that turns check runs into `CheckResult`s.

It provides the fixtures checks use (`submission`, `seed`, `rng`, `reference`) and listens to
pytest's reports, the way pytest's own reporters do, instead of parsing any output. An unexpected
exception is blamed by where it arose: computing with a value the submission returned is the
student's error; anything the student's data cannot have caused is the grader's.
"""

from __future__ import annotations

import inspect
import time
import zlib
from dataclasses import replace
from functools import partial
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pytest

from grader.grading.checklib import load_module
from grader.grading.verdicts import CheckFailed, SubmissionFailure
from grader.outcomes import Limit, Outcome
from grader.grading.proxy import SubmissionProxy
from grader.feedback.results import CheckResult

# What computing with a value can raise: wrong type, size, shape, keys, or numbers out of range. Anything
# else (NameError, ImportError, RuntimeError, OSError ...) is a bug of the check even after a value arrived.
_VALUE_ERRORS = (ArithmeticError, ValueError, TypeError, LookupError, AttributeError, RecursionError, MemoryError, Warning)

FIXTURE_NAMES = ("submission", "seed", "rng", "reference")
INTERNAL_ERROR_MESSAGE = "this check could not judge your answer because of a problem in the grader, not in your code"


class GradingPlugin:
    """Fixtures and report listeners for grading with the check files' collected items.

    Collection state (which checks exist, their points) lives as long as the plugin; everything about one
    submission (the proxy, the seed, the reference module, the verdicts) is reset by `begin`, so a plugin
    kept for a worker's whole batch hands no student anything of the previous one.
    """

    def __init__(self, proxy: SubmissionProxy | None, seed: int, hidden_checks: Path | None,
                 reference_path: Path | None, only: str | None = None) -> None:
        self._only = only
        self._visibility: dict[str, str] = {}
        self._hidden_checks = hidden_checks.resolve() if hidden_checks else None
        self._reference_path = reference_path
        self.collected: list[tuple[str, float]] = []
        self.collection_errors: list[str] = []
        self.begin(proxy, seed)

    def begin(self, proxy: SubmissionProxy | None, seed: int) -> None:
        """Start one submission's grading: its proxy and seed, a fresh reference module, no verdicts yet."""
        self._proxy = proxy
        self._seed = seed
        self._reference: ModuleType | None = None
        self.results: list[CheckResult] = []

    # ------------------------------------------------------------------ fixtures

    @pytest.fixture
    def submission(self) -> SubmissionProxy:
        return self._current()

    @pytest.fixture
    def seed(self) -> int:
        return self._seed

    @pytest.fixture
    def rng(self, request: pytest.FixtureRequest) -> np.random.Generator:
        return self._rng_for(request.node)

    @pytest.fixture
    def reference(self) -> ModuleType:
        return self._reference_module()

    def fixture_value(self, name: str, item: pytest.Item) -> Any:
        """What the fixture `name` gives `item`, without pytest's fixture machinery (see `run_directly`)."""
        if name == "submission":
            return self._current()
        if name == "seed":
            return self._seed
        if name == "rng":
            return self._rng_for(item)
        if name == "reference":
            return self._reference_module()
        raise RuntimeError(f"{name} is not a fixture of the grader")

    def _rng_for(self, item: pytest.Item) -> np.random.Generator:
        """Seeded per check, so one check's draws do not depend on which checks ran before it."""
        return np.random.default_rng([self._seed, zlib.crc32(self.check_id(item).encode())])

    def _reference_module(self) -> ModuleType:
        """The reference solution, for hidden checks only (students never have it)."""
        if self._reference is None:
            if self._reference_path is None or not self._reference_path.is_file():
                raise RuntimeError("the reference solution is not available to this check")
            self._reference = load_module(self._reference_path, f"reference_{abs(hash(self._reference_path))}")
        return self._reference

    # ------------------------------------------------------------------ hooks

    def pytest_configure(self, config: pytest.Config) -> None:
        config.addinivalue_line("markers", "points(n): how many points the check is worth")

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            self.collection_errors.append(f"{report.nodeid}: {report.longreprtext[-2000:]}")

    def pytest_collection_modifyitems(self, config: pytest.Config, items: list[pytest.Item]) -> None:
        if self._only is not None:
            kept = [item for item in items if self.check_id(item) == self._only]
            config.hook.pytest_deselected(items=[item for item in items if item not in kept])
            items[:] = kept
        self.collected = [(self.check_id(item), self.points(item)) for item in items]

    def pytest_runtest_setup(self, item: pytest.Item) -> None:
        if self._proxy is not None:
            self._proxy.start_check()

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo) -> Any:
        report = yield
        if call.when == "call" or (call.when == "setup" and call.excinfo is not None):
            self.results.append(self._verdict(item, call.when, call.excinfo.value if call.excinfo else None,
                                              call.duration))
        return report

    # ------------------------------------------------------------------ without pytest's run protocol

    @staticmethod
    def runs_directly(item: pytest.Item) -> bool:
        """Whether `item` is a plain function that needs only this plugin's fixtures and no marker but points:
        then `run_directly` does all pytest's protocol would, for a fraction of its cost per check."""
        function = getattr(item, "obj", None)
        return (type(item) is pytest.Function and inspect.isfunction(function)
                and not (inspect.iscoroutinefunction(function) or inspect.isgeneratorfunction(function)
                         or inspect.isasyncgenfunction(function))
                and set(item._fixtureinfo.argnames) <= set(FIXTURE_NAMES)
                and set(item._fixtureinfo.names_closure) <= {*FIXTURE_NAMES, "request"}   # rng asks for request
                and all(marker.name == "points" for marker in item.iter_markers()))

    def run_directly(self, item: pytest.Function) -> None:
        """Run one check as runtestprotocol would and record its verdict: set-up (the fixtures), then the call;
        pytest.exit() and Ctrl-C stop the run, any other exception is judged with the phase it arose in."""
        self.pytest_runtest_setup(item)
        when, started = "setup", time.perf_counter()
        try:
            arguments = {name: self.fixture_value(name, item) for name in item._fixtureinfo.argnames}
            when, started = "call", time.perf_counter()
            item.obj(**arguments)
        except (pytest.exit.Exception, KeyboardInterrupt):
            raise
        except BaseException as exc:  # noqa: BLE001 - judged as pytest's CallInfo would hand it to makereport
            self.results.append(self._verdict(item, when, exc, time.perf_counter() - started))
            return
        self.results.append(self._verdict(item, "call", None, time.perf_counter() - started))

    # ------------------------------------------------------------------ helpers

    def _current(self) -> SubmissionProxy:
        if self._proxy is None:
            raise RuntimeError("no submission is being graded")
        return self._proxy

    def visibility(self, item: pytest.Item) -> str:
        path = str(item.path)
        if path not in self._visibility:
            hidden = self._hidden_checks is not None and Path(path).resolve() == self._hidden_checks
            self._visibility[path] = "hidden" if hidden else "public"
        return self._visibility[path]

    def check_id(self, item: pytest.Item) -> str:
        name = item.name[len("test_"):] if item.name.startswith("test_") else item.name
        return f"{self.visibility(item)}/{name}"

    @staticmethod
    def points(item: pytest.Item) -> float:
        marker = item.get_closest_marker("points")
        return float(marker.args[0]) if marker and marker.args else 0.0

    @staticmethod
    def check_name(item: pytest.Item) -> str:
        function = getattr(item, "function", None)
        doc = (function.__doc__ or "").strip().splitlines() if function else []
        name = doc[0].strip() if doc else item.name.removeprefix("test_").replace("_", " ")
        callspec = getattr(item, "callspec", None)
        return f"{name} [{callspec.id}]" if callspec else name

    def _verdict(self, item: pytest.Item, when: str, exc: BaseException | None, duration: float) -> CheckResult:
        result = self._judge(item, when, exc, duration)
        place = self._current().where_defined() if result.outcome is not Outcome.PASSED else None
        if place and result.internal_error is None:
            result = replace(result, message=f"{result.message} ({place})")
        if self._current().notes and result.internal_error is None:
            result = replace(result, message=f"{result.message} ({'; '.join(self._current().notes)})")
        return result

    def _judge(self, item: pytest.Item, when: str, exc: BaseException | None, duration: float) -> CheckResult:
        visibility = self.visibility(item)
        result = partial(CheckResult, id=self.check_id(item), name=self.check_name(item), visibility=visibility,
                         max_score=self.points(item), duration_s=round(duration, 4))
        if exc is None:
            return result(outcome=Outcome.PASSED, message="correct")
        if isinstance(exc, SubmissionFailure):
            return result(outcome=exc.outcome, message=exc.message, hint=exc.hint,
                          limit=Limit(exc.limit) if exc.limit else None)
        if isinstance(exc, CheckFailed):
            return result(outcome=Outcome.FAILED, message=exc.message, hint=exc.hint)
        if type(exc) is AssertionError:
            return result(outcome=Outcome.FAILED, message=str(exc) or "the result is not what this check expects")
        if when == "call" and self._caused_by_returned_value(exc):
            return result(outcome=Outcome.ERROR, message=self._unusable_value_message(exc, visibility))
        return result(outcome=Outcome.INTERNAL_ERROR, message=INTERNAL_ERROR_MESSAGE,
                      internal_error=_exception_text(exc, 2000))

    def _caused_by_returned_value(self, exc: BaseException) -> bool:
        """Whether the student's data can have caused `exc`: the check already holds a value the submission
        returned, the exception is one a value can cause, and it did not come out of the proxy's own machinery."""
        if not self._current().answered or not isinstance(exc, _VALUE_ERRORS):
            return False
        if isinstance(exc, AttributeError) and isinstance(getattr(exc, "obj", None), ModuleType):
            return False   # a misspelt module attribute (np.alclose) is the check's bug, whatever the data
        return not _raised_inside(exc, SubmissionProxy._run)

    def _unusable_value_message(self, exc: BaseException, visibility: str) -> str:
        """Hidden checks name only the exception's type: its text may quote the check's own values."""
        name = self._current().answered[-1]
        what = type(exc).__name__ if visibility == "hidden" else _exception_text(exc)
        return (f"`{name}` returned a value this check cannot compute with ({what}). Return what the exercise asks "
                "for: numbers of a sensible size (not inf, NaN or huge integers), and lists, arrays or dicts of "
                "the expected length, shape and keys.")


def _raised_inside(exc: BaseException, function: Any) -> bool:
    """Whether the traceback passes through `function` (the exception arose in a call it made)."""
    code, traceback = function.__code__, exc.__traceback__
    while traceback is not None:
        if traceback.tb_frame.f_code is code:
            return True
        traceback = traceback.tb_next
    return False


def _exception_text(exc: BaseException, limit: int = 200) -> str:
    """`Type: message`, short, and safe to print and save (a lone surrogate would break writing the feedback)."""
    try:
        text = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    except Exception:  # noqa: BLE001 - str() of an exception holding a 10**5000 can itself raise
        text = type(exc).__name__
    text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text if len(text) <= limit else text[:limit - 3] + "..."
