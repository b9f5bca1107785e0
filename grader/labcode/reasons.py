"""Why a statement was left out, in the words a student uses for what their cell does."""

from __future__ import annotations

import ast

_TRAINING = {"fit", "fit_generator", "train_on_batch"}
_EVALUATING = {"evaluate", "predict", "predict_classes", "evaluate_generator"}
_PLOTTING = {"plot", "show", "imshow", "scatter", "hist", "figure", "subplot", "subplots", "savefig", "pairplot",
             "heatmap", "title", "xlabel", "ylabel", "legend", "bar"}
_SAVING = {"save", "save_weights", "to_csv", "savez", "dump"}
_SHOWING = {"print", "display", "head", "tail", "describe", "info", "summary"}


def _called(node: ast.AST) -> set[str]:
    names = set()
    for child in ast.walk(node):
        if isinstance(child, ast.Call):
            function = child.func
            names.add(function.attr if isinstance(function, ast.Attribute) else getattr(function, "id", ""))
    return names


_ORDER = ("trains", "evaluates", "plots", "saves", "imports", "prints", "defines", "computes", "other")


def kind_of(node: ast.stmt) -> tuple[str, list[str]]:
    """What the statement does, and the names involved (modules, functions, variables)."""
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        return "imports", [alias.name for alias in node.names] if isinstance(node, ast.Import) else [node.module or "."]
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return "defines", [node.name]
    called = _called(node)
    for kind, functions in (("trains", _TRAINING), ("evaluates", _EVALUATING), ("plots", _PLOTTING), ("saves", _SAVING)):
        if called & functions:
            return kind, []
    if isinstance(node, ast.Expr) or called & _SHOWING:
        return "prints", []
    if isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        names = [n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)]
        if names:
            return "computes", names
    return "other", []


def _phrase(kind: str, names: list[str]) -> str:
    shown = ", ".join(names[:3]) + (", ..." if len(names) > 3 else "")
    return {
        "trains": "trains a model", "evaluates": "evaluates or runs a model", "plots": "draws a plot",
        "saves": "saves a file", "prints": "prints or shows a value",
        "imports": f"imports {shown}, which nothing graded uses",
        "defines": f"defines {shown}, which nothing graded uses",
        "computes": f"computes {shown}, which nothing graded reads",
    }.get(kind, "is not needed by the graded functions")


def summarize(nodes: list[ast.stmt]) -> str:
    """Why these statements were left out, most telling first: "trains a model and draws a plot"."""
    found: dict[str, list[str]] = {}
    for node in nodes:
        kind, names = kind_of(node)
        found.setdefault(kind, [])
        found[kind] += [name for name in names if name not in found[kind]]
    kinds = sorted(found, key=_ORDER.index)
    return " and ".join(_phrase(kind, found[kind]) for kind in kinds[:2]) + (" ..." if len(kinds) > 2 else "")
