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
from grader.text import one_line

FORMATS = ("canvas", "moodle", "csv")


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
    from grader.lms.exports import canvas_csv, generic_csv, moodle_csv, unmatched_csv
    from grader.lms.matching import Matched, match
    from grader.lms.roster import read_roster

    options = parser().parse_args(argv)
    course = find_course(options.course)
    grades, exercise = _grades(options.out, course, options.exercise)
    target = options.file or options.out / f"{options.format}_import.csv"
    if not target.parent.is_dir():
        raise UsageError(f"--out {target}: the folder {target.parent} does not exist; create it first")
    if options.format != "csv" and options.roster is None:
        raise UsageError(f"grade export {options.format} needs --roster: the LMS's own export of the class")
    roster = read_roster(options.roster) if options.roster is not None else None
    if roster is not None and options.format != "csv" and roster.kind != options.format:
        raise UsageError(f"--roster {options.roster} is {roster.kind.capitalize()}'s export, not {options.format.capitalize()}'s")
    matched = match(roster, grades) if roster is not None else Matched()
    if options.format == "canvas":
        assert roster is not None
        column = _canvas_column(roster, exercise, options.column)
        export = canvas_csv(roster, column, matched)
        export.notes.extend(_points_possible(roster, column, exercise))
    elif options.format == "moodle":
        assert roster is not None
        export = moodle_csv(roster, options.identifier, exercise.id, matched)
    else:
        export = generic_csv(grades, matched.missing, exercise.points, options.bom)
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


def _grades(out: Path, course, exercise_id: str | None):
    """Every graded student's grade in OUT's gradebook, with the late policy applied, and the exercise."""
    from grader.batch.gradebook import NO_SUBMISSION, Gradebook, StudentRecord
    from grader.batch.outputs import record_lateness
    from grader.batch.runner import GRADEBOOK_NAME
    from grader.lms.grades import Grade

    path = out / GRADEBOOK_NAME
    if not path.is_file():
        raise UsageError(f"there is no graded batch in {out} (no {GRADEBOOK_NAME}); run grade batch ... --out {out} first")
    gradebook = Gradebook(path)
    try:
        ids = gradebook.exercises()
        if exercise_id is None and len(ids) != 1:
            raise UsageError(f"{path} holds {'no exercise' if not ids else 'exercises ' + ', '.join(ids)}; "
                             f"say which with --exercise")
        exercise: Exercise = exercise_named(course, exercise_id or ids[0])
        latest, records = gradebook.latest(exercise.id), gradebook.students()
    finally:
        gradebook.close()
    grades = []
    for student, attempt in latest.items():
        record = records.get(student, StudentRecord(student, ""))
        missing = attempt.status == NO_SUBMISSION
        grades.append(Grade(student, record.lms, record.lms_id, record.lms_name, attempt.status, attempt.score,
                            attempt.max_score or exercise.points, record_lateness(exercise, record),
                            (attempt.problem or "nothing to grade") if missing else ""))
    return grades, exercise


def _canvas_column(roster, exercise: Exercise, chosen: str | None) -> int:
    from grader.lms.roster import CANVAS_COLUMNS

    assignments = [name for name in roster.header if name and name not in (*CANVAS_COLUMNS, "Integration ID")]
    if chosen is not None:
        index = roster.column(chosen)
        if index is None:
            raise UsageError(f"--column {chosen!r} is not a column of {roster.path}; its columns: "
                             f"{one_line(', '.join(assignments), 500)}")
        return index
    named = [name for name in assignments if exercise.id in name]
    if len(named) != 1:
        found = f"{len(named)} columns name it ({', '.join(named)})" if named else "no column names it"
        raise UsageError(f"{found} in {roster.path}; choose the assignment's column with --column "
                         f"(its columns: {one_line(', '.join(assignments), 500)})")
    return roster.header.index(named[0])


def _points_possible(roster, column: int, exercise: Exercise) -> list[str]:
    for record in roster.records[1:3]:
        values = record.values()
        if values and values[0].strip() == "Points Possible" and column < len(values):
            try:
                points = float(values[column])
            except ValueError:
                return []
            if points != exercise.points:
                return [f"Canvas's column is out of {points:g} points, the exercise out of {exercise.points:g}: the "
                        f"scores written are the exercise's"]
    return []
