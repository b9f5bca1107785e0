"""Turn a Jupyter notebook into the Python module that is graded, and remember where each line came from.

Students submit notebooks that also print, plot, `!pip install` and train for 100 epochs at the top
level. By default only what defines things is kept (imports, functions, classes, constant
assignments), so grading runs the functions, not the lab; an exercise can ask for every cell.
IPython magics and shell lines are dropped either way. Nothing here executes the notebook: it is
read as data (nbformat) and parsed (ast).
"""

from __future__ import annotations

import ast
import json
from dataclasses import dataclass, field
from pathlib import Path

KEEP_DEFINITIONS = "definitions"
KEEP_ALL = "all"

# Calls that only build a constant; an assignment from anything else may train a model.
_PURE_CALLS = {"array", "asarray", "zeros", "ones", "arange", "linspace", "full", "eye", "dict", "list", "tuple",
               "set", "range", "float", "int", "str", "bool", "frozenset", "around", "round"}


_BUILTIN_NAMES = set(dir(__import__("builtins")))


class NotebookError(ValueError):
    """The notebook cannot be graded; the message says why in plain words."""


@dataclass(frozen=True)
class NotebookSource:
    text: str
    cell_of_line: dict[int, tuple[int, int]] = field(default_factory=dict)   # module line -> (cell number, line in cell)
    function_cells: dict[str, int] = field(default_factory=dict)            # function name -> cell number
    dropped_cells: tuple[int, ...] = ()

    def locate(self, line: int) -> str:
        cell = self.cell_of_line.get(line)
        return f"cell {cell[0]}, line {cell[1]}" if cell else f"line {line}"


def _strip_magics(lines: list[str]) -> list[str]:
    """Blank out IPython magics and shell lines, keeping line numbers."""
    if lines and lines[0].lstrip().startswith("%%"):
        return [""] * len(lines)                        # a cell magic makes the whole cell non-Python
    kept = []
    for line in lines:
        stripped = line.lstrip()
        if stripped.startswith(("%", "!")) or stripped.endswith("?") and not stripped.startswith("#") \
                or "= !" in line.split("#")[0] or "=!" in line.split("#")[0]:
            kept.append("")
        else:
            kept.append(line)
    return kept


def _is_constant(node: ast.AST, known: set[str]) -> bool:
    """Only pure constructors, and only names already defined by what is kept."""
    for child in ast.walk(node):
        if isinstance(child, ast.Name) and isinstance(child.ctx, ast.Load) \
                and child.id not in known and child.id not in _BUILTIN_NAMES:
            return False
        if isinstance(child, ast.Call):
            function = child.func
            name = function.attr if isinstance(function, ast.Attribute) else getattr(function, "id", "")
            if name not in _PURE_CALLS:
                return False
        elif isinstance(child, (ast.Await, ast.Yield, ast.YieldFrom, ast.NamedExpr, ast.Lambda)):
            return False
    return True


def _bound_names(node: ast.stmt) -> set[str]:
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        return {(alias.asname or alias.name).split(".")[0] for alias in node.names}
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return {node.name}
    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
    return {name.id for target in targets for name in ast.walk(target) if isinstance(name, ast.Name)}


def _defines(node: ast.stmt, known: set[str]) -> bool:
    if isinstance(node, (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return True
    if isinstance(node, (ast.Assign, ast.AnnAssign)):
        value = node.value
        return value is not None and _is_constant(value, known)
    return False


def _parse_cell(source: str, number: int) -> ast.Module | None:
    """The cell's syntax tree, or None on a syntax error (kept, so the student sees Python's own message).

    Source Python cannot even parse (thousands of nested brackets or operators: `1+1+...+1`, `----1`)
    makes the parser raise RecursionError or MemoryError; that is the notebook's problem, said in plain words.
    """
    try:
        return ast.parse(source)
    except SyntaxError:
        return None
    except (RecursionError, MemoryError):
        raise NotebookError(f"cell {number} is too deeply nested for Python to read (an expression with thousands "
                            "of nested brackets or chained operators); split it into smaller steps") from None
    except ValueError:   # NUL characters, on Python versions that report them this way
        raise NotebookError(f"cell {number} contains a NUL character, which Python code cannot hold; "
                            "delete it and save the notebook again") from None


def _definitions_only(source: str, known: set[str], number: int) -> str | None:
    """The cell with its non-defining statements blanked out (line numbers kept), or None if it does not parse.

    `known` holds the names defined by what was kept so far; it grows as definitions are kept.
    """
    tree = _parse_cell(source, number)
    if tree is None:
        return None
    lines = source.splitlines()
    keep = [False] * len(lines)
    for node in tree.body:
        if _defines(node, known):
            known |= _bound_names(node)
            start = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])])
            for number in range(start, (node.end_lineno or node.lineno) + 1):
                keep[number - 1] = True
    return "\n".join(line if keep[i] else "" for i, line in enumerate(lines))


def read_notebook(path: Path):
    import nbformat

    try:
        raw = Path(path).read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise NotebookError("the notebook is not UTF-8 text; save it again from Jupyter") from None
    try:
        json.loads(raw)
    except ValueError as exc:
        where = f" ({exc.msg} at line {exc.lineno})" if isinstance(exc, json.JSONDecodeError) else ""
        raise NotebookError(f"the notebook is not valid JSON{where}; it may be damaged: "
                            "save it again from Jupyter, or download it again") from None
    except RecursionError:
        raise NotebookError("the file is not a Jupyter notebook: its JSON is nested far deeper than any notebook's; "
                            "save the notebook again from Jupyter, or download it again") from None
    try:
        return nbformat.reads(raw, as_version=4)
    except Exception as exc:  # noqa: BLE001 - nbformat raises many kinds for malformed notebooks
        raise NotebookError(f"the file is not a Jupyter notebook nbformat can read ({type(exc).__name__}: {exc})") from None


def notebook_source(path: Path, keep: str = KEEP_DEFINITIONS) -> NotebookSource:
    """The module to grade, built from the notebook's code cells in order."""
    notebook = read_notebook(path)
    parts: list[str] = []
    cell_of_line: dict[int, tuple[int, int]] = {}
    function_cells: dict[str, int] = {}
    dropped: list[int] = []
    line = 1
    code_cells = 0
    known: set[str] = set()
    for number, cell in enumerate(notebook.cells, start=1):
        if cell.get("cell_type") != "code":
            continue
        code_cells += 1
        source = cell.get("source", "")
        source = "".join(source) if isinstance(source, list) else str(source)
        if "from grader import check" in source:
            dropped.append(number)   # the cell that grades the notebook from inside Jupyter
            continue
        body = "\n".join(_strip_magics(source.splitlines()))
        if keep == KEEP_DEFINITIONS:
            kept = _definitions_only(body, known, number)
            body = body if kept is None else kept
        if not body.strip():
            dropped.append(number)
            continue
        tree = _parse_cell(body, number)
        for node in tree.body if tree is not None else ():
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                function_cells[node.name] = number
        header = f"# ---- notebook cell {number} ----"
        parts.append(header)
        line += 1
        for offset, text in enumerate(body.splitlines(), start=1):
            parts.append(text)
            cell_of_line[line] = (number, offset)
            line += 1
    if code_cells == 0:
        raise NotebookError("the notebook has no code cells: write your functions in code cells and save it")
    text = "\n".join(parts) + "\n"
    if not any(part.strip() and not part.startswith("# ---- notebook cell") for part in parts):
        raise NotebookError("the notebook's code cells define nothing to grade (no imports, functions or classes)")
    return NotebookSource(text, cell_of_line, function_cells, tuple(dropped))
