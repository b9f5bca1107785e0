"""Shared helpers: the real course, the real `grade` command, and submissions written to disk."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@dataclass
class GradeRun:
    returncode: int
    stdout: str
    stderr: str

    @property
    def document(self) -> dict:
        return json.loads(self.stdout)

    def check(self, check_id: str) -> dict:
        for check in self.document["checks"]:
            if check["id"] == check_id:
                return check
        raise KeyError(f"no check {check_id} in {[c['id'] for c in self.document['checks']]}")


def run_grade(*args: str, cwd: Path = ROOT, timeout: float = 300) -> GradeRun:
    """Run the real command line in a fresh process, as a user would."""
    env = {**os.environ, "COLUMNS": "200"}
    completed = subprocess.run([sys.executable, "-m", "grader", *map(str, args)], cwd=cwd, capture_output=True,
                               text=True, timeout=timeout, env=env)
    return GradeRun(completed.returncode, completed.stdout, completed.stderr)


@pytest.fixture
def grade_source(tmp_path):
    """Grade Python source text as a submission of an exercise; returns the GradeRun (JSON on stdout)."""

    def grade(exercise: str, source: str | bytes, *extra: str, name: str | None = None) -> GradeRun:
        path = tmp_path / (name or f"{exercise}.py")
        if isinstance(source, bytes):
            path.write_bytes(source)
        else:
            path.write_text(source, encoding="utf-8")
        return run_grade(f"exercises/{exercise}", "--submission", str(path), "--json", "-", *extra)

    return grade


def reference_source(exercise: str) -> str:
    from grader.course.manifest import load_course

    return load_course(ROOT / "course.yaml").exercise(exercise).reference_path.read_text(encoding="utf-8")


def mutate(source: str, old: str, new: str) -> str:
    """The reference with one deliberate mistake; fails loudly if the reference changed."""
    assert old in source, f"{old!r} is not in the reference any more"
    return source.replace(old, new, 1)


def assert_mistake_named(grade, exercise: str, old: str, new: str, check_id: str, hint_id: str,
                         outcomes: tuple[str, ...] = ("failed", "error"), *extra: str) -> GradeRun:
    """Grade the reference with one mistake; the check must score 0 and its hint must name the mistake."""
    run = grade(exercise, mutate(reference_source(exercise), old, new), *extra)
    assert run.returncode == 0, run.stderr
    check = run.check(check_id)
    assert check["outcome"] in outcomes and check["score"] == 0, check
    assert check.get("hint_id") == hint_id, check
    return run


@pytest.fixture
def course_copy(tmp_path) -> Path:
    """A private copy of the course, to break on purpose."""
    target = tmp_path / "course"
    target.mkdir()
    for name in ("course.yaml", "exercises", "solutions"):
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, target / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(source, target / name)
    return target


@pytest.fixture
def small_course(tmp_path) -> Path:
    """A private copy of a one-exercise course: course.yaml cut after 01 (its comments kept), and 01's folders
    (without independent/): fast to validate, and room for an exercise `grade new` adds."""
    target = tmp_path / "course"
    for tree in ("exercises", "solutions"):
        shutil.copytree(ROOT / tree / "01_forward_propagation", target / tree / "01_forward_propagation",
                        ignore=shutil.ignore_patterns("__pycache__", "independent"))
    text = (ROOT / "course.yaml").read_text(encoding="utf-8")
    (target / "course.yaml").write_text(text[:text.index("  - id: 02_backprop")], encoding="utf-8")
    return target


def reference_script(exercise: str) -> dict:
    """A script answering every function as the exercise's reference solution does (computed here)."""
    import inspect

    from grader.grading.checklib import load_module
    from grader.course.manifest import load_course
    from grader.sandbox.fake import compute

    path = load_course(ROOT / "course.yaml").exercise(exercise).reference_path
    module = load_module(path, f"scripted_reference_{exercise}")
    return {name: compute(value) for name, value in vars(module).items()
            if inspect.isfunction(value) and value.__module__ == module.__name__}


def scripted_grading(exercise: str = "02_backprop", changes: dict | None = None, **launcher_options):
    """A real grading of `exercise` (real checks, plugin and engine) with the sandbox swapped for a script:
    the reference's answers, with `changes` replacing some. Takes milliseconds; no process starts."""
    from grader.grading.engine import grade
    from grader.course.manifest import load_course
    from grader.sandbox.fake import ScriptedLauncher

    course_exercise = load_course(ROOT / "course.yaml").exercise(exercise)
    launcher = ScriptedLauncher({**reference_script(exercise), **(changes or {})}, **launcher_options)
    return grade(course_exercise, course_exercise.stub_path, launcher=launcher)
