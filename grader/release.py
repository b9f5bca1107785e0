"""Bundles built from the course: the student release (no solutions, ever) and a Gradescope autograder."""

from __future__ import annotations

import shutil
import stat
import zipfile
from pathlib import Path

from grader.course import Course, Exercise

SHIPPED_TO_STUDENTS = ("README.md", "pyproject.toml", "course.yaml", "exercises", "grader")
_IGNORE = shutil.ignore_patterns("__pycache__", "*.pyc", ".pytest_cache", "*.egg-info")

STUDENT_NOTE = """
## This is the student release

It holds the exercises, their public checks and the grader, and nothing of the reference solutions
or the hidden checks. `grade exercises/NN_topic` runs the public checks here; the hidden checks, with
random inputs, run when your work is submitted.
"""

RUN_AUTOGRADER = """#!/bin/bash
# Gradescope runs this as root for every submission and reads $root/results/results.json.
# It grades only inside bubblewrap's sandbox; without it, results.json says grading could not run
# safely and this exits non-zero (grader/exports/autograder.py). AUTOGRADER_ROOT stands in for
# /autograder in tests.
set -uo pipefail
root="$(cd "${{AUTOGRADER_ROOT:-/autograder}}" && pwd)" || exit 2
mkdir -p "$root/results"
rm -f "$root/results/results.json"
cd "$root/results"
PYTHONPATH="$root/source" python3 -m grader.exports.autograder --root "$root" --exercise {exercise}
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


def build_release(course: Course, out: Path) -> Path:
    """Copy what students may have; refuse to write into a folder that already holds something."""
    out = Path(out)
    if out.exists() and any(out.iterdir()):
        raise FileExistsError(f"{out} is not empty; choose a new folder for the release")
    out.mkdir(parents=True, exist_ok=True)
    for name in SHIPPED_TO_STUDENTS:
        source = course.root / name
        if source.is_dir():
            shutil.copytree(source, out / name, ignore=_IGNORE)
        elif source.is_file():
            shutil.copy2(source, out / name)
    readme = out / "README.md"
    readme.write_text(readme.read_text(encoding="utf-8") + STUDENT_NOTE, encoding="utf-8")
    return out


def build_gradescope(course: Course, exercise: Exercise, out: Path) -> Path:
    """A Gradescope autograder zip: setup.sh, run_autograder and the course at the zip's root.

    Gradescope extracts the zip into /autograder/source. The solutions and hidden checks are there
    for the trusted checks only: the sandbox binds none of /autograder, and run_autograder refuses
    to grade without the sandbox.
    """
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as bundle:
        for name, text in (("setup.sh", SETUP_SH), ("run_autograder", RUN_AUTOGRADER.format(exercise=exercise.id))):
            info = zipfile.ZipInfo(name)
            info.external_attr = (stat.S_IFREG | 0o755) << 16
            bundle.writestr(info, text)
        for name in (*SHIPPED_TO_STUDENTS, "solutions"):
            source = course.root / name
            paths = [source] if source.is_file() else sorted(p for p in source.rglob("*") if p.is_file())
            for path in paths:
                if "__pycache__" in path.parts or path.suffix == ".pyc":
                    continue
                bundle.write(path, str(path.relative_to(course.root)))
    return out
