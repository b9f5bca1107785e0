"""Bundles built from the course: the student release (no solutions, ever) and a Gradescope autograder."""

from __future__ import annotations

import contextlib
import importlib.metadata
import json
import os
import shutil
import stat
import tempfile
import zipfile
from pathlib import Path
from typing import Iterator

import grader
from grader.course.model import Course, Exercise

COURSE_PARTS = ("README.md", "course.yaml", "exercises")   # from the course folder; the grader from its install
DISTRIBUTION = "keras-course-grader"

STUDENT_NOTE = """
## This is the student release

It holds the exercises, their public checks and the grader, and nothing of the reference solutions
or the hidden checks. `grade exercises/NN_topic` runs the public checks here; the hidden checks, with
random inputs, run when your work is submitted.
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
    printf '{{"score": 0, "output": "The autograder failed before grading (exit %d); this is not your fault, your instructor will regrade.", "tests": []}}\\n' "$status" \\
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


def shipped_files(course: Course, with_solutions: bool = False) -> Iterator[tuple[Path, str]]:
    """(file, its path in the bundle): the course's parts and the grader package that is running now.

    The package comes from where Python imported it (a wheel, a site-packages install or a source
    checkout alike), never from a `grader/` folder that may or may not sit beside the course.
    """
    for name in (*COURSE_PARTS, *(("solutions",) if with_solutions else ())):
        source = course.root / name
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


def pyproject_text(course: Course) -> str:
    """The course's own pyproject.toml, or one that installs the grader the way it is installed here."""
    own = course.root / "pyproject.toml"
    if own.is_file():
        return own.read_text(encoding="utf-8")
    try:
        version = importlib.metadata.version(DISTRIBUTION)
        requires = [r for r in importlib.metadata.requires(DISTRIBUTION) or [] if "extra ==" not in r]
    except importlib.metadata.PackageNotFoundError:
        version, requires = "0", []
    dependencies = "".join(f"    {json.dumps(requirement)},\n" for requirement in requires)
    return (f'[build-system]\nrequires = ["setuptools>=68"]\nbuild-backend = "setuptools.build_meta"\n\n'
            f'[project]\nname = "{DISTRIBUTION}"\nversion = "{version}"\nrequires-python = ">=3.10"\n'
            f'dependencies = [\n{dependencies}]\n\n[project.scripts]\ngrade = "grader.cli:main"\n\n'
            f'[tool.setuptools.packages.find]\ninclude = ["grader", "grader.*"]\n\n'
            f'[tool.setuptools.package-data]\n"grader.course" = ["*.json"]\n"grader.feedback" = ["*.json"]\n"grader.grading" = ["checks.ini"]\n')


def build_release(course: Course, out: Path) -> Path:
    """Copy what students may have into a new folder; it appears whole or not at all."""
    out = Path(out)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise FileExistsError(f"{out} is not empty; choose a new folder for the release")
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = Path(tempfile.mkdtemp(prefix=f".{out.name}.partial-", dir=out.parent))
    try:
        for path, name in shipped_files(course):
            (partial / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, partial / name)
        (partial / "pyproject.toml").write_text(pyproject_text(course), encoding="utf-8")
        readme = partial / "README.md"
        readme.write_text((readme.read_text(encoding="utf-8") if readme.exists() else "") + STUDENT_NOTE, encoding="utf-8")
        partial.chmod(0o755)
        if out.exists():
            out.rmdir()
        partial.rename(out)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    return out


def build_gradescope(course: Course, exercise: Exercise, out: Path) -> Path:
    """A Gradescope autograder zip: setup.sh, run_autograder and the course at the zip's root.

    Gradescope extracts the zip into /autograder/source. The solutions and hidden checks are there
    for the trusted checks only: the sandbox binds none of /autograder, and run_autograder refuses
    to grade without the sandbox. The zip is written beside `out` and renamed: never half-written.
    """
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    descriptor, partial = tempfile.mkstemp(prefix=f".{out.name}.partial-", dir=out.parent)
    os.close(descriptor)
    try:
        with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED) as bundle:
            for name, text in (("setup.sh", SETUP_SH), ("run_autograder", RUN_AUTOGRADER.format(exercise=exercise.id))):
                info = zipfile.ZipInfo(name)
                info.external_attr = (stat.S_IFREG | 0o755) << 16
                bundle.writestr(info, text)
            bundle.writestr("pyproject.toml", pyproject_text(course))
            for path, name in shipped_files(course, with_solutions=True):
                bundle.write(path, name)
        os.chmod(partial, 0o644)
        os.replace(partial, out)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(partial)
        raise
    return out
