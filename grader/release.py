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

RUN_AUTOGRADER = """#!/usr/bin/env bash
# Gradescope runs this for every submission; it writes /autograder/results/results.json.
set -uo pipefail
cd /autograder/source
submission="$(find /autograder/submission -name '{entry}' -type f | head -n 1)"
if [ -z "$submission" ]; then
    submission="$(find /autograder/submission -name '*.py' -type f | head -n 1)"
fi
mkdir -p /autograder/results
if [ -z "$submission" ]; then
    printf '{{"score": 0, "output": "No Python file was submitted; upload {entry}.", "tests": []}}\\n' \\
        > /autograder/results/results.json
    exit 0
fi
python3 -m grader exercises/{exercise} --submission "$submission" --gradescope /autograder/results/results.json
"""

SETUP_SH = """#!/usr/bin/env bash
# Gradescope runs this once when it builds the autograder image.
set -euo pipefail
apt-get update -qq && apt-get install -y -qq bubblewrap python3-pip python3-venv || true
cd /autograder/source
python3 -m pip install --break-system-packages . || python3 -m pip install .
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
    """A Gradescope autograder zip: setup.sh, run_autograder and the whole course under source/."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as bundle:
        for name, text in (("setup.sh", SETUP_SH),
                           ("run_autograder", RUN_AUTOGRADER.format(entry=exercise.entry, exercise=exercise.id))):
            info = zipfile.ZipInfo(name)
            info.external_attr = (stat.S_IFREG | 0o755) << 16
            bundle.writestr(info, text)
        for name in (*SHIPPED_TO_STUDENTS, "solutions"):
            source = course.root / name
            paths = [source] if source.is_file() else sorted(p for p in source.rglob("*") if p.is_file())
            for path in paths:
                if "__pycache__" in path.parts or path.suffix == ".pyc":
                    continue
                bundle.write(path, f"source/{path.relative_to(course.root)}")
    return out
