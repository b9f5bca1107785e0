"""Grade one submission of one exercise: sandbox session + the checks called by the grader's runner -> Feedback.

The checks run in this (trusted) process (`check_runner`); the submission runs in the child behind
`SandboxSession`. Whatever goes wrong inside the grader still yields a schema-valid feedback
document whose status says the grader failed, so a student is never blamed for our bugs.
"""

from __future__ import annotations

import contextlib
import dataclasses
import shutil
import sys
import tempfile
import time
import traceback
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Iterator, Protocol, runtime_checkable

from grader import __version__
from grader.course.model import Exercise, Limits
from grader.errors import debugging
from grader.feedback.bounds import bounded
from grader.feedback.model import Feedback, OutputTail, SubmissionInfo, schema_errors
from grader.outcomes import Outcome, Status
from grader.labcode.handin import Prepared, prepare
from grader.labcode.snapshot import snapshot
from grader.labcode.submission import SubmissionRefused, TooLarge, course_key, sandbox_seed, seed_for
from grader.grading.proxy import Session, SubmissionProxy, failure_for, line_of_file
from grader.grading.checkrun import CheckRun
from grader.outcomes import Isolation
from grader.sandbox.launchers import choose_launcher
from grader.sandbox.session import Launcher, RefusedSubmission, SandboxSession, SessionReport


@runtime_checkable
class OpensSessions(Protocol):
    """A launcher that answers calls itself, without a child process (`grader.sandbox.fake.ScriptedLauncher`)."""

    isolation: Isolation

    def open_session(self, submission: Path, limits: Limits, deadline: float) -> Session: ...


def run_checks(exercise: Exercise, proxy: SubmissionProxy, seed: int, include_hidden: bool,
               only: str | None = None) -> CheckRun:
    """Run the exercise's check files in this process (read once per process) and collect the verdicts."""
    files, hidden, reference, rootdir = _check_files(exercise, include_hidden)
    from grader.grading.check_runner import runner_for   # numpy and pytest, imported only now: the sandbox is starting

    run = runner_for(files, hidden, reference, rootdir, only).run(proxy, seed)
    problems = list(run.problems)
    if not run.collected:
        problems.append(f"no checks were found in {', '.join(map(str, files))}")
    problems += [f"check {result.id} broke: {result.internal_error}" for result in run.results if result.internal_error]
    if include_hidden and hidden is not None and only is None:
        total = sum(points for _, points in run.collected)
        if abs(total - exercise.points) > 1e-9:
            problems.append(f"the checks of {exercise.id} are worth {total:g} points but course.yaml (line "
                            f"{exercise.manifest_line}) says {exercise.points:g}; make them agree")
    return CheckRun(run.results, tuple(problems), run.collected)


def _check_files(exercise: Exercise, include_hidden: bool) -> tuple[list[Path], Path | None, Path | None, Path]:
    """The check files to run, the hidden ones among them, the reference they may use, the course's root."""
    files = exercise.check_files() if include_hidden else [exercise.public_checks]
    hidden = exercise.hidden_checks if exercise.hidden_checks in files else None
    return files, hidden, exercise.reference_path if hidden else None, exercise.exercise_dir.parent.parent


def collect_checks(exercise: Exercise, include_hidden: bool = True) -> None:
    """Read the exercise's checks now, for the gradings to come (a batch worker does, while its warm
    template starts)."""
    from grader.grading.check_runner import runner_for

    runner_for(*_check_files(exercise, include_hidden))


def _prepare_copy(exercise: Exercise, submission: Path, workspace: Path, cells: str | None) -> Prepared:
    """Read the submission once into the workspace (never through a link) and prepare that copy, so what is
    hashed, recorded and graded are the same bytes whatever happens to the original meanwhile."""
    try:
        copy = snapshot(submission, workspace / "handed-in", exercise.limits.max_file_kib)
    except SubmissionRefused as exc:
        return Prepared(SubmissionInfo(str(submission), "", exc.size if isinstance(exc, TooLarge) else 0), str(exc))
    except OSError as exc:
        return Prepared(SubmissionInfo(str(submission), "", 0), f"the file cannot be read ({exc.strerror or exc})")
    prepared = prepare(exercise, copy, workspace, cells)
    return dataclasses.replace(prepared, info=dataclasses.replace(prepared.info, path=str(submission)))


def grade(exercise: Exercise, submission: Path, *, seed: int | None = None, launcher: Launcher | None = None,
          include_hidden: bool = True, only: str | None = None, cells: str | None = None,
          seed_key: bytes | None = None) -> Feedback:
    """Grade `submission` (a .py file, a notebook, or a folder or zip with helper modules) as `exercise`.
    Never raises for anything the submission does. `cells="all"` runs every statement of the file.

    Without a `seed`, the seed is keyed with `seed_key` (a batch's) or else the course's key, over the sha256 of
    the bytes actually graded."""
    started_at = datetime.now(timezone.utc).isoformat(timespec="seconds")
    clock = time.monotonic()
    launcher = launcher or choose_launcher()
    submission = Path(submission)
    hidden_run = include_hidden and exercise.hidden_checks.is_file()
    workspace = Path(tempfile.mkdtemp(prefix="grader-submission-"))
    try:
        prepared = _prepare_copy(exercise, submission, workspace, cells)
    except Exception as exc:  # noqa: BLE001 - a grader bug must still produce a document
        shutil.rmtree(workspace, ignore_errors=True)
        _traceback_when_debugging(exc)
        return grader_failure(exercise, SubmissionInfo(str(submission), "", 0), seed or 0, launcher, started_at,
                              _seconds_since(clock), f"{type(exc).__name__}: {exc}", hidden_run)
    info, locate = prepared.info, prepared.locate
    if seed is None:
        seed = seed_for(seed_key or course_key(exercise), exercise.id, info.sha256)
    try:
        session, proxy = _session_for(prepared, submission, exercise.limits, launcher,
                                      clock + exercise.limits.total_seconds, seed)
        try:
            run = run_checks(exercise, proxy, seed, include_hidden, only)
        finally:
            report = session.close()
        deadline_reached = time.monotonic() - clock >= exercise.limits.total_seconds
        status, message = _status(run, report, deadline_reached, locate)
        message = " ".join([message, *prepared.notes])
        duration_s = _seconds_since(clock)
        student_s = round(min(report.student_s, duration_s), 3)
        feedback = Feedback(
            exercise=exercise.id, exercise_title=exercise.title, status=status, message=message,
            checks=run.results, submission=info, seed=seed, isolation=report.isolation,
            started_at=started_at, duration_s=duration_s, output=_output(report),
            grader_version=__version__, hidden_checks_run=hidden_run,
            grader_error="; ".join(run.problems)[:4000] if run.problems else None,
            student_s=student_s, grader_s=round(duration_s - student_s, 3),
        )
        feedback = bounded(feedback)
        document = feedback.to_dict()
        invalid = schema_errors(document)
        if invalid:
            raise ValueError("the feedback document breaks its schema: " + "; ".join(invalid[:5]))
        return feedback
    except Exception as exc:  # noqa: BLE001 - a grader bug must still produce a document
        _traceback_when_debugging(exc)
        return grader_failure(exercise, info, seed, launcher, started_at, _seconds_since(clock),
                              f"{type(exc).__name__}: {exc}", hidden_run)
    finally:
        shutil.rmtree(workspace, ignore_errors=True)


@contextlib.contextmanager
def submission_proxy(exercise: Exercise, submission: Path, *, seed: int | None = None,
                     launcher: Launcher | None = None, cells: str | None = None) -> Iterator[tuple[SubmissionProxy, int]]:
    """The `submission` checks call, and the seed `grade` would use, for checks run outside `grade` (the authors'
    pytest plugin): the same copy, reading and sandbox; a refused or broken file fails each call as it would."""
    launcher = launcher or choose_launcher()
    workspace = Path(tempfile.mkdtemp(prefix="grader-submission-"))
    try:
        prepared = _prepare_copy(exercise, Path(submission), workspace, cells)
        if seed is None:
            seed = seed_for(course_key(exercise), exercise.id, prepared.info.sha256)
        session, proxy = _session_for(prepared, Path(submission), exercise.limits, launcher,
                                      time.monotonic() + exercise.limits.total_seconds, seed)
        try:
            yield proxy, seed
        finally:
            session.close()
    finally:
        shutil.rmtree(workspace, ignore_errors=True)


def _session_for(prepared: Prepared, submission: Path, limits: Limits, launcher: Launcher,
                 deadline: float, seed: int) -> tuple[Session, SubmissionProxy]:
    """The prepared submission's session, started, and the proxy the checks call it through; the submission's own
    random generators are seeded from the grading's seed before each call (`sandbox_seed`)."""
    session = _open_session(prepared.module_path or submission, limits, launcher, deadline, prepared.refusal)
    if isinstance(session, SandboxSession):
        session.call_seed = sandbox_seed(seed)
        session.start()   # the child boots and imports the file while the checks are collected
    proxy = SubmissionProxy(session, prepared.locate, prepared.defined_in, prepared.expected, prepared.submitted,
                            prepared.module.text if prepared.module is not None else "")
    return session, proxy


def _open_session(module_path: Path, limits: Limits, launcher: Launcher, deadline: float,
                  refusal: str | None) -> Session:
    if refusal:
        return RefusedSubmission(refusal, launcher)
    if isinstance(launcher, OpensSessions):
        return launcher.open_session(module_path, limits, deadline)
    return SandboxSession(module_path, limits, launcher, deadline=deadline)


def _traceback_when_debugging(exc: Exception) -> None:
    """GRADER_DEBUG=1 (as `grade` and run_autograder read it): the traceback of a failure of ours on stderr; the
    feedback keeps its one line."""
    if debugging():
        traceback.print_exception(exc, file=sys.stderr)


def _seconds_since(clock: float) -> float:
    """Rounded as the document writes it, so a feedback read back equals the one written."""
    return round(time.monotonic() - clock, 3)


def grader_failure(exercise: Exercise, info: SubmissionInfo, seed: int, launcher: Launcher, started_at: str,
                   duration_s: float, error: str, hidden_run: bool) -> Feedback:
    return bounded(Feedback(
        exercise=exercise.id, exercise_title=exercise.title, status=Status.GRADER_FAILED,
        message="The grader failed while grading this submission; this is not your fault. Please report it.",
        checks=(), submission=info, seed=seed, isolation=launcher.isolation, started_at=started_at,
        duration_s=duration_s, output=OutputTail("", "", 0, 0, False), grader_version=__version__,
        hidden_checks_run=hidden_run, grader_error=error[:4000],
    ))


def _status(run: CheckRun, report: SessionReport, deadline_reached: bool,
            locate: Callable[[int], str] = line_of_file) -> tuple[Status, str]:
    passed = sum(1 for result in run.results if result.outcome is Outcome.PASSED)
    summary = f"{passed} of {len(run.results)} checks passed."
    if run.problems:
        return Status.GRADER_FAILED, "The grader failed while grading this submission; this is not your fault. Please report it."
    if report.import_failure is not None:
        message = failure_for("your file", report.import_failure, locate).message
        return Status.SUBMISSION_BROKEN, message[:1].upper() + message[1:]
    if deadline_reached:
        return Status.TIMED_OUT, f"Grading stopped at its time limit; checks that did not finish score 0. {summary}"
    return Status.GRADED, summary


def _output(report: SessionReport) -> OutputTail:
    return OutputTail(report.stdout, report.stderr, report.stdout_bytes, report.stderr_bytes, report.truncated)
