"""The student release holds nothing of the solutions (the Gradescope bundle: test_gradescope_autograder.py)."""

import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

import grader
from conftest import ROOT, run_grade
from grader.bundles import release
from grader.course.manifest import load_course


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


def test_a_release_that_fails_halfway_leaves_nothing_behind(tmp_path, monkeypatch):
    """A full disk or a vanished file mid-copy: no half-written folder a teacher could hand out."""
    course = load_course(ROOT / "course.yaml")
    copied = []

    def copy_then_fail(source, target):
        copied.append(source)
        if len(copied) > 5:
            raise OSError(28, "No space left on device")
        return real_copy(source, target)

    real_copy = release.shutil.copy2
    monkeypatch.setattr(release.shutil, "copy2", copy_then_fail)
    with pytest.raises(OSError, match="No space"):
        release.build_release(course, tmp_path / "release")
    assert sorted(tmp_path.iterdir()) == []


def test_a_gradescope_bundle_that_fails_halfway_leaves_no_zip(tmp_path, monkeypatch):
    course = load_course(ROOT / "course.yaml")
    out = tmp_path / "autograder.zip"
    out.write_bytes(b"the previous, complete bundle")

    def failing_files(*args, **kwargs):
        yield ROOT / "course.yaml", "course.yaml"
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(release, "shipped_files", failing_files)
    with pytest.raises(OSError, match="Input/output"):
        release.build_gradescope(course, course.exercise("02_backprop"), out)
    assert sorted(path.name for path in tmp_path.iterdir()) == ["autograder.zip"]
    assert out.read_bytes() == b"the previous, complete bundle"


@pytest.mark.parametrize("exercise_id", ["02_backprop", "05_keras_regression"])
def test_a_gradescope_bundle_holds_its_exercise_only(tmp_path, exercise_id):
    """Once 909 files: every exercise's solutions, cases and independent solutions, and the docs. Now what grading
    the exercise reads (as a cluster worker's copy does): the manifest, its stub, public and hidden checks and
    reference; the lab's code (similarity's) and the cases stay home. run_autograder grades it (test_gradescope_autograder)."""
    course = load_course(ROOT / "course.yaml")
    exercise = course.exercise(exercise_id)
    with zipfile.ZipFile(release.build_gradescope(course, exercise, tmp_path / "autograder.zip")) as archive:
        names = set(archive.namelist())
    entry = exercise.entry
    assert {name for name in names if not name.startswith("grader/")} == {
        "setup.sh", "run_autograder", "pyproject.toml", "course.yaml",
        f"exercises/{exercise_id}/{entry}", f"exercises/{exercise_id}/public_checks.py",
        f"solutions/{exercise_id}/{entry}", f"solutions/{exercise_id}/hidden_checks.py"}
    assert len(names) < 250, len(names)
    load_course(_extracted(tmp_path / "autograder.zip", tmp_path / "source") / "course.yaml", files_of=exercise_id)


def _extracted(bundle: Path, folder: Path) -> Path:
    with zipfile.ZipFile(bundle) as archive:
        archive.extractall(folder)
    return folder


def test_the_release_ships_the_grader_that_is_installed_not_a_folder_beside_the_course(tmp_path):
    """A course folder without grader/ (the package came from a wheel) still gets a working bundle."""
    course_folder = tmp_path / "course"
    course_folder.mkdir()
    for part in ("course.yaml", "exercises", "solutions"):
        source = ROOT / part
        if source.is_dir():
            shutil.copytree(source, course_folder / part)
        else:
            (course_folder / part).write_bytes(source.read_bytes())
    course = load_course(course_folder / "course.yaml")
    out = release.build_release(course, tmp_path / "release")
    package = Path(grader.__file__).parent
    assert (out / "grader" / "cli.py").read_bytes() == (package / "cli.py").read_bytes()
    assert (out / "grader" / "feedback" / "feedback.schema.json").is_file()
    project = tomllib.loads((out / "pyproject.toml").read_text())["project"]
    assert project["scripts"] == {"grade": "grader.cli:run"}
    assert any(requirement.startswith("numpy") for requirement in project["dependencies"])
    assert not instructor_stacks(project["dependencies"]) and "optional-dependencies" not in project
    assert not (out / "solutions").exists()


INSTRUCTOR_STACKS = {"dask", "distributed", "nbgrader", "scipy", "import-linter", "mypy"}


def instructor_stacks(requirements) -> set[str]:
    names = {re.split(r"[\s\[<>=!~;]", requirement, maxsplit=1)[0].lower() for requirement in requirements}
    return names & INSTRUCTOR_STACKS


def test_the_release_installs_the_grader_without_the_instructor_stacks(tmp_path):
    """The release's pyproject.toml: the course's core dependencies (TensorFlow too), no extra; every data file
    of the shipped grader is package data, so the installed grader has its schemas and templates."""
    out = release.build_release(load_course(ROOT / "course.yaml"), tmp_path / "release")
    course_project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    shipped = tomllib.loads((out / "pyproject.toml").read_text())
    project = shipped["project"]
    assert project["dependencies"] == course_project["dependencies"]
    assert not instructor_stacks(project["dependencies"]), project["dependencies"]
    assert {"numpy", "pytest", "jinja2", "tensorflow-cpu", "tensorflow"} <= \
        {re.split(r"[\s<>=!~;]", r, maxsplit=1)[0].lower() for r in project["dependencies"]}
    assert "optional-dependencies" not in project
    assert project["scripts"] == course_project["scripts"]
    assert project["name"] == course_project["name"] and project["version"] == course_project["version"]
    data = shipped["tool"]["setuptools"]["package-data"]
    listed = {out.joinpath(*name.split("."), file) for name, files in data.items() for file in files}
    not_python = {path for path in (out / "grader").rglob("*") if path.is_file() and path.suffix != ".py"}
    assert listed == not_python and (out / "grader/feedback/feedback.schema.json") in listed


def test_the_courses_extras_hold_the_instructor_stacks_and_dev_holds_them_all():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras = project["optional-dependencies"]
    assert not instructor_stacks(project["dependencies"]), project["dependencies"]
    assert instructor_stacks(extras["cluster"]) == {"dask"}
    assert instructor_stacks(extras["nbgrader"]) == {"nbgrader"}
    assert instructor_stacks(extras["similarity"]) == {"scipy"}
    assert "keras-course-grader[cluster,nbgrader,similarity]" in extras["dev"]
    assert instructor_stacks(extras["dev"]) == {"import-linter", "mypy"}
    assert "pytest>=8.3,<10" in project["dependencies"] and "jinja2>=3.1" in project["dependencies"]
    from grader.extras import EXTRAS
    assert set(EXTRAS) == set(extras) - {"dev"}


def readme_commands() -> list[str]:
    """The README's two commands, in order (the lines of its first bash block that are not comments)."""
    block = re.search(r"```bash\n(.*?)```", (ROOT / "README.md").read_text(), re.S).group(1)
    return [line for line in block.splitlines() if line.strip() and not line.startswith("#")]


def test_the_readme_ci_and_release_install_commands_agree_with_the_extras(tmp_path):
    student, tests = readme_commands()
    assert student == "python3 -m venv .venv && .venv/bin/pip install -q -e . && .venv/bin/grade exercises/02_backprop"
    assert tests == ("python3 -m venv .venv && .venv/bin/pip install -q -e '.[dev]' && "
                     ".venv/bin/python -m pytest -q -n 2 --dist loadfile")
    ci = (ROOT / ".ci/run").read_text()
    assert tests.replace("python3 ", "$PYTHON ", 1) in ci.splitlines()
    syntax = subprocess.run(["bash", "-n", str(ROOT / ".ci/run")], capture_output=True, text=True)
    assert syntax.returncode == 0, syntax.stderr
    out = release.build_release(load_course(ROOT / "course.yaml"), tmp_path / "release")
    note = re.search(r"```bash\n(.*?)\n```", (out / "README.md").read_text(), re.S).group(1)
    install, _, graded = note.rpartition(" && ")
    assert install == student.rpartition(" && ")[0]   # the student's install: no extra
    assert graded == f".venv/bin/grade exercises/{load_course(ROOT / 'course.yaml').exercises[0].id}"
    assert (out / "docs" / "grading.md").is_file()   # the README's links work in the release


def test_every_data_file_of_the_grader_is_package_data():
    """pyproject.toml's package-data names every file of grader/ that is not Python, so the wheel (and a
    student's install) has the schemas and templates; a new data file without its line fails here."""
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]
    listed = {path for name, patterns in data.items() for pattern in patterns
              for path in ROOT.joinpath(*name.split(".")).glob(pattern) if path.is_file()}
    package = ROOT / "grader"
    not_python = {path for path in package.rglob("*") if path.is_file() and path.suffix not in (".py", ".pyc")
                  and "__pycache__" not in path.parts}
    assert not_python - listed == set(), sorted(str(path.relative_to(ROOT)) for path in not_python - listed)


def test_a_release_is_refused_while_an_exercise_entry_is_broken(small_course, tmp_path):
    """A broken entry leaves only its exercise out of grading; a student release without it is refused instead."""
    text = (small_course / "course.yaml").read_text(encoding="utf-8")
    (small_course / "course.yaml").write_text(text + "\n  - id: 10_half_added\n    title: Half added\n    entry: half.py\n"
                                              "    points: 5\n    requires: [numpy]\n", encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "grader", "release", str(tmp_path / "out"), "--course", str(small_course)],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2, done.stderr
    assert "10_half_added" in done.stderr and "before building a release" in done.stderr
    assert not (tmp_path / "out").exists()
