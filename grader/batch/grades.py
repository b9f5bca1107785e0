"""A graded batch's grades as the LMS exports read them: the latest attempt of every student in OUT's gradebook,
with the late policy applied (`grade export` and the grading service's instructor page both read them here)."""

from __future__ import annotations

from pathlib import Path

from grader.batch.gradebook import NO_SUBMISSION, Gradebook, StudentRecord
from grader.batch.outputs import record_lateness
from grader.batch.runner import GRADEBOOK_NAME
from grader.course.model import Exercise
from grader.errors import UsageError
from grader.lms.grades import Grade


def gradebook_exercises(out: Path) -> list[str]:
    """The exercises OUT's gradebook holds; a UsageError when OUT holds no graded batch."""
    path = out / GRADEBOOK_NAME
    if not path.is_file():
        raise UsageError(f"there is no graded batch in {out} (no {GRADEBOOK_NAME}); run grade batch ... --out {out} first")
    gradebook = Gradebook(path)
    try:
        return gradebook.exercises()
    finally:
        gradebook.close()


def batch_grades(out: Path, exercise: Exercise) -> list[Grade]:
    """Every student's grade for the exercise in OUT's gradebook, the late policy applied."""
    gradebook = Gradebook(out / GRADEBOOK_NAME)
    try:
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
    return grades
