"""The package as users install it: a wheel in a fresh virtual environment, run from a course folder
that has no `grader/` source beside it, so nothing can shadow the installed package.

The fresh environment is a hard-linked copy of the project's own (its dependencies, TensorFlow
included, without a download) with the editable install removed and the wheel installed instead.
"""

from __future__ import annotations

import email
import json
import re
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


def build_wheel(source: Path, work: Path) -> Path:
    built = _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(work / "dist"), str(source)], work)
    assert built.returncode == 0, built.stderr[-2000:]
    return next((work / "dist").glob("keras_course_grader-*.whl"))


def metadata(wheel: Path) -> email.message.Message:
    with zipfile.ZipFile(wheel) as archive:
        name = next(name for name in archive.namelist() if name.endswith(".dist-info/METADATA"))
        return email.message_from_bytes(archive.read(name))


INSTRUCTOR_STACKS = ("dask", "distributed", "nbgrader", "scipy", "import-linter", "mypy")


def unconditional(requirements: list[str]) -> set[str]:
    """The names of the requirements that hold without an extra."""
    return {re.split(r"[\s\[<>=!~;(]", requirement, maxsplit=1)[0].lower() for requirement in requirements
            if "extra ==" not in requirement}


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    return build_wheel(ROOT, tmp_path_factory.mktemp("wheel"))


def test_the_wheel_installs_the_instructor_stacks_only_as_extras(wheel):
    meta = metadata(wheel)
    requires = meta.get_all("Requires-Dist") or []
    core = unconditional(requires)
    assert {"numpy", "pytest", "jinja2", "jsonschema", "nbformat", "pyyaml", "tensorflow-cpu"} <= core, core
    assert not core & set(INSTRUCTOR_STACKS), sorted(core & set(INSTRUCTOR_STACKS))
    assert {"cluster", "nbgrader", "similarity", "dev"} <= set(meta.get_all("Provides-Extra") or [])
    for extra, stack in (("cluster", "dask"), ("nbgrader", "nbgrader"), ("similarity", "scipy"), ("dev", "mypy")):
        assert any(r.lower().startswith(stack) and f'extra == "{extra}"' in r for r in requires), (extra, requires)


def test_the_student_release_builds_a_wheel_without_the_instructor_stacks(tmp_path):
    """The release's own pyproject.toml, as a student's `pip install -e .` reads it."""
    from grader.bundles.release import build_release
    from grader.course.manifest import load_course

    out = build_release(load_course(ROOT / "course.yaml"), tmp_path / "release")
    built = build_wheel(out, tmp_path)
    meta = metadata(built)
    core = unconditional(meta.get_all("Requires-Dist") or [])
    assert {"numpy", "pytest", "jinja2", "tensorflow-cpu"} <= core and not core & set(INSTRUCTOR_STACKS), core
    assert not meta.get_all("Provides-Extra")
    names = zipfile.ZipFile(built).namelist()
    for needed in ("grader/cli.py", "grader/feedback/feedback.schema.json", "grader/grading/checks.ini",
                   "grader/views/templates/report.html.j2"):
        assert needed in names, f"the release's wheel lacks {needed}"


@pytest.fixture(scope="module")
def installed(tmp_path_factory, wheel) -> Path:
    """A virtual environment whose only `grader` is the one installed from a freshly built wheel."""
    work = tmp_path_factory.mktemp("venv")
    names = zipfile.ZipFile(wheel).namelist()
    for needed in ("grader/batch/runner.py", "grader/views/gradescope.py", "grader/sandbox/warm_template.py",
                   "grader/feedback/feedback.schema.json", "grader/grading/checks.ini",
                   "grader/views/templates/base.html.j2", "grader/views/templates/report.html.j2"):
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
