"""`grade export canvas|moodle|csv OUT --roster ROSTER.csv`: the graded batch in OUT as a file the LMS imports
unchanged (docs/lms.md), the late policy applied, and nobody dropped: roster students without a submission get 0
and a note, submissions without a roster line are listed on the console and in unmatched.csv."""

from __future__ import annotations

import argparse
from pathlib import Path

from grader.commands.common import console, course_parser, exercise_named, find_course
from grader.course.model import Exercise
from grader.errors import UsageError
from grader.exitcodes import ExitCode
from grader.lms.import_file import FORMATS
from grader.text import one_line



def parser() -> argparse.ArgumentParser:
    result = course_parser("grade export", "Write a graded batch's grades as the file an LMS imports (or a generic CSV).")
    result.add_argument("format", choices=FORMATS, help="canvas: the gradebook CSV with the assignment's column filled; "
                        "moodle: Moodle's grade import CSV; csv: score, penalty and score after it, for spreadsheets")
    result.add_argument("out", metavar="OUT", type=Path, help="the --out folder of `grade batch`")
    result.add_argument("--roster", type=Path, help="Canvas's exported gradebook (canvas), Moodle's exported grades or "
                                                    "participants (moodle); optional for csv")
    result.add_argument("--out", dest="file", metavar="FILE", type=Path,
                        help="the file to write (default: OUT/<format>_import.csv); its folder must exist")
    result.add_argument("--exercise", help="the exercise (default: the one OUT's gradebook holds)")
    result.add_argument("--column", help="canvas: the assignment's column, as its header reads (default: the one "
                                         "whose header holds the exercise id)")
    result.add_argument("--identifier", choices=("email", "idnumber", "username"), default="email",
                        help="moodle: the roster column Moodle matches students by (default: email)")
    result.add_argument("--bom", action="store_true", help="csv: start with a UTF-8 BOM, so Excel reads José as José")
    return result


def run(argv: list[str]) -> ExitCode:
    from grader.atomic import write_text_atomically
    from grader.batch.grades import batch_grades, gradebook_exercises
    from grader.lms.exports import unmatched_csv
    from grader.lms.import_file import import_file
    from grader.lms.roster import read_roster

    options = parser().parse_args(argv)
    course = find_course(options.course)
    ids = gradebook_exercises(options.out)
    if options.exercise is None and len(ids) != 1:
        raise UsageError(f"{options.out} holds {'no exercise' if not ids else 'exercises ' + ', '.join(ids)}; "
                         f"say which with --exercise")
    exercise: Exercise = exercise_named(course, options.exercise or ids[0])
    grades = batch_grades(options.out, exercise)
    target = options.file or options.out / f"{options.format}_import.csv"
    if not target.parent.is_dir():
        raise UsageError(f"--out {target}: the folder {target.parent} does not exist; create it first")
    if options.format != "csv" and options.roster is None:
        raise UsageError(f"grade export {options.format} needs --roster: the LMS's own export of the class")
    roster = read_roster(options.roster) if options.roster is not None else None
    made = import_file(options.format, grades, roster, exercise, options.column, options.identifier, options.bom,
                       f"--roster {options.roster}")
    export, matched = made.export, made.matched
    write_text_atomically(export.text, target)
    out = console(stderr=True, highlight=False)
    say = lambda line: out.print(line, markup=False, soft_wrap=True)   # noqa: E731
    say(f"{options.format} import file: {target} ({len(grades)} graded in {options.out}, exercise {exercise.id})")
    for note in export.notes:
        say(f"note: {note}")
    for student in matched.missing:
        say(f"on the roster without a submission, written as 0: {one_line(student.name)!r}")
    if roster is not None:
        unmatched = target.parent / "unmatched.csv"
        write_text_atomically(unmatched_csv(matched), unmatched)
        for grade, why in matched.unmatched:
            say(f"not on the roster, not in the import file: {one_line(grade.student)!r} ({one_line(why)})")
        say(f"{len(matched.unmatched)} submissions without a roster line: {unmatched}")
    return ExitCode.OK
