"""`grade nbgrader ID --out DIR`: export an nbgrader source assignment."""

from __future__ import annotations

from pathlib import Path

from grader.commands.common import course_parser, exercise_named, find_course
from grader.exitcodes import ExitCode


def run(argv: list[str]) -> ExitCode:
    from grader.notebooks.nbgrader_export import export_assignment

    parser = course_parser("grade nbgrader", "Export an nbgrader source assignment.")
    parser.add_argument("exercise", metavar="ID")
    parser.add_argument("--out", type=Path, required=True, help="the nbgrader course folder to write into")
    options = parser.parse_args(argv)
    course = find_course(options.course)
    path = export_assignment(course, exercise_named(course, options.exercise), options.out)
    print(f"wrote {path}; now run `nbgrader generate_assignment {options.exercise}` in {options.out}, and grade the "
          f"submitted notebooks with `grade nbgrader-grade {options.exercise} --course-dir {options.out}` "
          f"(see {options.out / f'GRADING-{options.exercise}.md'}: the test cells are feedback, not grades)")
    return ExitCode.OK
