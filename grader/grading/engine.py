"""Grade one submission of one exercise: sandbox session + checks under pytest -> Feedback.

The checks run in this (trusted) process under pytest; the submission runs in the child behind
`SandboxSession`. Whatever goes wrong inside the grader still yields a schema-valid feedback
document whose status says the grader failed, so a student is never blamed for our bugs.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import hmac
import os
import shutil
import stat
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Protocol, runtime_checkable

from grader import __version__
from grader.course.model import Exercise, Limits
from grader.feedback.bounds import bounded
from grader.feedback.model import Feedback, OutputTail, SubmissionInfo, schema_errors
from grader.outcomes import Outcome, Status
from grader.grading.checkrun import CheckRun
from grader.labcode.folder import FolderRefused
from grader.labcode.handin import Prepared, prepare
from grader.labcode.snapshot import TooLarge, snapshot, too_large
from grader.grading.proxy import Session, SubmissionProxy, failure_for, line_of_file
from grader.outcomes import Isolation
from grader.sandbox.launchers import choose_launcher
from grader.sandbox.session import Launcher, RefusedSubmission, SandboxSession, SessionReport


@runtime_checkable
class OpensSessions(Protocol):
    """A launcher that answers calls itself, without a child process (`grader.sandbox.fake.ScriptedLauncher`)."""

    isolation: Isolation

    def open_session(self, submission: Path, limits: Limits, deadline: float) -> Session: ...


HASH_CHUNK = 1 << 20


def file_sha256(path: Path) -> str:
    """The file's sha256, read in chunks so a huge file never sits in memory whole; OSError for a link, a FIFO
    or a device (put in the file's place since it was listed), which is never read and could block or be endless."""
    digest = hashlib.sha256()
    descriptor = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    with os.fdopen(descriptor, "rb") as stream:
        if not stat.S_ISREG(os.fstat(stream.fileno()).st_mode):
            raise OSError(f"{path.name} is not a regular file")
        while chunk := stream.read(HASH_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def inspect_file(path: Path, max_kib: int) -> tuple[SubmissionInfo, str | None]:
    """Say why the file cannot be run at all (unreadable, too large, binary, not UTF-8), judging its size
    before reading it, so a huge file costs no memory; hash what is read."""
    limit = max_kib * 1024
    try:
        status = os.stat(path)
        if not stat.S_ISREG(status.st_mode):
            return SubmissionInfo(path=str(path), sha256="", bytes=0), "the file cannot be read (it is not a regular file)"
        if status.st_size > limit:
            return SubmissionInfo(path=str(path), sha256="", bytes=status.st_size), too_large(status.st_size, max_kib)
        with open(path, "rb") as stream:
            data = stream.read(limit + 1)   # bounded even if the file grew after the stat
    except OSError as exc:
        return SubmissionInfo(path=str(path), sha256="", bytes=0), f"the file cannot be read ({exc.strerror or exc})"
    if len(data) > limit:
        return SubmissionInfo(path=str(path), sha256="", bytes=len(data)), too_large(len(data), max_kib)
    info = SubmissionInfo(path=str(path), sha256=hashlib.sha256(data).hexdigest(), bytes=len(data))
    if not data.strip():
        return info, "the file is empty: write your functions in it and grade again"
    if b"\x00" in data:
        return info, "the file contains NUL bytes, so it is not a Python text file (was a binary file saved under this name?)"
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return info, f"the file is not valid UTF-8 text (bad byte at position {exc.start}); save it as UTF-8"
    return info, None


def seed_for(key: bytes, exercise_id: str, sha256: str) -> int:
    """The hidden inputs' seed: the same file gets the same inputs under the same key, and without the key
    (which the sandbox never sees) a submission cannot compute them from its own bytes."""
    mac = hmac.new(key, f"{exercise_id}\n{sha256}".encode(), hashlib.sha256).digest()
    return int.from_bytes(mac[:4], "big")


def course_key(exercise: Exercise) -> bytes:
    """The key of single `grade` runs: the exercise's hidden checks and reference solution, which never enter
    the sandbox, so the seed is the same on every machine holding the course and unknown to the submission."""
    digest = hashlib.sha256(exercise.id.encode())
    for path in (exercise.hidden_checks, exercise.reference_path):
        with contextlib.suppress(OSError):
            digest.update(path.read_bytes())
    return digest.digest()


def run_checks(exercise: Exercise, proxy: SubmissionProxy, seed: int, include_hidden: bool,
               only: str | None = None) -> CheckRun:
    """Run the exercise's check files in this process and collect the verdicts: with this process's
    collected suite when the checks can be rerun item by item, else with a fresh pytest run."""
    files, hidden, reference, rootdir = _check_files(exercise, include_hidden)
    from grader.grading.suite import suite_for   # pytest, imported only now: the sandbox is already starting

    suite = suite_for(files, hidden, reference, rootdir, only)
    if suite is not None:
        run = suite.run(proxy, seed)
    else:
        run = _run_fresh_pytest(files, hidden, reference, rootdir, proxy, seed, only)
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
    """The check files to run, the hidden ones among them, the reference they may use, pytest's rootdir."""
    files = exercise.check_files() if include_hidden else [exercise.public_checks]
    hidden = exercise.hidden_checks if exercise.hidden_checks in files else None
    return files, hidden, exercise.reference_path if hidden else None, exercise.exercise_dir.parent.parent


def collect_checks(exercise: Exercise, include_hidden: bool = True) -> None:
    """Collect the exercise's checks now, for the gradings to come (a batch worker does, while its warm
    template starts)."""
    from grader.grading.suite import suite_for

    suite_for(*_check_files(exercise, include_hidden))


def _run_fresh_pytest(files: list[Path], hidden: Path | None, reference: Path | None, rootdir: Path,
                      proxy: SubmissionProxy, seed: int, only: str | None) -> CheckRun:
    """One `pytest.main` for one submission: for checks a suite cannot rerun, and to report collection errors."""
    import pytest

    from grader.grading.plugin import GradingPlugin
    from grader.grading.suite import forget_check_modules, pytest_arguments, quiet_pytest, seed_global_generators

    plugin = GradingPlugin(proxy, seed, hidden, reference, only)
    seed_global_generators(seed)
    forget_check_modules(files)
    try:
        with quiet_pytest() as pytest_output:
            exit_code = pytest.main(pytest_arguments(files, rootdir, "sys"), plugins=[plugin])
    finally:
        forget_check_modules(files)
    problems = list(plugin.collection_errors)
    if exit_code in (pytest.ExitCode.INTERNAL_ERROR, pytest.ExitCode.USAGE_ERROR, pytest.ExitCode.INTERRUPTED) \
            and not (only and not plugin.collected):
        problems.append(f"pytest stopped with {exit_code!r}: {pytest_output.getvalue()[-1500:]}")
    return CheckRun(tuple(plugin.results), tuple(problems), tuple(plugin.collected))


def _prepare_copy(exercise: Exercise, submission: Path, workspace: Path, cells: str | None) -> Prepared:
    """Read the submission once into the workspace (never through a link) and prepare that copy, so what is
    hashed, recorded and graded are the same bytes whatever happens to the original meanwhile."""
    try:
        copy = snapshot(submission, workspace / "handed-in", exercise.limits.max_file_kib)
    except FolderRefused as exc:
        return Prepared(SubmissionInfo(str(submission), "", exc.size if isinstance(exc, TooLarge) else 0), str(exc))
    except OSError as exc:
        return Prepared(SubmissionInfo(str(submission), "", 0), f"the file cannot be read ({exc.strerror or exc})")
    prepared = prepare(exercise, copy, workspace, inspect_file, cells)
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
        return grader_failure(exercise, SubmissionInfo(str(submission), "", 0), seed or 0, launcher, started_at,
                              _seconds_since(clock), f"{type(exc).__name__}: {exc}", hidden_run)
    info, refusal, locate = prepared.info, prepared.refusal, prepared.locate
    if seed is None:
        seed = seed_for(seed_key or course_key(exercise), exercise.id, info.sha256)
    try:
        session = _open_session(prepared.module_path or submission, exercise.limits, launcher,
                                clock + exercise.limits.total_seconds, refusal)
        if isinstance(session, SandboxSession):
            session.start()   # the child boots and imports the file while the checks are collected
        proxy = SubmissionProxy(session, locate, prepared.defined_in, prepared.expected, prepared.submitted,
                                prepared.module.text if prepared.module is not None else "")
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
        return grader_failure(exercise, info, seed, launcher, started_at, _seconds_since(clock),
                              f"{type(exc).__name__}: {exc}", hidden_run)
    finally:
        shutil.rmtree(workspace, ignore_errors=True)


def _open_session(module_path: Path, limits: Limits, launcher: Launcher, deadline: float,
                  refusal: str | None) -> Session:
    if refusal:
        return RefusedSubmission(refusal, launcher)
    if isinstance(launcher, OpensSessions):
        return launcher.open_session(module_path, limits, deadline)
    return SandboxSession(module_path, limits, launcher, deadline=deadline)


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
