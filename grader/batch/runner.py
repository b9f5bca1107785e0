"""Grade every student's submission in parallel, resumably, one feedback file and gradebook row each.

Workers are separate processes, each with its own warm sandbox template. The parent is the only
writer: it writes each feedback document atomically and commits its gradebook row as soon as it
arrives, so a crash or `kill -9` loses at most the submissions in flight, and a re-run grades only
what is missing, changed, or failed inside the grader. A grader failure is retried once; a worker
that dies is replaced and its submission retried, so the batch survives any single submission.
"""

from __future__ import annotations

import multiprocessing
import os
import secrets
import select
import socket
import threading
import time
from collections import Counter
from concurrent.futures import FIRST_COMPLETED, Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Callable

from grader import __version__
from grader.batch.collect import StudentEntry
from grader.batch.gradebook import NO_SUBMISSION, Attempt, Gradebook
from grader.course.model import Exercise
from grader.labcode.submission import TooLarge, file_sha256, seed_for
from grader.errors import UsageError
from grader.atomic import write_json_atomically
from grader.feedback.model import Feedback
from grader.outcomes import Status
from grader.sandbox.session import Launcher

FEEDBACK_DIR = "feedback"
GRADEBOOK_NAME = "gradebook.sqlite"
SEED_KEY_NAME = "seed.key"


@dataclass(frozen=True)
class Job:
    student: str
    path: str
    sha256: str   # as planned; the gradebook records the sha256 of what was graded (the feedback's)
    seed: int
    seed_key: bytes = field(default=b"", repr=False)   # local workers key the seed over the bytes they grade


@dataclass
class BatchSummary:
    total: int = 0
    graded: int = 0
    unchanged: int = 0
    problems: int = 0
    grader_failures: int = 0
    retried: int = 0
    wall_s: float = 0.0


PoolFactory = Callable[[], Executor]   # a fresh pool of workers ready to run `grade_job`


# ---------------------------------------------------------------- worker side

_WORKER: dict = {}


def exit_with(parent_pid: int) -> None:
    """End this worker when `parent_pid` ends, even by kill -9: a pool's worker would otherwise wait forever on
    its queue (it holds the queue's both ends), and keep its warm template (half a gigabyte with TensorFlow)."""
    try:
        watched: int | None = os.pidfd_open(parent_pid)
    except OSError:   # the parent is already gone, or pidfds are missing: poll instead
        watched = None

    def watch() -> None:
        if watched is not None:
            select.select([watched], [], [])
        else:
            while os.path.exists(f"/proc/{parent_pid}"):
                select.select([], [], [], 1.0)
        os._exit(70)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def init_worker(manifest: str, exercise_id: str, strong: bool, parent_pid: int | None = None) -> None:
    """A worker process's start: tied to its parent's life (when given), the exercise and its warm launcher."""
    from grader.course.manifest import load_course

    from grader.grading.engine import collect_checks

    if parent_pid is not None:
        exit_with(parent_pid)
    exercise = load_course(Path(manifest)).exercise(exercise_id)
    _use(exercise, batch_launcher(exercise, strong))
    collect_checks(exercise)   # while the warm template imports numpy or TensorFlow


def batch_launcher(exercise: Exercise, strong: bool) -> Launcher:
    """A worker's launcher: a warm template (with TensorFlow imported once for Keras exercises), or plain
    children when the instructor allowed weak isolation. A worker grades many submissions, so it also
    checks their feedback documents with the compiled schema."""
    from grader.feedback.model import compile_validation
    from grader.sandbox.launchers import PlainProcessLauncher
    from grader.sandbox.policy import preload_for
    from grader.sandbox.warm_launcher import WarmTemplateLauncher

    launcher: Launcher
    if strong:
        launcher = WarmTemplateLauncher(preload=preload_for(exercise.requires))
        launcher.warm_up(exercise.limits)   # the template starts now; the first submission waits only for what is left
    else:
        launcher = PlainProcessLauncher(reason="batch grading without bubblewrap, as the instructor asked "
                                               "(--allow-weak-isolation)")
    compile_validation()   # while the template starts
    return launcher


def _use(exercise: Exercise, launcher: Launcher) -> None:
    _WORKER["exercise"], _WORKER["launcher"] = exercise, launcher


def grade_job(job: Job) -> tuple[Job, Feedback]:
    from grader.grading.engine import grade

    if job.seed_key:
        return job, grade(_WORKER["exercise"], Path(job.path), seed_key=job.seed_key, launcher=_WORKER["launcher"])
    return job, grade(_WORKER["exercise"], Path(job.path), seed=job.seed, launcher=_WORKER["launcher"])


# Imported once by the fork server, so every worker forked from it starts with them (about 0.2 s each).
WORKER_MODULES = ("grader.grading.engine", "grader.grading.check_runner", "grader.sandbox.warm_launcher", "grader.course.manifest")


def worker_context() -> multiprocessing.context.BaseContext:
    """Workers forked from a fork server that has imported the grader: not from this process, whose
    threads and state a plain fork would copy, and without each worker importing the grader again."""
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["__main__", *WORKER_MODULES])
    return context


def process_pool(manifest: Path, exercise_id: str, strong: bool, workers: int) -> PoolFactory:
    """Worker processes, each with its own warm sandbox template (the default)."""
    return partial(ProcessPoolExecutor, max_workers=max(1, workers), mp_context=worker_context(),
                   initializer=init_worker, initargs=(str(manifest), exercise_id, strong, os.getpid()))


def in_process_pool(exercise: Exercise, launcher: Launcher) -> PoolFactory:
    """One worker thread in this process grading with `launcher` (a scripted one, in tests)."""
    return partial(ThreadPoolExecutor, max_workers=1, initializer=_use, initargs=(exercise, launcher))


# ---------------------------------------------------------------- parent side

def seed_key(out: Path) -> bytes:
    """The batch's secret seed key: created once in OUT (readable by the instructor only) and reused on every
    re-run, so the hidden inputs are reproducible but cannot be computed by a submission, which never sees OUT."""
    path = out / SEED_KEY_NAME
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        key = path.read_bytes()
        if len(key) < 16:
            raise UsageError(f"{path} holds {len(key)} bytes, too few for a seed key; restore it from a backup, "
                             f"or delete it to grade with new hidden inputs") from None
        return key
    with os.fdopen(descriptor, "wb") as stream:
        stream.write(secrets.token_bytes(32))
    return path.read_bytes()


def _sha256(path: Path, max_bytes: int | None) -> str:
    """The file's sha256, or "" when it cannot be read or is larger than the exercise allows (then it is not
    read at all, and the grading says why)."""
    try:
        return file_sha256(path, max_bytes)
    except (OSError, TooLarge):
        return ""


def plan(entries: list[StudentEntry], gradebook: Gradebook, exercise_id: str, out: Path,
         summary: BatchSummary, key: bytes, seed: int | None = None, max_bytes: int | None = None) -> list[Job]:
    """Record the students with nothing to grade; return the jobs whose grade is missing or stale. A file of more
    than `max_bytes` is not hashed (its sha256 is "", as its feedback records: the engine refuses it by its size,
    unread)."""
    latest = gradebook.latest(exercise_id)
    jobs = []
    for entry in entries:
        gradebook.name(entry.student, entry.submitted_as, entry.record)
        previous = latest.get(entry.student)
        if entry.path is None:
            summary.problems += 1
            if previous is None or previous.status != NO_SUBMISSION or previous.problem != entry.problem:
                gradebook.record(Attempt(entry.student, exercise_id, "", NO_SUBMISSION, 0.0, 0.0, problem=entry.problem,
                                         grader_version=__version__))
            continue
        sha = entry.sha256 or _sha256(entry.path, max_bytes)   # a folder's covers every file of its code
        feedback_file = out / FEEDBACK_DIR / f"{entry.student}.json"
        if (previous is not None and previous.sha256 == sha
                and previous.status not in (Status.GRADER_FAILED.value, NO_SUBMISSION) and feedback_file.is_file()):
            summary.unchanged += 1
            continue
        if seed is None:
            jobs.append(Job(entry.student, str(entry.path), sha, seed_for(key, exercise_id, sha), key))
        else:
            jobs.append(Job(entry.student, str(entry.path), sha, seed))
    return jobs


Dispatch = Callable[[list[Job], "Recorder"], None]   # grade every job, handing each result to the recorder once


@dataclass
class Recorder:
    """The batch's one writer: every result becomes a feedback file and a gradebook row as it arrives,
    wherever it was graded, so resuming after a crash works the same for every dispatch."""

    exercise_id: str
    gradebook: Gradebook
    out: Path
    summary: BatchSummary
    where: str
    progress: Callable[[str], None] = lambda student: None

    def feedback(self, job: Job, feedback: Feedback) -> None:
        _record(job, self.exercise_id, feedback, self.gradebook, self.out, self.summary, self.where)
        self.progress(job.student)

    def failure(self, job: Job, why: str) -> None:
        _record_failure(job, self.exercise_id, self.gradebook, self.summary, why, self.where)
        self.progress(job.student)


def local_where(workers: int) -> str:
    return f"this machine ({socket.gethostname()}), {workers} worker process{'es' if workers != 1 else ''}"


def run_batch(manifest: Path, exercise_id: str, entries: list[StudentEntry], out: Path, *, jobs: int,
              strong: bool, seed: int | None = None, on_progress: Callable[[int, int, str], None] | None = None,
              pool: PoolFactory | None = None, dispatch: Dispatch | None = None, where: str | None = None) -> BatchSummary:
    """Grade what is missing or stale; `dispatch` grades elsewhere (a cluster), by default a local process pool."""
    started = time.monotonic()
    dispatch = dispatch or pool_dispatch(pool or process_pool(manifest, exercise_id, strong, jobs), max(1, jobs))
    out.mkdir(parents=True, exist_ok=True)
    gradebook = Gradebook(out / GRADEBOOK_NAME)
    summary = BatchSummary(total=len(entries))
    try:
        todo = plan(entries, gradebook, exercise_id, out, summary, seed_key(out), seed, _max_bytes(manifest, exercise_id))
        recorder = Recorder(exercise_id, gradebook, out, summary, where or local_where(max(1, jobs)),
                            lambda student: on_progress and on_progress(len(todo), _count(summary), student))
        if todo:
            dispatch(todo, recorder)
    finally:
        gradebook.close()
    summary.wall_s = time.monotonic() - started
    return summary


def _max_bytes(manifest: Path, exercise_id: str) -> int:
    """The largest submission file the exercise grades (a larger one is refused by its size, never hashed)."""
    from grader.course.manifest import load_course

    return load_course(Path(manifest), files_of=exercise_id).exercise(exercise_id).limits.max_file_kib * 1024


def _count(summary: BatchSummary) -> int:
    return summary.graded + summary.grader_failures


def pool_dispatch(make_pool: PoolFactory, workers: int) -> Dispatch:
    """Grade in local pools: a pool that breaks (a worker died) is replaced and its jobs graded again."""

    def dispatch(todo: list[Job], recorder: Recorder) -> None:
        tries: Counter = Counter()
        pending, rounds = list(todo), 0
        while pending:
            pending = _grade_with_pool(pending, make_pool, workers, recorder, tries)
            rounds += 1
            if rounds > 3 + len(todo):   # every job can break a pool at most once more than it is retried
                break

    return dispatch


def _grade_with_pool(pending: list[Job], make_pool: PoolFactory, workers: int, recorder: Recorder,
                     tries: Counter) -> list[Job]:
    """Grade with one pool until done or until the pool breaks; return the jobs still to grade."""
    queue = list(pending)
    summary = recorder.summary
    with make_pool() as pool:
        running: dict[Future, Job] = {}

        def submit_more() -> None:
            while queue and len(running) < workers * 2:
                job = queue.pop(0)
                running[pool.submit(grade_job, job)] = job

        submit_more()
        while running:
            finished, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in finished:
                job = running.pop(future)
                feedback: Feedback | None
                try:
                    _, feedback = future.result()
                except BrokenProcessPool:
                    tries[job.student] += 1
                    if tries[job.student] <= 1:
                        summary.retried += 1
                        return [job, *running.values(), *queue]
                    feedback = None
                except Exception:  # noqa: BLE001 - a worker's own failure must not end the batch
                    tries[job.student] += 1
                    if tries[job.student] <= 1:
                        summary.retried += 1
                        queue.append(job)
                        continue
                    feedback = None
                if feedback is None:
                    recorder.failure(job, "the worker grading it died twice")
                elif retry_grader_failure(feedback, job, tries, summary):
                    queue.append(job)
                else:
                    recorder.feedback(job, feedback)
            submit_more()
    return []


def retry_grader_failure(feedback: Feedback, job: Job, tries: Counter, summary: BatchSummary) -> bool:
    """Whether to grade this job once more: the grader failed, and it was the job's first try."""
    if feedback.status is not Status.GRADER_FAILED or tries[job.student] > 0:
        return False
    tries[job.student] += 1
    summary.retried += 1
    return True


def _record(job: Job, exercise_id: str, feedback: Feedback, gradebook: Gradebook, out: Path,
            summary: BatchSummary, where: str) -> None:
    path = out / FEEDBACK_DIR / f"{job.student}.json"
    try:
        write_json_atomically(feedback.to_dict(), path)
    except (OSError, ValueError) as exc:   # this student's feedback only; the batch goes on
        _record_failure(job, exercise_id, gradebook, summary, f"its feedback could not be written ({exc})", where)
        return
    graded = feedback.submission.sha256 or job.sha256   # what was graded, if it changed since it was planned
    gradebook.record(Attempt(job.student, exercise_id, graded, feedback.status.value, feedback.score,
                             feedback.max_score, str(path.relative_to(out)), feedback.grader_error,
                             feedback.seed, feedback.duration_s, feedback.grader_version, graded_on=where))
    if feedback.status is Status.GRADER_FAILED:
        summary.grader_failures += 1
    else:
        summary.graded += 1


def _record_failure(job: Job, exercise_id: str, gradebook: Gradebook, summary: BatchSummary, why: str,
                    where: str) -> None:
    gradebook.record(Attempt(job.student, exercise_id, job.sha256, Status.GRADER_FAILED.value, 0.0, 0.0,
                             problem=why, grader_version=__version__, graded_on=where))
    summary.grader_failures += 1
