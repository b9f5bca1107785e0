"""Write the batch's exports from the gradebook and the feedback files: CSV, Gradescope, HTML report."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from grader.batch.gradebook import NO_SUBMISSION, Gradebook
from grader.batch.runner import GRADEBOOK_NAME
from grader.course import Exercise
from grader.exports.csv_export import grades_csv, students_csv
from grader.exports.gradescope import to_gradescope
from grader.exports.report import build_report
from grader.feedback import write_json_atomically


@dataclass(frozen=True)
class ExportPaths:
    csv: Path
    report: Path
    gradescope: Path
    students: Path


def _document(path: Path) -> tuple[dict | None, str | None]:
    """A feedback file's document, or why it cannot be used (a damaged file must not stop the exports)."""
    try:
        return json.loads(path.read_text(encoding="utf-8")), None
    except (OSError, ValueError) as exc:
        return None, f"its feedback file {path.name} cannot be read ({exc}); delete it and run the batch again"


def _rows(latest: dict, out: Path) -> list[tuple[str, str, dict | None, str | None]]:
    rows = []
    for student, attempt in latest.items():
        document, unreadable = None, None
        if attempt.feedback_path and (out / attempt.feedback_path).is_file():
            document, unreadable = _document(out / attempt.feedback_path)
        problem = unreadable or (attempt.problem if attempt.status == NO_SUBMISSION or document is None else None)
        rows.append((student, attempt.status, document, problem))
    return rows


def _write_text(path: Path, text: str) -> None:
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(text, encoding="utf-8")
    temporary.replace(path)


def write_exports(out: Path, exercise: Exercise) -> ExportPaths:
    gradebook = Gradebook(out / GRADEBOOK_NAME)
    try:
        latest, names = gradebook.latest(exercise.id), gradebook.names()
    finally:
        gradebook.close()
    rows = _rows(latest, out)
    paths = ExportPaths(out / "grades.csv", out / "report.html", out / "gradescope", out / "students.csv")
    _write_text(paths.csv, grades_csv(rows))
    _write_text(paths.students, students_csv({student: names.get(student, "") for student in latest}))
    for student, _, document, _ in rows:
        if document is not None:
            write_json_atomically(to_gradescope(document), paths.gradescope / student / "results.json")
    _write_text(paths.report, build_report(exercise.id, exercise.title, rows))
    return paths
