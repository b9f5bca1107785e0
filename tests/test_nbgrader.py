"""Export to nbgrader, run nbgrader's own generate_assignment, grade submitted/ with `grade nbgrader-grade`.

The grades land in nbgrader's gradebook (read back with nbgrader's API and `nbgrader export`), decided
in the sandbox: a student who rewrites the test cells' bridge, or reads the hidden checks from the
course, earns only what their functions earn.
"""

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT, mutate, reference_source, run_grade

pytestmark = pytest.mark.slow
BIN = Path(sys.executable).parent
STUB = (ROOT / "exercises/02_backprop/backprop.py").read_text()
HIDDEN_LINES = [line for line in (ROOT / "solutions/02_backprop/hidden_checks.py").read_text().splitlines()
                if line.startswith("def test_")]

# The red team's two lines: every in-kernel test cell now prints "passed".
MONKEYPATCH = "import grader.notebooks.nbgrader_export as e\ne.run_check = lambda *a: print('passed')\n"

# Reads the hidden checks and the reference from the course (found beside the grader package, the working
# folder or its parents, or any process's working folder) and forwards every function to the reference.
THIEF = '''
import os, pathlib

def _steal():
    places = [pathlib.Path({root!r}), pathlib.Path.cwd(), *pathlib.Path.cwd().parents]
    try:
        import grader
        places.append(pathlib.Path(grader.__file__).resolve().parent.parent)
    except Exception:
        pass
    places += [pathlib.Path("/proc") / pid / "cwd" for pid in os.listdir("/proc") if pid.isdigit()]
    for place in places:
        try:
            print((place / "solutions/02_backprop/hidden_checks.py").read_text())
            code = (place / "solutions/02_backprop/backprop.py").read_text()
        except OSError:
            continue
        namespace = {{}}
        exec(code, namespace)
        return namespace
    raise NotImplementedError("the course was not found")

def sigmoid(*args, **kwargs): return _steal()["sigmoid"](*args, **kwargs)
def forward(*args, **kwargs): return _steal()["forward"](*args, **kwargs)
def error(*args, **kwargs): return _steal()["error"](*args, **kwargs)
def gradients(*args, **kwargs): return _steal()["gradients"](*args, **kwargs)
def update(*args, **kwargs): return _steal()["update"](*args, **kwargs)
def train(*args, **kwargs): return _steal()["train"](*args, **kwargs)
'''.format(root=str(ROOT))


def nbgrader(*args, cwd):
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    return subprocess.run([str(BIN / "nbgrader"), *args], cwd=cwd, capture_output=True, text=True, env=env, timeout=300)


@pytest.fixture(scope="module")
def released(tmp_path_factory):
    out = tmp_path_factory.mktemp("nbgrader")
    run = run_grade("nbgrader", "02_backprop", "--out", out)
    assert run.returncode == 0, run.stderr
    assert "nbgrader-grade" in run.stdout
    generated = nbgrader("generate_assignment", "02_backprop", "--force", cwd=out)
    assert generated.returncode == 0, generated.stdout + generated.stderr
    return out


def cells(path):
    return json.loads(Path(path).read_text())["cells"]


def test_the_source_assignment_has_solutions_and_graded_test_cells(released):
    source = cells(released / "source/02_backprop/02_backprop.ipynb")
    graded = [c for c in source if c["metadata"].get("nbgrader", {}).get("grade")]
    assert len(graded) == 14 and sum(c["metadata"]["nbgrader"]["points"] for c in graded) == 30
    assert all(c["metadata"]["nbgrader"]["grade_id"].startswith("check-") for c in graded)
    assert any("### BEGIN SOLUTION" in "".join(c["source"]) for c in source)


def test_generate_assignment_strips_solutions_and_hidden_checks(released):
    student = "".join("".join(c["source"]) for c in cells(released / "release/02_backprop/02_backprop.ipynb"))
    assert "BEGIN SOLUTION" not in student and "delta2" not in student and "YOUR CODE HERE" in student
    assert "hidden/" not in student and "public/gradients_worked_example" in student
    assert "Feedback for you, not your grade" in student
    for hidden_line in HIDDEN_LINES:
        assert hidden_line not in student


def test_the_instructor_readme_says_what_the_test_cells_cannot_promise(released):
    readme = (released / "GRADING-02_backprop.md").read_text()
    assert "feedback for students, not grades" in readme
    assert "Do not use `nbgrader autograde`" in readme and "scores 0 there" in readme
    assert "grade nbgrader-grade 02_backprop" in readme


def student_notebook(released, code, path):
    """The released notebook with the student's code in its solution cell."""
    notebook = json.loads((released / "release/02_backprop/02_backprop.ipynb").read_text())
    for cell in notebook["cells"]:
        if "YOUR CODE HERE" in "".join(cell["source"]):
            cell["source"] = code
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(notebook))


def submit(released, student, code):
    folder = released / "submitted" / student / "02_backprop"
    student_notebook(released, code, folder / "02_backprop.ipynb")
    (folder / "timestamp.txt").write_text("2025-03-01 12:00:00.000000 UTC")


def test_in_kernel_test_cells_give_feedback_that_the_students_own_cells_can_fake(released):
    """What GRADING-ID.md says: the cells run public checks for the student, and they can be fooled."""
    honest, mistaken, faked = (released / "validate" / f"{name}.ipynb" for name in ("honest", "mistaken", "faked"))
    student_notebook(released, reference_source("02_backprop"), honest)
    student_notebook(released, mutate(reference_source("02_backprop"), "params[name] - learning_rate",
                                      "params[name] + learning_rate"), mistaken)
    student_notebook(released, MONKEYPATCH + STUB, faked)
    assert "passes all the tests" in nbgrader("validate", str(honest), cwd=released).stdout
    report = nbgrader("validate", str(mistaken), cwd=released).stdout
    assert "public/update_worked_example" in report and "passes all the tests" not in report
    assert "passes all the tests" in nbgrader("validate", str(faked), cwd=released).stdout   # not a grade


def grade_cells(released, student):
    from nbgrader.api import Gradebook

    from grader.notebooks.nbgrader_grade import course_directory

    coursedir = course_directory(released)   # nbgrader's own reading of the export's nbgrader_config.py
    with Gradebook(coursedir.db_url, coursedir.course_id) as gradebook:
        notebook = gradebook.find_submission_notebook("02_backprop", "02_backprop", student)
        return {grade.name: (grade.auto_score, grade.max_score, grade.needs_manual_grade) for grade in notebook.grades}


def nbgrader_scores(released):
    exported = nbgrader("export", "--to", str(released / "grades.csv"), cwd=released)
    assert exported.returncode == 0, exported.stderr[-2000:]
    with open(released / "grades.csv", newline="") as stream:
        return {row["student_id"]: float(row["raw_score"]) for row in csv.DictReader(stream)}


def test_sandbox_grades_land_in_nbgraders_gradebook_and_hostile_cells_earn_nothing(released):
    reference = reference_source("02_backprop")
    submit(released, "alice", reference)
    submit(released, "bob", mutate(reference, "params[name] - learning_rate", "params[name] + learning_rate"))
    submit(released, "mallory", MONKEYPATCH + STUB)
    submit(released, "eve", THIEF)
    graded = run_grade("nbgrader-grade", "02_backprop", "--course-dir", released, "--jobs", "1")
    assert graded.returncode == 0, graded.stdout + graded.stderr

    scores = nbgrader_scores(released)
    assert scores["alice"] == 30.0 and scores["mallory"] == 0.0 and scores["eve"] == 0.0
    assert 0 < scores["bob"] < 30
    alice = grade_cells(released, "alice")
    assert len(alice) == 14 and all(score == points and not manual for score, points, manual in alice.values())

    for student in ("alice", "bob", "mallory", "eve"):   # every check's score sits on its own test cell
        feedback = json.loads((released / "sandbox_grades/02_backprop/feedback" / f"{student}.json").read_text())
        assert feedback["isolation"]["strong"] is True
        cells_of = grade_cells(released, student)
        assert {f"check-{c['id'].replace('/', '-').replace('_', '-')}": c["score"] for c in feedback["checks"]} \
            == {name: score for name, (score, _, _) in cells_of.items()}
        assert sum(c["score"] for c in feedback["checks"]) == scores[student]
    eve = (released / "sandbox_grades/02_backprop/feedback/eve.json").read_text()
    assert not [line for line in HIDDEN_LINES if line in eve]

    again = run_grade("nbgrader-grade", "02_backprop", "--course-dir", released, "--jobs", "1")
    assert again.returncode == 0, again.stderr
    assert nbgrader_scores(released) == scores


def test_grading_before_generate_assignment_says_what_to_run(tmp_path):
    assert run_grade("nbgrader", "02_backprop", "--out", tmp_path).returncode == 0
    run = run_grade("nbgrader-grade", "02_backprop", "--course-dir", tmp_path)
    assert run.returncode == 2
    assert "nbgrader generate_assignment 02_backprop" in run.stderr
