"""A regrade after a check was fixed: preview what changes, then requeue those submissions in the service.

The preview is `grade batch --preview` over the service's gradings: the counting gradings are written as a batch
folder, the chosen students' submissions are graded again into its scratch batch (`grader.batch.regrade.scratch`,
with the service's seed key, so a change comes from the checks), and `grader.batch.regrade.compare` lists whose
score or check verdicts change. Applying requeues exactly the submissions the preview listed: their gradings are
removed and the grading loop grades them again as any submission, writing their new feedback and rows once.
"""

from __future__ import annotations

import logging
import secrets
import threading
from concurrent.futures import Future, as_completed
from collections.abc import Callable
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
log = logging.getLogger("grader.service")
MAX_WAIT_S = 3600.0


@dataclass(frozen=True)
class RegradePreview:
    exercise: str
    regraded: int                    # submissions graded again
    changes: tuple[Change, ...]      # the students whose grade or check verdicts change
    submissions: dict[str, int]      # student -> the submission that would be regraded (the changed ones)


def preview(data_dir: Path, exercise: Exercise, found: list[CourseSubmission], grader: Grader, seed_key: bytes,
            work: Path, only: str | None = None,
            progress: Callable[[int, int], None] = lambda done, total: None) -> RegradePreview:
    """Grade the counting submissions (of `only`, or everyone's) again with the checks as they are now;
    `progress(done, total)` as each grading is recorded."""
    now = write_batch_folder(data_dir, exercise, found, [], work / "now")
    chosen = {student: submission for student, submission in now.students.items() if only in (None, student)}
    folder = scratch(now.out)
    book = Gradebook(folder / GRADEBOOK_NAME)
    done = 0

    def recorded(student: str) -> None:
        nonlocal done
        done += 1
        progress(done, len(chosen))

    progress(0, len(chosen))
    try:
        recorder = Recorder(exercise.id, book, folder, BatchSummary(), PREVIEW_WHERE, recorded)
        running: dict[Future, Job] = {}
        for student, submission in chosen.items():
            job = Job(student, str(data_dir / submission.stored_path), submission.sha256, 0, seed_key)
            running[grader.submit(exercise, job)] = job
        for future in as_completed(running, timeout=MAX_WAIT_S):
            job = running[future]
            try:
                recorder.feedback(job, future.result()[1])
            except Exception as exc:  # noqa: BLE001 - this student's preview only
                recorder.failure(job, f"the preview could not grade it ({type(exc).__name__})")
    finally:
        book.close()
    changes = tuple(compare(now.out, folder, exercise.id))
    return RegradePreview(exercise.id, len(chosen), changes,
                          {change.student: chosen[change.student].id for change in changes})


@dataclass
class PreviewRun:
    """A preview grading in the background: the instructor's page refreshes until `result` (or `failure`) is set."""

    exercise: str
    only: str | None
    done: int = 0
    total: int | None = None
    result: RegradePreview | None = None
    failure: str | None = None

    @property
    def finished(self) -> bool:
        return self.result is not None or self.failure is not None


class PreviewRuns:
    """This service's regrade previews: one grading at a time (each has worker processes of its own), the latest
    few kept to be read and applied, each under an unguessable key."""

    def __init__(self, keep: int = 5) -> None:
        self.keep = keep
        self._runs: dict[str, PreviewRun] = {}
        self._lock = threading.Lock()

    def start(self, exercise: str, only: str | None, work: Callable[[PreviewRun], RegradePreview]) -> str | None:
        """The new run's key, its grading started in a thread; None while another preview is grading."""
        with self._lock:
            if any(not run.finished for run in self._runs.values()):
                return None
            key = secrets.token_urlsafe(16)
            run = self._runs[key] = PreviewRun(exercise, only)
            for old in list(self._runs)[:-self.keep]:
                del self._runs[old]
        threading.Thread(target=self._run, args=(run, work), name="regrade-preview", daemon=True).start()
        return key

    @staticmethod
    def _run(run: PreviewRun, work: Callable[[PreviewRun], RegradePreview]) -> None:
        try:
            run.result = work(run)
        except Exception as exc:  # noqa: BLE001 - the preview fails, the service goes on
            log.exception("the regrade preview of %s failed", run.exercise)
            run.failure = f"the preview failed ({type(exc).__name__}); the service's log has the details"

    def get(self, key: str) -> PreviewRun | None:
        with self._lock:
            return self._runs.get(key)


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
                                  .values(status="queued", attempts=0, regrade=True)).rowcount
