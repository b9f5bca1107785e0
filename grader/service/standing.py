"""Which grading counts: for each student and exercise, the one grading that is their grade under the exercise's
`counts` policy (course.yaml): the last one graded (the default) or the best after late penalties (ties: the later).
A submission still waiting, or one the grader itself failed, never counts.

`counting_of` is the pure rule over any records that have an id, an exercise, a status, a score and a received
time (the students' `records.SubmissionRecord`, the instructor's `course_records.CourseSubmission`);
`counting_grading` and `counting_gradings` read the database for one student or the whole exercise. The students'
pages, the API and the instructor's page all ask here.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol, TypeVar

from sqlalchemy import Engine, select

from grader.course.model import Course, Exercise
from grader.lms.late import Lateness
from grader.service.policies import received_lateness
from grader.service.schema import gradings, submissions

GRADED = "graded"   # queue.GRADED: a grading recorded that the grader did not fail


class Attempt(Protocol):
    @property
    def id(self) -> int: ...
    @property
    def exercise(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def score(self) -> float | None: ...
    @property
    def received_at(self) -> str: ...


A = TypeVar("A", bound=Attempt)


def final_score(exercise: Exercise, attempt: Attempt) -> float | None:
    """The attempt's score after the exercise's late penalty (None while it has no grading)."""
    if attempt.score is None:
        return None
    return received_lateness(exercise, attempt.received_at).applied(attempt.score)


def counting_of(attempts: Iterable[A], exercise: Exercise) -> A | None:
    """The attempt that counts among one student's attempts (those of other exercises are ignored)."""
    graded = [attempt for attempt in attempts
              if attempt.exercise == exercise.id and attempt.status == GRADED and attempt.score is not None]
    if not graded:
        return None
    if exercise.counts == "best":
        return max(graded, key=lambda attempt: (final_score(exercise, attempt), attempt.id))
    return max(graded, key=lambda attempt: attempt.id)


@dataclass(frozen=True)
class Standing:
    """A student's grade for an exercise: the grading that counts, its score before and after the late penalty."""

    student: str
    exercise: str
    submission: int
    received_at: str
    score: float
    max_score: float
    lateness: Lateness
    counts: str   # the policy that chose it: "last" or "best"

    @property
    def final_score(self) -> float:
        return self.lateness.applied(self.score)


@dataclass(frozen=True)
class _Row:
    id: int
    student: str
    exercise: str
    status: str
    score: float | None
    max_score: float | None
    received_at: str


def _rows(engine: Engine, exercise: Exercise | None, student: str | None) -> list[_Row]:
    query = (select(submissions.c.id, submissions.c.student, submissions.c.exercise, submissions.c.status,
                    gradings.c.score, gradings.c.max_score, submissions.c.received_at)
             .select_from(submissions.join(gradings, gradings.c.submission == submissions.c.id))
             .where(submissions.c.status == GRADED))
    if exercise is not None:
        query = query.where(submissions.c.exercise == exercise.id)
    if student is not None:
        query = query.where(submissions.c.student == student)
    with engine.connect() as connection:
        return [_Row(*row) for row in connection.execute(query)]


def _standing(row: _Row, exercise: Exercise) -> Standing:
    return Standing(row.student, row.exercise, row.id, row.received_at, float(row.score or 0.0),
                    float(row.max_score or 0.0), received_lateness(exercise, row.received_at), exercise.counts)


def counting_grading(engine: Engine, exercise: Exercise, student: str) -> Standing | None:
    """The counting grading of `student` for `exercise` (None: nothing of theirs graded yet)."""
    chosen = counting_of(_rows(engine, exercise, student), exercise)
    return None if chosen is None else _standing(chosen, exercise)


def student_standings(engine: Engine, course: Course, student: str) -> dict[str, Standing]:
    """The student's counting grading of every exercise they have one for, by exercise id (one query)."""
    rows = _rows(engine, None, student)
    found = {exercise.id: (counting_of(rows, exercise), exercise) for exercise in course.exercises}
    return {exercise_id: _standing(row, exercise) for exercise_id, (row, exercise) in found.items() if row is not None}


def counting_gradings(engine: Engine, exercise: Exercise) -> dict[str, Standing]:
    """Every student's counting grading for `exercise`, by student id (students with none graded are absent)."""
    by_student: dict[str, list[_Row]] = {}
    for row in _rows(engine, exercise, None):
        by_student.setdefault(row.student, []).append(row)
    found = {student: counting_of(rows, exercise) for student, rows in sorted(by_student.items())}
    return {student: _standing(row, exercise) for student, row in found.items() if row is not None}
