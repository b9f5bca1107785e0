"""Fakes for the service's logic tests: a grader that answers in microseconds, feedback documents made up
directly, and the database fixtures (SQLite in a temporary folder, or a fresh database on a real PostgreSQL)."""

from __future__ import annotations

import threading
from concurrent.futures import Future
from pathlib import Path

from grader.batch.runner import Job
from grader.course.model import Exercise
from grader.feedback.model import Feedback, OutputTail, SubmissionInfo
from grader.feedback.results import CheckResult
from grader.outcomes import Isolation, Outcome, Status


def made_up_feedback(exercise: Exercise, job: Job, status: Status = Status.GRADED, passed: bool = True) -> Feedback:
    check = CheckResult("hidden/made_up", "a made-up check", "hidden", 2.0, Outcome.PASSED if passed else Outcome.FAILED,
                        "" if passed else "wrong")
    return Feedback(exercise=exercise.id, exercise_title=exercise.title, status=status, message="made up",
                    checks=(check,), submission=SubmissionInfo(job.path, job.sha256, 1), seed=1,
                    isolation=Isolation("scripted", True, "none", ()), started_at="2026-01-01T00:00:00+00:00",
                    duration_s=0.001, output=OutputTail("", "", 0, 0, False), grader_version="test",
                    hidden_checks_run=True)


class FakeGrader:
    """Grades at once (or when released), recording the order of students it was given; `script` maps a
    student to what their gradings do: "fail" (a grader failure), "break" (the worker dies), "raise", "refuse"
    (submitting raises)."""

    def __init__(self, script: dict[str, list[str]] | None = None, hold: bool = False) -> None:
        self.order: list[str] = []
        self.script = {student: list(steps) for student, steps in (script or {}).items()}
        self.hold = hold
        self.held: list[tuple[Future, Exercise, Job]] = []
        self.broken_count = 0
        self.lock = threading.Lock()

    def submit(self, exercise: Exercise, job: Job) -> Future:
        future: Future = Future()
        with self.lock:
            self.order.append(job.student)
            steps = self.script.get(job.student)
            if steps and steps[0] == "refuse":   # the pool broke before anyone noticed: submit itself raises
                steps.pop(0)
                from concurrent.futures.process import BrokenProcessPool

                raise BrokenProcessPool("the pool is broken")
            if self.hold:
                self.held.append((future, exercise, job))
                return future
        self._answer(future, exercise, job)
        return future

    def release(self) -> None:
        with self.lock:
            held, self.held = self.held, []
        for future, exercise, job in held:
            self._answer(future, exercise, job)

    def _answer(self, future: Future, exercise: Exercise, job: Job) -> None:
        steps = self.script.get(job.student)
        step = steps.pop(0) if steps else "ok"
        if step == "break":
            from concurrent.futures.process import BrokenProcessPool

            future.set_exception(BrokenProcessPool("a worker died"))
        elif step == "raise":
            future.set_exception(RuntimeError("boom"))
        elif step == "fail":
            future.set_result((job, made_up_feedback(exercise, job, Status.GRADER_FAILED)))
        else:
            assert Path(job.path).is_file(), "the grader is given the stored file"
            future.set_result((job, made_up_feedback(exercise, job)))

    def broken(self, exercise: Exercise) -> None:
        self.broken_count += 1

    def close(self) -> None:
        pass
