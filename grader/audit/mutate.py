"""Mutants of a reference solution: one small, named change each, made on its syntax tree.

A mutant stands for a mistake a student could make (a flipped sign, a missing factor, the wrong
axis, one iteration too few, the derivative where the function belongs). The same source always
gives the same mutants in the same order, so two audits of one course compare line by line.
"""

from __future__ import annotations

import ast
import copy
import difflib
from dataclasses import dataclass
from typing import Iterator

# (operator family, what the change does, the replacement node or None to delete a statement)
Change = tuple[str, str, "ast.AST | None"]

_BINOP_SWAPS: dict[type, tuple[type, ...]] = {
    ast.Add: (ast.Sub,), ast.Sub: (ast.Add,), ast.Mult: (ast.Div,), ast.Div: (ast.Mult,),
    ast.Pow: (ast.Mult,), ast.FloorDiv: (ast.Div,), ast.MatMult: (ast.Mult,),
}
_COMPARE_SWAPS: dict[type, tuple[type, ...]] = {
    ast.Lt: (ast.LtE, ast.Gt), ast.LtE: (ast.Lt, ast.GtE), ast.Gt: (ast.GtE, ast.Lt), ast.GtE: (ast.Gt, ast.LtE),
    ast.Eq: (ast.NotEq,), ast.NotEq: (ast.Eq,), ast.Is: (ast.IsNot,), ast.IsNot: (ast.Is,),
}
_METHOD_SWAPS = {"sum": "mean", "mean": "sum", "max": "min", "min": "max", "maximum": "minimum",
                 "minimum": "maximum", "exp": "log", "log": "exp", "tanh": "sinh", "around": "floor",
                 "ones_like": "zeros_like", "zeros_like": "ones_like"}

# Keras names a student could pick instead: activations, losses, optimizers, metrics.
KERAS_NAMES = {
    "relu": ("sigmoid", "linear"), "sigmoid": ("relu", "softmax"), "softmax": ("sigmoid", "relu"),
    "tanh": ("relu",), "linear": ("relu",),
    "mean_squared_error": ("mean_absolute_error", "categorical_crossentropy"),
    "categorical_crossentropy": ("mean_squared_error", "binary_crossentropy"),
    "binary_crossentropy": ("mean_squared_error",), "adam": ("sgd",), "sgd": ("adam",),
    "accuracy": ("mse",),
}
# The changes that make a different model rather than a different computation (for the Keras exercises).
MODEL_LEVEL = ("model", "constant", "statement", "argument", "axis")


@dataclass(frozen=True)
class Mutant:
    """One changed copy of the reference: where and what changed, and the whole new source."""

    id: str          # m001, m002, ... in the order they are generated
    operator: str    # the family of change: operator, constant, sign, argument, axis, off-by-one, call, statement
    line: int
    function: str    # the top-level function it is in
    description: str
    source: str
    span: tuple[int, int, int, int] = (0, 0, 0, 0)   # the changed node in the reference: line, column, end line, end column
    replacement: str | None = None                   # what the node became (None: the statement was deleted)

    def diff(self, original: str) -> str:
        return "".join(difflib.unified_diff(original.splitlines(True), self.source.splitlines(True),
                                            "reference", self.id, n=1))


def baseline(source: str) -> str:
    """The reference as the mutants print it (comments dropped), so a diff shows only the change."""
    return ast.unparse(ast.parse(source)) + "\n"


def _constant_changes(node: ast.Constant) -> Iterator[Change]:
    value = node.value
    if type(value) is bool:
        yield "constant", f"{value} -> {not value}", ast.Constant(not value)
    elif type(value) is int:
        for bigger in ((value * 2, value // 2) if value >= 8 else (value + 1, value - 1)):
            yield "constant", f"{value} -> {bigger}", ast.Constant(bigger)
    elif type(value) is float:
        for other in sorted({value + 1.0, value / 2 if value else 1.0} - {value}):
            yield "constant", f"{value!r} -> {other!r}", ast.Constant(other)
    elif type(value) is str:
        for name in KERAS_NAMES.get(value, ()):
            yield "model", f"{value!r} -> {name!r}", ast.Constant(name)


def _call_name(call: ast.Call) -> str | None:
    if isinstance(call.func, ast.Name):
        return call.func.id
    if isinstance(call.func, ast.Attribute):
        return call.func.attr
    return None


def _changes(node: ast.AST, functions: dict[str, int]) -> Iterator[Change]:
    """Every change of one node, in a fixed order."""
    if isinstance(node, ast.BinOp):
        for new_op in _BINOP_SWAPS.get(type(node.op), ()):
            yield "operator", f"{type(node.op).__name__} -> {new_op.__name__}", ast.BinOp(node.left, new_op(), node.right)
        if isinstance(node.op, (ast.Mult, ast.Div, ast.Add, ast.Sub, ast.MatMult)):
            yield "operand", "keep only the left operand", node.left
            if not isinstance(node.op, (ast.Sub, ast.Div)):
                yield "operand", "keep only the right operand", node.right
        if isinstance(node.op, ast.Sub):
            yield "operand", "swap the operands", ast.BinOp(node.right, node.op, node.left)
    elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        yield "sign", "drop the minus sign", node.operand
    elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        yield "condition", "drop the `not`", node.operand
    elif isinstance(node, ast.Compare) and len(node.ops) == 1:
        for new_op in _COMPARE_SWAPS.get(type(node.ops[0]), ()):
            yield "comparison", f"{type(node.ops[0]).__name__} -> {new_op.__name__}", \
                ast.Compare(node.left, [new_op()], node.comparators)
    elif isinstance(node, ast.BoolOp):
        flipped = ast.Or() if isinstance(node.op, ast.And) else ast.And()
        yield "condition", f"{type(node.op).__name__} -> {type(flipped).__name__}", ast.BoolOp(flipped, node.values)
    elif isinstance(node, ast.Constant):
        yield from _constant_changes(node)
    elif isinstance(node, ast.Call):
        yield from _call_changes(node, functions)
    elif isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Slice):
        yield "off-by-one", "drop the slice's upper bound", ast.Subscript(node.value, ast.Slice(node.slice.lower, None, None), node.ctx)
    elif isinstance(node, (ast.Expr, ast.Break, ast.Continue, ast.AugAssign)) and not _is_docstring(node):
        yield "statement", f"delete `{ast.unparse(node).splitlines()[0][:40]}`", None
    elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) and node.id in functions:
        for other in _related(node.id, functions):
            yield "call", f"{node.id} -> {other}", ast.Name(other, ast.Load())
    elif isinstance(node, ast.If):
        yield "condition", "negate the condition", ast.If(ast.UnaryOp(ast.Not(), node.test), node.body, node.orelse)


def _is_docstring(node: ast.AST) -> bool:
    return isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)


def _call_changes(node: ast.Call, functions: dict[str, int]) -> Iterator[Change]:
    name = _call_name(node)
    if name == "range" and len(node.args) == 1:
        for delta, op in ((-1, ast.Sub()), (1, ast.Add())):
            bound = ast.BinOp(node.args[0], op, ast.Constant(1))
            yield "off-by-one", f"range(n) -> range(n {'-' if delta < 0 else '+'} 1)", ast.Call(node.func, [bound], node.keywords)
    if name in _METHOD_SWAPS and isinstance(node.func, ast.Attribute):
        new = _METHOD_SWAPS[name]
        yield "call", f"{name} -> {new}", ast.Call(ast.Attribute(node.func.value, new, ast.Load()), node.args, node.keywords)
    if isinstance(node.func, ast.Name) and name in functions:
        for other in _related(name, functions):
            yield "call", f"{name}() -> {other}()", ast.Call(ast.Name(other, ast.Load()), node.args, node.keywords)
    if len(node.args) >= 2 and name not in ("range", "zip", "where", "around", "format"):
        swapped = [node.args[1], node.args[0], *node.args[2:]]
        yield "argument", "swap the first two arguments", ast.Call(node.func, swapped, node.keywords)
    for index, keyword in enumerate(node.keywords):
        rest = node.keywords[:index] + node.keywords[index + 1:]
        if keyword.arg == "axis":
            yield "axis", f"drop axis={ast.unparse(keyword.value)}", ast.Call(node.func, node.args, rest)
            new_axis = 0 if ast.unparse(keyword.value) != "0" else -1
            yield "axis", f"axis={ast.unparse(keyword.value)} -> axis={new_axis}", \
                ast.Call(node.func, node.args, [*rest, ast.keyword("axis", ast.Constant(new_axis))])
        elif keyword.arg is not None:
            yield "argument", f"drop {keyword.arg}=", ast.Call(node.func, node.args, rest)


def _related(name: str, functions: dict[str, int]) -> list[str]:
    """Functions a student could call instead of `name`: f and f_derivative, taking as many arguments."""
    return [other for other in sorted(functions) if other != name and functions[other] == functions[name]
            and (other.startswith(name) or name.startswith(other))]


def _functions(tree: ast.Module) -> dict[str, int]:
    """Top-level functions and how many positional parameters they take."""
    return {node.name: len(node.args.args) for node in tree.body if isinstance(node, ast.FunctionDef)}


def _sites(tree: ast.Module) -> Iterator[tuple[str, ast.AST, ast.AST, str, int]]:
    """(enclosing function, parent, node, field, index) for every node inside a top-level function."""
    for function in tree.body:
        if not isinstance(function, ast.FunctionDef):
            continue
        for parent in ast.walk(function):
            for field_name, value in ast.iter_fields(parent):
                if isinstance(value, list):
                    for index, child in enumerate(value):
                        if isinstance(child, ast.AST):
                            yield function.name, parent, child, field_name, index
                elif isinstance(value, ast.AST):
                    yield function.name, parent, value, field_name, -1


def _replace(parent: ast.AST, field_name: str, index: int, new: ast.AST | None) -> bool:
    if index < 0:
        if new is None:
            return False
        setattr(parent, field_name, new)
        return True
    items = getattr(parent, field_name)
    if new is None:
        if len(items) == 1:
            items[0] = ast.Pass()
        else:
            del items[index]
        return True
    items[index] = new
    return True


def mutants(source: str, families: tuple[str, ...] | None = None) -> list[Mutant]:
    """Every mutant of `source`, deduplicated by their source text, in a fixed order.

    `families` keeps only those operator families (MODEL_LEVEL for the Keras exercises)."""
    original = baseline(source)
    tree = ast.parse(source)
    functions = _functions(tree)
    plan = [(position, change) for position, (_, _, node, _, _) in enumerate(_sites(tree))
            for change in _changes(node, functions) if families is None or change[0] in families]
    found: list[Mutant] = []
    seen = {original}
    for position, (operator, description, _) in plan:
        copy_tree = copy.deepcopy(tree)
        function, parent, node, field_name, index = list(_sites(copy_tree))[position]
        change = [c for c in _changes(node, functions) if c[1] == description and c[0] == operator][0]
        if not _replace(parent, field_name, index, change[2]):
            continue
        ast.fix_missing_locations(copy_tree)
        try:
            text = ast.unparse(copy_tree) + "\n"
            compile(text, "<mutant>", "exec")
        except (SyntaxError, ValueError, TypeError):
            continue
        if text in seen:
            continue
        seen.add(text)
        span = tuple(getattr(node, key, None) or 0 for key in ("lineno", "col_offset", "end_lineno", "end_col_offset"))
        found.append(Mutant(f"m{len(found) + 1:03d}", operator, getattr(node, "lineno", 0), function, description, text,
                            span, None if change[2] is None else ast.unparse(change[2])))  # type: ignore[arg-type]
    return found
