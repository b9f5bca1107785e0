"""A running service: its database, its data folder, and the grading loop in a thread of its own.

The web layer calls `receive` to store and queue an upload and reads through `records`; the loop grades.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import Engine

from grader.batch.runner import seed_key
from grader.course.model import Exercise
from grader.service import queue
from grader.service.blobs import Blob
from grader.service.config import ServiceConfig
from grader.service.database import open_database
from grader.service.waiters import Waiters
from grader.service.worker import Grader, GradingLoop, PoolGrader, pools_for


@dataclass
class Service:
    config: ServiceConfig
    engine: Engine
    loop: GradingLoop
    waiters: Waiters = field(default_factory=Waiters)   # status requests waiting for a grading (?wait=S)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None
    clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc)   # the policies' time (tests set their own)

    @property
    def data_dir(self) -> Path:
        return self.config.data_dir

    def exercise(self, exercise_id: str) -> Exercise | None:
        for exercise in self.config.course.exercises:
            if exercise.id == exercise_id:
                return exercise
        return None

    def queue(self, student: str, exercise: Exercise, blob: Blob, original_name: str,
              received: datetime | None = None) -> int:
        """Queue a stored upload received at `received` (QueueFull, UnknownStudent, the exercise's policy's
        refusals) and wake the loop; the submission's id."""
        submission = queue.accept(self.engine, student, exercise.id, blob, original_name, self.config.queue_limit,
                                  policy=exercise, now=received or self.clock())
        self.loop.wake.set()
        return submission

    def start(self) -> None:
        self._thread = threading.Thread(target=self.loop.run, args=(self._stop,), name="grading-loop", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self.loop.wake.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
        self.loop.grader.close()
        self.engine.dispose()


def open_service(config: ServiceConfig, grader: Grader | None = None) -> Service:
    """The service on its data folder and database; `grader` defaults to grade batch's worker pools."""
    config.data_dir.mkdir(parents=True, exist_ok=True)
    config.data_dir.chmod(0o700)
    engine = open_database(config.db_url)
    grader = grader or PoolGrader(config.course.manifest_path, config.strong, config.jobs,
                                  pools_for(len(config.course.exercises), config.jobs))
    waiters = Waiters()
    loop = GradingLoop(engine, config.data_dir, config.course, grader, config.jobs, seed_key(config.data_dir),
                       on_recorded=waiters.recorded)
    return Service(config, engine, loop, waiters)
