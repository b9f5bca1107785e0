"""`grade nbgrader-grade ID --course-dir DIR`: grade an nbgrader course's submitted notebooks in the sandbox."""

from __future__ import annotations

import os
from pathlib import Path

from grader.commands.common import course_parser, exercise_named, find_course
from grader.errors import UsageError
from grader.exitcodes import ExitCode


def run(argv: list[str]) -> ExitCode:
    from grader.notebooks.nbgrader_grade import grade_submitted

    parser = course_parser("grade nbgrader-grade", "Grade the submitted notebooks of an nbgrader course in the "
                           "sandbox and record each check's score in nbgrader's gradebook (instead of nbgrader autograde).")
    parser.add_argument("exercise", metavar="ID")
    parser.add_argument("--course-dir", type=Path, required=True, help="the nbgrader course folder (holds submitted/)")
    parser.add_argument("--assignment", help="the nbgrader assignment (default: ID)")
    parser.add_argument("--notebook", help="the notebook's name without .ipynb (default: ID)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="parallel workers (default: all cores)")
    options = parser.parse_args(argv)
    course = find_course(options.course)
    if not options.course_dir.is_dir():
        raise UsageError(f"there is no nbgrader course folder {options.course_dir}")
    grades = grade_submitted(course, exercise_named(course, options.exercise), options.course_dir,
                             assignment=options.assignment, notebook=options.notebook, jobs=max(1, options.jobs))
    for row in grades:
        score = "not graded (grader failed; run again)" if row.score is None else f"{row.score:g}/{row.max_score:g}"
        print(f"{row.student}: {score} {row.status}" + (f" ({row.problem})" if row.problem else ""))
    unrecorded = sum(not row.recorded for row in grades)
    print(f"{len(grades) - unrecorded} students recorded in nbgrader's gradebook"
          + (f" ({unrecorded} reported above, not recorded)" if unrecorded else "") + "; feedback JSON in "
          f"{options.course_dir / 'sandbox_grades' / (options.assignment or options.exercise) / 'feedback'}")
    return ExitCode.GRADER_FAILED if any(row.score is None for row in grades) else ExitCode.OK
