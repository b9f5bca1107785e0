"""The student release holds nothing of the solutions (the Gradescope bundle: test_gradescope_autograder.py)."""

import json
import os
import subprocess
import sys
import zipfile

import pytest

from conftest import ROOT, run_grade


def solution_texts():
    return {path: path.read_text() for path in (ROOT / "solutions").rglob("*.py")}


def test_the_release_has_no_hidden_check_or_reference_code(tmp_path):
    out = tmp_path / "release"
    run = run_grade("release", out)
    assert run.returncode == 0, run.stderr
    assert (out / "exercises/02_backprop/public_checks.py").is_file() and (out / "grader/cli.py").is_file()
    assert not (out / "solutions").exists()
    shipped = [path for path in out.rglob("*") if path.is_file()]
    assert not [path for path in shipped if path.name == "hidden_checks.py"]
    secrets = solution_texts()
    for path in shipped:
        text = path.read_bytes().decode("utf-8", errors="replace")
        for source, secret in secrets.items():
            assert secret not in text, f"{path} contains {source}"
            # no distinctive line of a hidden check either
            for line in secret.splitlines():
                if line.strip().startswith("def test_"):
                    assert line not in text, f"{path} contains {line!r} from {source}"


@pytest.mark.slow
def test_grading_inside_the_release_runs_public_checks_and_says_so(tmp_path):
    out = tmp_path / "release"
    assert run_grade("release", out).returncode == 0
    env = {**os.environ, "PYTHONPATH": str(out), "COLUMNS": "200"}
    completed = subprocess.run([sys.executable, "-m", "grader", "exercises/02_backprop"], cwd=out,
                               capture_output=True, text=True, env=env, timeout=120)
    assert completed.returncode == 0, completed.stderr
    assert "hidden checks run when your work is submitted" in completed.stdout
    assert "Total: 0/11" in completed.stdout
    reference = (ROOT / "solutions/02_backprop/backprop.py")
    completed = subprocess.run([sys.executable, "-m", "grader", "exercises/02_backprop", "--submission", str(reference),
                                "--json", "-"], cwd=out, capture_output=True, text=True, env=env, timeout=120)
    document = json.loads(completed.stdout)
    assert document["hidden_checks_run"] is False and document["score"] == document["max_score"] == 11


def test_the_release_refuses_a_folder_that_is_not_empty(tmp_path):
    (tmp_path / "keep.txt").write_text("mine")
    run = run_grade("release", tmp_path)
    assert run.returncode == 2 and "not empty" in run.stderr
