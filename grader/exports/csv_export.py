"""The LMS gradebook CSV: one row per student, the total, the maximum, and one column per check."""

from __future__ import annotations

import csv
import io
from typing import Any, Iterable


def grades_csv(rows: Iterable[tuple[str, str, dict[str, Any] | None, str | None]]) -> str:
    """rows: (student, status, feedback document or None, problem or None)."""
    rows = list(rows)
    check_ids: list[str] = []
    for _, _, document, _ in rows:
        for check in (document or {}).get("checks", []):
            if check["id"] not in check_ids:
                check_ids.append(check["id"])
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["student", "total", "max", "status", *check_ids, "note"])
    for student, status, document, problem in rows:
        scores = {check["id"]: check["score"] for check in (document or {}).get("checks", [])}
        total = document["score"] if document else 0
        maximum = document["max_score"] if document else ""
        note = problem or (document.get("grader_error", "") if document else "")
        writer.writerow([student, f"{total:g}", f"{maximum:g}" if maximum != "" else "", status,
                         *[f"{scores[c]:g}" if c in scores else "" for c in check_ids], note])
    return buffer.getvalue()
