"""Which file of an exercise folder holds the student's work: its .py file or its notebook.

Judged by code, never by modification time: a notebook that was only opened and saved is newer, not changed.
"""

from __future__ import annotations

import ast
from pathlib import Path

from grader.labcode.notebook import NotebookError, notebook_cells
from grader.labcode.program import parsed


def _top_level(sources: list[str]) -> tuple[list[str], set[str]]:
    """Every top-level statement of the sources (as its syntax tree, without positions), and the student's work
    among them: functions and classes that do more than the stub's `raise NotImplementedError(...)`, and code
    that does not parse (work in progress)."""

    def unwritten(node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) -> bool:
        body = [item for item in node.body if not (isinstance(item, ast.Expr) and isinstance(item.value, ast.Constant)
                                                  and isinstance(item.value.value, str))]
        if len(body) != 1 or not isinstance(body[0], ast.Raise) or body[0].exc is None:
            return False
        raised = body[0].exc.func if isinstance(body[0].exc, ast.Call) else body[0].exc
        return isinstance(raised, ast.Name) and raised.id == "NotImplementedError"

    statements, work = [], set()
    for source in sources:
        tree = parsed(source)
        if tree is None:
            statements.append(source.strip())
            work.add(source.strip())
            continue
        for node in tree.body:
            statements.append(ast.dump(node))
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and not unwritten(node):
                work.add(statements[-1])
    return statements, work


def which_file(script: Path, notebook: Path, max_bytes: int) -> tuple[Path | None, str]:
    """Which of the exercise's .py file and its notebook holds the student's work, judged by their code (a
    notebook that was only opened and saved is newer, not changed), and why; None when both hold different work.
    Files larger than `max_bytes` (more than grading reads) are not read here."""
    if not notebook.is_file():
        return script, f"there is no {notebook.name}"
    if not script.is_file():
        return notebook, f"there is no {script.name}"
    for path, other in ((notebook, script), (script, notebook)):
        if path.stat().st_size > max_bytes:
            return other, f"{path.name} is larger than the {max_bytes // 1024} KiB grading reads"
    try:
        in_notebook = [cell.source for cell in notebook_cells(notebook)]
    except NotebookError as exc:
        return script, f"{notebook.name} cannot be read ({exc})"
    try:
        in_script = [script.read_bytes().decode("utf-8-sig")]
    except (OSError, UnicodeDecodeError):
        return script, f"{script.name} is graded as it is (it cannot be read as text)"
    (script_code, script_work), (notebook_code, notebook_work) = _top_level(in_script), _top_level(in_notebook)
    newer = notebook.stat().st_mtime > script.stat().st_mtime
    if script_code == notebook_code:
        return script, f"{notebook.name} has the same code"
    if not script_work and not notebook_work:
        return script, f"neither it nor {notebook.name} has a function written yet"
    if not notebook_work:
        saved = " was saved more recently, but" if newer else ""
        return script, f"{notebook.name}{saved} still has the stub's functions (each raises NotImplementedError)"
    if not script_work:
        return notebook, f"{script.name} still has the stub's functions (each raises NotImplementedError)"
    if script_work < notebook_work:
        return notebook, f"it has every function written in {script.name}, and more"
    if notebook_work < script_work:
        return script, f"it has every function written in {notebook.name}, and more"
    if script_work == notebook_work:
        return script, f"{notebook.name} has the same functions"
    return None, (f"{script.name} and {notebook.name} both hold functions you wrote, and they differ, so it is not "
                  "clear which one is your latest work")
