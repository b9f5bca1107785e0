"""The one path from grades and the LMS's own roster to the file the LMS imports (`grade export` and the grading
service's instructor page): Canvas's gradebook with the assignment's column found and filled, Moodle's grade
import, or the generic CSV; `notes` say what the instructor must know."""

from __future__ import annotations

from dataclasses import dataclass

from grader.course.model import Exercise
from grader.errors import UsageError
from grader.lms.exports import Export, canvas_csv, generic_csv, moodle_csv
from grader.lms.grades import Grade
from grader.lms.matching import Matched, match
from grader.lms.roster import CANVAS_COLUMNS, Roster
from grader.text import one_line

FORMATS = ("canvas", "moodle", "csv")


@dataclass(frozen=True)
class ImportFile:
    export: Export
    matched: Matched


def import_file(format: str, grades: list[Grade], roster: Roster | None, exercise: Exercise, column: str | None = None,
                identifier: str = "email", bom: bool = False, roster_name: str = "--roster") -> ImportFile:
    """The file for `format` (one of FORMATS); a UsageError naming what is missing or wrong."""
    if format not in FORMATS:
        raise UsageError(f"no export format {format!r}; choose one of {', '.join(FORMATS)}")
    if format != "csv" and roster is None:
        raise UsageError(f"the {format} export needs {roster_name}: the LMS's own export of the class")
    if roster is not None and format != "csv" and roster.kind != format:
        raise UsageError(f"{roster_name} is {roster.kind.capitalize()}'s export, not {format.capitalize()}'s")
    matched = match(roster, grades) if roster is not None else Matched()
    if format == "canvas":
        assert roster is not None
        index = canvas_column(roster, exercise, column)
        export = canvas_csv(roster, index, matched)
        export.notes.extend(points_possible(roster, index, exercise))
    elif format == "moodle":
        assert roster is not None
        export = moodle_csv(roster, identifier, exercise.id, matched)
    else:
        export = generic_csv(grades, matched.missing, exercise.points, bom)
    return ImportFile(export, matched)


def canvas_column(roster: Roster, exercise: Exercise, chosen: str | None) -> int:
    """The assignment's column: the one named `chosen`, else the one whose header holds the exercise id."""
    assignments = [name for name in roster.header if name and name not in (*CANVAS_COLUMNS, "Integration ID")]
    if chosen:
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


def points_possible(roster: Roster, column: int, exercise: Exercise) -> list[str]:
    """A note when Canvas's "Points Possible" line gives the column other points than the exercise's."""
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
