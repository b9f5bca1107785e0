"""An exercise's checks collected once per process and run for one submission at a time.

A fresh `pytest.main` per grading spends most of a fast grading configuring pytest and importing and
collecting the same check files again. A `CheckSuite` does that once and reruns the collected items
for every submission. Check modules must not carry state from one student to the next (a module-level
cache of answers, an `lru_cache` around a call, the global random generators), so before every
submission but the first the suite executes each check module's code again into a fresh module,
points the collected items at its functions: grading A then B gives B exactly what B gets alone. The global random generators (which checks
should not use: `rng` is theirs) are seeded from the grading's seed, so even they repeat for the same seed. Checks the suite cannot rerun that way
(classes, fixtures or xunit setup defined in a check file, parametrized checks, collection errors) are
refused, and the engine runs a fresh pytest for them instead.

It drives pytest through `_pytest` internals (configuration, session, `runtestprotocol`), the way
pytest-rerunfailures reruns items; anything unexpected there refuses the suite rather than breaking
a grading. Checks that are plain functions using only the grader's fixtures and no marker but `points`
(every check of this course) skip the run protocol: the plugin calls them and judges the exception itself,
which is what the protocol's set-up, call and report hooks amount to for them, at a fraction of the cost.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import random
import sys
import threading
import types
from collections import OrderedDict
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import cast

import numpy as np
import pytest

from grader.grading.checkrun import CheckRun
from grader.grading.plugin import GradingPlugin
from grader.grading.proxy import SubmissionProxy

# pytest plugins checks never need; not loading them saves about a third of pytest's start-up.
UNUSED_PLUGINS = tuple(argument for name in (
    "doctest", "junitxml", "pastebin", "nose", "logging", "faulthandler", "legacypath", "tmpdir", "monkeypatch",
    "recwarn", "setuponly", "setupplan", "unittest", "debugging", "threadexception", "unraisableexception",
    "python_path", "lsof", "pytester", "cacheprovider", "stepwise", "warnings") for argument in ("-p", f"no:{name}"))
XUNIT_NAMES = ("setup_module", "setUpModule", "teardown_module", "tearDownModule", "setup_function",
               "teardown_function")
MAX_SUITES = 6


class SuiteRefused(Exception):
    """These check files cannot be rerun item by item; grade them with a fresh pytest run."""


def pytest_arguments(files: list[Path], rootdir: Path, capture: str) -> list[str]:
    """The checks' own pytest configuration: no conftest, no project settings, no plugins they never need."""
    ini = resources.files("grader.grading").joinpath("checks.ini")
    return [str(path) for path in files] + [
        "-c", str(ini), "--rootdir", str(rootdir), "--noconftest", "--assert=plain", "--import-mode=importlib",
        *UNUSED_PLUGINS, f"--capture={capture}", "-q", "--no-header", "--tb=no",
    ]


@contextlib.contextmanager
def quiet_pytest():
    """No plugin autoloading, and whatever pytest or a check prints kept out of the grader's output."""
    output = io.StringIO()
    previous = os.environ.get("PYTEST_DISABLE_PLUGIN_AUTOLOAD")
    os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    try:
        with contextlib.redirect_stdout(output), contextlib.redirect_stderr(output):
            yield output
    finally:
        if previous is None:
            os.environ.pop("PYTEST_DISABLE_PLUGIN_AUTOLOAD", None)
        else:
            os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = previous


def seed_global_generators(seed: int) -> None:
    """numpy's and Python's global generators as the grading's seed makes them, whatever ran before."""
    np.random.seed(seed % 2**32)
    random.seed(seed)


def forget_check_modules(files: list[Path]) -> None:
    """Drop the check files' modules from sys.modules, so the next import (or pytest run) starts fresh."""
    paths = {str(path) for path in files} | {str(path.resolve()) for path in files}
    for name, module in list(sys.modules.items()):
        if getattr(module, "__file__", None) in paths:
            del sys.modules[name]


@dataclass
class _CheckModule:
    """One check file: its collector, its compiled code and the checks collected from it."""

    collector: pytest.Module
    code: types.CodeType
    items: list[pytest.Function]

    def refresh(self) -> None:
        """Run the file's code again into a fresh module and point the collected checks at its functions."""
        old = self.collector.obj
        fresh = types.ModuleType(old.__name__, old.__doc__)
        for name in ("__file__", "__spec__", "__loader__", "__package__"):
            if name in old.__dict__:
                fresh.__dict__[name] = old.__dict__[name]
        sys.modules[old.__name__] = fresh
        exec(self.code, fresh.__dict__)  # noqa: S102 - a trusted course file, as pytest itself imports it
        self.collector.obj = fresh
        for item in self.items:
            item.obj = getattr(fresh, item.originalname)


class CheckSuite:
    """Collected check files, rerun for one submission at a time (see the module's docstring)."""

    def __init__(self, files: list[Path], hidden: Path | None, reference: Path | None, rootdir: Path,
                 only: str | None = None) -> None:
        from _pytest.config import _prepareconfig
        from _pytest.main import Session

        self.files = files
        self.plugin = GradingPlugin(None, 0, hidden, reference, only)
        self._lock = threading.Lock()
        self._fresh = True   # the modules were just imported: the first submission needs no second execution
        with quiet_pytest():
            self._config = _prepareconfig(pytest_arguments(files, rootdir, "no"), plugins=[self.plugin])
            try:
                self._config._do_configure()
                self._session = Session.from_config(self._config)
                self._config.hook.pytest_sessionstart(session=self._session)
                self._session.perform_collect()
            except BaseException as exc:
                self.close()
                raise SuiteRefused(f"collection failed ({type(exc).__name__}: {exc})") from None
        try:
            self.items = list(self._session.items)
            self._modules = self._rerunnable_modules()
            self._direct = all(GradingPlugin.runs_directly(item) for item in self.items)
        except SuiteRefused:
            self.close()
            raise

    def _rerunnable_modules(self) -> list[_CheckModule]:
        from _pytest.fixtures import getfixturemarker

        if self.plugin.collection_errors or not self.items:
            raise SuiteRefused("collection failed or found no checks")
        modules: dict[pytest.Module, _CheckModule] = {}
        for item in self.items:
            if type(item) is not pytest.Function or type(item.parent) is not pytest.Module:
                raise SuiteRefused(f"{item.nodeid} is not a plain check function")
            if getattr(item, "callspec", None) is not None:
                raise SuiteRefused(f"{item.nodeid} is parametrized")
            module = item.parent
            if module not in modules:
                namespace = vars(module.obj)
                if any(name in namespace for name in XUNIT_NAMES) or \
                        any(getfixturemarker(value) is not None for value in namespace.values()):
                    raise SuiteRefused(f"{module.nodeid} defines fixtures or xunit set-up")
                source = module.path.read_bytes()
                modules[module] = _CheckModule(module, compile(source, str(module.path), "exec"), [])
            modules[module].items.append(item)
        return list(modules.values())

    def run(self, proxy: SubmissionProxy, seed: int) -> CheckRun:
        """Every collected check against one submission, starting from the state right after collection."""
        with self._lock:
            self.plugin.begin(proxy, seed)
            try:
                return self._run(seed)
            finally:
                self.plugin.begin(None, 0)   # nothing of this submission stays reachable from the suite

    def _run(self, seed: int) -> CheckRun:
        from _pytest.runner import runtestprotocol

        seed_global_generators(seed)
        problems: list[str] = []
        with quiet_pytest():
            try:
                if not self._fresh:
                    for module in self._modules:
                        module.refresh()
                self._fresh = False
                for index, item in enumerate(self.items):
                    if self._direct:
                        self.plugin.run_directly(cast(pytest.Function, item))   # checked at collection
                        continue
                    item._report_sections.clear()
                    item.user_properties.clear()
                    following = self.items[index + 1] if index + 1 < len(self.items) else None
                    runtestprotocol(item, log=False, nextitem=following)
            except BaseException as exc:  # noqa: BLE001 - pytest.exit() in a check, a check file that broke
                problems.append(f"the checks stopped: {type(exc).__name__}: {exc}")
                self._session._setupstate.teardown_exact(None)
            finally:
                forget_check_modules(self.files)
        return CheckRun(tuple(self.plugin.results), tuple(problems), tuple(self.plugin.collected))

    def close(self) -> None:
        with contextlib.suppress(Exception), quiet_pytest():
            self._config._ensure_unconfigure()
        forget_check_modules(self.files)


_SUITES: OrderedDict[tuple, CheckSuite | None] = OrderedDict()
_SUITES_LOCK = threading.Lock()


def suite_for(files: list[Path], hidden: Path | None, reference: Path | None, rootdir: Path,
              only: str | None = None) -> CheckSuite | None:
    """This process's suite for these check files as they are now (keyed by their bytes), collected on first
    use; None when they cannot be rerun item by item."""
    try:
        digests = tuple(hashlib.sha256(path.read_bytes()).hexdigest() for path in files)
    except OSError:
        return None
    key = (tuple(map(str, files)), digests, str(hidden), str(reference), str(rootdir), only)
    with _SUITES_LOCK:
        if key in _SUITES:
            _SUITES.move_to_end(key)
            return _SUITES[key]
        try:
            suite: CheckSuite | None = CheckSuite(files, hidden, reference, rootdir, only)
        except SuiteRefused:
            suite = None
        _SUITES[key] = suite
        while len(_SUITES) > MAX_SUITES:
            _, dropped = _SUITES.popitem(last=False)
            if dropped is not None:
                dropped.close()
        return suite


def drop_suites() -> None:
    """Forget every collected suite (tests that need a grading as the first of its process; long-lived callers)."""
    with _SUITES_LOCK:
        while _SUITES:
            _, suite = _SUITES.popitem()
            if suite is not None:
                suite.close()
