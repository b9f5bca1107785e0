"""`grade new ID --title TITLE [--keras]`: a complete new exercise that validates at once; `grade new --sync ID`:
its stub and notebook written again from the reference's solution regions."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from grader.commands.common import course_parser, exercise_named, find_course
from grader.course.model import Course, Exercise
from grader.errors import CourseInvalid, UsageError
from grader.exitcodes import ExitCode


def run(argv: list[str]) -> ExitCode:
    from grader.scaffold.new_exercise import DEFAULT_MODULE, NewExercise, create_exercise

    parser = course_parser("grade new", "Create a new exercise from a template (every file commented with what to "
                                        "change), or write an exercise's stub again from its reference (--sync).")
    parser.add_argument("id", metavar="ID", help="the exercise's id, e.g. 10_binary_cross_entropy (its file: "
                                                 "binary_cross_entropy.py)")
    parser.add_argument("--title", help="the exercise's title in course.yaml and its README")
    parser.add_argument("--module", default=DEFAULT_MODULE, help=f"the course module it belongs to (default: {DEFAULT_MODULE!r})")
    parser.add_argument("--keras", action="store_true", help="the Keras template (a tiny Dense model, compile and fit "
                                                             "checks) instead of the numpy one")
    parser.add_argument("--sync", action="store_true", help="write the stub of the existing exercise ID from its "
                                                            "reference's solution regions, and its notebook")
    options = parser.parse_args(argv)
    course = find_course(options.course)
    if options.sync:
        return _sync(course, exercise_named(course, options.id))
    if options.title is None:
        raise UsageError("give the new exercise a title: grade new ID --title \"What it teaches\"")
    new = NewExercise(options.id, options.title, options.module, options.keras)
    written = create_exercise(course.root, course, new)
    course = find_course(course.root, warn=False)
    exercise = _created(course, new.id)
    written += _write_notebook(course, exercise)
    print(f"Created exercise {new.id} from the {'Keras' if new.keras else 'numpy'} template "
          f"({new.template.points} points):")
    for path in sorted(written):
        print(f"  {path.relative_to(course.root)}")
    print(f"""Every file says in comments what to change. Next:
  1. Write the task in exercises/{new.id}/README.md and the reference in solutions/{new.id}/{new.entry}; mark what
     students write with # BEGIN SOLUTION / # END SOLUTION, and write the checks.
  2. grade new --sync {new.id}              the stub and the notebook again, from the reference
  3. grade validate --exercise {new.id}     the reference earns full marks, the stub 0, the case files as declared
  4. grade audit {new.id}                   how many mutants of the reference the checks catch and explain""")
    return ExitCode.OK


def _created(course: Course, exercise_id: str) -> Exercise:
    try:
        return course.exercise(exercise_id)
    except KeyError as exc:   # the entry was written but does not load: say why, with its lines
        raise CourseInvalid(exc.args[0]) from None


def _sync(course: Course, exercise: Exercise) -> ExitCode:
    from grader.scaffold.new_exercise import sync_stub

    stub = exercise.stub_path.relative_to(course.root)
    print(f"wrote {stub}" if sync_stub(exercise) else f"{stub} is already what the reference generates")
    for path in _write_notebook(course, exercise):
        print(f"wrote {path.relative_to(course.root)}")
    return ExitCode.OK


def _write_notebook(course: Course, exercise: Exercise) -> list[Path]:
    """The exercise's notebook, as `grade notebooks` writes it."""
    from grader.notebooks.builder import write_notebooks

    return write_notebooks(replace(course, exercises=(exercise,)))
