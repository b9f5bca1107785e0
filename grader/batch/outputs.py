"""Write the batch's exports from the gradebook and the feedback files: CSV, Gradescope, HTML report."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from markupsafe import Markup

from grader.atomic import write_json_atomically, write_text_atomically
from grader.batch.gradebook import NO_SUBMISSION, Attempt, Gradebook, StudentRecord
from grader.batch.runner import GRADEBOOK_NAME
from grader.course.model import Exercise
from grader.feedback.model import Feedback, FeedbackError, read_feedback
from grader.lms.late import Lateness, lateness
from grader.views.csv_table import grades_csv, number_cell, text_cell, write_rows
from grader.views.gradescope import to_gradescope
from grader.views.report import build_report
from grader.views.rows import StudentRow
from grader.views.where import where_section


@dataclass(frozen=True)
class ExportPaths:
    csv: Path
    report: Path
    gradescope: Path
    students: Path


def _feedback(path: Path) -> tuple[Feedback | None, str | None]:
    """A feedback file's feedback, or why it cannot be used (a damaged file must not stop the exports)."""
    try:
        return read_feedback(path), None
    except (OSError, FeedbackError) as exc:
        return None, f"its feedback file {path.name} cannot be read ({exc}); delete it and run the batch again"


def _rows(latest: dict[str, Attempt], out: Path, exercise: Exercise,
          records: dict[str, StudentRecord]) -> list[StudentRow]:
    rows = []
    for student, attempt in latest.items():
        late = record_lateness(exercise, records.get(student, StudentRecord(student, ""))).note
        feedback, unreadable = None, None
        if attempt.feedback_path and (out / attempt.feedback_path).is_file():
            feedback, unreadable = _feedback(out / attempt.feedback_path)
        elif attempt.feedback_path:   # graded, but its document is gone: the row must not look empty
            unreadable = (f"graded, but its feedback file {Path(attempt.feedback_path).name} is missing; run the "
                          "batch again to grade it again")
        problem = unreadable or (attempt.problem if attempt.status == NO_SUBMISSION or feedback is None else None)
        rows.append(StudentRow(student, attempt.status, feedback, problem, late))
    return rows


STUDENT_COLUMNS = ["student", "submitted_as", "lms", "lms_id", "lms_name", "late", "submitted_at", "days_late",
                   "penalty", "late_note"]


def record_lateness(exercise: Exercise, record: StudentRecord) -> Lateness:
    """The late policy applied to what the gradebook recorded about one student."""
    return lateness(exercise, record.lms, record.late, record.submitted_at)


def students_csv(records: list[StudentRecord], exercise: Exercise) -> str:
    """The id of every student, the file or folder name it was derived from, what an LMS's download said about
    the student (blank for a plain folder; `late` is the LMS's own marker), and the late policy's verdict."""
    def late(value: bool | None) -> str:
        return "" if value is None else ("yes" if value else "no")

    rows = []
    for record in sorted(records, key=lambda record: record.student):
        verdict = record_lateness(exercise, record)
        rows.append([text_cell(record.student), text_cell(record.submitted_as), text_cell(record.lms or ""),
                     text_cell(record.lms_id or ""), text_cell(record.lms_name or ""), late(record.late),
                     text_cell(record.submitted_at or ""), str(verdict.days), number_cell(verdict.penalty),
                     text_cell(verdict.note)])
    return write_rows(STUDENT_COLUMNS, rows)


def write_exports(out: Path, exercise: Exercise, sections: Iterable[Markup] = ()) -> ExportPaths:
    """grades.csv, students.csv, gradescope/ and report.html (with `sections`, rendered by the page layer), each
    written atomically."""
    gradebook = Gradebook(out / GRADEBOOK_NAME)
    try:
        latest, records = gradebook.latest(exercise.id), gradebook.students()
    finally:
        gradebook.close()
    rows = _rows(latest, out, exercise, records)
    paths = ExportPaths(out / "grades.csv", out / "report.html", out / "gradescope", out / "students.csv")
    write_text_atomically(grades_csv(rows), paths.csv)
    write_text_atomically(students_csv([records.get(student, StudentRecord(student, "")) for student in latest],
                                       exercise), paths.students)
    for row in rows:
        if row.feedback is not None:
            write_json_atomically(to_gradescope(row.feedback), paths.gradescope / row.student / "results.json")
    graded_on = where_section(Counter(attempt.graded_on for attempt in latest.values() if attempt.status != NO_SUBMISSION))
    write_text_atomically(build_report(exercise.id, exercise.title, rows, [graded_on, *sections]), paths.report)
    return paths
