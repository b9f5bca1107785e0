"""The instructor's side of a cluster batch: send a window of work items, check each answer, record it.

Results come back as JSON bytes and become feedback only through `Feedback.from_dict` and a check that
they answer the job that was sent (exercise and seed; the sha256 recorded is that of the bytes sent); the recorder alone writes files and
gradebook rows, so resuming after a crash or `kill -9` works as it does locally. Dask re-runs a task
whose worker died; the scheduler says which tasks were on it, and those count as retried. A task that
fails, or answers with something that is not its feedback, is sent once more, as a local batch does.
"""

from __future__ import annotations

import dataclasses
import json
import threading
import uuid
from collections import Counter, deque
from dataclasses import dataclass, field
from pathlib import Path

from grader.batch.runner import Dispatch, Job, Recorder, retry_grader_failure
from grader.cluster.payload import WorkItem, course_copy, submission_files
from grader.cluster.worker import CourseCopy, grade_item
from grader.course.model import Course, Exercise
from grader.feedback.model import Feedback, FeedbackError

MAX_FEEDBACK_BYTES = 8 << 20
MIN_WINDOW = 16
EVENTS_TOPIC = "all"


class NotItsFeedback(ValueError):
    """A worker's answer that is not a feedback document for the job sent."""


def accept(data: object, job: Job, exercise: Exercise) -> Feedback:
    """The feedback in a worker's answer, as this machine would have written it; NotItsFeedback otherwise."""
    if not isinstance(data, bytes) or len(data) > MAX_FEEDBACK_BYTES:
        raise NotItsFeedback(f"the worker answered with {type(data).__name__}, not a feedback document")
    try:
        feedback = Feedback.from_dict(json.loads(data))
    except (ValueError, FeedbackError) as exc:
        raise NotItsFeedback(f"the worker's feedback is not valid: {exc}") from None
    # Not the file's hash: the bytes sent were read when the task was made, and a student whose file changed
    # since the batch was planned is graded (and recorded) as what was sent, not failed as the grader's.
    if feedback.exercise != exercise.id or feedback.seed != job.seed:
        raise NotItsFeedback("the worker's feedback is for another exercise or seed")
    return dataclasses.replace(feedback, submission=dataclasses.replace(feedback.submission, path=job.path))


@dataclass
class LostWorkers:
    """Keys of the tasks that were on a worker when it left, from the scheduler's events."""

    keys: set[str] = field(default_factory=set)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __call__(self, event: tuple) -> None:
        message = event[1] if isinstance(event, tuple) and len(event) == 2 else {}
        if isinstance(message, dict) and message.get("action") == "remove-worker":
            with self._lock:
                self.keys.update(str(key) for key in message.get("processing-tasks", ()))

    def among(self, keys: set[str]) -> int:
        with self._lock:
            return len(self.keys & keys)


def work_item(job: Job, digest: str, exercise: Exercise, strong: bool) -> WorkItem:
    path = Path(job.path)
    budget = 4 * exercise.limits.max_file_kib * 1024
    return WorkItem(digest, exercise.id, path.name, submission_files(path, budget), job.seed, strong)


def cluster_dispatch(client, course: Course, exercise: Exercise, strong: bool) -> Dispatch:
    """Grade on the workers of `client`'s cluster (a `distributed.Client`)."""

    def dispatch(todo: list[Job], recorder: Recorder) -> None:
        from distributed import as_completed
        from distributed.scheduler import KilledWorker

        digest, files = course_copy(course, exercise)
        client.register_plugin(CourseCopy(digest, files))
        lost = LostWorkers()
        client.subscribe_topic(EVENTS_TOPIC, lost)
        queue: deque[Job] = deque(todo)
        running: dict[str, Job] = {}
        sent: set[str] = set()
        tries: Counter = Counter()
        window = max(MIN_WINDOW, 4 * sum(client.nthreads().values()))
        completions = as_completed(loop=client.loop)

        def submit_more() -> None:
            while queue and len(running) < window:
                job = queue.popleft()
                key = f"grade-{uuid.uuid4().hex}"   # says nothing about the student
                future = client.submit(grade_item, work_item(job, digest, exercise, strong), key=key, pure=False)
                running[key] = job
                sent.add(key)
                completions.add(future)

        def again(job: Job, why: str) -> None:
            tries[job.student] += 1
            if tries[job.student] <= 1:
                recorder.summary.retried += 1
                queue.append(job)
            else:
                recorder.failure(job, why)

        try:
            submit_more()
            for future in completions:
                job = running.pop(future.key)
                try:
                    feedback = accept(future.result(), job, exercise)
                except KilledWorker:
                    recorder.failure(job, "every worker that graded it died (Dask gave up after its allowed failures)")
                except Exception as exc:  # noqa: BLE001 - a worker's failure, or an answer that is not feedback
                    again(job, f"the worker failed twice ({type(exc).__name__}: {' '.join(str(exc).split())[:300]})")
                else:
                    if retry_grader_failure(feedback, job, tries, recorder.summary):
                        queue.append(job)
                    else:
                        recorder.feedback(job, feedback)
                future.release()
                submit_more()
        finally:
            recorder.summary.retried += lost.among(sent)
            client.unsubscribe_topic(EVENTS_TOPIC)

    return dispatch


def cluster_where(address: str) -> str:
    return f"the Dask cluster at {address}"
