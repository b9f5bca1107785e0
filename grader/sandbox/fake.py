"""A scripted sandbox for tests: calls are answered from a script, and no process ever starts.

As httpx tests swap a transport, tests of the plugin, the proxy, the engine, the exports and the
batch swap the sandbox: `ScriptedLauncher` stands where a `Launcher` stands (it has an `isolation`),
and the engine asks it for a `ScriptedSession` instead of starting a `SandboxSession`. Each answer
is the `CallResult` the real session would give: a value that crossed the wire, an exception of the
submission, a timeout, a crash, a limit hit, or an exception of the grader's own machinery.

    launcher = ScriptedLauncher({"sigmoid": returns(0.5), "relu": [raises("ValueError"), times_out()]})
    feedback = grade(exercise, path, launcher=launcher)

A name mapped to a list is answered from the list in order, its last answer repeating; a name the
script lacks is missing from the submission, as in a file that does not define it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Union

from grader.sandbox import wire
from grader.course.model import Limits
from grader.outcomes import Isolation, Limit
from grader.sandbox.launchers import ChildSpec, Spawned
from grader.sandbox.session import CallResult, CallStatus, ErrorInfo, SessionReport

__all__ = [
    "Answer", "Script", "ScriptedLauncher", "ScriptedSession", "compute", "crashes", "exits", "grader_bug",
    "missing", "not_importable", "out_of_memory", "raises", "returns", "stopped_by", "times_out",
]

# One answer: a result, a function of the call's (args, kwargs), or an exception the session itself raises.
Answer = Union[CallResult, Callable[[list, dict], CallResult], BaseException]
Script = Mapping[str, Union[Answer, Sequence[Answer]]]

SCRIPTED = Isolation(mode="scripted", strong=True, memory_limit="none", notes=("scripted answers; no process ran",))


def _crossed(value: Any) -> Any:
    """The value as the trusted side receives it: encoded by the child, decoded here."""
    return wire.decode(wire.encode(value))


def returns(value: Any) -> CallResult:
    """The function returned `value` (or, if it may not cross the boundary, what the session says then)."""
    try:
        return CallResult(CallStatus.OK, value=_crossed(value))
    except wire.Unsupported as exc:
        return CallResult(CallStatus.UNSUPPORTED, error=ErrorInfo("Unsupported", str(exc)))


def compute(function: Callable[..., Any]) -> Callable[[list, dict], CallResult]:
    """Answer by calling `function` here (a reference solution, say); what it raises is the submission's error."""

    def answer(args: list, kwargs: dict) -> CallResult:
        try:
            value = function(*args, **kwargs)
        except Exception as exc:  # noqa: BLE001 - the scripted submission's failure is data, as in the child
            return raises(type(exc).__name__, str(exc))
        result = returns(value)
        return CallResult(result.status, result.value, _crossed(args), result.error) if result.ok else result

    return answer


def raises(kind: str = "Exception", message: str = "", line: int | None = None) -> CallResult:
    return CallResult(CallStatus.RAISED, error=ErrorInfo(kind, message, line))


def exits(line: int | None = None) -> CallResult:
    return CallResult(CallStatus.EXITED, error=ErrorInfo("SystemExit", "", line))


def missing() -> CallResult:
    return CallResult(CallStatus.MISSING, error=ErrorInfo("AttributeError", "no such function"))


def times_out(seconds: float = 10.0) -> CallResult:
    return CallResult(CallStatus.TIMEOUT, detail=f"the call did not finish within {seconds:g} s", limit=Limit.WALL_TIME)


def crashes(detail: str = "killed by SIGSEGV") -> CallResult:
    return CallResult(CallStatus.CRASHED, detail=detail)


def out_of_memory(detail: str = "it used more memory than allowed and was killed") -> CallResult:
    return CallResult(CallStatus.MEMORY, detail=detail, limit=Limit.MEMORY)


def stopped_by(limit: Limit) -> CallResult:
    """What the real session reports when `limit` stops a call."""
    if limit is Limit.MEMORY:
        return out_of_memory()
    if limit is Limit.WALL_TIME:
        return times_out()
    if limit is Limit.GRADING_TIME:
        return CallResult(CallStatus.TIMEOUT, detail="the time for grading this submission ran out during this call",
                          limit=limit)
    if limit is Limit.CPU_TIME:
        return CallResult(CallStatus.TIMEOUT, detail="it used up its CPU time allowance", limit=limit)
    if limit in (Limit.FILE_SIZE, Limit.SCRATCH_SPACE):
        return CallResult(CallStatus.RAISED, error=ErrorInfo("OSError", "limit reached"), limit=limit)
    return CallResult(CallStatus.CRASHED, detail="it tried to start more processes than allowed", limit=limit)


def not_importable(status: CallStatus = CallStatus.RAISED, detail: str = "", error: ErrorInfo | None = None) -> CallResult:
    """The submission failed while being imported (`status` says how); every call then gets this answer."""
    return CallResult(CallStatus.NOT_IMPORTABLE, error=error, detail=detail, import_status=status)


def grader_bug(message: str = "the sandbox's machinery broke", kind: type[Exception] = RuntimeError) -> BaseException:
    """An answer that makes the session itself raise, as a bug of the grader would."""
    return kind(message)


@dataclass
class ScriptedSession:
    """A session over a script: same `call` and `close` as `SandboxSession`, no child behind them."""

    script: Script
    isolation: Isolation = SCRIPTED
    import_failure: CallResult | None = None
    stdout: str = ""
    stderr: str = ""
    calls: list[tuple[str, list, dict]] = field(default_factory=list)
    _used: dict[str, int] = field(default_factory=dict)

    def call(self, function: str, args: tuple | list = (), kwargs: dict | None = None,
             *, return_args: bool = False) -> CallResult:
        if self.import_failure is not None:
            return self.import_failure
        crossed_args, crossed_kwargs = _crossed(list(args)), _crossed(dict(kwargs or {}))
        self.calls.append((function, crossed_args, crossed_kwargs))
        answer = self._next(function)
        if isinstance(answer, BaseException):
            raise answer
        if callable(answer):
            answer = answer(crossed_args, crossed_kwargs)
        if answer.import_status is not None:   # failed while importing: final for the session, as in the real one
            self.import_failure = answer
        return answer

    def close(self) -> SessionReport:
        return SessionReport(self.isolation, self.stdout, self.stderr, len(self.stdout.encode()),
                             len(self.stderr.encode()), False, 0, self.import_failure)

    def _next(self, function: str) -> Answer:
        planned = self.script.get(function)
        if planned is None:
            return missing()
        if not isinstance(planned, Sequence):
            return planned
        index = self._used.get(function, 0)
        self._used[function] = index + 1
        return planned[min(index, len(planned) - 1)]


class ScriptedLauncher:
    """A `Launcher` that starts no process: the engine opens a `ScriptedSession` through it instead.

    `script` is the same for every submission, or a function of the submission's path (to script a
    batch, or a retry that goes differently). `sessions` keeps every session opened, for assertions."""

    def __init__(self, script: Script | Callable[[Path], Script], *, isolation: Isolation = SCRIPTED,
                 import_failure: CallResult | None = None) -> None:
        self.isolation = isolation
        self._script = script
        self._import_failure = import_failure
        self.sessions: list[ScriptedSession] = []

    def spawn(self, spec: ChildSpec) -> Spawned:
        raise TypeError("a ScriptedLauncher starts no process; the engine opens its sessions with open_session")

    def open_session(self, submission: Path, limits: Limits, deadline: float) -> ScriptedSession:
        script = self._script(Path(submission)) if callable(self._script) else self._script
        session = ScriptedSession(script, self.isolation, self._import_failure)
        self.sessions.append(session)
        return session
