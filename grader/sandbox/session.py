"""The trusted side of the boundary: one submission's child process behind one small interface.

`SandboxSession.call(name, args)` runs a function of the submission in the child and returns a
`CallResult` holding decoded plain data or the reason there is none. A child that hangs,
crashes or misbehaves is killed and replaced on the next call; the checks never see a process.
How the child is started (plain process now, namespaces later) is a `Launcher`'s job.
"""

from __future__ import annotations

import os
import secrets
import select
import signal
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any, Protocol

from grader.course.model import Limits
from grader.sandbox import wire
from grader.sandbox.guard import Guard, kill_group
from grader.outcomes import Isolation, Limit
from grader.sandbox.launchers import ChildProcess, ChildSpec, PlainProcessLauncher, Spawned
from grader.sandbox.policy import SETUP_EXIT_MEANINGS, SIGNAL_EXIT_BASE
from grader.sandbox.output import TailBuffer, drain


SETUP_TIMEOUT_S = 60.0   # for the sandbox's own set-up, before any student code runs (not the student's time)


class SandboxSetupFailed(RuntimeError):
    """The sandbox could not be set up: the grader's failure, known from a channel no student code can write."""


class CallStatus(str, Enum):
    OK = "ok"
    RAISED = "raised"                  # the function raised an exception
    EXITED = "exited"                  # the function called sys.exit()
    MISSING = "missing"                # no such function in the submission
    UNSUPPORTED = "unsupported"        # the value returned may not cross the boundary
    NOT_IMPORTABLE = "not_importable"  # the submission failed while being imported
    TIMEOUT = "timeout"
    MEMORY = "memory"
    CRASHED = "crashed"
    PROTOCOL = "protocol"              # the child sent bytes that are not a bounded, well-formed answer
    DEADLINE = "deadline"              # the whole grading's time is used up; the call was not made
    BROKEN_FILE = "broken_file"        # with NOT_IMPORTABLE: the file was refused before any process ran


@dataclass(frozen=True)
class ErrorInfo:
    type: str
    message: str
    line: int | None = None


@dataclass(frozen=True)
class CallResult:
    status: CallStatus
    value: Any = None
    args_after: list | None = None
    error: ErrorInfo | None = None
    detail: str = ""
    import_status: CallStatus | None = None   # with NOT_IMPORTABLE: what went wrong during import
    limit: Limit | None = None                # which limit stopped the call

    @property
    def ok(self) -> bool:
        return self.status is CallStatus.OK


@dataclass(frozen=True)
class SessionReport:
    isolation: Isolation
    stdout: str
    stderr: str
    stdout_bytes: int
    stderr_bytes: int
    truncated: bool
    children_started: int
    import_failure: CallResult | None
    student_s: float = 0.0   # time the submission's own code ran (importing it, its calls), as far as we can tell


class Launcher(Protocol):
    isolation: Isolation

    def spawn(self, spec: ChildSpec) -> Spawned:
        ...


@dataclass
class _Child:
    process: ChildProcess
    guard: Guard
    request_fd: int
    response_fd: int


@dataclass(frozen=True)
class _Launched:
    started: float
    deadline: float
    go_ahead_failed: bool = False


@dataclass
class _GradingDeadline:
    deadline: float

    def remaining(self) -> float:
        return self.deadline - time.monotonic()


class SandboxSession:
    """Runs calls into one submission, each in a child that is replaced when it dies or hangs."""

    def __init__(self, submission: Path, limits: Limits, launcher: Launcher | None = None,
                 deadline: float | None = None) -> None:
        self.submission = Path(submission).resolve()
        self.limits = limits
        self.launcher = launcher or PlainProcessLauncher()
        self._isolation = self.launcher.isolation
        self._budget = _GradingDeadline(deadline if deadline is not None else time.monotonic() + limits.total_seconds)
        self._scratch = Path(tempfile.mkdtemp(prefix="grader-scratch-"))
        self._stdout = TailBuffer(limits.output_kib * 1024)
        self._stderr = TailBuffer(limits.output_kib * 1024)
        self._child: _Child | None = None
        self.call_seed: int | None = None   # the submission's generators are seeded with it before each call
        self._import_failure: CallResult | None = None
        self._children_started = 0
        self._drains: list = []
        self._student_s = 0.0
        self._launched: _Launched | None = None   # a child given the go-ahead, not yet heard from

    # ------------------------------------------------------------------ public

    def call(self, function: str, args: tuple | list = (), kwargs: dict | None = None,
             *, return_args: bool = False) -> CallResult:
        if self._import_failure is not None:
            return self._import_failure
        if self._budget.remaining() <= 0:
            return CallResult(CallStatus.DEADLINE, detail="the time for grading this submission is used up", limit=Limit.GRADING_TIME)
        if self._child is None or self._launched is not None:
            failure = self._start_child()
            if failure is not None:
                self._import_failure = failure
                return failure
        assert self._child is not None
        try:
            request = {"function": function, "args": wire.encode(list(args)),
                       "kwargs": wire.encode(dict(kwargs or {})), "return_args": return_args}
            if self.call_seed is not None:
                request["seed"] = self.call_seed
        except wire.Unsupported as exc:  # a check passed something odd: that is our bug
            raise TypeError(f"check arguments are not plain data: {exc}") from None
        return self._exchange(request)

    def close(self) -> SessionReport:
        self._kill_child()
        for thread in self._drains:
            thread.join(timeout=2)
        shutil.rmtree(self._scratch, ignore_errors=True)
        return SessionReport(
            isolation=self._isolation,
            stdout=self._stdout.text(),
            stderr=self._stderr.text(),
            stdout_bytes=self._stdout.total,
            stderr_bytes=self._stderr.total,
            truncated=self._stdout.truncated or self._stderr.truncated,
            children_started=self._children_started,
            import_failure=self._import_failure,
            student_s=self._student_s,
        )

    def __enter__(self) -> "SandboxSession":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # ------------------------------------------------------------------ child lifecycle

    def start(self) -> None:
        """Start the child now, so that it boots and imports the submission while the checks are collected.
        Whatever goes wrong here happens again, and is reported, on the first call."""
        if self._child is not None or self._import_failure is not None or self._budget.remaining() <= 0:
            return
        try:
            self._launch()
        except Exception:  # noqa: BLE001 - the first call starts a child afresh and reports its failure
            self._launched = None
            self._kill_child()

    def _start_child(self) -> CallResult | None:
        """Start a child (unless `start` did) and wait for it to import the submission; a failure is final."""
        if self._launched is None:
            self._launch()
        return self._await_ready()

    def _launch(self) -> None:
        """Spawn a child and give it the go-ahead to import the submission."""
        request_read, request_write = os.pipe()
        response_read, response_write = os.pipe()
        spec = ChildSpec(self.submission, self._scratch, request_read, response_write, self.limits)
        try:
            spawned = self.launcher.spawn(spec)
        except BaseException:
            for fd in (request_write, response_read):
                os.close(fd)
            raise
        finally:
            os.close(request_read)
            os.close(response_write)
        process = spawned.process
        self._isolation = spawned.isolation
        self._children_started += 1
        self._child = _Child(process, spawned.guard, request_write, response_read)
        self._drains += [drain(process.stdout, self._stdout), drain(process.stderr, self._stderr)]
        started = time.monotonic()
        deadline = started + min(self.limits.call_seconds, max(self._budget.remaining(), 0))
        try:
            wire.write_frame(request_write, {"import": True})
            self._launched = _Launched(started, deadline)
        except OSError:   # the child died before reading the go-ahead
            self._launched = _Launched(started, deadline, go_ahead_failed=True)

    def _await_ready(self) -> CallResult | None:
        """Wait for the launched child to import the submission; a failure is final for the session."""
        launched, self._launched = self._launched, None
        assert launched is not None and self._child is not None
        started, response_read = launched.started, self._child.response_fd
        self._await_sandbox(launched)
        set_up = time.monotonic()
        deadline = max(launched.deadline, set_up + min(self.limits.call_seconds, max(self._budget.remaining(), 0)))
        try:
            ready = wire.read_frame(response_read, deadline)
        except wire.FrameTimeout:
            self._count_student_time(started, None)
            self._kill_child()
            return self._not_importable(CallStatus.TIMEOUT, f"importing your file took longer than {self.limits.call_seconds:g} s")
        except (wire.ChannelClosed, OSError):  # OSError: the child died before reading the go-ahead
            self._count_student_time(started, None)
            lost = self._lost_child(self._death_detail())
            if lost.status is CallStatus.CRASHED and lost.limit is None:
                return self._not_importable(CallStatus.CRASHED, f"the process died while importing your file ({lost.detail})")
            return self._not_importable(lost.status, lost.detail)
        except wire.WireError as exc:
            self._kill_child()
            return self._not_importable(CallStatus.PROTOCOL, f"sent malformed data while importing ({exc})")
        self._count_student_time(started, ready.get("elapsed"))
        if ready.get("ready") is True:
            return None
        self._kill_child()
        status = {"memory": CallStatus.MEMORY, "exited": CallStatus.EXITED}.get(str(ready.get("status")), CallStatus.RAISED)
        return self._not_importable(status, "", _error_info(ready.get("error")))

    def _await_sandbox(self, launched: _Launched) -> None:
        """Wait for the child's first frame, which it writes once the sandbox is set up and before any student
        code runs. Whatever stops it arriving (a launcher's shell, bubblewrap, confinement, a cgroup) is ours."""
        assert self._child is not None
        why = None
        try:
            if launched.go_ahead_failed:
                raise wire.ChannelClosed("the child died before the go-ahead")
            first = wire.read_frame(self._child.response_fd, launched.started + SETUP_TIMEOUT_S)
            if first != wire.SANDBOX_READY:
                why = "its first message was not the sandbox's"
        except wire.FrameTimeout:
            why = f"it was not ready within {SETUP_TIMEOUT_S:g} s"
        except (wire.ChannelClosed, OSError):
            why = self._setup_death()
        except wire.WireError as exc:
            why = f"it sent malformed data ({exc})"
        if why is not None:
            self._kill_child()
            raise SandboxSetupFailed(f"the sandbox could not be set up for your code: {why}")

    def _setup_death(self) -> str:
        """Why a child died before any student code ran, from its exit status."""
        assert self._child is not None
        try:
            returncode = self._child.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            return "it closed its channel"
        if returncode in SETUP_EXIT_MEANINGS:
            return SETUP_EXIT_MEANINGS[returncode]
        number = self._signal_of(returncode)
        return f"it was killed by signal {number}" if number is not None else f"it exited with code {returncode}"

    def _count_student_time(self, started: float, reported: object) -> None:
        """The child says how long the student's code ran; it is believed up to the time measured here, and
        a child that gave no answer (it hung, crashed or lied about its type) spent all of it."""
        measured = time.monotonic() - started
        if isinstance(reported, (int, float)) and not isinstance(reported, bool) and 0 <= reported < measured:
            measured = float(reported)   # NaN fails both comparisons
        self._student_s += measured

    def _not_importable(self, status: CallStatus, detail: str, error: ErrorInfo | None = None) -> CallResult:
        return CallResult(CallStatus.NOT_IMPORTABLE, error=error, detail=detail, import_status=status)

    def _exchange(self, request: dict) -> CallResult:
        """Send one request; a child that answers out of turn, or died since its last answer, is replaced
        and the request retried once, so a call is never blamed for what an earlier call did."""
        for _ in range(2):
            result = self._exchange_once(request)
            if result is not None:
                return result
            failure = self._start_child()
            if failure is not None:
                self._import_failure = failure
                return failure
        self._kill_child()
        return CallResult(CallStatus.PROTOCOL, detail="its process kept dying or answering out of turn")

    def _exchange_once(self, request: dict) -> CallResult | None:
        """The call's result, or None when the child sent a frame that answers no request of ours."""
        child = self._child
        assert child is not None
        if child.process.poll() is not None:
            self._kill_child()
            return None   # died after its last answer (for example by killing its parent): start afresh
        # A fresh random id per request: code in the child cannot answer a request before it is made.
        request["id"] = secrets.token_hex(8)
        started = time.monotonic()
        try:
            wire.write_frame(child.request_fd, request)
        except OSError:
            self._kill_child()
            return None
        call_limit = self.limits.call_seconds
        deadline = time.monotonic() + min(call_limit, max(self._budget.remaining(), 0))
        try:
            answer = wire.read_frame(child.response_fd, deadline)
        except wire.FrameTimeout:
            self._count_student_time(started, None)
            hit = child.guard.limit_hit()
            if hit is not None:   # the guard killed it as its time ran out (a loaded machine): the limit is the cause
                return self._lost_child(hit.detail)
            budget_out = self._budget.remaining() <= 0
            self._kill_child()
            if budget_out:
                return CallResult(CallStatus.TIMEOUT, detail="the time for grading this submission ran out during this call",
                                  limit=Limit.GRADING_TIME)
            return CallResult(CallStatus.TIMEOUT, detail=f"the call did not finish within {call_limit:g} s", limit=Limit.WALL_TIME)
        except wire.ChannelClosed:
            self._count_student_time(started, None)
            return self._lost_child(self._death_detail())
        except wire.WireError as exc:
            self._kill_child()
            return CallResult(CallStatus.PROTOCOL, detail=str(exc))
        if answer.get("id") != request["id"]:
            self._kill_child()
            return None
        self._count_student_time(started, answer.get("elapsed"))
        result = self._interpret(answer)
        if self._child is not None and select.select([child.response_fd], [], [], 0)[0]:
            self._kill_child()   # more frames than answers: the next call gets a clean process
        return result

    def _interpret(self, answer: dict) -> CallResult:
        status = answer.get("status")
        error = _error_info(answer.get("error"))
        if status == "ok":
            try:
                value = wire.decode(answer.get("value"))
                args_after = wire.decode(answer["args_after"]) if "args_after" in answer else None
            except wire.WireError as exc:
                return CallResult(CallStatus.UNSUPPORTED, error=ErrorInfo("Unsupported", str(exc)))
            except RecursionError:
                return CallResult(CallStatus.UNSUPPORTED, error=ErrorInfo("Unsupported", "the value is nested too deeply"))
            return CallResult(CallStatus.OK, value=value, args_after=args_after)
        if status in ("file_size", "scratch_space"):
            return CallResult(CallStatus.RAISED, error=error, limit=Limit(status))
        hit = self._child.guard.limit_hit() if self._child is not None else None
        if hit is not None and status in ("raised", "memory"):
            # The code caught the failure of fork() or of an allocation: the limit still caused it.
            self._kill_child()
            if hit.limit is Limit.MEMORY:
                return CallResult(CallStatus.MEMORY, error=error, detail=hit.detail, limit=Limit.MEMORY)
            return CallResult(CallStatus.CRASHED, error=error, detail=hit.detail, limit=hit.limit)
        try:
            known = CallStatus(status)
        except ValueError:
            known = CallStatus.PROTOCOL
        if known in (CallStatus.OK, CallStatus.TIMEOUT, CallStatus.CRASHED, CallStatus.DEADLINE, CallStatus.NOT_IMPORTABLE):
            known = CallStatus.PROTOCOL
        if known is CallStatus.MEMORY:
            self._kill_child()  # a process that hit its memory limit is not trusted to be sane afterwards
            return CallResult(known, error=error, limit=Limit.MEMORY)
        return CallResult(known, error=error)

    def _lost_child(self, detail: str) -> CallResult:
        """The child died during a call: say which limit killed it, if one did."""
        child = self._child
        signal_number = self._signal_of(child.process.poll()) if child else None
        hit = child.guard.limit_hit() if child else None
        self._kill_child()
        if hit is not None and hit.limit is Limit.MEMORY:
            return CallResult(CallStatus.MEMORY, detail=hit.detail, limit=Limit.MEMORY)
        if hit is not None:
            return CallResult(CallStatus.CRASHED, detail=hit.detail, limit=hit.limit)
        if signal_number == signal.SIGXCPU:
            return CallResult(CallStatus.TIMEOUT, detail="it used up its CPU time allowance", limit=Limit.CPU_TIME)
        if signal_number == signal.SIGXFSZ:
            return CallResult(CallStatus.CRASHED, detail="it wrote a file larger than allowed", limit=Limit.FILE_SIZE)
        return CallResult(CallStatus.CRASHED, detail=detail)

    def _signal_of(self, returncode: int | None) -> int | None:
        """A negative code is a signal; bubblewrap reports a child's signal N as exit code 128 + N."""
        if returncode is None:
            return None
        if returncode < 0:
            return -returncode
        if self._isolation.mode == "bwrap" and SIGNAL_EXIT_BASE < returncode < SIGNAL_EXIT_BASE + 65:
            return returncode - SIGNAL_EXIT_BASE
        return None

    def _death_detail(self) -> str:
        if self._child is None:
            return "no process"
        process = self._child.process
        try:
            returncode = process.wait(timeout=1)
        except subprocess.TimeoutExpired:
            return "it stopped answering"
        number = self._signal_of(returncode)
        if number is not None:
            try:
                name = signal.Signals(number).name
            except ValueError:
                name = f"signal {number}"
            return f"killed by {name}"
        return f"exited with code {returncode}"

    def _kill_child(self) -> None:
        self._launched = None
        child, self._child = self._child, None
        if child is None:
            return
        kill_group(child.process.pid)
        try:
            child.process.kill()
        except ProcessLookupError:
            pass
        child.guard.kill_all()
        try:
            child.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass
        child.guard.close()
        for fd in (child.request_fd, child.response_fd):
            try:
                os.close(fd)
            except OSError:
                pass


def _error_info(data: Any) -> ErrorInfo | None:
    if type(data) is not dict:
        return None
    kind = data.get("type")
    message = data.get("message")
    line = data.get("line")
    return ErrorInfo(
        type=kind[:100] if type(kind) is str else "Exception",
        message=message[:2000] if type(message) is str else "",
        line=line if type(line) is int else None,
    )


class RefusedSubmission:
    """Stands in for a session when the file was refused before any process started."""

    def __init__(self, reason: str, launcher: Launcher | None = None) -> None:
        self._isolation = (launcher or PlainProcessLauncher()).isolation
        self._failure = CallResult(CallStatus.NOT_IMPORTABLE, detail=reason, import_status=CallStatus.BROKEN_FILE)

    def call(self, function: str, args: tuple | list = (), kwargs: dict | None = None,
             *, return_args: bool = False) -> CallResult:
        return self._failure

    def close(self) -> SessionReport:
        return SessionReport(self._isolation, "", "", 0, 0, False, 0, self._failure)
