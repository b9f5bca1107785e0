"""`grade validate`: every reference earns full marks, every stub 0, course.yaml agrees with the checks, every
entry of course.yaml is usable, and every notebook is what its README and stub generate."""

from __future__ import annotations

from dataclasses import replace

from grader.commands.common import console, course_parser, exercises_named, find_course
from grader.course.model import Exercise
from grader.exitcodes import ExitCode


def run(argv: list[str]) -> ExitCode:
    from grader.audit.validate import Finding, validate_course
    from grader.notebooks.builder import stale_notebooks

    parser = course_parser("grade validate", "Check the whole course: references, stubs, schema, points.")
    parser.add_argument("--exercise", action="append", metavar="ID",
                        help="validate only this exercise (repeatable; default: all)")
    options = parser.parse_args(argv)
    course = find_course(options.course, warn=False)   # a broken entry is a finding here, not a warning
    if options.exercise:
        broken = tuple(entry for entry in course.broken if entry.id in options.exercise)
        named = [exercise_id for exercise_id in options.exercise if not course.broken_exercise(exercise_id)]
        course = replace(course, exercises=tuple(exercises_named(course, named)), broken=broken)

    def notebook_findings(exercise: Exercise) -> list[Finding]:
        """`grade notebooks --check`'s verdict on this exercise's notebook."""
        stale = stale_notebooks(replace(course, exercises=(exercise,)))
        if not stale:
            return [Finding(exercise.id, True, "its notebook is what README.md and the stub generate")]
        return [Finding(exercise.id, False, f"{problem}: run `grade notebooks` to write it") for problem in stale]

    out = console(highlight=False)
    left_out = f" ({len(course.broken)} broken in course.yaml)" if course.broken else ""
    out.print(f"Validating {len(course.exercises)} exercises of {course.manifest_path}{left_out}")
    findings = validate_course(course, also=notebook_findings)
    for finding in findings:
        mark = "[green]ok  [/green]" if finding.ok else "[bold red]FAIL[/bold red]"
        out.print(f"{mark} {finding.exercise}: ", end="", soft_wrap=True)
        out.print(finding.what, markup=False, highlight=False, soft_wrap=True)
    failures = sum(1 for finding in findings if not finding.ok)
    out.print(f"{len(findings) - failures} passed, {failures} failed")
    return ExitCode.VALIDATION_FAILED if failures else ExitCode.OK
