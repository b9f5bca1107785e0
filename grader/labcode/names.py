"""Which names one top-level statement binds, changes and reads, found with `ast` (nothing is executed).

Reads are split by when they happen: now (the statement's own expressions, decorators, defaults) or later
(a function body reads globals when it is called, after the whole file ran). A statement that only
changes a name (`df['x'] = ...`, `model.add(...)`, `x += 1`, an `if` or `for` that assigns it) "touches" it:
earlier definitions of the name are still needed. The approximation errs towards keeping too much.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

# Methods that change the object they are called on, so `name.method(...)` at the top level is part of `name`.
MUTATING_METHODS = frozenset({
    "add", "append", "extend", "insert", "update", "pop", "remove", "clear", "setdefault", "sort", "reverse",
    "compile", "build", "set_weights", "load_weights", "discard", "resize", "fill",
})   # pandas methods change their frame only with inplace=True, which counts on its own


@dataclass(frozen=True)
class StatementNames:
    binds: frozenset[str]        # names the statement (re)defines as a whole
    touches: frozenset[str]      # names it changes or may define (compound statements, mutation)
    reads_now: frozenset[str]
    reads_later: frozenset[str]  # globals read by the bodies of functions it defines


def _children(node: ast.AST) -> list[ast.AST]:
    """`ast.iter_child_nodes` as a list, without its two generators per node (the slice reads every statement
    of every submission of a batch)."""
    children: list[ast.AST] = []
    for name in node._fields:
        value = getattr(node, name, None)
        if isinstance(value, ast.AST):
            children.append(value)
        elif isinstance(value, list):
            children.extend(item for item in value if isinstance(item, ast.AST))
    return children


def _nodes(node: ast.AST):
    """Every node under `node`, itself included, in no particular order (`ast.walk`, faster)."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(_children(current))


def _loads(node: ast.AST) -> set[str]:
    return {child.id for child in _nodes(node) if isinstance(child, ast.Name) and isinstance(child.ctx, ast.Load)}


def _bound_here(child: ast.AST, names: set[str]) -> None:
    """Add the names `child` binds, if it is a store, a definition, an import, an `except ... as` or a match capture."""
    if isinstance(child, ast.Name):
        if isinstance(child.ctx, (ast.Store, ast.Del)):
            names.add(child.id)
    elif isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        names.add(child.name)
    elif isinstance(child, (ast.Import, ast.ImportFrom)):
        names.update(_imported_name(alias) for alias in child.names if alias.name != "*")
    elif isinstance(child, (ast.ExceptHandler, ast.MatchAs, ast.MatchStar)) and child.name:
        names.add(child.name)


def _imported_name(alias: ast.alias) -> str:
    return alias.asname or alias.name.split(".")[0]


def _root(node: ast.AST) -> str | None:
    """`df` in `df['x']`, `df.a.b`, `df.method(...)`."""
    while isinstance(node, (ast.Attribute, ast.Subscript, ast.Call)):
        node = node.func if isinstance(node, ast.Call) else node.value
    return node.id if isinstance(node, ast.Name) else None


def function_free_names(node: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda) -> set[str]:
    """Globals a function's body may read: every name it loads minus its parameters and its own locals."""
    arguments = node.args
    parameters = {a.arg for a in arguments.posonlyargs + arguments.args + arguments.kwonlyargs}
    parameters |= {a.arg for a in (arguments.vararg, arguments.kwarg) if a is not None}
    body = node.body if isinstance(node.body, list) else [node.body]
    loads: set[str] = set()
    stores: set[str] = set()
    declared_global: set[str] = set()
    for stmt in body:   # one walk for all three
        for child in _nodes(stmt):
            if isinstance(child, ast.Name) and isinstance(child.ctx, ast.Load):
                loads.add(child.id)
            elif isinstance(child, ast.Global):
                declared_global.update(child.names)
            else:
                _bound_here(child, stores)
    return loads - parameters - (stores - declared_global)


def _signature_reads(node: ast.FunctionDef | ast.AsyncFunctionDef) -> set[str]:
    arguments = node.args
    parts = [*node.decorator_list, *arguments.defaults, *(d for d in arguments.kw_defaults if d is not None)]
    parts += [a.annotation for a in arguments.posonlyargs + arguments.args + arguments.kwonlyargs if a.annotation]
    if node.returns is not None:
        parts.append(node.returns)
    return set().union(*(_loads(part) for part in parts)) if parts else set()


def statement_names(node: ast.stmt) -> StatementNames:
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return StatementNames(frozenset({node.name}), frozenset(), frozenset(_signature_reads(node)),
                              frozenset(function_free_names(node)))
    if isinstance(node, ast.ClassDef):
        later: set[str] = set()
        now = set().union(*(_loads(part) for part in [*node.bases, *node.keywords, *node.decorator_list])) \
            if node.bases or node.keywords or node.decorator_list else set()
        for stmt in node.body:
            if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
                now |= _signature_reads(stmt)
                later |= function_free_names(stmt)
            else:
                now |= _loads(stmt)
        return StatementNames(frozenset({node.name}), frozenset(), frozenset(now), frozenset(later))
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        names = frozenset(_imported_name(alias) for alias in node.names if alias.name != "*")
        return StatementNames(names, frozenset(), frozenset(), frozenset())
    reads, stores, mutated, later = _scan(node)
    if isinstance(node, (ast.Assign, ast.AnnAssign)) and getattr(node, "value", None) is not None:
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        binds = {name for target in targets for name in _direct_names(target)}
        return StatementNames(frozenset(binds), frozenset(mutated - binds), frozenset(reads), frozenset(later))
    return StatementNames(frozenset(), frozenset(stores | mutated), frozenset(reads), frozenset(later))


def _scan(node: ast.stmt) -> tuple[set[str], set[str], set[str], set[str]]:
    """One walk over a statement: the names it loads, stores, changes in place, and its lambdas' globals."""
    loads: set[str] = set()
    stores: set[str] = set()
    mutated: set[str | None] = set()
    later: set[str] = set()
    stack: list[tuple[ast.AST, bool]] = [(node, False)]   # (node, inside a lambda already read)
    while stack:
        child, in_lambda = stack.pop()
        inner_in_lambda = in_lambda or isinstance(child, ast.Lambda)
        stack.extend((inner, inner_in_lambda) for inner in _children(child))
        if isinstance(child, ast.Name):
            (loads if isinstance(child.ctx, ast.Load) else stores).add(child.id)
        elif isinstance(child, (ast.Subscript, ast.Attribute)) and isinstance(child.ctx, (ast.Store, ast.Del)):
            mutated.add(_root(child.value))
        elif isinstance(child, ast.AugAssign) and isinstance(child.target, ast.Name):
            mutated.add(child.target.id)
        elif isinstance(child, ast.Call) and isinstance(child.func, ast.Attribute):
            if child.func.attr in MUTATING_METHODS or any(k.arg == "inplace" for k in child.keywords):
                mutated.add(_root(child.func.value))
        elif isinstance(child, ast.Lambda) and not in_lambda:
            # Only the outermost lambda: its free names cover the ones nested in it (their parameters too,
            # an over-approximation the slice accepts). Reading each nested one again was quadratic in depth.
            later |= function_free_names(child)
        else:
            _bound_here(child, stores)
    return loads, stores, {name for name in mutated if name is not None}, later


def _direct_names(target: ast.expr) -> set[str]:
    """Names a target rebinds as a whole: `x`, `(a, b)`, `[a, *rest]`; not `df['x']` or `obj.attr`."""
    if isinstance(target, ast.Name):
        return {target.id}
    if isinstance(target, (ast.Tuple, ast.List)):
        return set().union(*(_direct_names(item) for item in target.elts)) if target.elts else set()
    if isinstance(target, ast.Starred):
        return _direct_names(target.value)
    return set()
