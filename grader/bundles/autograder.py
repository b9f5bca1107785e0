"""What Gradescope's `run_autograder` runs: grade the submission under bubblewrap, or not at all.

Gradescope runs the autograder as root, beside the course's reference solutions and hidden checks.
Under bubblewrap the student's code sees none of them (only the system, Python, the grader package
and its own file); in a plain process it could read them, or reach them through /proc. So this
fails closed: when strong isolation is unavailable, the student's code never runs, and results.json
says the grading could not run safely, that the 0 is not the student's fault, and the exit status
is non-zero so the instructor sees the failure.

The folder layout is Gradescope's (`ROOT/source`, `ROOT/submission`, `ROOT/results`); ROOT is
/autograder unless `--root` or the AUTOGRADER_ROOT environment variable says otherwise (tests).

A submission of one Python file is that file; several are the student's folder, graded as `grade batch`
grades a student's folder (the entry file with its helper modules beside it). When the grader itself
fails, the reason goes to stderr (Gradescope shows run_autograder's output to instructors) and into a
hidden test of results.json that only instructors see; GRADER_DEBUG=1 adds the traceback to stderr.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import traceback
from pathlib import Path

from grader.atomic import write_json_atomically
from grader.course.model import SOLUTIONS_DIR, Exercise
from grader.errors import DEBUG_VARIABLE, debugging
from grader.exitcodes import ExitCode
from grader.labcode.folder import every_path
from grader.outcomes import Status

ROOT_VARIABLE = "AUTOGRADER_ROOT"
DEFAULT_ROOT = "/autograder"
SUBMISSION_SUFFIXES = (".py", ".ipynb")
_IGNORED = re.compile(r"^(\.|__MACOSX$|__pycache__$)")

BROKEN = ("The autograder failed before it could grade your submission; this is not your fault. Your instructor "
          "has been told and will regrade it.")

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


def grader_failed_results(reason: str) -> dict:
    """The student reads that it is not their fault; the instructor reads the reason in a hidden test."""
    from grader.views.gradescope import grader_error_test

    return results_document(BROKEN, [grader_error_test(reason)])


def what_to_submit(exercise: Exercise) -> str:
    """Names both forms a submission may take: the .py file and the notebook."""
    return f"upload your code as {exercise.entry} (a .py file) or your notebook as {Path(exercise.entry).stem}.ipynb"


def find_submission(folder: Path, exercise: Exercise) -> tuple[Path | None, str | None]:
    """What to grade: the one .py or .ipynb file submitted, or else the submission folder, graded as `grade batch`
    grades a student's folder (it chooses the entry file and imports the helper modules beside it); never a link."""
    if not folder.is_dir():
        return None, f"No submission folder was found ({folder}); {what_to_submit(exercise)}."
    files = [path for path in every_path(folder, _IGNORED.match)
             if path.suffix in SUBMISSION_SUFFIXES and path.is_file() and not path.is_symlink()]
    if not files:
        return None, f"No Python file (.py) or notebook (.ipynb) was submitted; {what_to_submit(exercise)}."
    if len(files) == 1:
        return files[0], None
    return folder, None


def lock_away(folder: Path) -> None:
    """Owner-only permissions on the solutions: a second fence behind the sandbox's not binding them."""
    if not folder.is_dir():
        return
    for path in [folder, *folder.rglob("*")]:
        if not path.is_symlink():
            path.chmod(0o700 if path.is_dir() else 0o600)


def run(root: Path, exercise_id: str) -> ExitCode:
    from grader.grading.engine import grade
    from grader.views.gradescope import grader_error_test, to_gradescope
    from grader.course.manifest import load_course
    from grader.sandbox.launchers import WeakIsolationRefused, choose_launcher

    results = results_path(root)
    course = load_course(root / "source" / "course.yaml", files_of=exercise_id)   # the bundle holds this exercise only
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
        write_json_atomically(results_document(problem or f"Nothing was submitted; {what_to_submit(exercise)}."), results)
        return ExitCode.OK
    os.chdir(root / "results")   # nothing of the course is anyone's working folder while grading
    feedback = grade(exercise, submission, launcher=launcher)
    if not feedback.isolation.strong:
        return _fail_closed(results, f"the sandbox ran in {feedback.isolation.mode} mode")
    document = to_gradescope(feedback)
    if feedback.grader_error:   # Gradescope holds no feedback file: the reason goes where the instructor looks
        document["tests"].append(grader_error_test(feedback.grader_error))
        print(f"run_autograder: the grader failed on {exercise.id}: {feedback.grader_error}", file=sys.stderr)
    write_json_atomically(document, results)
    return ExitCode.GRADER_FAILED if feedback.status is Status.GRADER_FAILED else ExitCode.OK


def results_path(root: Path) -> Path:
    return root / "results" / "results.json"


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
    try:
        return int(run(root, options.exercise))
    except Exception as exc:  # noqa: BLE001 - a failure of ours: its reason to the instructor, never a bare 0
        return _report_failure(root, options.exercise, exc)


def _report_failure(root: Path, exercise_id: str, exc: Exception) -> int:
    """The reason on stderr and in results.json's hidden test; the traceback on stderr when GRADER_DEBUG is set."""
    reason = f"grading {exercise_id} failed with {type(exc).__name__}: {' '.join(str(exc).split())[:2000]}"
    if debugging():
        traceback.print_exception(exc, file=sys.stderr)
    print(f"run_autograder: {reason} (set {DEBUG_VARIABLE}=1 to see the traceback)", file=sys.stderr)
    try:
        write_json_atomically(grader_failed_results(reason), results_path(root))
    except OSError as error:   # run_autograder's shell still writes its own results.json
        print(f"run_autograder: results.json could not be written: {error}", file=sys.stderr)
    return int(ExitCode.GRADER_FAILED)


if __name__ == "__main__":
    sys.exit(main())
