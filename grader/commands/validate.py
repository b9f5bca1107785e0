"""`grade validate`: every reference earns full marks, every stub 0, and course.yaml agrees with the checks."""

from __future__ import annotations

from dataclasses import replace

from grader.commands.common import console, course_parser, exercises_named, find_course
from grader.exitcodes import ExitCode


def run(argv: list[str]) -> ExitCode:
    from grader.audit.validate import validate_course

    parser = course_parser("grade validate", "Check the whole course: references, stubs, schema, points.")
    parser.add_argument("--exercise", action="append", metavar="ID",
                        help="validate only this exercise (repeatable; default: all)")
    options = parser.parse_args(argv)
    course = find_course(options.course)
    if options.exercise:
        course = replace(course, exercises=tuple(exercises_named(course, options.exercise)))
    out = console(highlight=False)
    out.print(f"Validating {len(course.exercises)} exercises of {course.manifest_path}")
    findings = validate_course(course)
    for finding in findings:
        mark = "[green]ok  [/green]" if finding.ok else "[bold red]FAIL[/bold red]"
        out.print(f"{mark} {finding.exercise}: ", end="", soft_wrap=True)
        out.print(finding.what, markup=False, highlight=False, soft_wrap=True)
    failures = sum(1 for finding in findings if not finding.ok)
    out.print(f"{len(findings) - failures} passed, {failures} failed")
    return ExitCode.VALIDATION_FAILED if failures else ExitCode.OK
