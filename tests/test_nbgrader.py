"""Export to nbgrader, then run nbgrader's own generate_assignment and autograde on the export."""

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT, reference_source, run_grade

pytestmark = pytest.mark.slow
BIN = Path(sys.executable).parent


def nbgrader(*args, cwd):
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    return subprocess.run([str(BIN / "nbgrader"), *args], cwd=cwd, capture_output=True, text=True, env=env, timeout=300)


@pytest.fixture(scope="module")
def released(tmp_path_factory):
    out = tmp_path_factory.mktemp("nbgrader")
    run = run_grade("nbgrader", "02_backprop", "--out", out)
    assert run.returncode == 0, run.stderr
    generated = nbgrader("generate_assignment", "02_backprop", "--force", cwd=out)
    assert generated.returncode == 0, generated.stdout + generated.stderr
    return out


def cells(path):
    return json.loads(Path(path).read_text())["cells"]


def test_the_source_assignment_has_solutions_and_graded_test_cells(released):
    source = cells(released / "source/02_backprop/02_backprop.ipynb")
    graded = [c for c in source if c["metadata"].get("nbgrader", {}).get("grade")]
    assert len(graded) == 14 and sum(c["metadata"]["nbgrader"]["points"] for c in graded) == 30
    assert any("### BEGIN SOLUTION" in "".join(c["source"]) for c in source)


def test_generate_assignment_strips_solutions_and_hidden_checks(released):
    student = "".join("".join(c["source"]) for c in cells(released / "release/02_backprop/02_backprop.ipynb"))
    assert "BEGIN SOLUTION" not in student and "delta2" not in student and "YOUR CODE HERE" in student
    assert "hidden/" not in student and "public/gradients_worked_example" in student
    for hidden_line in (ROOT / "solutions/02_backprop/hidden_checks.py").read_text().splitlines():
        if hidden_line.startswith("def test_"):
            assert hidden_line not in student


def submit(released, student, code):
    notebook = json.loads((released / "release/02_backprop/02_backprop.ipynb").read_text())
    for cell in notebook["cells"]:
        if "YOUR CODE HERE" in "".join(cell["source"]):
            cell["source"] = code
    folder = released / "submitted" / student / "02_backprop"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "02_backprop.ipynb").write_text(json.dumps(notebook))


def test_autograde_runs_this_graders_checks(released):
    submit(released, "alice", reference_source("02_backprop"))
    submit(released, "bob", reference_source("02_backprop").replace("params[name] - learning_rate", "params[name] + learning_rate"))
    graded = nbgrader("autograde", "02_backprop", "--force", cwd=released)
    assert graded.returncode == 0, graded.stdout[-3000:] + graded.stderr[-3000:]
    exported = nbgrader("export", "--to", str(released / "grades.csv"), cwd=released)
    assert exported.returncode == 0, exported.stderr[-2000:]
    with open(released / "grades.csv", newline="") as stream:
        scores = {row["student_id"]: float(row["raw_score"]) for row in csv.DictReader(stream)}
    assert scores == {"alice": 30.0, "bob": 18.0}
