"""`grade gradescope ID --out autograder.zip`: a Gradescope autograder that grades with this grader."""

from __future__ import annotations

from pathlib import Path

from grader.commands.common import course_parser, exercise_named, find_course
from grader.exitcodes import ExitCode


def run(argv: list[str]) -> ExitCode:
    from grader.bundles.release import build_gradescope

    parser = course_parser("grade gradescope", "Build a Gradescope autograder zip.")
    parser.add_argument("exercise", metavar="ID")
    parser.add_argument("--out", type=Path, default=Path("autograder.zip"))
    options = parser.parse_args(argv)
    course = find_course(options.course)
    out = build_gradescope(course, exercise_named(course, options.exercise), options.out)
    print(f"Gradescope autograder written to {out}; upload it as the assignment's autograder")
    return ExitCode.OK
