"""`grade EXERCISE_DIR`: grade one student's file and show the table of checks (or the JSON document)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from grader.atomic import write_json_atomically
from grader.commands.common import console, find_course
from grader.course.model import Course, Exercise
from grader.errors import CourseInvalid, UsageError
from grader.exitcodes import ExitCode
from grader.outcomes import Status
from grader.sandbox.launchers import choose_launcher, start_bwrap_probe
from grader.text import one_line


def parser(description: str, epilog: str) -> argparse.ArgumentParser:
    result = argparse.ArgumentParser(prog="grade", description=description, epilog=epilog,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    result.add_argument("exercise", metavar="EXERCISE_DIR",
                        help="the exercise folder, e.g. exercises/02_backprop (or just its id, 02_backprop)")
    result.add_argument("--submission", metavar="FILE", type=Path,
                        help="the .py file or .ipynb notebook to grade, or a folder or .zip holding it with helper "
                             "modules (default: the exercise's .py file or its notebook in EXERCISE_DIR, whichever "
                             "holds your work: the one whose functions are no longer the stub's, or that has all the "
                             "other's and more; when both hold different work, grade asks you to choose)")
    result.add_argument("--all-cells", action="store_true",
                        help="run every cell (every top-level statement of a .py file), not only what the graded "
                             "functions need")
    result.add_argument("--json", metavar="PATH", help="also write the feedback document as JSON to PATH ('-' for stdout only)")
    result.add_argument("--seed", type=int, help="seed of the hidden checks' random inputs (default: derived from the file "
                                                  "and the hidden checks, which your code cannot read)")
    result.add_argument("--public-only", action="store_true", help="run only the public checks")
    result.add_argument("--gradescope", metavar="PATH", help="also write Gradescope's results.json to PATH")
    result.add_argument("--allow-weak-isolation", action="store_true",
                        help="grade in a plain child process when bubblewrap cannot run (as root: the submission "
                             "then runs as root; not recommended)")
    return result


def resolve_exercise(argument: str) -> tuple[Course, Exercise]:
    """The exercise an EXERCISE_DIR argument names: a folder of the course, or an exercise id."""
    path = Path(argument)
    if path.is_dir():
        course = find_course(path)
        folder = path.resolve()
        for exercise in course.exercises:
            if exercise.exercise_dir.resolve() == folder:
                return course, exercise
        if course.broken_exercise(folder.name) and folder.parent == (course.root / "exercises").resolve():
            raise CourseInvalid(course.unknown_exercises([folder.name]))
        raise UsageError(f"{argument} is not an exercise folder of {course.manifest_path}; "
                         f"exercises: {', '.join('exercises/' + e.id for e in course.exercises)}")
    course = find_course(Path.cwd())
    try:
        return course, course.exercise(path.name)
    except KeyError as exc:
        if course.broken_exercise(path.name):
            raise CourseInvalid(exc.args[0]) from None
        raise UsageError(f"{argument} is neither a folder nor an exercise id. {exc.args[0]}") from None


def default_submission(exercise: Exercise) -> Path:
    """The exercise's .py file or its notebook, whichever holds the student's work (`labcode.which_file`); one line
    on stderr says which file is graded and why. A UsageError asks to choose when both hold different work."""
    from grader.labcode.which_file import which_file

    script, notebook = exercise.stub_path, exercise.stub_path.with_suffix(".ipynb")
    chosen, why = which_file(script, notebook, exercise.limits.max_file_kib * 1024)
    if chosen is None:
        folder = one_line(str(exercise.exercise_dir))
        raise UsageError(f"{why}. Say which to grade: grade {folder} --submission {one_line(str(script))} "
                         f"(or --submission {one_line(str(notebook))})")
    print(f"grading {chosen.name}: {one_line(why)}", file=sys.stderr)
    return chosen


def run(argv: list[str], description: str = "", epilog: str = "") -> ExitCode:
    options = parser(description, epilog).parse_args(argv)
    start_bwrap_probe()   # checking bubblewrap runs while the course is read
    _, exercise = resolve_exercise(options.exercise)
    submission = options.submission or default_submission(exercise)
    if not submission.is_file() and not submission.is_dir():
        raise UsageError(f"there is no file {submission} to grade")
    if submission.is_file() and submission.suffix not in (".py", ".ipynb", ".zip"):   # as grade batch reads a class
        raise UsageError(f"{submission} is not a Python file (.py), a notebook (.ipynb) or a .zip; rename it if it holds Python")
    for option, path in (("--json", options.json), ("--gradescope", options.gradescope)):
        if path and path != "-" and not Path(path).parent.is_dir():
            raise UsageError(f"{option} {path}: the folder {Path(path).parent} does not exist; create it first")
    launcher = choose_launcher(allow_weak=options.allow_weak_isolation)   # WeakIsolationRefused is a UsageError
    from grader.grading.engine import grade

    feedback = grade(exercise, submission, seed=options.seed, include_hidden=not options.public_only, launcher=launcher,
                     cells="all" if options.all_cells else None)
    if options.json == "-":
        json.dump(feedback.to_dict(), sys.stdout, indent=2)   # ASCII: no control character reaches a terminal
        sys.stdout.write("\n")
    else:
        from grader.views.terminal import render

        render(feedback, console(highlight=False))
        if options.json:
            write_json_atomically(feedback.to_dict(), Path(options.json))
    if options.gradescope:
        from grader.views.gradescope import to_gradescope

        write_json_atomically(to_gradescope(feedback), Path(options.gradescope))
    return ExitCode.GRADER_FAILED if feedback.status is Status.GRADER_FAILED else ExitCode.OK
