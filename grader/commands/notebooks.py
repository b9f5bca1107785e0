"""`grade notebooks [--check]`: write every exercise as a notebook (README + stub), or check they match."""

from __future__ import annotations

from grader.commands.common import course_parser, find_course
from grader.exitcodes import ExitCode


def run(argv: list[str]) -> ExitCode:
    from grader.notebooks.builder import stale_notebooks, write_notebooks

    parser = course_parser("grade notebooks", "Generate the exercises' notebooks.")
    parser.add_argument("--check", action="store_true", help="only check that the notebooks match their sources")
    options = parser.parse_args(argv)
    course = find_course(options.course)
    if options.check:
        problems = stale_notebooks(course)
        for problem in problems:
            print(f"stale: {problem}; run `grade notebooks` to regenerate")
        print(f"{len(course.exercises) - len(problems)} notebooks up to date, {len(problems)} stale")
        return ExitCode.VALIDATION_FAILED if problems else ExitCode.OK
    written = write_notebooks(course)
    for path in written:
        print(f"wrote {path}")
    print(f"notebooks: {len(written)} written, {len(course.exercises) - len(written)} already up to date")
    return ExitCode.OK
