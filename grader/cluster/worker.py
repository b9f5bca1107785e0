"""The worker's side: a private copy of each course it grades, and the task that grades one submission.

The course copy arrives once per worker as a Dask worker plugin (also on workers that join later) and is
kept in a private temporary folder of its own, found by its content hash, so two courses, or two versions
of one, never share files. A task gets the submission's bytes, writes them into a private folder of its own and
grades them exactly as a local batch worker does: a fresh sandboxed child per submission, forked from
this process's warm template. It returns the feedback document as JSON bytes, which the instructor's
side checks before writing anything: a worker is trusted to run the grader, never to write files there.
"""

from __future__ import annotations

import json
import tempfile
import threading
from pathlib import Path

from distributed.diagnostics.plugin import WorkerPlugin

from grader.cluster.payload import WorkItem, materialize
from grader.course.manifest import MANIFEST_NAME, load_course
from grader.course.model import Exercise
from grader.sandbox.session import Launcher

_COURSES: dict[str, Path] = {}                       # content hash -> this process's copy of the course
_EXERCISES: dict[tuple[str, str], Exercise] = {}
_LAUNCHERS: dict[tuple[tuple[str, ...], bool], Launcher] = {}
_ONE_AT_A_TIME = threading.Lock()   # pytest and the warm template serve one grading per process at a time


class WorkerUnfit(RuntimeError):
    """This worker cannot grade as asked (no usable bubblewrap, or no copy of the course)."""


def plugin_name(digest: str) -> str:
    return f"grader-course-{digest[:24]}"


class CourseCopy(WorkerPlugin):
    """The files of one exercise's course copy, written on every worker before it runs a task."""

    def __init__(self, digest: str, files: dict[str, bytes]) -> None:
        self.digest = digest
        self.files = files
        self.name = plugin_name(digest)

    def setup(self, worker=None) -> None:
        """Write the copy once per process. It lives as long as the worker: inside the worker's own local
        directory, which Dask removes when the worker stops (and purges after a crash, on the next start),
        so a task never finds its course gone because another client re-registered or removed the plugin."""
        if self.digest in _COURSES and _COURSES[self.digest].is_dir():
            return
        root = Path(tempfile.mkdtemp(prefix="grader-course-", dir=getattr(worker, "local_directory", None)))   # 0700
        for relative, data in self.files.items():
            path = root / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        _COURSES[self.digest] = root


def _exercise(digest: str, exercise_id: str) -> Exercise:
    key = (digest, exercise_id)
    if key not in _EXERCISES:
        if digest not in _COURSES:
            raise WorkerUnfit(f"this worker holds no copy of course {digest[:12]} (its plugin was removed)")
        _EXERCISES[key] = load_course(_COURSES[digest] / MANIFEST_NAME, files_of=exercise_id).exercise(exercise_id)
    return _EXERCISES[key]


def _launcher(exercise: Exercise, strong: bool) -> Launcher:
    from grader.batch.runner import batch_launcher
    from grader.sandbox.launchers import bwrap_problem

    key = (exercise.requires, strong)
    if key not in _LAUNCHERS:
        problem = bwrap_problem() if strong else None
        if problem:
            raise WorkerUnfit(f"this worker cannot sandbox submissions: {problem}")
        _LAUNCHERS[key] = batch_launcher(exercise, strong)
    return _LAUNCHERS[key]


def grade_item(item: WorkItem) -> bytes:
    """Grade one submission; the feedback document as UTF-8 JSON."""
    from grader.grading.engine import grade

    with _ONE_AT_A_TIME:
        exercise = _exercise(item.course, item.exercise)
        launcher = _launcher(exercise, item.strong)
        with tempfile.TemporaryDirectory(prefix="grader-task-") as folder:
            feedback = grade(exercise, materialize(item, Path(folder)), seed=item.seed, launcher=launcher)
    return json.dumps(feedback.to_dict(), ensure_ascii=False).encode()
