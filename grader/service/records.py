"""What a student may read: their own submissions, each with its grading once there is one. Every query is
filtered by the student's id, so another student's submission is indistinguishable from one that does not exist."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine, select

from grader.lms.late import Lateness
from grader.service.schema import gradings, submissions

HISTORY_LIMIT = 200


@dataclass(frozen=True)
class SubmissionRecord:
    id: int
    exercise: str
    received_at: str
    original_name: str
    sha256: str
    status: str                      # queued, grading, graded, failed
    score: float | None = None
    max_score: float | None = None
    feedback_path: str | None = None   # relative to the data folder; never shown to a client

    def public(self, lateness: Lateness | None = None, counts: bool = False) -> dict:
        """The record as the API shows it (no server paths), with how late it was received (the exercise's late
        policy: days, the share of the score taken, why) and whether it is the grading that counts."""
        lateness = lateness or Lateness()
        return {"id": self.id, "exercise": self.exercise, "received_at": self.received_at,
                "name": self.original_name, "sha256": self.sha256, "status": self.status,
                "score": self.score, "max_score": self.max_score,
                "late_days": lateness.days, "late_penalty": lateness.penalty, "late_note": lateness.note,
                "final_score": None if self.score is None else lateness.applied(self.score), "counts": counts}


def _query(student: str):
    return (select(submissions.c.id, submissions.c.exercise, submissions.c.received_at, submissions.c.original_name,
                   submissions.c.sha256, submissions.c.status, gradings.c.score, gradings.c.max_score,
                   gradings.c.feedback_path)
            .select_from(submissions.outerjoin(gradings, gradings.c.submission == submissions.c.id))
            .where(submissions.c.student == student))


def _record(row) -> SubmissionRecord:
    return SubmissionRecord(row.id, row.exercise, row.received_at, row.original_name, row.sha256, row.status,
                            row.score, row.max_score, row.feedback_path)


def one(engine: Engine, student: str, submission_id: int) -> SubmissionRecord | None:
    """The student's submission with this id; None when there is none of theirs."""
    if not 0 < submission_id < 2**31:   # beyond any id the database hands out (and PostgreSQL's integer)
        return None
    with engine.connect() as connection:
        row = connection.execute(_query(student).where(submissions.c.id == submission_id)).first()
    return None if row is None else _record(row)


def history(engine: Engine, student: str, limit: int = HISTORY_LIMIT) -> list[SubmissionRecord]:
    """The student's submissions, newest first."""
    with engine.connect() as connection:
        rows = connection.execute(_query(student).order_by(submissions.c.id.desc()).limit(limit)).all()
    return [_record(row) for row in rows]
