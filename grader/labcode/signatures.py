"""Functions' parameter lists read with `ast`: the exercise's (from its stub) and the student's, so a
mismatch can be shown side by side and a lab's zero-argument builder can be called as the lab calls it."""

from __future__ import annotations

import ast
import functools
from dataclasses import dataclass
from pathlib import Path

from grader.labcode.program import parsed


@dataclass(frozen=True)
class Signature:
    name: str
    parameters: tuple[str, ...]   # as written: "n_cols", "epochs=100", "*args"
    takes_any: bool               # *args or **kwargs

    @property
    def takes_nothing(self) -> bool:
        return not self.parameters

    def shown(self) -> str:
        return f"{self.name}({', '.join(self.parameters)})"

    def default_of(self, parameter: str) -> str | None:
        """The default of `parameter` as written ("100"), "" when it has none, None when there is no such parameter."""
        for written in self.parameters:
            name, equals, default = written.partition("=")
            if name == parameter:
                return default if equals else ""
        return None


def _default(node: ast.expr) -> str:
    try:
        return ast.unparse(node)
    except (RecursionError, ValueError):   # a default nested far too deep to print
        return "..."


def _parameters(node: ast.FunctionDef | ast.AsyncFunctionDef) -> tuple[str, ...]:
    arguments = node.args
    positional = arguments.posonlyargs + arguments.args
    defaults = [None] * (len(positional) - len(arguments.defaults)) + list(arguments.defaults)
    shown = [a.arg if d is None else f"{a.arg}={_default(d)}" for a, d in zip(positional, defaults)]
    if arguments.vararg:
        shown.append(f"*{arguments.vararg.arg}")
    elif arguments.kwonlyargs:
        shown.append("*")
    shown += [a.arg if d is None else f"{a.arg}={_default(d)}" for a, d in zip(arguments.kwonlyargs, arguments.kw_defaults)]
    if arguments.kwarg:
        shown.append(f"**{arguments.kwarg.arg}")
    return tuple(text if len(text) <= 40 else text[:37] + "..." for text in shown)


def _top_level_functions(source: str, tree: ast.Module | None = None) -> dict[str, ast.FunctionDef | ast.AsyncFunctionDef]:
    """The top-level function definitions of `source` (or of its `tree`, if parsed already) by name (the last
    definition wins, as in Python); none when it cannot be parsed."""
    if tree is None:
        tree = parsed(source)
    if tree is None:
        return {}
    return {node.name: node for node in tree.body if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))}


def signatures(source: str, tree: ast.Module | None = None) -> dict[str, Signature]:
    """The top-level functions of `source` (the last definition of a name wins, as in Python); `tree` is
    `source` already parsed, if the caller has it."""
    return {name: Signature(name, _parameters(node), node.args.vararg is not None or node.args.kwarg is not None)
            for name, node in _top_level_functions(source, tree).items()}


def signatures_of_file(path: Path) -> dict[str, Signature]:
    """The signatures of a course file (a stub), parsed once per version of its text."""
    try:
        return dict(_signatures_of_text(path.read_text(encoding="utf-8")))
    except OSError:
        return {}


@functools.lru_cache(maxsize=32)
def _signatures_of_text(text: str) -> tuple[tuple[str, Signature], ...]:
    return tuple(signatures(text).items())


def keyword_arguments(source: str, function: str, method: str, keyword: str) -> list[str]:
    """What the top-level `function` of `source` writes for `keyword` in its calls of `something.method(...)`,
    as text ("0.3"), in the order written; empty when the function or such a call is not there."""
    definition = _top_level_functions(source).get(function)
    if definition is None:
        return []
    found = []
    for node in ast.walk(definition):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == method:
            found += [_default(item.value) for item in node.keywords if item.arg == keyword]
    return found
