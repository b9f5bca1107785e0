"""Export an exercise as an nbgrader source assignment, and the bridge its public test cells call.

The source notebook has the README as locked markdown cells, the stub's functions with the
reference bodies inside `### BEGIN SOLUTION` / `### END SOLUTION` (nbgrader replaces them with
`raise NotImplementedError()` for students), and one autograded test cell per check, worth the
check's points, named `check-<check id>`. The test cells are feedback, not grades: whatever runs
in the student's kernel can be rewritten by the student's own cells. Grades come from
`grade nbgrader-grade` (grader/notebooks/nbgrader_grade.py), which grades the submitted notebooks in the
sandbox and writes each check's score on its test cell in nbgrader's gradebook. A public test
cell runs its public check in the sandbox for the student; a hidden one holds no check at all.
Under nbgrader's own `nbgrader autograde` every test cell raises a message saying to use
`grade nbgrader-grade` instead, so that route scores 0 (AUTOGRADE_GUARD).
"""

from __future__ import annotations

import ast
import inspect
import os
import re
import tempfile
import textwrap
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from grader.atomic import write_text_atomically
from grader.course.model import Course, Exercise
from grader.notebooks.builder import readme_sections


def _functions(source: str) -> dict[str, ast.FunctionDef]:
    return {node.name: node for node in ast.parse(source).body if isinstance(node, ast.FunctionDef)}


def _body_source(source: str, function: ast.FunctionDef) -> str:
    """The reference function's body without its docstring, dedented."""
    lines = source.splitlines()
    body = function.body
    first = body[0] if body else None
    if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str):
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
        extra = "\n\n".join(ast.get_source_segment(reference, node) or "" for node in helpers)
        lines += ["", "### BEGIN SOLUTION", extra, "### END SOLUTION"]
    return "\n".join(lines) + "\n"


def _nbgrader(cell, grade_id: str, *, solution=False, grade=False, locked=False, points=0.0):
    metadata = {"grade": grade, "grade_id": grade_id, "locked": locked, "schema_version": 3, "solution": solution}
    if grade:
        metadata["points"] = points
    cell.metadata["nbgrader"] = metadata
    return cell


def exercise_checks(exercise: Exercise) -> list[tuple[str, float, bool]]:
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


def grade_cell_id(check_id: str) -> str:
    """The nbgrader grade cell that holds a check's score: `public/sigmoid` -> `check-public-sigmoid`."""
    return "check-" + re.sub(r"[^a-z0-9]+", "-", check_id.lower()).strip("-")


AUTOGRADE_MESSAGE = ("nbgrader autograde does not grade this notebook: every test cell scores 0 under it. "
                     "Grade the submitted notebooks with `grade nbgrader-grade {exercise} --course-dir COURSE_DIR`, "
                     "which runs them in the grader's sandbox (see GRADING-{exercise}.md)")

# Each test cell refuses nbgrader's autograde itself, in its own (locked) text, before anything the student's
# cells may have replaced runs: nbgrader autograde restores a locked cell's text from its gradebook, and runs the
# notebook with NBGRADER_EXECUTION=autograde in the kernel's environment, in autograded/<student>/<assignment>/.
# A student running the cell in Jupyter (or nbgrader's validate, NBGRADER_EXECUTION=validate) sees it as before.
AUTOGRADE_GUARD = """import os  # under nbgrader's own `nbgrader autograde` this cell scores 0: see the message
if os.environ.get("NBGRADER_EXECUTION") == "autograde" or os.getcwd().split(os.sep)[-3:-2] == ["autograded"]:
    raise RuntimeError({message})
"""


def _guard(exercise_id: str) -> str:
    """The guard's text, its message as one string literal per sentence part (the cell stays readable)."""
    pieces = re.split(r"(?<=[.,:] )", AUTOGRADE_MESSAGE.format(exercise=exercise_id))
    return AUTOGRADE_GUARD.format(message="\n                       ".join(repr(piece) for piece in pieces))

PUBLIC_CELL = """# Feedback for you, not your grade: runs this public check on your functions in the grader's sandbox.
# Your instructor grades the notebook you submit separately, with every check, outside this notebook.
{guard}from grader.notebooks.nbgrader_export import run_check
run_check({exercise!r}, {check!r}, globals())
"""

HIDDEN_CELL = """# A hidden check worth {points:g} points: your instructor grades it outside this notebook.
{guard}### BEGIN HIDDEN TESTS
raise AssertionError("hidden checks are graded by `grade nbgrader-grade` in the grader's sandbox, not in this kernel")
### END HIDDEN TESTS
"""


def under_autograde() -> bool:
    """True inside a kernel that `nbgrader autograde` runs (what AUTOGRADE_GUARD tests, in the cell itself)."""
    return (os.environ.get("NBGRADER_EXECUTION") == "autograde"
            or os.getcwd().split(os.sep)[-3:-2] == ["autograded"])


def build_source_notebook(exercise: Exercise) -> nbformat.NotebookNode:
    cells = [_nbgrader(new_markdown_cell(text), f"readme-{index}", locked=True)
             for index, text in enumerate(readme_sections(exercise))]
    cells.append(_nbgrader(new_code_cell(solution_source(exercise)), "solution", solution=True))
    guard = _guard(exercise.id)
    for check_id, points, hidden in exercise_checks(exercise):
        source = (HIDDEN_CELL.format(points=points, guard=guard) if hidden
                  else PUBLIC_CELL.format(exercise=exercise.id, check=check_id, guard=guard))
        cells.append(_nbgrader(new_code_cell(source), grade_cell_id(check_id), grade=True, locked=True, points=points))
    return new_notebook(cells=cells, metadata={
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
        "language_info": {"name": "python"}})


INSTRUCTOR_README = """# Grading {exercise} with nbgrader and this course's grader

Written by `grade nbgrader {exercise}`. The workflow:

1. `nbgrader generate_assignment {exercise}` in this folder (records the test cells in gradebook.db),
   then release and collect as usual, so the notebooks sit in `submitted/<student>/{exercise}/`.
2. `grade nbgrader-grade {exercise} --course-dir .` (run it from the course repository, or pass
   `--course PATH` to it). Each submitted notebook is graded in the grader's sandbox (bubblewrap)
   against every check, public and hidden; each check's score is written on its test cell
   (`check-...`) in gradebook.db through nbgrader's own API, and the full feedback JSON goes to
   `sandbox_grades/{exercise}/feedback/<student>.json`. Run it again after late submissions:
   only new or changed notebooks are graded again.
3. Use nbgrader's formgrader or `nbgrader export` to read the grades, as usual.

## What the test cells in the notebook can and cannot promise

- They are feedback for students, not grades. A public test cell runs its public check on the
  student's functions in the grader's sandbox and shows passed or failed with a hint. Because the
  cell runs in the student's own kernel, the student's cells can change what it shows (two lines
  that replace `run_check` make every cell print "passed").
- Hidden test cells hold no check: they only raise an error saying they are graded elsewhere.
- Do not use `nbgrader autograde`. Every test cell refuses it: under `nbgrader autograde` (which
  restores the locked test cells' text and sets `NBGRADER_EXECUTION=autograde`) each one raises an
  error saying to use `grade nbgrader-grade`, so it scores 0 there, public and hidden alike, and
  the feedback notebook shows that message. That only makes its grades useless; it cannot make it
  safe. autograde still runs the student's own cells first, as you, on your machine beside the
  course, where they can read `solutions/` and the hidden checks, and a student's cells control the
  kernel that runs the test cells after them (they could stop a cell from raising).
  `grade nbgrader-grade` never runs the student's code outside the sandbox, and it overwrites the
  test cells' autograded scores with the sandbox's.
"""


def export_assignment(course: Course, exercise: Exercise, out: Path) -> Path:
    """Write OUT/nbgrader_config.py, OUT/GRADING-ID.md (for instructors) and OUT/source/ID/ID.ipynb,
    ready for `nbgrader generate_assignment ID`."""
    out = Path(out)
    path = out / "source" / exercise.id / f"{exercise.id}.ipynb"
    write_text_atomically(nbformat.writes(build_source_notebook(exercise)) + "\n", path, 0o644)
    config = out / "nbgrader_config.py"
    if not config.exists():
        write_text_atomically("c = get_config()  # noqa: F821\nc.CourseDirectory.root = "
                              f"{str(out.resolve())!r}\nc.CourseDirectory.course_id = {course.title[:60]!r}\n",
                              config, 0o644)
    write_text_atomically(INSTRUCTOR_README.format(exercise=exercise.id), out / f"GRADING-{exercise.id}.md", 0o644)
    return path


def run_check(exercise_id: str, check_id: str, namespace: dict) -> None:
    """Run one public check on the notebook's functions; raise AssertionError unless it passes.

    Feedback for the student, never a grade: it runs in the student's kernel, which the student's
    own cells control. The functions' source is graded in the sandbox, against public checks only.
    """
    if under_autograde():   # an export older than AUTOGRADE_GUARD reaches here under nbgrader autograde
        raise RuntimeError(AUTOGRADE_MESSAGE.format(exercise=exercise_id))
    if not check_id.startswith("public/"):
        raise AssertionError(f"{check_id} is not a public check; hidden checks are graded by your instructor")
    import grader
    from grader.grading.engine import grade
    from grader.course.manifest import find_course
    from grader.outcomes import Outcome

    exercise = find_course(Path.cwd(), Path(grader.__file__).resolve().parent.parent).exercise(exercise_id)
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
        feedback = grade(exercise, path, include_hidden=False, only=check_id)
    checks = [check for check in feedback.checks if check.id == check_id]
    if not checks or checks[0].outcome is not Outcome.PASSED:
        hint = checks[0].hint if checks else None
        reason = (checks[0].message + (f"\nHint: {hint.text}" if hint else "")) if checks else feedback.message
        raise AssertionError(f"{check_id}: {reason}")
    print(f"{check_id}: passed ({feedback.score_of(checks[0]):g} points)")


def _cell_sources(namespace: dict) -> list[str]:
    """Every line the kernel has run (IPython keeps them in In); empty outside IPython."""
    lines = []
    for source in namespace.get("In", []) or []:
        lines += str(source).splitlines()
    return lines
