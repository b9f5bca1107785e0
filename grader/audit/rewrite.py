"""Equivalent rewrites of a reference solution: the same answers, written as students write them.

Mutants hold the checks to strength; rewrites hold them to fairness. Each rewrite is one style a student
could use (numpy imported without its alias, a loop for a comprehension, `np.where` for `np.maximum`, a
Sequential model built with `.add` instead of a list, `keras.Input` instead of `input_shape=`, an object for
a string optimizer, ...), made on the syntax tree, so it applies to any exercise whose reference has the
construct. Pairs of styles are rewrites too: students mix them. Every rewrite must earn full marks.
"""

from __future__ import annotations

import ast
import copy
import itertools
from dataclasses import dataclass
from typing import Any, Callable, Iterator

Transform = Callable[[ast.Module], "ast.Module | None"]   # a changed copy, or None where the style does not apply

MAX_REWRITES = 40


@dataclass(frozen=True)
class Rewrite:
    id: str       # r01, r02, ... in the order they are generated
    style: str    # what the student wrote, in words
    source: str
    paired: bool = False   # two styles at once; every single style comes before the first pair


# ------------------------------------------------------------------ helpers


def _numpy_alias(tree: ast.Module) -> str | None:
    for node in tree.body:
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == "numpy":
                    return alias.asname or "numpy"
    return None


def _defined_names(tree: ast.AST) -> set[str]:
    return {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)} | \
        {node.name for node in ast.walk(tree) if isinstance(node, (ast.FunctionDef, ast.ClassDef))} | \
        {arg.arg for node in ast.walk(tree) if isinstance(node, ast.arguments)
         for arg in (*node.posonlyargs, *node.args, *node.kwonlyargs)}


def _changed(tree: ast.Module, change: Callable[[ast.Module], bool]) -> ast.Module | None:
    """A copy of `tree` changed by `change` in place, or None when `change` found nothing to change."""
    copied = copy.deepcopy(tree)
    return ast.fix_missing_locations(copied) if change(copied) else None


def _calls_to(tree: ast.AST, owner: str, names: tuple[str, ...]) -> Iterator[Any]:
    """Calls `owner.name(...)`: each an ast.Call whose func is an ast.Attribute."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in names \
                and isinstance(node.func.value, ast.Name) and node.func.value.id == owner:
            yield node


def _replace_nodes(tree: ast.AST, replace: Callable[[ast.AST], "ast.AST | None"]) -> bool:
    """Replace, anywhere in the tree, each node for which `replace` gives a new node; whether any was."""
    changed = False

    class Replacer(ast.NodeTransformer):
        def generic_visit(self, node):   # children first, so a replacement is not visited again
            node = super().generic_visit(node)
            new = replace(node)
            if new is None:
                return node
            nonlocal changed
            changed = True
            return ast.copy_location(new, node)

    Replacer().visit(tree)
    return changed


def _statement_lists(tree: ast.AST) -> list[list[ast.stmt]]:
    """Every list of statements in the tree (the bodies of the module, functions, loops, ifs ...), gathered
    before any is changed."""
    return [node.body for node in ast.walk(tree) if isinstance(getattr(node, "body", None), list)]  # type: ignore[attr-defined]


def _parse_expr(text: str) -> ast.expr:
    return ast.parse(text, mode="eval").body


# ------------------------------------------------------------------ numpy and plain Python styles


def numpy_without_alias(tree: ast.Module) -> ast.Module | None:
    alias = _numpy_alias(tree)
    if alias != "np" or "numpy" in _defined_names(tree):
        return None

    def change(copied: ast.Module) -> bool:
        for node in ast.walk(copied):
            if isinstance(node, ast.Import):
                for name in node.names:
                    if name.name == "numpy":
                        name.asname = None
            if isinstance(node, ast.Name) and node.id == "np":
                node.id = "numpy"
        return True

    return _changed(tree, change)


def numpy_functions_imported(tree: ast.Module) -> ast.Module | None:
    """`from numpy import exp` and `exp(z)` for every plain `np.f(...)` call."""
    alias = _numpy_alias(tree)
    if alias is None:
        return None
    taken = _defined_names(tree)
    names = sorted({call.func.attr for call in _calls_to(tree, alias, tuple(_plain_numpy_functions()))} - taken)
    if not names:
        return None

    def change(copied: ast.Module) -> bool:
        for call in list(_calls_to(copied, alias, tuple(names))):
            call.func = ast.Name(call.func.attr, ast.Load())
        index = next(i for i, node in enumerate(copied.body) if isinstance(node, ast.Import)
                     and any(n.name == "numpy" for n in node.names))
        copied.body.insert(index + 1, ast.ImportFrom("numpy", [ast.alias(name) for name in names], 0))
        return True

    return _changed(tree, change)


def _plain_numpy_functions() -> set[str]:
    return {"exp", "log", "sqrt", "tanh", "maximum", "minimum", "where", "clip", "sum", "mean", "dot", "zeros",
            "ones", "array", "asarray", "abs", "max", "min", "argmax", "eye", "square", "power", "exp2"}


def maximum_as_where(tree: ast.Module) -> ast.Module | None:
    """`np.where(x > 0, x, 0)` for `np.maximum(x, 0)` (a 0-d array for a number, as students get)."""
    alias = _numpy_alias(tree)
    if alias is None or not list(_calls_to(tree, alias, ("maximum",))):
        return None

    def change(copied: ast.Module) -> bool:
        def replace(node):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "maximum" \
                    and isinstance(node.func.value, ast.Name) and node.func.value.id == alias \
                    and len(node.args) == 2 and not node.keywords:
                a, b = node.args
                test = ast.Compare(copy.deepcopy(a), [ast.Gt()], [copy.deepcopy(b)])
                return ast.Call(ast.Attribute(ast.Name(alias, ast.Load()), "where", ast.Load()), [test, a, b], [])
            return None
        return _replace_nodes(copied, replace)

    return _changed(tree, change)


def maximum_as_clip(tree: ast.Module) -> ast.Module | None:
    """`np.clip(x, 0, None)` for `np.maximum(x, 0)`."""
    alias = _numpy_alias(tree)
    if alias is None:
        return None

    def change(copied: ast.Module) -> bool:
        def replace(node):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "maximum" \
                    and isinstance(node.func.value, ast.Name) and node.func.value.id == alias and len(node.args) == 2:
                a, b = node.args
                if isinstance(b, ast.Constant) and b.value == 0:
                    value = a
                elif isinstance(a, ast.Constant) and a.value == 0:
                    value = b
                else:
                    return None
                return ast.Call(ast.Attribute(ast.Name(alias, ast.Load()), "clip", ast.Load()),
                                [value, ast.Constant(0), ast.Constant(None)], [])
            return None
        return _replace_nodes(copied, replace)

    return _changed(tree, change)


def exp_as_power_of_e(tree: ast.Module) -> ast.Module | None:
    """`np.e ** z` for `np.exp(z)`."""
    alias = _numpy_alias(tree)
    if alias is None:
        return None

    def change(copied: ast.Module) -> bool:
        def replace(node):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "exp" \
                    and isinstance(node.func.value, ast.Name) and node.func.value.id == alias and len(node.args) == 1:
                return ast.BinOp(ast.Attribute(ast.Name(alias, ast.Load()), "e", ast.Load()), ast.Pow(), node.args[0])
            return None
        return _replace_nodes(copied, replace)

    return _changed(tree, change)


def square_as_product(tree: ast.Module) -> ast.Module | None:
    """`d * d` for `d ** 2` (a name, or a parenthesised difference assigned first)."""
    def change(copied: ast.Module) -> bool:
        def replace(node):
            if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow) and isinstance(node.right, ast.Constant) \
                    and node.right.value == 2 and isinstance(node.left, (ast.Name, ast.BinOp, ast.Attribute)):
                return ast.BinOp(node.left, ast.Mult(), copy.deepcopy(node.left))
            return None
        return _replace_nodes(copied, replace)

    return _changed(tree, change)


def negation_as_subtraction(tree: ast.Module) -> ast.Module | None:
    """`0 - z` for `-z`."""
    def change(copied: ast.Module) -> bool:
        def replace(node):
            if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub) and not isinstance(node.operand, ast.Constant):
                return ast.BinOp(ast.Constant(0), ast.Sub(), node.operand)
            return None
        return _replace_nodes(copied, replace)

    return _changed(tree, change)


def results_named_before_return(tree: ast.Module) -> ast.Module | None:
    """`result = ...; return result` for `return ...`."""
    def change(copied: ast.Module) -> bool:
        found = False
        for function in [node for node in ast.walk(copied) if isinstance(node, ast.FunctionDef)]:
            taken = _defined_names(function)
            name = next(candidate for candidate in ("result", "answer", "output_value", "value_out") if candidate not in taken)
            for holder in [node for node in ast.walk(function) if hasattr(node, "body") and isinstance(node.body, list)]:
                for field in ("body", "orelse"):
                    statements = getattr(holder, field, None)
                    if not isinstance(statements, list):
                        continue
                    for index in range(len(statements) - 1, -1, -1):
                        statement = statements[index]
                        if isinstance(statement, ast.Return) and statement.value is not None \
                                and not isinstance(statement.value, (ast.Name, ast.Constant)):
                            statements[index:index + 1] = [
                                ast.Assign([ast.Name(name, ast.Store())], statement.value),
                                ast.Return(ast.Name(name, ast.Load()))]
                            found = True
        return found

    return _changed(tree, change)


def comprehensions_as_loops(tree: ast.Module) -> ast.Module | None:
    """A `for` loop appending to a list (or filling a dict) for `name = [... for x in xs]` and `return [...]`."""
    def change(copied: ast.Module) -> bool:
        found = False
        for function in [node for node in ast.walk(copied) if isinstance(node, ast.FunctionDef)]:
            taken = _defined_names(function)
            for statements in _statement_lists(function):
                for index in range(len(statements) - 1, -1, -1):
                    statement = statements[index]
                    target, comprehension = _comprehension_of(statement)
                    if comprehension is None or len(comprehension.generators) != 1 \
                            or comprehension.generators[0].is_async:
                        continue
                    name = target or next(c for c in ("collected", "items_out", "built") if c not in taken)
                    loop = _as_loop(name, comprehension)
                    replacement: list[ast.stmt] = [loop[0], loop[1]]
                    if target is None:
                        replacement.append(ast.Return(ast.Name(name, ast.Load())))
                    statements[index:index + 1] = replacement
                    found = True
        return found

    return _changed(tree, change)


def _comprehension_of(statement: ast.stmt) -> tuple[str | None, "ast.ListComp | ast.DictComp | None"]:
    if isinstance(statement, ast.Assign) and len(statement.targets) == 1 and isinstance(statement.targets[0], ast.Name) \
            and isinstance(statement.value, (ast.ListComp, ast.DictComp)):
        return statement.targets[0].id, statement.value
    if isinstance(statement, ast.Return) and isinstance(statement.value, (ast.ListComp, ast.DictComp)):
        return None, statement.value
    return None, None


def _as_loop(name: str, comprehension: ast.ListComp | ast.DictComp) -> tuple[ast.stmt, ast.stmt]:
    generator = comprehension.generators[0]
    if isinstance(comprehension, ast.ListComp):
        start: ast.expr = ast.List([], ast.Load())
        add: ast.stmt = ast.Expr(ast.Call(ast.Attribute(ast.Name(name, ast.Load()), "append", ast.Load()),
                                          [comprehension.elt], []))
    else:
        start = ast.Dict([], [])
        add = ast.Assign([ast.Subscript(ast.Name(name, ast.Load()), comprehension.key, ast.Store())], comprehension.value)
    body: list[ast.stmt] = [add]
    for condition in reversed(generator.ifs):
        body = [ast.If(condition, body, [])]
    return (ast.Assign([ast.Name(name, ast.Store())], start),
            ast.For(generator.target, generator.iter, body, []))


def range_loops_as_while(tree: ast.Module) -> ast.Module | None:
    """`i = 0; while i < n: ...; i += 1` for `for i in range(n):` (a loop without `continue`)."""
    def change(copied: ast.Module) -> bool:
        found = False
        for statements in _statement_lists(copied):
            for index in range(len(statements) - 1, -1, -1):
                loop = statements[index]
                if not (isinstance(loop, ast.For) and isinstance(loop.iter, ast.Call)
                        and isinstance(loop.iter.func, ast.Name) and loop.iter.func.id == "range"
                        and len(loop.iter.args) == 1 and not loop.orelse
                        and not any(isinstance(node, ast.Continue) for node in ast.walk(loop))):
                    continue
                if isinstance(loop.target, ast.Name) and loop.target.id != "_":
                    counter = loop.target.id
                elif isinstance(loop.target, ast.Name):
                    counter = next(c for c in ("step", "epoch_number", "iteration") if c not in _defined_names(copied))
                else:
                    continue
                advance = ast.AugAssign(ast.Name(counter, ast.Store()), ast.Add(), ast.Constant(1))
                statements[index:index + 1] = [
                    ast.Assign([ast.Name(counter, ast.Store())], ast.Constant(0)),
                    ast.While(ast.Compare(ast.Name(counter, ast.Load()), [ast.Lt()], [loop.iter.args[0]]),
                              [*loop.body, advance], [])]
                found = True
        return found

    return _changed(tree, change)


def functions_reordered(tree: ast.Module) -> ast.Module | None:
    """The module's functions in the reverse order (a module of imports, constants and functions only)."""
    functions = [node for node in tree.body if isinstance(node, ast.FunctionDef)]
    if len(functions) < 2 or any(not isinstance(node, (ast.FunctionDef, ast.Import, ast.ImportFrom, ast.Assign, ast.Expr))
                                 for node in tree.body):
        return None

    def change(copied: ast.Module) -> bool:
        positions = [i for i, node in enumerate(copied.body) if isinstance(node, ast.FunctionDef)]
        reordered = [copied.body[i] for i in reversed(positions)]
        for position, node in zip(positions, reordered):
            copied.body[position] = node
        return True

    return _changed(tree, change)


def docstrings_added(tree: ast.Module) -> ast.Module | None:
    def change(copied: ast.Module) -> bool:
        for function in [node for node in ast.walk(copied) if isinstance(node, ast.FunctionDef)]:
            function.body.insert(0, ast.Expr(ast.Constant(f"My {function.name.replace('_', ' ')}, as in the lecture.")))
        return True

    return _changed(tree, change)


def imports_inside_functions(tree: ast.Module) -> ast.Module | None:
    """`import numpy as np` inside each function that uses it, none at the top."""
    alias = _numpy_alias(tree)
    if alias is None or any(isinstance(node, ast.Name) and node.id == alias
                            for statement in tree.body if not isinstance(statement, ast.FunctionDef)
                            for node in ast.walk(statement)):
        return None

    def change(copied: ast.Module) -> bool:
        copied.body = [node for node in copied.body if not (isinstance(node, ast.Import)
                                                            and any(n.name == "numpy" for n in node.names))]
        for function in [node for node in copied.body if isinstance(node, ast.FunctionDef)]:
            if any(isinstance(node, ast.Name) and node.id == alias for node in ast.walk(function)):
                function.body.insert(0, ast.Import([ast.alias("numpy", alias if alias != "numpy" else None)]))
        return True

    return _changed(tree, change)


def own_calls_by_keyword(tree: ast.Module) -> ast.Module | None:
    """Calls to the module's own functions with keyword arguments (`sigmoid(z=w * x + b)`)."""
    parameters = {node.name: [arg.arg for arg in node.args.args] for node in tree.body if isinstance(node, ast.FunctionDef)}

    def change(copied: ast.Module) -> bool:
        found = False
        for node in ast.walk(copied):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in parameters \
                    and node.args and not any(isinstance(arg, ast.Starred) for arg in node.args):
                names = parameters[node.func.id]
                if len(node.args) <= len(names):
                    node.keywords = [ast.keyword(name, arg) for name, arg in zip(names, node.args)] + node.keywords
                    node.args = []
                    found = True
        return found

    return _changed(tree, change)


# ------------------------------------------------------------------ Keras styles


def _keras_names(tree: ast.Module) -> tuple[str | None, dict[str, str]]:
    """How the module reaches Keras: the name of the `keras` module, and names imported from it (Dense -> layers)."""
    module = None
    imported: dict[str, str] = {}
    for node in tree.body:
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name in ("keras", "tensorflow.keras"):
                    module = alias.asname or alias.name
        elif isinstance(node, ast.ImportFrom) and node.module:
            if node.module == "tensorflow" and any(a.name == "keras" for a in node.names):
                module = "keras"
            if node.module.startswith(("keras", "tensorflow.keras")):
                for alias in node.names:
                    imported[alias.asname or alias.name] = node.module
    return module, imported


def keras_from_tensorflow(tree: ast.Module) -> ast.Module | None:
    """`from tensorflow import keras` (and `tensorflow.keras....` imports) for `import keras`."""
    if not any(isinstance(node, ast.Import) and any(a.name == "keras" for a in node.names) for node in tree.body) and \
            not any(isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("keras")
                    for node in tree.body):
        return None

    def change(copied: ast.Module) -> bool:
        for index, node in enumerate(copied.body):
            if isinstance(node, ast.Import) and any(a.name == "keras" and a.asname is None for a in node.names):
                copied.body[index] = ast.ImportFrom("tensorflow", [ast.alias("keras")], 0)
            elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("keras"):
                node.module = "tensorflow." + node.module
        return True

    return _changed(tree, change)


def _sequential_calls(tree: ast.AST) -> Iterator[ast.Call]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and (
                (isinstance(node.func, ast.Name) and node.func.id == "Sequential")
                or (isinstance(node.func, ast.Attribute) and node.func.attr == "Sequential")):
            yield node


def sequential_as_list(tree: ast.Module) -> ast.Module | None:
    """`model = Sequential([layer, ...])` for `model = Sequential()` followed by `model.add(layer)` lines."""
    def change(copied: ast.Module) -> bool:
        found = False
        for statements in _statement_lists(copied):
            index = 0
            while index < len(statements):
                statement = statements[index]
                if isinstance(statement, ast.Assign) and len(statement.targets) == 1 \
                        and isinstance(statement.targets[0], ast.Name) and isinstance(statement.value, ast.Call) \
                        and statement.value in list(_sequential_calls(statement)) and not statement.value.args \
                        and not statement.value.keywords:
                    name = statement.targets[0].id
                    layers = []
                    after = index + 1
                    while after < len(statements) and _adds_to(statements[after], name):
                        layers.append(statements[after].value.args[0])  # type: ignore[attr-defined]  # an .add call (_adds_to)
                        after += 1
                    if layers:
                        statement.value.args = [ast.List(layers, ast.Load())]
                        del statements[index + 1:after]
                        found = True
                index += 1
        return found

    return _changed(tree, change)


def _adds_to(statement: ast.stmt, name: str) -> bool:
    return isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Call) \
        and isinstance(statement.value.func, ast.Attribute) and statement.value.func.attr == "add" \
        and isinstance(statement.value.func.value, ast.Name) and statement.value.func.value.id == name \
        and len(statement.value.args) == 1


def _sequential_list(statement: ast.stmt) -> tuple[ast.Name, ast.Call, list[ast.expr]] | None:
    """Of a statement `name = Sequential([layer, ...])`: the name, the call and its layers; else None."""
    if isinstance(statement, ast.Assign) and len(statement.targets) == 1 \
            and isinstance(statement.targets[0], ast.Name) and isinstance(statement.value, ast.Call) and statement.value in list(_sequential_calls(statement)) \
            and len(statement.value.args) == 1 and isinstance(statement.value.args[0], ast.List):
        return statement.targets[0], statement.value, statement.value.args[0].elts
    return None


def sequential_with_add(tree: ast.Module) -> ast.Module | None:
    """`model = Sequential()` and one `model.add(layer)` a layer, for `model = Sequential([layer, ...])`."""
    def change(copied: ast.Module) -> bool:
        found = False
        for statements in _statement_lists(copied):
            for index in range(len(statements) - 1, -1, -1):
                statement = statements[index]
                listed = _sequential_list(statement)
                if listed is not None:
                    target, call, layers = listed
                    name = target.id
                    call.args = []
                    adds = [ast.Expr(ast.Call(ast.Attribute(ast.Name(name, ast.Load()), "add", ast.Load()), [layer], []))
                            for layer in layers]
                    statements[index + 1:index + 1] = adds
                    found = True
        return found

    return _changed(tree, change)


def sequential_as_functional(tree: ast.Module) -> ast.Module | None:
    """The Functional API for a Sequential model that starts with `Input`: the input, each layer called on the
    output of the one before, and `keras.Model(inputs, outputs)`, as the Keras blog's autoencoder is written."""
    module = _keras_module_name(tree)
    taken = _defined_names(tree)
    inputs = next((name for name in ("inputs", "model_input", "input_tensor") if name not in taken), None)
    outputs = next((name for name in ("outputs", "model_output", "output_tensor") if name not in taken), None)
    if inputs is None or outputs is None:
        return None

    def change(copied: ast.Module) -> bool:
        found = False
        for statements in _statement_lists(copied):
            for index in range(len(statements) - 1, -1, -1):
                statement = statements[index]
                listed = _sequential_list(statement)
                if listed is None or listed[1].keywords:   # Sequential([...], name=...)
                    continue
                target, _, layers = listed
                if len(layers) < 2 or _input_shape(layers[0]) is None \
                        or any(isinstance(layer, ast.Starred) for layer in layers):
                    continue
                functional: list[ast.stmt] = [ast.Assign([ast.Name(inputs, ast.Store())], layers[0])]
                previous = inputs
                for layer in layers[1:]:
                    functional.append(ast.Assign([ast.Name(outputs, ast.Store())],
                                                 ast.Call(layer, [ast.Name(previous, ast.Load())], [])))
                    previous = outputs
                functional.append(ast.Assign([target], _parse_expr(f"{module}.Model({inputs}, {outputs})")))
                statements[index:index + 1] = functional
                found = True
        if found:
            _with_keras_import(copied, module)
        return found

    return _changed(sequential_as_list(tree) or tree, change)


def _keyword(call: ast.Call, name: str) -> ast.keyword | None:
    return next((keyword for keyword in call.keywords if keyword.arg == name), None)


def _compile_calls(tree: ast.AST) -> Iterator[ast.Call]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "compile":
            yield node


_OPTIMIZERS = {"adam": "Adam", "sgd": "SGD", "rmsprop": "RMSprop", "adagrad": "Adagrad"}
_LOSSES = {"mean_squared_error": "MeanSquaredError", "mse": "MeanSquaredError",
           "categorical_crossentropy": "CategoricalCrossentropy", "binary_crossentropy": "BinaryCrossentropy",
           "sparse_categorical_crossentropy": "SparseCategoricalCrossentropy", "mean_absolute_error": "MeanAbsoluteError"}


def _keras_module_name(tree: ast.Module) -> str:
    module, _ = _keras_names(tree)
    return module or "keras"


def _insert_import(copied: ast.Module, statement: ast.stmt) -> None:
    """`statement` before the module's first import, after its docstring and any `from __future__` import."""
    def leading(node: ast.stmt) -> bool:
        return (isinstance(node, ast.ImportFrom) and node.module == "__future__") or \
            (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str))
    after = 0
    while after < len(copied.body) and leading(copied.body[after]):
        after += 1
    position = next((i for i, node in enumerate(copied.body)
                     if i >= after and isinstance(node, (ast.Import, ast.ImportFrom))), after)
    copied.body.insert(position, statement)


def _with_keras_import(copied: ast.Module, module: str) -> None:
    if not any(isinstance(node, ast.Import) and any((a.asname or a.name) == module for a in node.names)
               for node in copied.body) and not any(isinstance(node, ast.ImportFrom) and node.module == "tensorflow"
                                                    and any(a.name == module for a in node.names) for node in copied.body):
        _insert_import(copied, ast.Import([ast.alias("keras")]))


def compile_with_objects(tree: ast.Module) -> ast.Module | None:
    """`optimizer=keras.optimizers.Adam()` and `loss=keras.losses.MeanSquaredError()` for their strings."""
    if not list(_compile_calls(tree)):
        return None
    module = _keras_module_name(tree)

    def change(copied: ast.Module) -> bool:
        found = False
        for call in _compile_calls(copied):
            for name, table, package in (("optimizer", _OPTIMIZERS, "optimizers"), ("loss", _LOSSES, "losses")):
                keyword = _keyword(call, name)
                if keyword is not None and isinstance(keyword.value, ast.Constant) and keyword.value.value in table:
                    keyword.value = _parse_expr(f"{module}.{package}.{table[keyword.value.value]}()")
                    found = True
        if found:
            _with_keras_import(copied, module)
        return found

    return _changed(tree, change)


def compile_positional(tree: ast.Module) -> ast.Module | None:
    """`model.compile("adam", "mean_squared_error")`: optimizer and loss by position."""
    def change(copied: ast.Module) -> bool:
        found = False
        for call in _compile_calls(copied):
            optimizer, loss = _keyword(call, "optimizer"), _keyword(call, "loss")
            if optimizer is not None and loss is not None and not call.args:
                call.args = [optimizer.value, loss.value]
                call.keywords = [k for k in call.keywords if k.arg not in ("optimizer", "loss")]
                found = True
        return found

    return _changed(tree, change)


def _metric_style(replacement: Callable[[str], str]) -> Transform:
    """Every `metrics=["accuracy"]` of a categorical model written another way Keras treats as the same."""
    def transform(tree: ast.Module) -> ast.Module | None:
        module = _keras_module_name(tree)

        def change(copied: ast.Module) -> bool:
            found = False
            for call in _compile_calls(copied):
                metrics, loss = _keyword(call, "metrics"), _keyword(call, "loss")
                if metrics is None or not isinstance(metrics.value, ast.List) or loss is None \
                        or not (isinstance(loss.value, ast.Constant) and loss.value.value == "categorical_crossentropy"):
                    continue
                for index, item in enumerate(metrics.value.elts):
                    if isinstance(item, ast.Constant) and item.value == "accuracy":
                        metrics.value.elts[index] = _parse_expr(replacement(module))
                        found = True
            if found:
                _with_keras_import(copied, module)
            return found

        return _changed(tree, change)

    return transform


def one_hot_with_eye(tree: ast.Module) -> ast.Module | None:
    """`np.eye(num_classes)[labels]` for `to_categorical(labels, num_classes)`."""
    alias = _numpy_alias(tree)
    if alias is None:
        return None

    def change(copied: ast.Module) -> bool:
        def replace(node):
            if isinstance(node, ast.Call) and ((isinstance(node.func, ast.Name) and node.func.id == "to_categorical")
                                               or (isinstance(node.func, ast.Attribute)
                                                   and node.func.attr == "to_categorical")) and len(node.args) == 2:
                labels, classes = (ast.unparse(arg) for arg in node.args)
                count = f"({classes} if {classes} is not None else int({alias}.max({labels})) + 1)"
                return _parse_expr(f"{alias}.eye({count}, dtype='float32')[{alias}.asarray({labels}, dtype=int)]")
            return None
        return _replace_nodes(copied, replace)

    return _changed(tree, change)


def last_axis_as_minus_one(tree: ast.Module) -> ast.Module | None:
    """`axis=-1` for `axis=1` on the last axis of a 2-D array (argmax over a model's rows of probabilities)."""
    def change(copied: ast.Module) -> bool:
        found = False
        for node in ast.walk(copied):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "argmax":
                axis = _keyword(node, "axis")
                if axis is not None and isinstance(axis.value, ast.Constant) and axis.value.value == 1:
                    axis.value = ast.UnaryOp(ast.USub(), ast.Constant(1))
                    found = True
        return found

    return _changed(tree, change)


def _layer_calls(tree: ast.AST, layer: str) -> Iterator[ast.Call]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and ((isinstance(node.func, ast.Name) and node.func.id == layer)
                                           or (isinstance(node.func, ast.Attribute) and node.func.attr == layer)):
            yield node


def dense_units_by_keyword(tree: ast.Module) -> ast.Module | None:
    """`Dense(units=50, activation="relu")` for `Dense(50, activation="relu")`."""
    def change(copied: ast.Module) -> bool:
        found = False
        for call in _layer_calls(copied, "Dense"):
            if len(call.args) == 1 and _keyword(call, "units") is None:
                call.keywords.insert(0, ast.keyword("units", call.args[0]))
                call.args = []
                found = True
        return found

    return _changed(tree, change)


def _activation_names_as(copied: ast.Module, names: tuple[str, ...], spelled: Callable[[str], str]) -> bool:
    """Every `activation="relu"` (of `names`) written `spelled("relu")`; whether there was one."""
    found = False
    for node in ast.walk(copied):
        if isinstance(node, ast.keyword) and node.arg == "activation" and isinstance(node.value, ast.Constant) \
                and node.value.value in names:
            node.value = _parse_expr(spelled(node.value.value))
            found = True
    return found


def activations_as_functions(tree: ast.Module) -> ast.Module | None:
    """`activation=keras.activations.relu` for `activation="relu"`."""
    module = _keras_module_name(tree)

    def change(copied: ast.Module) -> bool:
        found = _activation_names_as(copied, ("relu", "sigmoid", "softmax", "tanh", "linear"),
                                     lambda name: f"{module}.activations.{name}")
        if found:
            _with_keras_import(copied, module)
        return found

    return _changed(tree, change)


def activations_from_tensorflow(tree: ast.Module) -> ast.Module | None:
    """`activation=tf.nn.softmax` for `activation="softmax"` (relu, sigmoid, tanh alike): TensorFlow's tutorials'
    spelling, which Keras describes by the function's own name ('softmax_v2')."""
    alias = next((name for name in ("tf", "tensorflow") if name not in _defined_names(tree)), None)
    if alias is None:
        return None

    def change(copied: ast.Module) -> bool:
        found = _activation_names_as(copied, ("relu", "sigmoid", "softmax", "tanh"), lambda name: f"{alias}.nn.{name}")
        if found:
            _insert_import(copied, ast.Import([ast.alias("tensorflow", None if alias == "tensorflow" else alias)]))
        return found

    return _changed(tree, change)


def activations_as_layers(tree: ast.Module) -> ast.Module | None:
    """`Dense(50), Activation("relu")` for `Dense(50, activation="relu")` (Conv2D alike), in a Sequential list or as
    one more `.add`: the same model, which Keras computes alike."""
    module = _keras_module_name(tree)

    def split(layer: ast.expr) -> ast.expr | None:
        """Take the activation out of a Dense or Conv2D call; the Activation layer that applies it instead."""
        if not (isinstance(layer, ast.Call) and ((isinstance(layer.func, ast.Name) and layer.func.id in _SPLIT_LAYERS)
                                                 or (isinstance(layer.func, ast.Attribute)
                                                     and layer.func.attr in _SPLIT_LAYERS))):
            return None
        keyword = _keyword(layer, "activation")
        if keyword is None or (isinstance(keyword.value, ast.Constant) and keyword.value.value in (None, "linear")):
            return None
        layer.keywords.remove(keyword)
        return _parse_expr(f"{module}.layers.Activation({ast.unparse(keyword.value)})")

    def change(copied: ast.Module) -> bool:
        found = False
        for call in _sequential_calls(copied):
            if call.args and isinstance(call.args[0], ast.List):
                layers = call.args[0].elts
                for index in range(len(layers) - 1, -1, -1):
                    activation = split(layers[index])
                    if activation is not None:
                        layers.insert(index + 1, activation)
                        found = True
        for statements in _statement_lists(copied):
            for index in range(len(statements) - 1, -1, -1):
                statement = statements[index]
                if isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Call) \
                        and isinstance(statement.value.func, ast.Attribute) and statement.value.func.attr == "add" \
                        and statement.value.args:
                    activation = split(statement.value.args[0])
                    if activation is not None:
                        model = copy.deepcopy(statement.value.func.value)
                        statements.insert(index + 1, ast.Expr(ast.Call(ast.Attribute(model, "add", ast.Load()),
                                                                       [activation], [])))
                        found = True
        if found:
            _with_keras_import(copied, module)
        return found

    return _changed(tree, change)


_SPLIT_LAYERS = ("Dense", "Conv2D")


def input_layer_as_input_shape(tree: ast.Module) -> ast.Module | None:
    """`Dense(50, activation="relu", input_shape=(n_cols,))` for a `keras.Input(shape=(n_cols,))` layer before it."""
    def change(copied: ast.Module) -> bool:
        found = False
        for sequence in _layer_sequences(copied):
            for index in range(len(sequence) - 1):
                first, second = sequence[index], sequence[index + 1]
                shape = _input_shape(first)
                if shape is not None and isinstance(second, ast.Call) and _keyword(second, "input_shape") is None:
                    second.keywords.append(ast.keyword("input_shape", shape))
                    del sequence[index]
                    found = True
                    break
        return found

    return _changed(tree, change)


def _input_shape(node: ast.expr | None) -> ast.expr | None:
    if isinstance(node, ast.Call) and ((isinstance(node.func, ast.Attribute) and node.func.attr == "Input")
                                       or (isinstance(node.func, ast.Name) and node.func.id == "Input")):
        shape = _keyword(node, "shape")
        if shape is not None:
            return shape.value
        if node.args:
            return node.args[0]
    return None


def _layer_sequences(tree: ast.AST) -> Iterator[list]:
    """Lists of layers given to Sequential, and the layers of consecutive `.add` lines (as a list view)."""
    for call in _sequential_calls(tree):
        if call.args and isinstance(call.args[0], ast.List):
            yield call.args[0].elts
    for statements in _statement_lists(tree):
        for index, statement in enumerate(statements):
            if isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Call) \
                    and isinstance(statement.value.func, ast.Attribute) and statement.value.func.attr == "add" \
                    and _input_shape(statement.value.args[0] if statement.value.args else None) is not None \
                    and index + 1 < len(statements) and isinstance(statements[index + 1], ast.Expr) \
                    and isinstance(statements[index + 1].value, ast.Call) and statements[index + 1].value.args:  # type: ignore[attr-defined]
                view = _AddView(statements, index)
                yield view


class _AddView(list):
    """Two consecutive `.add(layer)` statements seen as a list of their layers, so one rewrite serves both forms."""

    def __init__(self, statements: list, index: int) -> None:
        super().__init__([statements[index].value.args[0], statements[index + 1].value.args[0]])
        self._statements, self._index = statements, index

    def __delitem__(self, position) -> None:
        del self._statements[self._index + position]
        super().__delitem__(position)


# ------------------------------------------------------------------ the catalogue

STYLES: tuple[tuple[str, Transform], ...] = (
    ("numpy imported without its alias (import numpy)", numpy_without_alias),
    ("numpy functions imported by name (from numpy import exp)", numpy_functions_imported),
    ("np.where(x > 0, x, 0) for np.maximum(x, 0)", maximum_as_where),
    ("np.clip(x, 0, None) for np.maximum(x, 0)", maximum_as_clip),
    ("np.e ** z for np.exp(z)", exp_as_power_of_e),
    ("d * d for d ** 2", square_as_product),
    ("0 - z for -z", negation_as_subtraction),
    ("the result named before it is returned", results_named_before_return),
    ("for loops appending to a list for comprehensions", comprehensions_as_loops),
    ("while loops with a counter for range loops", range_loops_as_while),
    ("the functions in another order", functions_reordered),
    ("docstrings on every function", docstrings_added),
    ("numpy imported inside each function", imports_inside_functions),
    ("its own functions called with keyword arguments", own_calls_by_keyword),
    ("metrics=['acc'] for ['accuracy']", _metric_style(lambda module: "'acc'")),
    ("metrics=['categorical_accuracy'] for ['accuracy']", _metric_style(lambda module: "'categorical_accuracy'")),
    ("metrics=[CategoricalAccuracy()] for ['accuracy']",
     _metric_style(lambda module: f"{module}.metrics.CategoricalAccuracy()")),
    ("metrics=[CategoricalAccuracy(name='accuracy')] for ['accuracy']",
     _metric_style(lambda module: f"{module}.metrics.CategoricalAccuracy(name='accuracy')")),
    ("one-hot labels with np.eye for to_categorical", one_hot_with_eye),
    ("axis=-1 for axis=1 (the last axis)", last_axis_as_minus_one),
    ("from tensorflow import keras for import keras", keras_from_tensorflow),
    ("Sequential([...]) for Sequential() and .add", sequential_as_list),
    ("Sequential() and .add for Sequential([...])", sequential_with_add),
    ("the Functional API (keras.Model(inputs, outputs)) for Sequential", sequential_as_functional),
    ("optimizer and loss as objects (keras.optimizers.Adam())", compile_with_objects),
    ("compile(optimizer, loss) by position", compile_positional),
    ("Dense(units=...) by keyword", dense_units_by_keyword),
    ("activation=keras.activations.relu for 'relu'", activations_as_functions),
    ("activation=tf.nn.softmax for 'softmax' (tf.nn.relu alike)", activations_from_tensorflow),
    ("input_shape= on the first layer for keras.Input", input_layer_as_input_shape),
    ("Dense(n) then Activation('relu') for Dense(n, activation='relu')", activations_as_layers),
)


def rewrites(source: str, limit: int = MAX_REWRITES) -> list[Rewrite]:
    """Every single style that applies to `source`, then pairs of them, up to `limit`; each compiles and differs."""
    tree = ast.parse(source)
    base = ast.unparse(tree)
    singles: list[tuple[str, Transform]] = []
    found: list[Rewrite] = []
    seen = {base}

    def add(style: str, changed: ast.Module | None, paired: bool = False) -> bool:
        if changed is None:
            return False
        text = ast.unparse(changed)
        if text in seen:
            return False
        try:
            compile(text, "<rewrite>", "exec")
        except SyntaxError:   # a style that does not fit this reference's code: not a rewrite of it
            return False
        seen.add(text)
        found.append(Rewrite(f"r{len(found) + 1:02d}", style, text + "\n", paired))
        return True

    for style, transform in STYLES:
        if len(found) >= limit:
            break
        if add(style, transform(tree)):
            singles.append((style, transform))
    for (first_style, first), (second_style, second) in itertools.combinations(singles, 2):
        if len(found) >= limit:
            break
        once = first(tree)
        add(f"{first_style}; {second_style}", second(once) if once is not None else None, paired=True)
    return found
