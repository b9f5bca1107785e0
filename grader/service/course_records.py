"""What the instructor reads: every student's submissions with their gradings, and the roster. Only the
instructor's pages call this module; the students' pages read through `records`, filtered by the student."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine, select

from grader.service.schema import gradings, students, submissions


@dataclass(frozen=True)
class CourseSubmission:
    id: int
    student: str
    exercise: str
    received_at: str                   # ISO 8601, UTC: the time the service stored it
    original_name: str
    sha256: str
    stored_path: str                   # relative to the data folder
    status: str                        # queued, grading, graded, failed
    score: float | None = None
    max_score: float | None = None
    feedback_path: str | None = None   # relative to the data folder ("" when the grader failed)
    graded_at: str | None = None


@dataclass(frozen=True)
class RosterEntry:
    id: str
    name: str
    revoked: bool


def submissions_of(engine: Engine, exercise: str | None = None) -> list[CourseSubmission]:
    """Every submission (of one exercise), oldest first, with its grading when there is one."""
    query = (select(submissions.c.id, submissions.c.student, submissions.c.exercise, submissions.c.received_at,
                    submissions.c.original_name, submissions.c.sha256, submissions.c.stored_path, submissions.c.status,
                    gradings.c.score, gradings.c.max_score, gradings.c.feedback_path, gradings.c.graded_at)
             .select_from(submissions.outerjoin(gradings, gradings.c.submission == submissions.c.id))
             .order_by(submissions.c.id))
    if exercise is not None:
        query = query.where(submissions.c.exercise == exercise)
    with engine.connect() as connection:
        return [CourseSubmission(*row) for row in connection.execute(query)]


def roster(engine: Engine) -> list[RosterEntry]:
    """Every student the service knows, by id."""
    with engine.connect() as connection:
        rows = connection.execute(select(students.c.id, students.c.name, students.c.revoked).order_by(students.c.id))
        return [RosterEntry(row.id, row.name, bool(row.revoked)) for row in rows]
