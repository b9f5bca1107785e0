"""`grade release OUT`: the student bundle (exercises, public checks, the grader; nothing from solutions/)."""

from __future__ import annotations

from pathlib import Path

from grader.commands.common import course_parser, find_course
from grader.errors import UsageError
from grader.exitcodes import ExitCode


def run(argv: list[str]) -> ExitCode:
    from grader.bundles.release import build_release

    parser = course_parser("grade release", "Build the student bundle (no solutions/).")
    parser.add_argument("out", metavar="OUT", type=Path, help="an empty or new folder")
    options = parser.parse_args(argv)
    course = find_course(options.course)
    if course.broken:   # a release without one of the course's exercises would reach students silently short
        raise UsageError(f"{len(course.broken)} exercise entr{'y is' if len(course.broken) == 1 else 'ies are'} broken "
                         f"({', '.join(broken.id for broken in course.broken)}); fix {course.manifest_path} "
                         f"(grade validate says what is wrong) before building a release")
    try:
        out = build_release(course, options.out)
    except FileExistsError as exc:
        raise UsageError(str(exc)) from None
    print(f"student release written to {out} (exercises, public checks, grader; no solutions or hidden checks)")
    return ExitCode.OK
