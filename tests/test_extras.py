"""A student's install holds no instructor stack: `grade` never imports one, and a command that needs one it
lacks says which extra to install (grader/extras.py, pyproject.toml's [project.optional-dependencies]).

Each test runs the real command line in a fresh interpreter. A missing extra is made by putting None in
sys.modules under the stack's name before the grader is imported, as Python does for a module that must
not be imported: every import of it raises ImportError, as in an environment without it.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from conftest import ROOT
from grader.exitcodes import ExitCode

INSTRUCTOR_STACKS = ("dask", "distributed", "nbgrader", "scipy", "sqlalchemy", "starlette", "uvicorn", "psycopg")
MARKER = "LOADED-TOP-LEVEL-MODULES:"

COMMAND_LINE = f"""
import json, sys
for name in json.loads(sys.argv[1]):
    sys.modules[name] = None
from grader.cli import main
codes = [main(argv) for argv in json.loads(sys.argv[2])]
loaded = sorted({{name.split(".")[0] for name, module in sys.modules.items() if module is not None}})
print("{MARKER}" + json.dumps(loaded), file=sys.stderr)
sys.exit(max(codes))
"""


def run_command_lines(*argvs: list[str], hidden: tuple[str, ...] = ()) -> tuple[int, str, str, set[str]]:
    """Run `grade ARGV` for each ARGV in one fresh interpreter; its exit code, stdout, stderr and loaded packages."""
    completed = subprocess.run([sys.executable, "-c", COMMAND_LINE, json.dumps(list(hidden)),
                                json.dumps([list(map(str, argv)) for argv in argvs])],
                               cwd=ROOT, capture_output=True, text=True, timeout=300)
    stderr, _, loaded = completed.stderr.rpartition(MARKER)
    assert loaded, completed.stderr[-3000:]
    return completed.returncode, completed.stdout, stderr, set(json.loads(loaded))


def test_grading_an_exercise_imports_no_instructor_stack():
    reference = ROOT / "solutions" / "02_backprop" / "backprop.py"
    code, stdout, stderr, loaded = run_command_lines(["exercises/02_backprop", "--submission", reference, "--json", "-"])
    assert code == 0, stderr[-2000:]
    document = json.loads(stdout)
    assert document["score"] == document["max_score"] == 30, document["status"]
    assert "numpy" in loaded and "pytest" in loaded   # the trusted side did grade here
    assert not loaded & set(INSTRUCTOR_STACKS), sorted(loaded & set(INSTRUCTOR_STACKS))


def test_no_command_imports_an_instructor_stack_before_it_runs():
    """Every subcommand's options are parsed (batch's include --cluster and --similarity) without one."""
    helps = [["--help"], *([command, "--help"] for command in
                          ("validate", "batch", "release", "gradescope", "notebooks", "nbgrader", "nbgrader-grade",
                           "similarity", "audit", "export", "serve", "submit"))]
    code, stdout, stderr, loaded = run_command_lines(*helps)
    assert code == 0, stderr[-2000:]
    assert "--cluster" in stdout and "--similarity" in stdout
    assert not loaded & set(INSTRUCTOR_STACKS), sorted(loaded & set(INSTRUCTOR_STACKS))


@pytest.mark.slow
def test_every_exercise_earns_full_marks_without_the_cluster_and_nbgrader_stacks(tmp_path):
    """With dask, nbgrader and the service's stack unimportable in the grader's process, every exercise's reference (the Keras ones too)
    is graded as it is with them. scipy stays: scikit-learn, a core dependency, needs it for the digits that 06, 07
    and 09's checks load, so every install has it (the [similarity] extra only asks for a recent enough one)."""
    from grader.course.manifest import load_course

    course = load_course(ROOT / "course.yaml")
    argvs = [[f"exercises/{exercise.id}", "--submission", exercise.reference_path, "--json",
              tmp_path / f"{exercise.id}.json"] for exercise in course.exercises]
    code, _, stderr, loaded = run_command_lines(*argvs, hidden=("dask", "distributed", "nbgrader", "sqlalchemy", "starlette", "uvicorn"))
    assert code == 0, stderr[-2000:]
    for exercise in course.exercises:
        document = json.loads((tmp_path / f"{exercise.id}.json").read_text())
        assert document["score"] == document["max_score"] == exercise.points, (exercise.id, document["status"])


MISSING = {
    "cluster": (["batch", "{tmp}", "--exercise", "02_backprop", "--out", "{tmp}/out", "--cluster", "tcp://127.0.0.1:8786"],
                ("distributed",)),
    "similarity": (["similarity", "{tmp}", "--exercise", "02_backprop"], ("scipy",)),
    "nbgrader": (["nbgrader-grade", "02_backprop", "--course-dir", "{tmp}"], ("nbgrader",)),
    "service": (["serve", "--data", "{tmp}/out"], ("starlette",)),
}


@pytest.mark.parametrize("extra", sorted(MISSING))
def test_a_command_without_its_extra_says_which_to_install(extra, tmp_path):
    argv, hidden = MISSING[extra]
    code, stdout, stderr, loaded = run_command_lines([part.format(tmp=tmp_path) for part in argv], hidden=hidden)
    assert code == ExitCode.USAGE, stderr[-2000:]
    assert f"needs the [{extra}] extra" in stderr and f"pip install 'keras-course-grader[{extra}]'" in stderr, stderr
    assert "Traceback" not in stderr and "internal error" not in stderr
    assert not (tmp_path / "out").exists()   # refused before anything was graded or written
