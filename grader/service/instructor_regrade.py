"""A regrade after a check was fixed: preview what changes, then requeue those submissions in the service.

The preview is `grade batch --preview` over the service's gradings: the counting gradings are written as a batch
folder, the chosen students' submissions are graded again into its scratch batch (`grader.batch.regrade.scratch`,
with the service's seed key, so a change comes from the checks), and `grader.batch.regrade.compare` lists whose
score or check verdicts change. Applying requeues exactly the submissions the preview listed: their gradings are
removed and the grading loop grades them again as any submission, writing their new feedback and rows once.
"""

from __future__ import annotations

from concurrent.futures import Future, wait
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, select

from grader.batch.gradebook import Gradebook
from grader.batch.regrade import Change, compare, scratch
from grader.batch.runner import GRADEBOOK_NAME, BatchSummary, Job, Recorder
from grader.course.model import Exercise
from grader.service.course_records import CourseSubmission
from grader.service.instructor_exports import write_batch_folder
from grader.service.schema import gradings, submissions
from grader.service.worker import Grader

PREVIEW_WHERE = "grade serve (regrade preview)"
MAX_WAIT_S = 3600.0


@dataclass(frozen=True)
class RegradePreview:
    exercise: str
    regraded: int                    # submissions graded again
    changes: tuple[Change, ...]      # the students whose grade or check verdicts change
    submissions: dict[str, int]      # student -> the submission that would be regraded (the changed ones)


def preview(data_dir: Path, exercise: Exercise, found: list[CourseSubmission], grader: Grader, seed_key: bytes,
            work: Path, only: str | None = None) -> RegradePreview:
    """Grade the counting submissions (of `only`, or everyone's) again with the checks as they are now."""
    now = write_batch_folder(data_dir, exercise, found, [], work / "now")
    chosen = {student: submission for student, submission in now.students.items() if only in (None, student)}
    folder = scratch(now.out)
    book = Gradebook(folder / GRADEBOOK_NAME)
    try:
        recorder = Recorder(exercise.id, book, folder, BatchSummary(), PREVIEW_WHERE)
        running: dict[Future, Job] = {}
        for student, submission in chosen.items():
            job = Job(student, str(data_dir / submission.stored_path), submission.sha256, 0, seed_key)
            running[grader.submit(exercise, job)] = job
        wait(running, timeout=MAX_WAIT_S)
        for future, job in running.items():
            try:
                _, feedback = future.result(timeout=0)
                recorder.feedback(job, feedback)
            except Exception as exc:  # noqa: BLE001 - this student's preview only
                recorder.failure(job, f"the preview could not grade it ({type(exc).__name__})")
    finally:
        book.close()
    changes = tuple(compare(now.out, folder, exercise.id))
    return RegradePreview(exercise.id, len(chosen), changes,
                          {change.student: chosen[change.student].id for change in changes})


def requeue(engine: Engine, submission_ids: list[int]) -> int:
    """Put finished submissions back in the queue, their gradings removed, in one transaction; how many moved.
    A submission still queued or being graded is left alone (it is graded with the checks as they are now)."""
    if not submission_ids:
        return 0
    finished = ("graded", "failed")
    with engine.begin() as connection:
        connection.execute(gradings.delete().where(gradings.c.submission.in_(
            select(submissions.c.id).where(submissions.c.id.in_(submission_ids), submissions.c.status.in_(finished)))))
        return connection.execute(submissions.update()
                                  .where(submissions.c.id.in_(submission_ids), submissions.c.status.in_(finished))
                                  .values(status="queued", attempts=0)).rowcount
