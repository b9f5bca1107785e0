"""Write the batch's exports from the gradebook and the feedback files: CSV, Gradescope, HTML report."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from grader.batch.gradebook import NO_SUBMISSION, Gradebook
from grader.batch.runner import GRADEBOOK_NAME
from grader.course import Exercise
from grader.exports.csv_export import grades_csv
from grader.exports.gradescope import to_gradescope
from grader.exports.report import build_report
from grader.feedback import write_json_atomically


@dataclass(frozen=True)
class ExportPaths:
    csv: Path
    report: Path
    gradescope: Path


def _rows(out: Path, exercise: Exercise) -> list[tuple[str, str, dict | None, str | None]]:
    gradebook = Gradebook(out / GRADEBOOK_NAME)
    try:
        latest = gradebook.latest(exercise.id)
    finally:
        gradebook.close()
    rows = []
    for student, attempt in latest.items():
        document = None
        if attempt.feedback_path and (out / attempt.feedback_path).is_file():
            document = json.loads((out / attempt.feedback_path).read_text(encoding="utf-8"))
        problem = attempt.problem if attempt.status == NO_SUBMISSION or document is None else None
        rows.append((student, attempt.status, document, problem))
    return rows


def write_exports(out: Path, exercise: Exercise) -> ExportPaths:
    rows = _rows(out, exercise)
    paths = ExportPaths(out / "grades.csv", out / "report.html", out / "gradescope")
    temporary = paths.csv.with_suffix(".csv.tmp")
    temporary.write_text(grades_csv(rows), encoding="utf-8")
    temporary.replace(paths.csv)
    for student, _, document, _ in rows:
        if document is not None:
            write_json_atomically(to_gradescope(document), paths.gradescope / student / "results.json")
    temporary = paths.report.with_suffix(".html.tmp")
    temporary.write_text(build_report(exercise.id, exercise.title, rows), encoding="utf-8")
    temporary.replace(paths.report)
    return paths
