"""What a check file holds, read without pytest's collection: its checks, their points, and what is not allowed.

A check is a module-level function named `test_*`, marked `@pytest.mark.points(N)` and asking only for the
grader's fixtures by parameter name. The grader's runner (`check_runner`) calls such functions itself and the
author's pytest plugin (`plugin`) lets pytest call them; both read a check's id, name and points here, so they
agree. Anything else pytest would do differently (parametrize or any other mark, fixtures or set-up functions
defined in the file, test classes, generator or coroutine checks, fixtures the grader does not provide) is an
`Unsupported` finding naming the file and line: never run another way.

The one pytest detail read here is the `pytestmark` list a mark decorator leaves on a function (`pytest.Mark`
objects, public).
"""

from __future__ import annotations

import ast
import fnmatch
import inspect
import sys
import types
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

FIXTURE_NAMES = ("submission", "seed", "rng", "reference")
CHECK_PATTERN = "test_*"   # as checks.ini's python_functions
XUNIT_NAMES = ("setup_module", "setUpModule", "teardown_module", "tearDownModule", "setup_function",
               "teardown_function")
ALLOWED = ("a check is a module-level function named test_* marked only @pytest.mark.points(N), asking only for "
           f"the grader's fixtures ({', '.join(FIXTURE_NAMES)})")


@dataclass(frozen=True)
class Unsupported:
    """Something in a check file that the grader's runner does not do, and where it is."""

    file: Path
    line: int
    what: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.what}; {ALLOWED}"


@dataclass(frozen=True)
class Check:
    """One check as the feedback names it."""

    id: str            # "public/<name>" or "hidden/<name>"
    name: str          # the docstring's first line, or the function's name in words
    visibility: str    # "public" or "hidden"
    points: float
    function_name: str
    fixtures: tuple[str, ...]   # the grader's fixtures it asks for, by parameter name


class CheckFileError(Exception):
    """The check file could not be imported, or holds what the runner does not support."""

    def __init__(self, problems: list[str], findings: list[Unsupported] | None = None) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems
        self.findings = findings or []   # what is not supported, where (empty when the file did not import)


def describe(function: Callable[..., Any], visibility: str) -> Check:
    """The check's id, name and points, read from the function alone (the runner and the plugin both ask here)."""
    name = function.__name__
    short = name[len("test_"):] if name.startswith("test_") else name
    doc = (function.__doc__ or "").strip().splitlines()
    return Check(f"{visibility}/{short}", doc[0].strip() if doc else short.replace("_", " "), visibility,
                 points_of(function), name, tuple(requested(function)))


def points_of(function: Callable[..., Any]) -> float:
    marks = [mark for mark in _marks(function) if mark.name == "points"]
    return float(marks[0].args[0]) if marks and marks[0].args else 0.0


def requested(function: Callable[..., Any]) -> list[str]:
    """The fixtures a check asks for, as pytest reads them: parameters without a default."""
    return [parameter.name for parameter in inspect.signature(function).parameters.values()
            if parameter.kind in (parameter.POSITIONAL_OR_KEYWORD, parameter.KEYWORD_ONLY)
            and parameter.default is parameter.empty]


def check_functions(module: types.ModuleType) -> list[tuple[str, Any]]:
    """The module's checks in definition order, as pytest collects them: callables named test_* (imported ones
    too), unless they say `__test__ = False`."""
    return [(name, value) for name, value in list(vars(module).items())
            if fnmatch.fnmatch(name, CHECK_PATTERN) and callable(value) and not isinstance(value, type)
            and getattr(value, "__test__", True)]


def unsupported(path: Path, module: types.ModuleType, tree: ast.Module) -> list[Unsupported]:
    """Everything in the imported check file `module` (parsed as `tree`) that the runner does not support."""
    found = [Unsupported(path, line, what) for line, what in _unsupported_statements(tree)]
    for name, value in check_functions(module):
        found += [Unsupported(path, _line(value), f"check {name} {what}") for what in _unsupported_check(value)]
    return sorted(set(found), key=lambda item: (item.line, item.what))


def unsupported_in(path: Path) -> list[Unsupported]:
    """What the check file at `path` holds that the runner does not support (for the plugin and `grade validate`);
    a file that cannot be imported at all is one finding at its line 1."""
    try:
        CheckFile.read(path, path.parent, "public")
    except CheckFileError as exc:
        return exc.findings or [Unsupported(path, 1, problem) for problem in exc.problems]
    finally:
        forget_modules([path])
    return []


def _unsupported_statements(tree: ast.Module) -> list[tuple[int, str]]:
    found = []
    for node in tree.body:
        if isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any(isinstance(target, ast.Name) and target.id == "pytestmark" for target in targets):
                found.append((node.lineno, "sets a module-level pytestmark"))
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            line = min([node.lineno, *(decorator.lineno for decorator in node.decorator_list)])   # as co_firstlineno
            if any(_decorator_name(decorator) in ("fixture", "yield_fixture") for decorator in node.decorator_list):
                found.append((line, f"defines the fixture {node.name}"))
            elif node.name in XUNIT_NAMES:
                found.append((line, f"defines {node.name}, which the grader does not run"))
        if isinstance(node, ast.ClassDef) and node.name.startswith("Test"):
            found.append((node.lineno, f"defines the test class {node.name}"))
    return found


def _unsupported_check(function: Any) -> list[str]:
    if not inspect.isfunction(function):
        return ["is not a plain function"]
    if inspect.iscoroutinefunction(function) or inspect.isasyncgenfunction(function):
        return ["is a coroutine"]
    if inspect.isgeneratorfunction(function):
        return ["is a generator (it yields)"]
    found = [f"is marked {mark.name}" for mark in _marks(function) if mark.name != "points"]
    found += [f"asks for the fixture {name}, which the grader does not provide"
              for name in requested(function) if name not in FIXTURE_NAMES]
    return found


def _marks(function: Any) -> list[Any]:
    import pytest

    marks = getattr(function, "pytestmark", [])
    return [mark for mark in (marks if isinstance(marks, list) else [marks]) if isinstance(mark, pytest.Mark)]


def _decorator_name(decorator: ast.expr) -> str:
    node = decorator.func if isinstance(decorator, ast.Call) else decorator
    return node.attr if isinstance(node, ast.Attribute) else node.id if isinstance(node, ast.Name) else ""


def _line(function: Any) -> int:
    code = getattr(function, "__code__", None)
    return code.co_firstlineno if code is not None else 1


@dataclass
class CheckFile:
    """One check file, compiled and imported once; `fresh_module` runs its code again for the next submission."""

    path: Path
    module_name: str
    code: types.CodeType
    visibility: str

    @classmethod
    def read(cls, path: Path, rootdir: Path, visibility: str) -> tuple[CheckFile, types.ModuleType]:
        """Compile and import the file; CheckFileError when it cannot be imported or holds what is not supported."""
        try:
            source = path.read_bytes()
            tree = ast.parse(source, str(path))
            code = compile(tree, str(path), "exec")
        except (OSError, SyntaxError, ValueError) as exc:
            raise CheckFileError([f"{path} cannot be read: {type(exc).__name__}: {exc}"]) from None
        check_file = cls(path, _module_name(path, rootdir), code, visibility)
        try:
            module = check_file.fresh_module()
        except Exception as exc:  # noqa: BLE001 - a broken check file is the course's problem, reported as such
            raise CheckFileError([f"{path} cannot be imported: {type(exc).__name__}: {exc}"]) from None
        problems = unsupported(path, module, tree)
        if problems:
            raise CheckFileError([str(problem) for problem in problems], problems)
        return check_file, module

    def fresh_module(self) -> types.ModuleType:
        """The file's code run into a new module (registered in sys.modules while it runs, as an import is)."""
        module = types.ModuleType(self.module_name)
        module.__file__ = str(self.path)
        sys.modules[self.module_name] = module
        with warnings.catch_warnings():   # inside a pytest session (the project's tests) `points` is not registered
            warnings.filterwarnings("ignore", message=r"Unknown pytest\.mark\.points")
            exec(self.code, module.__dict__)  # noqa: S102 - a trusted course file, as importing it would
        return module


def _module_name(path: Path, rootdir: Path) -> str:
    """As pytest's importlib mode names it: the path below the rootdir, dotted."""
    try:
        parts = path.resolve().relative_to(rootdir.resolve()).with_suffix("").parts
    except ValueError:
        parts = (path.stem,)
    return ".".join(parts)


def forget_modules(files: list[Path]) -> None:
    """Drop the check files' modules from sys.modules, so nothing of one grading is reachable from the next."""
    paths = {str(path) for path in files} | {str(path.resolve()) for path in files}
    for name, module in list(sys.modules.items()):
        if getattr(module, "__file__", None) in paths:
            del sys.modules[name]
