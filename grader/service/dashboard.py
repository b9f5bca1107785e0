"""The instructor's numbers, as pure functions over the course's records (`course_records`): the queue and its
throughput, which grading counts for each student, who has not handed in, who handed in late, and each
exercise's line on the dashboard. The per-exercise report (distribution, pass rates, hints) is `grade batch`'s
own (`grader.views.report.report_page`) over the rows `student_rows` builds.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from grader.batch.gradebook import NO_SUBMISSION
from grader.course.model import Exercise
from grader.feedback.model import Feedback
from grader.service.course_records import CourseSubmission, RosterEntry
from grader.service.policies import received_lateness
from grader.service.standing import counting_of
from grader.views.rows import StudentRow

RECENT_MINUTES = 10
MAX_LISTED = 500   # rows of a list on a page (late submissions, recent gradings)


@dataclass(frozen=True)
class QueueNumbers:
    queued: int
    grading: int
    graded_recently: int   # gradings recorded in the last RECENT_MINUTES
    failed_recently: int   # of those, the ones the grader failed
    window_minutes: int = RECENT_MINUTES

    @property
    def per_minute(self) -> float:
        return self.graded_recently / self.window_minutes


def _when(text: str | None) -> datetime | None:
    try:
        return datetime.fromisoformat(text) if text else None
    except ValueError:
        return None


def queue_numbers(found: Iterable[CourseSubmission], now: datetime) -> QueueNumbers:
    """How many wait, how many are being graded, and how many were graded in the last minutes (`now` aware)."""
    since = now - timedelta(minutes=RECENT_MINUTES)
    queued = grading = graded = failed = 0
    for submission in found:
        queued += submission.status == "queued"
        grading += submission.status == "grading"
        finished = _when(submission.graded_at)
        if finished is not None and since <= finished <= now:
            graded += 1
            failed += submission.status == "failed"
    return QueueNumbers(queued, grading, graded, failed)


def counting_submissions(found: Iterable[CourseSubmission], exercise: Exercise | str) -> dict[str, CourseSubmission]:
    """The submission whose grading counts, for each student of the exercise: the exercise's `counts` policy
    (`standing.counting_of`: the last graded, or the best after late penalties); given only an id, the latest
    graded. The grader's own failures and submissions still waiting never count."""
    exercise_id = exercise if isinstance(exercise, str) else exercise.id
    graded: dict[str, list[CourseSubmission]] = {}
    for submission in found:
        if submission.exercise == exercise_id and submission.status == "graded" and submission.feedback_path:
            graded.setdefault(submission.student, []).append(submission)
    chosen = {student: max(theirs, key=lambda s: s.id) if isinstance(exercise, str) else counting_of(theirs, exercise)
              for student, theirs in graded.items()}
    return {student: submission for student, submission in sorted(chosen.items()) if submission is not None}


@dataclass(frozen=True)
class LateLine:
    submission: int
    student: str
    received_at: str
    days: int
    penalty: float
    note: str
    counts: bool   # its grading is the one that counts


def late_submissions(exercise: Exercise, found: Iterable[CourseSubmission],
                     counting: Mapping[str, CourseSubmission]) -> list[LateLine]:
    """Every submission of the exercise received after its due time, newest first."""
    counted = {submission.id for submission in counting.values()}
    lines = []
    for submission in found:
        if submission.exercise != exercise.id:
            continue
        late = received_lateness(exercise, submission.received_at)
        if late.days:
            lines.append(LateLine(submission.id, submission.student, submission.received_at, late.days, late.penalty,
                                  late.note, submission.id in counted))
    return sorted(lines, key=lambda line: -line.submission)[:MAX_LISTED]


def without_submission(roster: Iterable[RosterEntry], found: Iterable[CourseSubmission],
                       exercise_id: str) -> list[RosterEntry]:
    """The roster's students (tokens not revoked) who have handed in nothing for the exercise."""
    handed_in = {submission.student for submission in found if submission.exercise == exercise_id}
    return [student for student in roster if not student.revoked and student.id not in handed_in]


@dataclass(frozen=True)
class ExerciseLine:
    id: str
    title: str
    handed_in: int    # students with at least one submission
    counted: int      # students with a grading that counts
    missing: int      # roster students without a submission
    late: int         # students whose counting grading is late
    mean: float | None   # mean share of the points over the counting gradings


def exercise_lines(exercises: Iterable[Exercise], found: list[CourseSubmission],
                   roster: list[RosterEntry]) -> list[ExerciseLine]:
    lines = []
    for exercise in exercises:
        counting = counting_submissions(found, exercise)
        shares = [s.score / s.max_score for s in counting.values() if s.score is not None and s.max_score]
        lines.append(ExerciseLine(
            exercise.id, exercise.title, len({s.student for s in found if s.exercise == exercise.id}), len(counting),
            len(without_submission(roster, found, exercise.id)),
            sum(1 for s in counting.values() if received_lateness(exercise, s.received_at).days),
            sum(shares) / len(shares) if shares else None))
    return lines


def recent_gradings(found: Iterable[CourseSubmission], limit: int = 20) -> list[CourseSubmission]:
    """The latest gradings recorded, newest first."""
    graded = [submission for submission in found if submission.graded_at]
    return sorted(graded, key=lambda submission: (submission.graded_at or "", submission.id), reverse=True)[:limit]


def student_rows(exercise: Exercise, counting: Mapping[str, CourseSubmission],
                 documents: Mapping[int, Feedback | None], missing: Iterable[RosterEntry]) -> list[StudentRow]:
    """`grade batch`'s rows for the report: each counting grading with its feedback and late note, then every
    roster student without a submission."""
    rows = []
    for student, submission in counting.items():
        feedback = documents.get(submission.id)
        problem = None if feedback is not None else "its feedback document cannot be read"
        rows.append(StudentRow(student, feedback.status.value if feedback else "graded", feedback, problem,
                               received_lateness(exercise, submission.received_at).note))
    rows += [StudentRow(student.id, NO_SUBMISSION, None, "nothing handed in to the service") for student in missing]
    return rows
