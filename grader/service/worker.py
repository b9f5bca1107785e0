"""The grading loop: claim from the queue, grade with `grade batch`'s workers, record each result once.

`jobs` grading slots: the loop claims while a slot is free, hands the submission to a `Grader` and, as each
grading ends, writes its feedback document (atomically, under a name of its own: `feedback/<id>-<attempt>-<owner>.json`)
and then the grading row, which names that document, and the final status in one transaction. A crash between
the two leaves the submission `grading`; it is requeued when the service starts and graded again with the same
seed, its row written once (the earlier attempt's document is never named by a row).
A grading the grader failed, or whose worker died, is tried once more (as `grade batch` does).
"""

from __future__ import annotations

import dataclasses
import logging
import os
import re
import threading
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Executor, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Protocol

from sqlalchemy import Engine

from grader import __version__
from grader.atomic import write_json_atomically
from grader.batch.runner import Job, grade_job, init_worker, worker_context
from grader.course.model import Course, Exercise
from grader.feedback.model import Feedback
from grader.outcomes import Outcome, Status
from grader.service import queue
from grader.text import one_line

FEEDBACK_DIR = "feedback"
IDLE_WAIT_S = 0.5
log = logging.getLogger("grader.service")


class Grader(Protocol):
    """Where gradings run: `submit` returns a future of `(job, feedback)`, as `grade batch`'s workers do."""

    def submit(self, exercise: Exercise, job: Job) -> Future: ...

    def broken(self, exercise: Exercise) -> None:
        """A grading's worker died: replace whatever ran it."""

    def close(self) -> None: ...


def _service_worker(service_pid: int, manifest: str, exercise_id: str, strong: bool) -> None:
    """A service worker: grade batch's worker, tied to the service's life."""
    init_worker(manifest, exercise_id, strong, parent_pid=service_pid)


POOL_WORKER_BYTES = 600 << 20   # a worker with a TensorFlow template: about half a gigabyte measured, with room


def pools_for(exercises: int, workers: int, memory_bytes: int | None = None) -> int:
    """How many exercises may keep a pool at once: every exercise when half the machine's memory holds their
    workers, else as many as fit (at least 3, or every exercise of a smaller course). A pool per exercise means a student who hands in to one exercise
    after another never makes the service start TensorFlow again for everyone (with too few pools it would)."""
    if memory_bytes is None:
        memory_bytes = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    fitting = (memory_bytes // 2) // (POOL_WORKER_BYTES * max(1, workers))
    return max(1, min(exercises, max(3, int(fitting))))


class PoolGrader:
    """`grade batch`'s worker processes, one pool per exercise (each worker with the exercise's warm template),
    started when the exercise is first submitted; at most `max_pools` pools stay, the least recently used idle
    one shut down to make room (a TensorFlow template holds about half a gigabyte)."""

    def __init__(self, manifest: Path, strong: bool, workers: int, max_pools: int = 3) -> None:
        self.manifest, self.strong, self.workers, self.max_pools = manifest, strong, max(1, workers), max_pools
        self._pools: dict[str, Executor] = {}   # in order of last use
        self._running: dict[str, int] = {}
        self._lock = threading.Lock()            # `_done` runs in the pool's own thread

    @property
    def pooled(self) -> list[str]:
        """The exercises with a pool now, least recently used first."""
        return list(self._pools)

    def submit(self, exercise: Exercise, job: Job) -> Future:
        pool = self._pools.pop(exercise.id, None) or self._start(exercise)
        self._pools[exercise.id] = pool
        with self._lock:
            self._running[exercise.id] = self._running.get(exercise.id, 0) + 1
        future = pool.submit(grade_job, job)
        future.add_done_callback(lambda _: self._done(exercise.id))
        return future

    def _done(self, exercise_id: str) -> None:
        with self._lock:
            self._running[exercise_id] -= 1

    def _start(self, exercise: Exercise) -> Executor:
        with self._lock:
            idle = [name for name in self._pools if not self._running.get(name)]
        while len(self._pools) >= self.max_pools and idle:
            self._pools.pop(idle.pop(0)).shutdown(wait=False)
        return ProcessPoolExecutor(max_workers=self.workers, mp_context=worker_context(), initializer=_service_worker,
                                   initargs=(os.getpid(), str(self.manifest), exercise.id, self.strong))

    def broken(self, exercise: Exercise) -> None:
        pool = self._pools.pop(exercise.id, None)
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)

    def close(self) -> None:
        for pool in self._pools.values():
            pool.shutdown(wait=True, cancel_futures=True)
        self._pools.clear()


def feedback_path(claimed: queue.Claim) -> str:
    """Where this claim's feedback document goes: a name of its own per claim (submission, attempt, the owner's
    nonce), so a service whose lease was taken over never writes over the document its successor recorded."""
    nonce = re.sub(r"[^0-9a-f]", "", claimed.owner.rpartition(":")[2])[:16] or "0"
    return f"{FEEDBACK_DIR}/{claimed.submission}-{claimed.attempts}-{nonce}.json"


class GradingLoop:
    """Claims and grades until stopped; `wake` is set when a submission arrives, so an idle loop starts at once."""

    def __init__(self, engine: Engine, data_dir: Path, course: Course, grader: Grader, slots: int, seed_key: bytes,
                 on_recorded: Callable[[int], None] = lambda submission: None) -> None:
        self.engine, self.data_dir, self.course, self.grader = engine, data_dir, course, grader
        self.slots, self.seed_key, self.on_recorded = max(1, slots), seed_key, on_recorded
        self.wake = threading.Event()
        self._running: dict[Future, queue.Claim] = {}
        self.owner = queue.new_owner()
        self._leases_at = 0.0   # when the leases were last renewed and abandoned claims last looked for

    def run(self, stop: threading.Event) -> None:
        queue.requeue_abandoned(self.engine, self.owner)
        self._leases_at = time.monotonic()
        try:
            while not stop.is_set():
                try:
                    self._step()
                except Exception:  # noqa: BLE001 - the database went away a moment, say: the loop must go on
                    log.exception("the grading loop failed a step; trying again in a second")
                    stop.wait(1.0)
        finally:
            queue.ended(self.owner)
        # Gradings still running are left `grading`: the next start (or a peer, once their leases end) requeues them.

    def _step(self) -> None:
        if time.monotonic() - self._leases_at >= queue.LEASE_S / 4:
            self._keep_leases()
        self._fill()
        if not self._running:
            self.wake.wait(IDLE_WAIT_S)
            self.wake.clear()
            return
        finished, _ = wait(list(self._running), timeout=IDLE_WAIT_S, return_when=FIRST_COMPLETED)
        for future in finished:
            self._settle(self._running.pop(future), future)

    def _keep_leases(self) -> None:
        """Renew this service's leases, and take back what a service that is gone left `grading` (when several
        services share the database, a survivor grades a dead one's claims)."""
        queue.renew(self.engine, self.owner, [claimed.submission for claimed in self._running.values()])
        if queue.requeue_abandoned(self.engine, self.owner):
            self.wake.set()
        self._leases_at = time.monotonic()

    def _fill(self) -> None:
        while len(self._running) < self.slots:
            claimed = queue.claim(self.engine, self.owner)
            if claimed is None:
                return
            try:
                exercise = self.course.exercise(claimed.exercise)
            except KeyError:
                self._failed(claimed, f"the exercise {claimed.exercise!r} is no longer in the course")
                continue
            if claimed.attempts > queue.MAX_CLAIMS:
                self._failed(claimed, f"its grading was interrupted {claimed.attempts - 1} times (the service stopped)")
                continue
            job = Job(claimed.student, str(self.data_dir / claimed.stored_path), claimed.sha256, 0, self.seed_key)
            try:
                self._running[self.grader.submit(exercise, job)] = claimed
            except Exception as exc:  # noqa: BLE001 - a pool that broke before it was replaced
                self.grader.broken(exercise)
                self._again_or_fail(claimed, f"its worker pool could not take it ({type(exc).__name__})")

    def _settle(self, claimed: queue.Claim, future: Future) -> None:
        try:
            _, feedback = future.result()
        except BrokenProcessPool:
            self.grader.broken(self.course.exercise(claimed.exercise))
            self._again_or_fail(claimed, "the worker grading it died twice")
            return
        except Exception as exc:  # noqa: BLE001 - a worker's failure is this submission's, never the loop's
            log.exception("grading submission %s failed", claimed.submission)
            self._again_or_fail(claimed, f"the grader failed ({type(exc).__name__})")
            return
        if feedback.status is Status.GRADER_FAILED and claimed.attempts < queue.MAX_ATTEMPTS:
            queue.retry(self.engine, claimed)
            return
        self._record(claimed, feedback)

    def _again_or_fail(self, claimed: queue.Claim, why: str) -> None:
        if claimed.attempts < queue.MAX_ATTEMPTS:
            queue.retry(self.engine, claimed)
        else:
            self._failed(claimed, why)

    def _record(self, claimed: queue.Claim, feedback: Feedback) -> None:
        shown = dataclasses.replace(feedback, submission=dataclasses.replace(
            feedback.submission, path=one_line(claimed.original_name)))   # never the server's path
        relative = feedback_path(claimed)
        write_json_atomically(shown.to_dict(), self.data_dir / relative)
        failed = feedback.status is Status.GRADER_FAILED
        fault = failed or any(check.outcome is Outcome.INTERNAL_ERROR for check in feedback.checks)
        if queue.finish(self.engine, claimed, queue.Result(relative, shown.score, shown.max_score,
                                                           feedback.status.value, feedback.grader_version, failed,
                                                           grader_fault=fault)):
            self.on_recorded(claimed.submission)
        else:   # no longer this service's claim: its document is nobody's
            (self.data_dir / relative).unlink(missing_ok=True)

    def _failed(self, claimed: queue.Claim, why: str) -> None:
        log.error("submission %s: %s", claimed.submission, why)
        if queue.finish(self.engine, claimed, queue.Result("", 0.0, 0.0, Status.GRADER_FAILED.value, __version__, True)):
            self.on_recorded(claimed.submission)
