"""The `submission` object checks call: attribute access becomes a call into the sandbox.

It turns every call that produced no value into a `SubmissionFailure` carrying the check's
outcome and a message a beginner can act on; checks never handle sandbox details.
"""

from __future__ import annotations

import re
from typing import Any, Callable, Protocol

from grader.feedback.results import Hint
from grader.grading.verdicts import SubmissionFailure
from grader.labcode.signatures import Signature, keyword_arguments
from grader.outcomes import Limit, Outcome
from grader.sandbox.session import CallResult, CallStatus, ErrorInfo, SessionReport


class Session(Protocol):
    """What runs the submission's functions: a `SandboxSession`, a `RefusedSubmission`, or a scripted fake."""

    def call(self, function: str, args: tuple | list = (), kwargs: dict | None = None,
             *, return_args: bool = False) -> CallResult: ...

    def close(self) -> SessionReport: ...


def line_of_file(line: int) -> str:
    return f"line {line} of your file"


class SubmissionProxy:
    def __init__(self, session: Session, locate: Callable[[int], str] = line_of_file,
                 defined_in: Callable[[str], str | None] = lambda name: None,
                 expected: dict[str, Signature] | None = None, submitted: dict[str, Signature] | None = None,
                 source: str = "") -> None:
        self._session = session
        self._locate = locate
        self._defined_in = defined_in
        self._expected = expected or {}    # the exercise's signatures (its stub)
        self._submitted = submitted or {}  # the student's, as graded (None when defined in a helper module)
        self._source = source              # the graded module's text, read with ast only when a check asks
        self.called: list[str] = []     # the functions the current check called, newest last
        self.answered: list[str] = []   # those that returned a value: the check now holds the student's data
        self.notes: list[str] = []      # how this check called the submission, when that is worth saying

    def __getattr__(self, name: str) -> Callable[..., Any]:
        if name.startswith("_"):
            raise AttributeError(name)

        def call(*args: Any, **kwargs: Any) -> Any:
            return self.call(name, *args, **kwargs)

        return call

    def call(self, name: str, *args: Any, **kwargs: Any) -> Any:
        value, _ = self._run(name, args, kwargs, return_args=False)
        return value

    def call_with_args(self, name: str, *args: Any, **kwargs: Any) -> tuple[Any, list]:
        """The value and the positional arguments as the function left them (to see mutation)."""
        return self._run(name, args, kwargs, return_args=True)

    def start_check(self) -> None:
        """Each check starts holding nothing from the submission."""
        self.called.clear()
        self.answered.clear()
        self.notes.clear()

    def signature_of(self, name: str) -> Signature | None:
        """The student's function as written (from the graded source), if it is defined there."""
        return self._submitted.get(name)

    def written_arguments(self, function: str, method: str, keyword: str) -> list[str]:
        """What the student's `function`, as written, passes as `keyword` to `….method(...)` ("0.3"), if anything."""
        return keyword_arguments(self._source, function, method, keyword) if self._source else []

    def note(self, text: str) -> None:
        if text not in self.notes:
            self.notes.append(text)

    def where_defined(self) -> str | None:
        """Where the last function this check called is defined (a notebook cell), if that is known."""
        for name in reversed(self.called):
            place = self._defined_in(name)
            if place:
                return f"`{name}` is defined in {place}"
        return None

    def _run(self, name: str, args: tuple, kwargs: dict, return_args: bool) -> tuple[Any, list]:
        self.called.append(name)
        result = self._session.call(name, args, kwargs, return_args=return_args)
        if result.ok:
            self.answered.append(name)
            return result.value, result.args_after or []
        failure = failure_for(name, result, self._locate)
        failure.limit = result.limit
        if failure.hint is None:
            failure.hint = signature_hint(result, self._expected.get(name), self._submitted.get(name))
        raise failure


_ARGUMENT_MISMATCH = re.compile(r"positional argument|required (keyword-only )?argument|unexpected keyword argument|"
                                r"takes no arguments|takes \d+ positional")


def signature_hint(result: CallResult, expected: Signature | None, submitted: Signature | None) -> Hint | None:
    """A call that failed on its arguments, before any line of the student's ran: show both signatures."""
    error = result.error
    if result.status is not CallStatus.RAISED or error is None or error.type != "TypeError" or error.line is not None \
            or expected is None or not _ARGUMENT_MISMATCH.search(error.message):
        return None
    if submitted is not None and submitted.parameters == expected.parameters:
        return None
    yours = f"; yours is `{submitted.shown()}`" if submitted is not None else ""
    lab = (" A lab's builder that takes no arguments reads the notebook's globals; give it these parameters, so "
           "the checks can try other sizes.") if submitted is not None and submitted.takes_nothing else ""
    return Hint("signature-mismatch", f"The checks call `{expected.shown()}`, as the exercise's README says{yours}.{lab}")


def _where(error: ErrorInfo | None, locate: Callable[[int], str]) -> str:
    return f" ({locate(error.line)})" if error and error.line else ""


def _raised(error: ErrorInfo | None) -> str:
    if error is None:
        return "an exception"
    text = f"{error.type}: {error.message}" if error.message else error.type
    return text if len(text) <= 300 else text[:297] + "..."


def failure_for(name: str, result: CallResult, locate: Callable[[int], str] = line_of_file) -> SubmissionFailure:
    """Translate a call that gave no value into an outcome and a plain-words message."""
    status, error = result.status, result.error
    if status is CallStatus.RAISED and result.limit is Limit.FILE_SIZE:
        return SubmissionFailure(Outcome.ERROR, f"`{name}` was stopped: it wrote a file larger than allowed{_where(error, locate)}.")
    if status is CallStatus.RAISED and result.limit is Limit.SCRATCH_SPACE:
        return SubmissionFailure(Outcome.ERROR, f"`{name}` was stopped: it filled its scratch space{_where(error, locate)}.")
    if status is CallStatus.RAISED:
        if error and error.type == "NotImplementedError":
            return SubmissionFailure(Outcome.ERROR, f"`{name}` is not implemented yet: it still raises NotImplementedError{_where(error, locate)}.")
        if error and error.type == "RecursionError":
            return SubmissionFailure(Outcome.ERROR, f"`{name}` recursed too deeply (RecursionError){_where(error, locate)}.")
        return SubmissionFailure(Outcome.ERROR, f"`{name}` raised {_raised(error)}{_where(error, locate)}.")
    if status is CallStatus.EXITED:
        return SubmissionFailure(Outcome.ERROR, f"`{name}` called sys.exit() or exit(){_where(error, locate)}; return the value instead.")
    if status is CallStatus.MISSING:
        return SubmissionFailure(Outcome.ERROR, f"your file has no function named `{name}`; the exercise expects exactly that name.")
    if status is CallStatus.UNSUPPORTED:
        detail = error.message if error and error.message else "returned an unsupported type"
        if not detail.startswith("returned"):   # the decoder's words describe the value, not the call
            detail = f"returned a value the grader cannot read: {detail}"
        return SubmissionFailure(Outcome.ERROR, f"`{name}` {detail}. Return numbers, strings, lists, tuples, dicts or numpy arrays.")
    if status is CallStatus.TIMEOUT:
        return SubmissionFailure(Outcome.TIMEOUT, f"`{name}` was stopped: {result.detail}. Look for an endless loop or far too many iterations.")
    if status is CallStatus.MEMORY:
        detail = f" ({result.detail})" if result.detail else ""
        return SubmissionFailure(Outcome.MEMORY, f"`{name}` ran out of memory{detail}{_where(error, locate)}. Look for huge arrays or lists that keep growing.")
    if status is CallStatus.CRASHED and result.limit:
        return SubmissionFailure(Outcome.CRASHED, f"the process running `{name}` was stopped: {result.detail}.")
    if status is CallStatus.CRASHED:
        return SubmissionFailure(Outcome.CRASHED, f"the process running `{name}` crashed ({result.detail}).")
    if status is CallStatus.PROTOCOL:
        return SubmissionFailure(Outcome.ERROR, f"the process running `{name}` sent malformed data ({result.detail}).")
    if status is CallStatus.DEADLINE:
        return SubmissionFailure(Outcome.TIMEOUT, f"`{name}` was not run: {result.detail}.")
    if status is CallStatus.NOT_IMPORTABLE:
        return _not_importable(result, locate)
    return SubmissionFailure(Outcome.ERROR, f"`{name}` failed ({status.value}).")


def _not_importable(result: CallResult, locate: Callable[[int], str]) -> SubmissionFailure:
    status, error = result.import_status, result.error
    prefix = "your file could not be loaded"
    if status is CallStatus.TIMEOUT:
        return SubmissionFailure(Outcome.TIMEOUT, f"{prefix}: {result.detail}. Move training loops and input() calls out of the top level of the file.")
    if status is CallStatus.CRASHED:
        return SubmissionFailure(Outcome.CRASHED, f"{prefix}: {result.detail}.")
    if status is CallStatus.MEMORY and error and error.type == "MemoryError" and not error.line:
        # Raised before any line ran: Python's parser gives up this way on expressions nested thousands deep.
        return SubmissionFailure(Outcome.ERROR, f"{prefix}: Python could not read it (MemoryError before any line "
                                 "ran): look for an expression nested thousands of levels deep, such as ----1 or "
                                 "1+1+...+1 with thousands of terms, and split it into smaller steps.")
    if status is CallStatus.MEMORY:
        return SubmissionFailure(Outcome.MEMORY, f"{prefix}: it ran out of memory while being imported{_where(error, locate)}.")
    if status is CallStatus.EXITED:
        return SubmissionFailure(Outcome.ERROR, f"{prefix}: it calls sys.exit() or exit() at the top level{_where(error, locate)}.")
    if status is CallStatus.BROKEN_FILE:
        return SubmissionFailure(Outcome.ERROR, f"{prefix}: {result.detail}.")
    if error and error.type in ("SyntaxError", "IndentationError", "TabError"):
        where = locate(error.line) if error.line else "an unknown line"
        return SubmissionFailure(Outcome.ERROR, f"{prefix}: {error.type} on {where}: {error.message}.")
    return SubmissionFailure(Outcome.ERROR, f"{prefix}: importing it raised {_raised(error)}{_where(error, locate)}.")
