"""The LMS gradebook CSV: one row per student, the total, the maximum, and one column per check.

Every text cell goes through `text_cell`: a spreadsheet runs a cell that starts with `=`, `+`, `-`, `@`,
a tab or a carriage return as a formula, and student ids and file names are chosen by students. As OWASP
recommends, such a cell gets a leading single quote. Numbers are written by us and stay numbers.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from grader.text import one_line, without_surrogates
from grader.views.rows import StudentRow

_FORMULA_START = tuple("=+-@\t\r\n") + tuple("＝＋－＠")   # also the full-width forms some spreadsheets accept
MAX_CELL_CHARS = 2000


def text_cell(value: str) -> str:
    """A text cell a spreadsheet shows as text: on one line, without control characters or bidi overrides,
    bounded, formula starts neutralised, unencodable characters replaced."""
    cleaned = one_line(without_surrogates(value), MAX_CELL_CHARS)
    if any(text.startswith(_FORMULA_START) or text.lstrip(" ").startswith(_FORMULA_START) for text in (value, cleaned)):
        return "'" + cleaned
    return cleaned


def number_cell(value: float) -> str:
    return f"{value:g}"


def write_rows(header: list[str], rows: Iterable[list[str]]) -> str:
    """CSV text of rows whose text cells went through `text_cell` (header cells are text too)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([text_cell(cell) for cell in header])
    writer.writerows(rows)
    return buffer.getvalue()


def grades_csv(rows: Iterable[StudentRow]) -> str:
    """One line per student: the total, the maximum, the status, each check's points and a note."""
    rows = list(rows)
    check_ids: list[str] = []
    for row in rows:
        for check in row.feedback.checks if row.feedback else ():
            if check.id not in check_ids:
                check_ids.append(check.id)
    lines = []
    for row in rows:
        feedback = row.feedback
        scores = {check.id: feedback.score_of(check) for check in feedback.checks} if feedback else {}
        total = feedback.score if feedback else 0
        maximum = number_cell(feedback.max_score) if feedback else ""
        lines.append([text_cell(row.student), number_cell(total), maximum, text_cell(row.status),
                      *[number_cell(scores[c]) if c in scores else "" for c in check_ids], text_cell(row.note)])
    return write_rows(["student", "total", "max", "status", *check_ids, "note"], lines)


def students_csv(names: dict[str, str]) -> str:
    """The id of every student and the file or folder name it was derived from."""
    return write_rows(["student", "submitted_as"], ([text_cell(s), text_cell(n)] for s, n in sorted(names.items())))
