"""An exercise's checks, read once per process and called for one submission at a time, without pytest's run.

Every check is a plain function (see `check_files`): the runner gives it the grader's fixtures by parameter
name, calls it, and turns how it ended into its verdict (`judge`). Check modules must not carry state from one
student to the next (a module-level cache of answers, an `lru_cache` around a call, the global random
generators), so before every submission but the first the runner executes each check file's code again into a
fresh module: grading A then B gives B exactly what B gets alone. The global random generators (which checks
should not use: `rng` is theirs) are seeded from the grading's seed, so even they repeat for the same seed.
A check file that cannot be imported or holds what the runner does not support is a grader failure naming the
file and line, never run another way.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import random
import threading
import time
import types
from collections import OrderedDict
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pytest

from grader.feedback.results import CheckResult
from grader.grading.checkrun import CheckRun
from grader.grading.check_files import Check, CheckFile, CheckFileError, check_functions, describe, forget_modules
from grader.grading.fixtures import Fixtures
from grader.grading.judge import verdict
from grader.grading.proxy import SubmissionProxy

MAX_RUNNERS = 6


def seed_global_generators(seed: int) -> None:
    """numpy's and Python's global generators as the grading's seed makes them, whatever ran before."""
    np.random.seed(seed % 2**32)
    random.seed(seed)


class CheckRunner:
    """Check files read once, their checks called for one submission at a time (see the module's docstring)."""

    def __init__(self, files: list[Path], hidden: Path | None, reference: Path | None, rootdir: Path,
                 only: str | None = None) -> None:
        self.files = files
        self._reference = reference
        self._lock = threading.Lock()
        self._plan: list[tuple[CheckFile, list[Check]]] = []
        self._imported: list[types.ModuleType] | None = []   # the modules just imported: the first run's
        problems: list[str] = []
        hidden_path = hidden.resolve() if hidden is not None else None
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            for path in files:
                visibility = "hidden" if hidden_path is not None and path.resolve() == hidden_path else "public"
                try:
                    check_file, module = CheckFile.read(path, rootdir, visibility)
                except CheckFileError as exc:
                    problems += exc.problems
                    continue
                checks = [describe(function, visibility) for _, function in check_functions(module)]
                self._plan.append((check_file, [check for check in checks if only is None or check.id == only]))
                self._imported.append(module)
        if problems:
            forget_modules(files)
        self.problems = tuple(problems)
        self.collected = tuple((check.id, check.points) for _, checks in self._plan for check in checks)

    def run(self, proxy: SubmissionProxy, seed: int) -> CheckRun:
        """Every check against one submission, starting from the state right after the files were read."""
        if self.problems:
            return CheckRun((), self.problems, self.collected)
        with self._lock:
            fixtures = Fixtures(proxy, seed, self._reference)
            results: list[CheckResult] = []
            problems: list[str] = []
            seed_global_generators(seed)
            try:
                with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
                    modules = self._imported or [check_file.fresh_module() for check_file, _ in self._plan]
                    self._imported = None
                    for (_, checks), module in zip(self._plan, modules):
                        for check in checks:
                            results.append(_run_check(check, getattr(module, check.function_name), fixtures))
            except BaseException as exc:  # noqa: BLE001 - pytest.exit() or Ctrl-C in a check, a check file that broke
                problems.append(f"the checks stopped: {type(exc).__name__}: {exc}")
            finally:
                forget_modules(self.files)
            return CheckRun(tuple(results), tuple(problems), self.collected)


def _run_check(check: Check, function: Callable[..., Any], fixtures: Fixtures) -> CheckResult:
    """Make the check's fixtures (its set-up), call it, and judge how it ended and in which phase; pytest.exit()
    and Ctrl-C stop the run."""
    proxy = fixtures.proxy
    proxy.start_check()
    when, started = "setup", time.perf_counter()
    try:
        arguments = {name: fixtures.value(name, check.id) for name in check.fixtures}
        when, started = "call", time.perf_counter()
        function(**arguments)
    except (pytest.exit.Exception, KeyboardInterrupt):
        raise
    except BaseException as exc:  # noqa: BLE001 - every other ending is the check's verdict
        return verdict(check, proxy, when, exc, time.perf_counter() - started)
    return verdict(check, proxy, "call", None, time.perf_counter() - started)


_RUNNERS: OrderedDict[tuple, CheckRunner] = OrderedDict()
_RUNNERS_LOCK = threading.Lock()


def runner_for(files: list[Path], hidden: Path | None, reference: Path | None, rootdir: Path,
               only: str | None = None) -> CheckRunner:
    """This process's runner for these check files as they are now (keyed by their bytes), read on first use."""
    try:
        digests = tuple(hashlib.sha256(path.read_bytes()).hexdigest() for path in files)
    except OSError:
        digests = ()
    key = (tuple(map(str, files)), digests, str(hidden), str(reference), str(rootdir), only)
    with _RUNNERS_LOCK:
        if key in _RUNNERS:
            _RUNNERS.move_to_end(key)
            return _RUNNERS[key]
        runner = CheckRunner(files, hidden, reference, rootdir, only)
        if digests:   # a file that could not be read is read again next time
            _RUNNERS[key] = runner
        while len(_RUNNERS) > MAX_RUNNERS:
            _RUNNERS.popitem(last=False)
        return runner


def drop_runners() -> None:
    """Forget every runner (tests that need a grading as the first of its process; long-lived callers)."""
    with _RUNNERS_LOCK:
        _RUNNERS.clear()
