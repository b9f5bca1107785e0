"""The package as users install it: a wheel in a fresh virtual environment, run from a course folder
that has no `grader/` source beside it, so nothing can shadow the installed package.

The fresh environment is a hard-linked copy of the project's own (its dependencies, TensorFlow
included, without a download) with the editable install removed and the wheel installed instead.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from conftest import ROOT

pytestmark = pytest.mark.slow
COURSE_PARTS = ("course.yaml", "exercises", "solutions", "README.md")


def _run(command: list[str], cwd: Path, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """A virtual environment whose only `grader` is the one installed from a freshly built wheel."""
    work = tmp_path_factory.mktemp("wheel")
    built = _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(work / "dist"), str(ROOT)], work)
    assert built.returncode == 0, built.stderr[-2000:]
    wheel = next((work / "dist").glob("keras_course_grader-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    for needed in ("grader/batch/runner.py", "grader/views/gradescope.py", "grader/sandbox/warm_template.py",
                   "grader/feedback/feedback.schema.json", "grader/grading/checks.ini"):
        assert needed in names, f"the wheel lacks {needed}"

    venv = work / "venv"
    source_venv = Path(sys.prefix)
    copied = _run(["cp", "-al", str(source_venv), str(venv)], work)
    if copied.returncode != 0:   # another file system: a real copy
        shutil.copytree(source_venv, venv, symlinks=True)
    python = venv / "bin" / "python"
    for step in (["-m", "pip", "uninstall", "-y", "-q", "keras-course-grader"],
                 ["-m", "pip", "install", "--no-deps", "-q", str(wheel)]):
        done = _run([str(python), *step], work)
        assert done.returncode == 0, done.stderr[-2000:]
    return venv


@pytest.fixture(scope="module")
def course(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("course")
    for part in COURSE_PARTS:
        source = ROOT / part
        if source.is_dir():
            shutil.copytree(source, folder / part, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, folder / part)
    assert not (folder / "grader").exists()
    return folder


def test_the_installed_grader_is_the_wheel_not_a_source_folder(installed, course):
    where = _run([str(installed / "bin" / "python"), "-c", "import grader; print(grader.__file__)"], course)
    assert where.returncode == 0, where.stderr
    assert Path(where.stdout.strip()).is_relative_to(installed)


def test_every_documented_command_works_from_the_wheel(installed, course, tmp_path):
    grade = str(installed / "bin" / "grade")
    reference = course / "solutions" / "02_backprop" / "backprop.py"

    single = _run([grade, "exercises/02_backprop", "--submission", str(reference), "--json", "-",
                   "--gradescope", str(tmp_path / "results.json")], course)
    assert single.returncode == 0, single.stderr[-2000:]
    assert json.loads(single.stdout)["score"] == 30
    assert json.loads((tmp_path / "results.json").read_text())["score"] == 30

    table = _run([grade, "exercises/02_backprop"], course)
    assert table.returncode == 0, table.stderr[-2000:]

    submissions = tmp_path / "subs"
    submissions.mkdir()
    shutil.copy(reference, submissions / "alice.py")
    shutil.copy(course / "exercises" / "02_backprop" / "backprop.py", submissions / "bob.py")
    batch = _run([grade, "batch", str(submissions), "--exercise", "02_backprop", "--out", str(tmp_path / "out"),
                  "--jobs", "1"], course)
    assert batch.returncode == 0, batch.stderr[-2000:]
    rows = (tmp_path / "out" / "grades.csv").read_text().splitlines()
    assert any(row.startswith("alice,30,") for row in rows), rows
    assert any(row.startswith("bob,0,") for row in rows), rows

    release = _run([grade, "release", str(tmp_path / "release")], course)
    assert release.returncode == 0, release.stderr[-2000:]
    assert (tmp_path / "release" / "grader" / "cli.py").is_file()
    assert not (tmp_path / "release" / "solutions").exists()

    bundle = _run([grade, "gradescope", "02_backprop", "--out", str(tmp_path / "autograder.zip")], course)
    assert bundle.returncode == 0, bundle.stderr[-2000:]
    assert "run_autograder" in zipfile.ZipFile(tmp_path / "autograder.zip").namelist()

    validate = _run([grade, "validate", "--exercise", "02_backprop"], course)
    assert validate.returncode == 0, validate.stdout[-2000:] + validate.stderr[-2000:]

    notebooks = _run([grade, "notebooks", "--check"], course)
    assert notebooks.returncode == 0, notebooks.stdout[-2000:] + notebooks.stderr[-2000:]

    nbgrader = _run([grade, "nbgrader", "02_backprop", "--out", str(tmp_path / "nbgrader")], course)
    assert nbgrader.returncode == 0, nbgrader.stderr[-2000:]
    assert list((tmp_path / "nbgrader").rglob("*.ipynb"))
