"""Export an exercise as an nbgrader source assignment, and the bridge its test cells call.

The source notebook has the README as locked markdown cells, the stub's functions with the
reference bodies inside `### BEGIN SOLUTION` / `### END SOLUTION` (nbgrader replaces them with
`raise NotImplementedError()` for students), and one autograded test cell per check, worth the
check's points, that runs this grader's check in its sandbox. Hidden checks sit inside
`### BEGIN HIDDEN TESTS` so nbgrader strips them from the student version.
"""

from __future__ import annotations

import ast
import inspect
import re
import tempfile
import textwrap
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from grader.course import Course, Exercise
from grader.notebooks_build import readme_sections


def _functions(source: str) -> dict[str, ast.FunctionDef]:
    return {node.name: node for node in ast.parse(source).body if isinstance(node, ast.FunctionDef)}


def _body_source(source: str, function: ast.FunctionDef) -> str:
    """The reference function's body without its docstring, dedented."""
    lines = source.splitlines()
    body = function.body
    if body and isinstance(body[0], ast.Expr) and isinstance(getattr(body[0], "value", None), ast.Constant) \
            and isinstance(body[0].value.value, str):
        body = body[1:]
    if not body:
        return "pass"
    return textwrap.dedent("\n".join(lines[body[0].lineno - 1: body[-1].end_lineno]))


def solution_source(exercise: Exercise) -> str:
    """The stub with each `raise NotImplementedError(...)` replaced by the reference body in solution markers."""
    stub = exercise.stub_path.read_text(encoding="utf-8")
    reference = exercise.reference_path.read_text(encoding="utf-8")
    reference_functions = _functions(reference)
    lines = stub.splitlines()
    for name, function in sorted(_functions(stub).items(), key=lambda item: -item[1].lineno):
        if name not in reference_functions:
            continue
        for node in function.body:
            if isinstance(node, ast.Raise):
                indent = " " * node.col_offset
                body = textwrap.indent(_body_source(reference, reference_functions[name]), indent)
                lines[node.lineno - 1: node.end_lineno] = [f"{indent}### BEGIN SOLUTION", *body.splitlines(),
                                                           f"{indent}### END SOLUTION"]
                break
    helpers = [node for node in ast.parse(reference).body
               if isinstance(node, (ast.FunctionDef, ast.Assign)) and getattr(node, "name", None) not in _functions(stub)]
    if helpers:   # reference-only helpers go inside a solution region too
        extra = "\n\n".join(ast.get_source_segment(reference, node) for node in helpers)
        lines += ["", "### BEGIN SOLUTION", extra, "### END SOLUTION"]
    return "\n".join(lines) + "\n"


def _nbgrader(cell, grade_id: str, *, solution=False, grade=False, locked=False, points=0.0):
    metadata = {"grade": grade, "grade_id": grade_id, "locked": locked, "schema_version": 3, "solution": solution}
    if grade:
        metadata["points"] = points
    cell.metadata["nbgrader"] = metadata
    return cell


def _checks(exercise: Exercise) -> list[tuple[str, float, bool]]:
    """(check id, points, hidden) for every check, read from the check files without running them."""
    found = []
    for path, hidden in ((exercise.public_checks, False), (exercise.hidden_checks, True)):
        if not path.is_file():
            continue
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.FunctionDef) and node.name.startswith("test_"):
                points = 0.0
                for decorator in node.decorator_list:
                    if isinstance(decorator, ast.Call) and getattr(decorator.func, "attr", "") == "points":
                        points = float(ast.literal_eval(decorator.args[0]))
                found.append((f"{'hidden' if hidden else 'public'}/{node.name[len('test_'):]}", points, hidden))
    return found


def build_source_notebook(exercise: Exercise) -> nbformat.NotebookNode:
    cells = [_nbgrader(new_markdown_cell(text), f"readme-{index}", locked=True)
             for index, text in enumerate(readme_sections(exercise))]
    cells.append(_nbgrader(new_code_cell(solution_source(exercise)), "solution", solution=True))
    for check_id, points, hidden in _checks(exercise):
        call = f'run_check("{exercise.id}", "{check_id}", globals())'
        source = "from grader.nbgrader_export import run_check\n"
        source += f"### BEGIN HIDDEN TESTS\n{call}\n### END HIDDEN TESTS\n" if hidden else f"{call}\n"
        grade_id = "check-" + re.sub(r"[^a-z0-9]+", "-", check_id.lower()).strip("-")
        cells.append(_nbgrader(new_code_cell(source), grade_id, grade=True, locked=True, points=points))
    return new_notebook(cells=cells, metadata={
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
        "language_info": {"name": "python"}})


def export_assignment(course: Course, exercise: Exercise, out: Path) -> Path:
    """Write OUT/nbgrader_config.py and OUT/source/ID/ID.ipynb, ready for `nbgrader generate_assignment ID`."""
    out = Path(out)
    folder = out / "source" / exercise.id
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{exercise.id}.ipynb"
    nbformat.write(build_source_notebook(exercise), path)
    config = out / "nbgrader_config.py"
    if not config.exists():
        config.write_text("c = get_config()  # noqa: F821\nc.CourseDirectory.root = "
                          f"{str(out.resolve())!r}\nc.CourseDirectory.course_id = {course.title[:60]!r}\n")
    return path


def run_check(exercise_id: str, check_id: str, namespace: dict) -> None:
    """Grade one check against the functions defined in the notebook; raise AssertionError unless it passes.

    nbgrader runs this in the notebook's kernel. The functions' source is taken from the kernel and
    graded in this grader's sandbox, so the check still never shares a process with student code.
    """
    from grader.engine import grade
    from grader.manifest import find_course_root, load_course

    exercise = load_course(_course_manifest(find_course_root)).exercise(exercise_id)
    parts = []
    for name, value in namespace.items():
        if inspect.isfunction(value) and getattr(value, "__module__", "") == "__main__":
            try:
                parts.append(inspect.getsource(value))
            except (OSError, TypeError):
                continue
    imports = [line for line in _cell_sources(namespace) if line.startswith(("import ", "from "))
               and "grader" not in line]
    with tempfile.TemporaryDirectory(prefix="nbgrader-check-") as folder:
        path = Path(folder) / exercise.entry
        path.write_text("\n".join(imports) + "\n\n" + "\n\n".join(textwrap.dedent(p) for p in parts) + "\n")
        document = grade(exercise, path, only=check_id).to_dict()
    checks = [check for check in document["checks"] if check["id"] == check_id]
    if not checks or checks[0]["outcome"] != "passed":
        reason = checks[0]["message"] + (f"\nHint: {checks[0]['hint']}" if checks and checks[0].get("hint") else "") \
            if checks else document["message"]
        raise AssertionError(f"{check_id}: {reason}")
    print(f"{check_id}: passed ({checks[0]['score']:g} points)")


def _course_manifest(find_course_root) -> Path:
    try:
        return find_course_root(Path.cwd()) / "course.yaml"
    except FileNotFoundError:
        import grader

        return find_course_root(Path(grader.__file__).resolve().parent.parent) / "course.yaml"


def _cell_sources(namespace: dict) -> list[str]:
    """Every line the kernel has run (IPython keeps them in In); empty outside IPython."""
    lines = []
    for source in namespace.get("In", []) or []:
        lines += str(source).splitlines()
    return lines
