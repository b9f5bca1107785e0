"""Bundles built from the course: the student release (no solutions, ever) and a Gradescope autograder."""

from __future__ import annotations

import importlib.metadata
import json
import shutil
import stat
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import grader
from grader.atomic import atomic_file, atomic_folder
from grader.course.model import Course, Exercise

# From the course folder (docs/: the README's links); the grader from its install.
COURSE_PARTS = ("README.md", "course.yaml", "exercises", "docs")
DISTRIBUTION = "keras-course-grader"
PACKAGE_MARKER = "__init__.py"

# The student's one command: the grader's core dependencies only (TensorFlow included), never an extra.
STUDENT_INSTALL = "python3 -m venv .venv && .venv/bin/pip install -q -e . && .venv/bin/grade exercises/{exercise}"

STUDENT_NOTE = """# This is the student release

It holds the exercises, their public checks and the grader, and nothing of the reference solutions
or the hidden checks. Set everything up and grade an exercise with one command:

```bash
{install}
```

`grade exercises/NN_topic` runs the public checks here; the hidden checks, with random inputs, run when
your work is submitted. The course's README follows: its test command and the instructors' commands
need the course's whole repository, which this release is not.

---

"""

RUN_AUTOGRADER = """#!/bin/bash
# Gradescope runs this as root for every submission and reads $root/results/results.json.
# It grades only inside bubblewrap's sandbox; without it, results.json says grading could not run
# safely and this exits non-zero (grader/bundles/autograder.py). AUTOGRADER_ROOT stands in for
# /autograder in tests.
set -uo pipefail
root="$(cd "${{AUTOGRADER_ROOT:-/autograder}}" && pwd)" || exit 2
mkdir -p "$root/results"
rm -f "$root/results/results.json"
cd "$root/results"
PYTHONPATH="$root/source" python3 -m grader.bundles.autograder --root "$root" --exercise {exercise}
status=$?
if [ ! -s "$root/results/results.json" ]; then
    printf '{{"score": 0, "output": "The autograder failed before grading (exit %d); this is not your fault, your instructor will regrade.", "tests": [{{"name": "The grader failed (for instructors)", "score": 0, "max_score": 0, "status": "failed", "visibility": "hidden", "output": "python3 -m grader.bundles.autograder exited %d without writing results.json; the autograder output says why."}}]}}\\n' "$status" "$status" \\
        > "$root/results/results.json"
    [ "$status" -eq 0 ] && status=3
fi
exit "$status"
"""

SETUP_SH = """#!/usr/bin/env bash
# Gradescope runs this once when it builds the autograder image.
set -euo pipefail
apt-get update -qq
apt-get install -y -qq bubblewrap python3-pip python3-venv
cd /autograder/source
python3 -m pip install --break-system-packages . || python3 -m pip install .
# Submissions are graded only inside bubblewrap; say now, at build time, if it cannot run here.
if ! bwrap --unshare-all --die-with-parent --ro-bind / / --proc /proc true; then
    echo "WARNING: bubblewrap cannot create its namespaces in this image; every submission will be" >&2
    echo "WARNING: refused with a results.json that says grading could not run safely." >&2
fi
"""


def release_parts(course: Course) -> list[Path]:
    """What students get of the course: its README, manifest, exercises and docs (never solutions/)."""
    return [course.root / name for name in COURSE_PARTS]


def grading_parts(course: Course, exercise: Exercise) -> list[Path]:
    """What grading one exercise reads of the course, as a cluster worker's copy holds it: the manifest, the
    exercise's stub and public checks, its reference and hidden checks. No other exercise, no cases, no docs."""
    return [course.manifest_path, *exercise.course_files()]


def shipped_files(course: Course, parts: list[Path]) -> Iterator[tuple[Path, str]]:
    """(file, its path in the bundle): the course's `parts` (files, or folders walked) and the grader package
    that is running now.

    The package comes from where Python imported it (a wheel, a site-packages install or a source
    checkout alike), never from a `grader/` folder that may or may not sit beside the course.
    """
    for source in parts:
        paths = [source] if source.is_file() else sorted(p for p in source.rglob("*") if p.is_file())
        for path in paths:
            if not _is_cache(path):
                yield path, path.relative_to(course.root).as_posix()
    package = Path(grader.__file__).resolve().parent
    for path in sorted(package.rglob("*")):
        if path.is_file() and not _is_cache(path):
            yield path, f"grader/{path.relative_to(package).as_posix()}"


def _is_cache(path: Path) -> bool:
    return "__pycache__" in path.parts or path.suffix == ".pyc" or ".pytest_cache" in path.parts


@dataclass(frozen=True)
class Project:
    """What a bundle's pyproject.toml installs: the grader with its core dependencies, never an extra."""

    version: str
    requires_python: str
    dependencies: tuple[str, ...]
    scripts: tuple[tuple[str, str], ...]


def project_of(course: Course) -> Project:
    """The course's own pyproject.toml's [project], or the installed distribution's metadata without it.

    Only `dependencies` is read: the extras (`[cluster]`, `[nbgrader]`, `[similarity]`, `[dev]`) are the
    instructor's stacks and the tests', which neither a student nor a Gradescope image needs.
    """
    project = _own_project(course.root / "pyproject.toml")
    if project is not None:
        return Project(str(project.get("version", "0")), str(project.get("requires-python", ">=3.10")),
                       tuple(project.get("dependencies", ())), tuple(sorted(project.get("scripts", {}).items())))
    try:
        distribution = importlib.metadata.distribution(DISTRIBUTION)
    except importlib.metadata.PackageNotFoundError:
        return Project("0", ">=3.10", (), (("grade", "grader.cli:run"),))
    requires = tuple(r for r in distribution.requires or [] if "extra ==" not in r)
    scripts = tuple(sorted((point.name, point.value) for point in distribution.entry_points
                           if point.group == "console_scripts"))
    python = (distribution.metadata.get_all("Requires-Python") or [">=3.10"])[0]
    return Project(distribution.version, python, requires, scripts)


def _own_project(path: Path) -> dict | None:
    """The [project] table of the course's pyproject.toml; None without one (or on Python 3.10, without tomllib:
    the installed metadata says the same once the course is installed)."""
    if not path.is_file():
        return None
    try:
        import tomllib
    except ModuleNotFoundError:
        return None
    return tomllib.loads(path.read_text(encoding="utf-8")).get("project", {})


def package_data(package: Path) -> dict[str, list[str]]:
    """Every file of the grader package that is not Python source, by the package that holds it."""
    found: dict[str, list[str]] = {}
    for path in sorted(package.rglob("*")):
        if not path.is_file() or path.suffix == ".py" or _is_cache(path):
            continue
        owner = next(parent for parent in path.parents if (parent / PACKAGE_MARKER).is_file() or parent == package)
        name = ".".join(("grader", *owner.relative_to(package).parts))
        found.setdefault(name, []).append(path.relative_to(owner).as_posix())
    return found


def pyproject_text(course: Course) -> str:
    """The bundle's pyproject.toml: installs the shipped grader and its core dependencies, no extra."""
    project = project_of(course)
    quoted = json.dumps   # a JSON string is a TOML basic string
    dependencies = "".join(f"    {quoted(requirement)},\n" for requirement in project.dependencies)
    scripts = "".join(f"{quoted(name)} = {quoted(target)}\n" for name, target in project.scripts)
    data = "".join(f"{quoted(name)} = [{', '.join(map(quoted, files))}]\n"
                   for name, files in package_data(Path(grader.__file__).resolve().parent).items())
    return (f'[build-system]\nrequires = ["setuptools>=68"]\nbuild-backend = "setuptools.build_meta"\n\n'
            f'[project]\nname = "{DISTRIBUTION}"\nversion = {quoted(project.version)}\n'
            f'requires-python = {quoted(project.requires_python)}\ndependencies = [\n{dependencies}]\n\n'
            f'[project.scripts]\n{scripts}\n'
            f'[tool.setuptools.packages.find]\ninclude = ["grader", "grader.*"]\n\n'
            f'[tool.setuptools.package-data]\n{data}')


def build_release(course: Course, out: Path) -> Path:
    """Copy what students may have into a new folder; it appears whole or not at all."""
    out = Path(out)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise FileExistsError(f"{out} is not empty; choose a new folder for the release")
    with atomic_folder(out, mode=0o755) as partial:
        for path, name in shipped_files(course, release_parts(course)):
            (partial / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, partial / name)
        (partial / "pyproject.toml").write_text(pyproject_text(course), encoding="utf-8")
        readme = partial / "README.md"
        note = STUDENT_NOTE.format(install=STUDENT_INSTALL.format(exercise=course.exercises[0].id))
        readme.write_text(note + (readme.read_text(encoding="utf-8") if readme.exists() else ""), encoding="utf-8")
    return out


def build_gradescope(course: Course, exercise: Exercise, out: Path) -> Path:
    """A Gradescope autograder zip for one exercise: setup.sh, run_autograder, the grader, and of the course
    only what grading that exercise reads (`grading_parts`), at the zip's root.

    Gradescope extracts the zip into /autograder/source. The reference and hidden checks are there
    for the trusted checks only: the sandbox binds none of /autograder, and run_autograder refuses
    to grade without the sandbox. No other exercise's solutions travel with it, so an autograder
    image that leaks leaks one exercise at most. The zip is written beside `out` and renamed: never
    half-written.
    """
    out = Path(out)
    with atomic_file(out, mode=0o644) as partial, zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED) as bundle:
        for name, text in (("setup.sh", SETUP_SH), ("run_autograder", RUN_AUTOGRADER.format(exercise=exercise.id))):
            info = zipfile.ZipInfo(name)
            info.external_attr = (stat.S_IFREG | 0o755) << 16
            bundle.writestr(info, text)
        bundle.writestr("pyproject.toml", pyproject_text(course))
        for path, name in shipped_files(course, grading_parts(course, exercise)):
            bundle.write(path, name)
    return out
