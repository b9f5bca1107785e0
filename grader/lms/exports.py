"""The files each LMS imports unchanged, and the generic CSV for spreadsheets.

Canvas (Grades > Import, "Import grades in the Gradebook CSV"): the instructor's own gradebook export with the
assignment's column filled; every other byte as exported, the "Points Possible" line kept. Canvas matches lines by
`ID`, so the one other change made is to a name, section or SIS cell a spreadsheet would run as a formula (a
student's name starting with `=`): it gets a leading `'`, as every CSV this grader writes. Other assignments'
cells are never touched (Canvas would read a changed cell as a new grade).
Moodle (Grades > Import > CSV file): one line per student with the identifier the instructor chose ("Map from" that
column to the same user field), the grade (the exercise's id as its header, mapped to the grade item) and a
feedback column. Generic: the score, the penalty and the score after it as separate columns; `bom` for Excel.
Numbers are written by the grader and stay numbers; every text cell goes through `text_cell`.
"""

from __future__ import annotations

from dataclasses import dataclass

from grader.lms.grades import Grade
from grader.lms.matching import Matched
from grader.lms.raw_csv import BOM, RawRecord, quote, unquote
from grader.lms.roster import MOODLE_IDENTIFIERS, Roster, RosterStudent
from grader.views.csv_table import number_cell, text_cell, write_rows

NO_SUBMISSION_NOTE = "no submission: 0"
TEXT_COLUMNS = ("Student", "SIS User ID", "SIS Login ID", "Section", "Integration ID")   # Canvas's, written by people


@dataclass(frozen=True)
class Export:
    text: str
    notes: list[str]   # what the instructor must know; the command prints them


def score_text(value: float) -> str:
    return f"{round(value, 2):g}"


def _neutralised(field: str) -> str:
    """The field as it was, or, when a spreadsheet would run it as a formula, its text with a leading `'`."""
    value = unquote(field)
    if value[:1] == "'" or not text_cell(value).startswith("'") or _is_number(value):
        return field
    return quote("'" + value)


def _is_number(value: str) -> bool:
    try:
        float(value)
        return True
    except ValueError:
        return False


def canvas_csv(roster: Roster, column: int, matched: Matched) -> Export:
    """The roster's text with the assignment's `column` filled for every student line."""
    notes: list[str] = []
    contested = {student.row for student in matched.contested}
    students = {student.row for student in roster.students}
    texts = {index for index, name in enumerate(roster.header) if name in TEXT_COLUMNS}   # never a grade column
    records: list[RawRecord] = []
    neutralised = False
    for row, record in enumerate(roster.records):
        fields = [_neutralised(field) if row and index in texts else field for index, field in enumerate(record.fields)]
        neutralised = neutralised or fields != record.fields
        if row in students and row not in contested:
            while len(fields) <= column:
                fields.append("")
            grade = matched.by_row.get(row)
            fields[column] = score_text(grade.final) if grade is not None else "0"
        records.append(RawRecord(fields, record.ending))
    if neutralised:
        notes.append("text cells a spreadsheet would run as formulas got a leading ' (Canvas matches lines by ID)")
    text = "".join(record.text() for record in records)
    return Export((BOM if roster.bom else "") + text, notes)


def moodle_csv(roster: Roster, identifier: str, item: str, matched: Matched) -> Export:
    """Moodle's grade import: the chosen identifier, the student's name, the grade for `item`, and feedback."""
    column = MOODLE_IDENTIFIERS[identifier]
    rows, notes = [], []
    contested = {student.row for student in matched.contested}
    for student in roster.students:
        value = student.identifiers.get(column, "")
        if not value:
            notes.append(f"{student.name!r} has no {column} in the roster, so Moodle cannot import their grade")
            continue
        if student.row in contested:
            continue
        grade = matched.by_row.get(student.row)
        score = grade.final if grade is not None else 0.0
        feedback = grade.notes if grade is not None else NO_SUBMISSION_NOTE
        rows.append([text_cell(value), text_cell(student.name), score_text(score), text_cell(feedback)])
    return Export(write_rows([column, "Full name", item, f"Feedback: {item}"], rows), notes)


GENERIC_COLUMNS = ["student", "lms", "lms_id", "name", "status", "score", "max", "days_late", "penalty",
                   "score_after_penalty", "note"]


def generic_csv(grades: list[Grade], missing: list[RosterStudent], max_score: float, bom: bool) -> Export:
    """Every graded student, then every roster student without a submission (0, and the note)."""
    rows = [[text_cell(g.student), text_cell(g.lms or ""), text_cell(g.lms_id or ""), text_cell(g.lms_name or ""),
             text_cell(g.status), score_text(g.score), number_cell(g.max_score), str(g.lateness.days),
             number_cell(g.lateness.penalty), score_text(g.final), text_cell(g.notes)] for g in grades]
    for student in missing:
        identifier = next(iter(student.identifiers.values()), "")
        rows.append([text_cell(identifier), "", "", text_cell(student.name), "no_submission", "0",
                     number_cell(max_score), "0", "0", "0", NO_SUBMISSION_NOTE])
    return Export((BOM if bom else "") + write_rows(GENERIC_COLUMNS, rows), [])


def unmatched_csv(matched: Matched) -> str:
    rows = [[text_cell(grade.student), text_cell(grade.lms or ""), text_cell(grade.lms_id or ""),
             text_cell(grade.lms_name or ""), score_text(grade.final), text_cell(why)] for grade, why in matched.unmatched]
    return write_rows(["student", "lms", "lms_id", "name", "score_after_penalty", "why"], rows)
