"""`grade serve --cluster`: the service's gradings run on a Dask cluster's workers instead of local processes.

It is the service's `Grader` (grader/service/worker.py) in shape: `submit(exercise, job)` answers a
`concurrent.futures.Future` of `(job, feedback)`, so the grading loop, its exactly-once recording and its retries
are the same as with local workers. What travels and how answers are checked is `grade batch --cluster`'s: the
exercise's course copy once per worker (a plugin), the submission's bytes in a work item, and a worker's answer
becomes feedback only through `accept` (a feedback document for this exercise and this seed, nothing else).
"""

from __future__ import annotations

import dataclasses
import threading
import uuid
from concurrent.futures import Future

from grader.batch.runner import Job
from grader.cluster.dispatch import accept, work_item
from grader.cluster.payload import course_copy
from grader.cluster.worker import CourseCopy, grade_item
from grader.course.model import Course, Exercise
from grader.labcode.submission import seed_for


class ClusterGrader:
    """Sends each grading to the cluster of `client` (a `distributed.Client` this object then owns)."""

    def __init__(self, client, course: Course, strong: bool) -> None:
        self.client, self.course, self.strong = client, course, strong
        self._digests: dict[str, str] = {}   # exercise id -> its course copy's digest, registered on the workers
        self._lock = threading.Lock()

    def submit(self, exercise: Exercise, job: Job) -> Future:
        if job.seed_key:   # the service keys the seed over the stored bytes, as a local worker would
            job = dataclasses.replace(job, seed=seed_for(job.seed_key, exercise.id, job.sha256), seed_key=b"")
        item = work_item(job, self._registered(exercise), exercise, self.strong)
        remote = self.client.submit(grade_item, item, key=f"grade-{uuid.uuid4().hex}", pure=False)
        answer: Future = Future()
        answer.set_running_or_notify_cancel()

        def settle(done) -> None:
            try:
                feedback = accept(done.result(), job, exercise)
            except BaseException as exc:  # noqa: BLE001 - the loop retries or records the grader's failure
                answer.set_exception(exc)
            else:
                answer.set_result((job, feedback))
            finally:
                done.release()

        remote.add_done_callback(settle)
        return answer

    def _registered(self, exercise: Exercise) -> str:
        with self._lock:
            if exercise.id not in self._digests:
                digest, files = course_copy(self.course, exercise)
                self.client.register_plugin(CourseCopy(digest, files))
                self._digests[exercise.id] = digest
            return self._digests[exercise.id]

    def broken(self, exercise: Exercise) -> None:
        """Nothing to replace: Dask reruns a task whose worker died, and the scheduler keeps the workers."""

    def close(self) -> None:
        self.client.close()
