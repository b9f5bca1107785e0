"""What Gradescope's `run_autograder` runs: grade the submission under bubblewrap, or not at all.

Gradescope runs the autograder as root, beside the course's reference solutions and hidden checks.
Under bubblewrap the student's code sees none of them (only the system, Python, the grader package
and its own file); in a plain process it could read them, or reach them through /proc. So this
fails closed: when strong isolation is unavailable, the student's code never runs, and results.json
says the grading could not run safely, that the 0 is not the student's fault, and the exit status
is non-zero so the instructor sees the failure.

The folder layout is Gradescope's (`ROOT/source`, `ROOT/submission`, `ROOT/results`); ROOT is
/autograder unless `--root` or the AUTOGRADER_ROOT environment variable says otherwise (tests).
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from pathlib import Path

from grader.atomic import write_json_atomically
from grader.course.model import SOLUTIONS_DIR, Exercise
from grader.exitcodes import ExitCode
from grader.outcomes import Status

ROOT_VARIABLE = "AUTOGRADER_ROOT"
DEFAULT_ROOT = "/autograder"
_IGNORED = re.compile(r"^(\.|__MACOSX$|__pycache__$)")

UNSAFE = ("Your submission was not graded: the autograder could not start its sandbox ({problem}), and it never "
          "runs student code without one. The score of 0 is not your fault; your instructor has been told and will "
          "regrade your submission.")


def results_document(output: str, tests: list | None = None, score: float = 0.0) -> dict:
    """A results.json Gradescope accepts, for the cases where nothing was graded."""
    return {"score": score, "output": output, "visibility": "visible", "stdout_visibility": "hidden",
            "tests": tests or []}


def unsafe_results(problem: str) -> dict:
    """Visible to the student as `output`; the instructor also gets a hidden test naming the problem."""
    note = {"name": "Autograder could not run safely (for instructors)", "score": 0, "max_score": 0,
            "status": "failed", "visibility": "hidden",
            "output": f"Strong isolation is unavailable: {problem}. Nothing of the submission was run. Make "
                      "bubblewrap work in the autograder image (see setup.sh), then regrade all submissions."}
    return results_document(UNSAFE.format(problem=problem), [note])


def find_submission(folder: Path, exercise: Exercise) -> tuple[Path | None, str | None]:
    """The file to grade: the exercise's file, else its notebook, else the only .py/.ipynb; never a link."""
    if not folder.is_dir():
        return None, f"there is no submission folder {folder}"
    files = [path for path in sorted(folder.rglob("*"))
             if not any(_IGNORED.match(part) for part in path.relative_to(folder).parts)
             and path.suffix in (".py", ".ipynb") and path.is_file() and not path.is_symlink()]
    for name in (exercise.entry, Path(exercise.entry).stem + ".ipynb"):
        named = [path for path in files if path.name == name]
        if len(named) == 1:
            return named[0], None
        if named:
            return None, f"several files are named {name}; upload only one"
    if len(files) == 1:
        return files[0], None
    if not files:
        return None, f"No Python file was submitted; upload {exercise.entry}."
    return None, f"Several Python files were submitted ({', '.join(p.name for p in files[:5])}); upload {exercise.entry}."


def lock_away(folder: Path) -> None:
    """Owner-only permissions on the solutions: a second fence behind the sandbox's not binding them."""
    if not folder.is_dir():
        return
    for path in [folder, *folder.rglob("*")]:
        if not path.is_symlink():
            path.chmod(0o700 if path.is_dir() else 0o600)


def run(root: Path, exercise_id: str) -> ExitCode:
    from grader.grading.engine import grade
    from grader.views.gradescope import to_gradescope
    from grader.course.manifest import load_course
    from grader.sandbox.launchers import WeakIsolationRefused, choose_launcher

    results = root / "results" / "results.json"
    course = load_course(root / "source" / "course.yaml")
    exercise = course.exercise(exercise_id)
    lock_away(course.root / SOLUTIONS_DIR)
    try:
        launcher = choose_launcher(require_strong=True, allow_weak=False)
    except WeakIsolationRefused as exc:
        return _fail_closed(results, str(exc).split(";")[0])
    if not launcher.isolation.strong:
        return _fail_closed(results, f"only {launcher.isolation.mode} isolation is available")
    submission, problem = find_submission(root / "submission", exercise)
    if submission is None:
        write_json_atomically(results_document(problem or "nothing to grade was submitted"), results)
        return ExitCode.OK
    os.chdir(root / "results")   # nothing of the course is anyone's working folder while grading
    feedback = grade(exercise, submission, launcher=launcher)
    if not feedback.isolation.strong:
        return _fail_closed(results, f"the sandbox ran in {feedback.isolation.mode} mode")
    write_json_atomically(to_gradescope(feedback), results)
    return ExitCode.GRADER_FAILED if feedback.status is Status.GRADER_FAILED else ExitCode.OK


def _fail_closed(results: Path, problem: str) -> ExitCode:
    write_json_atomically(unsafe_results(problem), results)
    print(f"run_autograder: refusing to grade without strong isolation: {problem}", file=sys.stderr)
    return ExitCode.GRADER_FAILED


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="run_autograder", description=__doc__.splitlines()[0])
    parser.add_argument("--exercise", required=True, help="the exercise id this autograder grades")
    parser.add_argument("--root", type=Path, help=f"Gradescope's folder (default: ${ROOT_VARIABLE} or {DEFAULT_ROOT})")
    options = parser.parse_args(argv)
    root = (options.root or Path(os.environ.get(ROOT_VARIABLE) or DEFAULT_ROOT)).resolve()
    return int(run(root, options.exercise))


if __name__ == "__main__":
    sys.exit(main())
