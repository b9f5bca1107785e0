"""Turn a Jupyter notebook into the Python module that is graded, and remember where each line came from.

Students submit notebooks that also print, plot, `!pip install` and train for 100 epochs at the top
level. By default only what the graded functions need is kept (`grader.labcode.program`), so grading
runs the functions, not the lab; an exercise or the student can ask for every cell. IPython magics and
shell lines are dropped either way. Nothing here executes the notebook: it is read as data (nbformat)
and parsed (ast).
"""

from __future__ import annotations

import ast
import json
from pathlib import Path

from grader.labcode.program import KEEP_NEEDED, Cell, GradedModule, UnreadableCell, build_module, parse_cell


class NotebookError(ValueError):
    """The notebook cannot be graded; the message says why in plain words."""


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


NotebookSource = GradedModule


def notebook_cells(path: Path) -> list[Cell]:
    """The notebook's code cells, numbered as Jupyter shows them among all cells, with magics blanked out.
    The cell that grades the notebook from inside Jupyter is not part of the submission."""
    notebook = read_notebook(path)
    cells = []
    for number, cell in enumerate(notebook.cells, start=1):
        if cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        source = "".join(source) if isinstance(source, list) else str(source)
        if "from grader import check" in source:
            continue
        cells.append(Cell(number, "\n".join(_strip_magics(source.splitlines()))))
    if not cells:
        raise NotebookError("the notebook has no code cells: write your functions in code cells and save it")
    return cells


def notebook_source(path: Path, keep: str = KEEP_NEEDED, targets: set[str] | None = None,
                    lab_names: dict[str, str] | None = None) -> NotebookSource:
    """The module to grade, built from the notebook's code cells in order. Without `targets` (the functions
    the checks call), every function and class the notebook defines is one."""
    cells = notebook_cells(path)
    try:
        if targets is None:
            targets = {name for cell in cells for name in defined_names(cell)}
        module = build_module(cells, targets, keep, lab_names)
    except UnreadableCell as exc:
        raise NotebookError(str(exc)) from None
    if not module.kept_anything:
        unreadable = [f"{item.where()} {item.why}" for item in module.left_out if item.unparsed]
        also = f"; {'; '.join(unreadable[:3])}" if unreadable else ""
        raise NotebookError("the notebook's code cells define nothing to grade (none of the functions "
                            f"{', '.join(sorted(targets)) or 'the exercise asks for'}){also}")
    return module


def defined_names(cell: Cell) -> set[str]:
    tree = parse_cell(cell.source, cell.number)
    return {node.name for node in tree.body if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))} \
        if tree is not None else set()
