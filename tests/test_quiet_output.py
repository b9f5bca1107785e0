"""What a student reads under "your code printed" is what their code printed, and nothing of the libraries'.

Keras gradings once showed `Fontconfig error: Cannot load default config file` (matplotlib runs `fc-list` while it
builds its font list, and the sandbox has no /etc/fonts) and Keras's warning against `input_shape=` (which the
course's labs use), with a path of the grader's machine. The sandbox now gives fontconfig a configuration and a cache
folder in the scratch space, and ignores warnings Python attributes to Keras's and TensorFlow's own modules
(grader/sandbox/policy.py). The student's own prints, warnings and numpy's warnings about their lines still show.
Real sandbox, real TensorFlow: cold (single `grade`) and warm (`grade batch`).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT, mutate, reference_source, run_grade
from grader.sandbox.launchers import bwrap_problem

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(bwrap_problem() is not None, reason=f"needs bubblewrap: {bwrap_problem()}")]

EXERCISE = "05_keras_regression"
LAB = (ROOT / "solutions" / EXERCISE / "lab" / "regression_with_keras.py").read_text()
NOISY_STUDENT = "import sys, warnings\nimport numpy as np\n" + mutate(
    reference_source(EXERCISE), "def normalize(predictors):\n",
    "def normalize(predictors):\n"
    "    print('Fontconfig error: Cannot load default config file (my own print)')\n"
    "    print('a warning of mine', file=sys.stderr)\n"
    "    warnings.warn('my own UserWarning')\n"
    "    np.exp(np.array([1000.0]))\n")   # in a graded function: top-level statements of lab code are left out

def printed(document: dict) -> str:
    return document["output"]["stdout_tail"] + document["output"]["stderr_tail"]


def assert_the_students_own_output(text: str) -> None:
    assert "Fontconfig error: Cannot load default config file (my own print)" in text
    assert "a warning of mine" in text and "my own UserWarning" in text
    assert "overflow encountered in exp" in text   # numpy's warning about the student's own line


def test_a_single_keras_grading_prints_nothing_the_students_code_did_not(tmp_path):
    for name, source in (("reference.py", reference_source(EXERCISE)), ("lab.py", LAB)):
        (tmp_path / name).write_text(source)
        run = run_grade(f"exercises/{EXERCISE}", "--submission", tmp_path / name, "--json", "-")
        assert run.returncode == 0, run.stderr[-2000:]
        assert run.document["isolation"]["mode"] == "bwrap"
        assert printed(run.document) == "", (name, run.document["output"])
    (tmp_path / "noisy.py").write_text(NOISY_STUDENT)
    noisy = run_grade(f"exercises/{EXERCISE}", "--submission", tmp_path / "noisy.py", "--json", "-")
    assert noisy.document["score"] == 25
    assert_the_students_own_output(printed(noisy.document))
    assert "Fontconfig error: Cannot load default config file: No such file" not in printed(noisy.document)


def test_a_warm_batch_keras_grading_prints_nothing_the_students_code_did_not(tmp_path):
    submissions = tmp_path / "submissions"
    submissions.mkdir()
    (submissions / "ann.py").write_text(reference_source(EXERCISE))
    (submissions / "ben.py").write_text(LAB)
    (submissions / "cy.py").write_text(NOISY_STUDENT)
    out = tmp_path / "out"
    batch = subprocess.run([sys.executable, "-m", "grader", "batch", str(submissions), "--exercise", EXERCISE,
                            "--out", str(out), "--jobs", "1"], cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert batch.returncode == 0, batch.stderr[-3000:]
    documents = {path.stem: json.loads(path.read_text()) for path in Path(out / "feedback").glob("*.json")}
    assert documents["ann"]["score"] == documents["cy"]["score"] == 25
    assert printed(documents["ann"]) == "" and printed(documents["ben"]) == ""
    assert_the_students_own_output(printed(documents["cy"]))
