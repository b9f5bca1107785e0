"""A check's ending -> its `CheckResult`: passed, or failed, errored ... and whose fault an exception was.

Shared by the grader's runner and the author's pytest plugin, so both give every check the same verdict. An
unexpected exception is blamed by where it arose: computing with a value the submission returned is the
student's error; anything the student's data cannot have caused is the grader's.
"""

from __future__ import annotations

from dataclasses import replace
from functools import partial
from types import ModuleType
from typing import Any

from grader.feedback.results import CheckResult
from grader.grading.check_files import Check
from grader.grading.proxy import SubmissionProxy
from grader.grading.verdicts import CheckFailed, SubmissionFailure
from grader.outcomes import Limit, Outcome
from grader.text import without_surrogates

# What computing with a value can raise: wrong type, size, shape, keys, or numbers out of range. Anything
# else (NameError, ImportError, RuntimeError, OSError ...) is a bug of the check even after a value arrived.
_VALUE_ERRORS = (ArithmeticError, ValueError, TypeError, LookupError, AttributeError, RecursionError, MemoryError, Warning)

INTERNAL_ERROR_MESSAGE = "this check could not judge your answer because of a problem in the grader, not in your code"


def verdict(check: Check, proxy: SubmissionProxy, when: str, exc: BaseException | None, duration: float) -> CheckResult:
    """The result of `check`, which ended with `exc` (None: it returned) in phase `when` ("setup": while its
    fixtures were made, "call": while it ran)."""
    result = _judge(check, proxy, when, exc, duration)
    place = proxy.where_defined() if result.outcome is not Outcome.PASSED else None
    if place and result.internal_error is None:
        result = replace(result, message=f"{result.message} ({place})")
    if proxy.notes and result.internal_error is None:
        result = replace(result, message=f"{result.message} ({'; '.join(proxy.notes)})")
    return result


def _judge(check: Check, proxy: SubmissionProxy, when: str, exc: BaseException | None, duration: float) -> CheckResult:
    result = partial(CheckResult, id=check.id, name=check.name, visibility=check.visibility, max_score=check.points,
                     duration_s=round(duration, 4))
    if exc is None:
        return result(outcome=Outcome.PASSED, message="correct")
    if isinstance(exc, SubmissionFailure):
        return result(outcome=exc.outcome, message=exc.message, hint=exc.hint,
                      limit=Limit(exc.limit) if exc.limit else None)
    if isinstance(exc, CheckFailed):
        return result(outcome=Outcome.FAILED, message=exc.message, hint=exc.hint)
    if type(exc) is AssertionError:
        return result(outcome=Outcome.FAILED, message=str(exc) or "the result is not what this check expects")
    if when == "call" and _caused_by_returned_value(proxy, exc):
        return result(outcome=Outcome.ERROR, message=_unusable_value_message(proxy, exc, check.visibility))
    return result(outcome=Outcome.INTERNAL_ERROR, message=INTERNAL_ERROR_MESSAGE,
                  internal_error=exception_text(exc, 2000))


def _caused_by_returned_value(proxy: SubmissionProxy, exc: BaseException) -> bool:
    """Whether the student's data can have caused `exc`: the check already holds a value the submission
    returned, the exception is one a value can cause, and it did not come out of the proxy's own machinery."""
    if not proxy.answered or not isinstance(exc, _VALUE_ERRORS):
        return False
    if isinstance(exc, AttributeError) and isinstance(getattr(exc, "obj", None), ModuleType):
        return False   # a misspelt module attribute (np.alclose) is the check's bug, whatever the data
    return not _raised_inside(exc, SubmissionProxy._run)


def _unusable_value_message(proxy: SubmissionProxy, exc: BaseException, visibility: str) -> str:
    """Hidden checks name only the exception's type: its text may quote the check's own values."""
    name = proxy.answered[-1]
    what = type(exc).__name__ if visibility == "hidden" else exception_text(exc)
    return (f"`{name}` returned a value this check cannot compute with ({what}). Return what the exercise asks "
            "for: numbers of a sensible size (not inf, NaN or huge integers), and lists, arrays or dicts of "
            "the expected length, shape and keys.")


def _raised_inside(exc: BaseException, function: Any) -> bool:
    """Whether the traceback passes through `function` (the exception arose in a call it made)."""
    code, traceback = function.__code__, exc.__traceback__
    while traceback is not None:
        if traceback.tb_frame.f_code is code:
            return True
        traceback = traceback.tb_next
    return False


def exception_text(exc: BaseException, limit: int = 200) -> str:
    """`Type: message`, short, and safe to print and save (a lone surrogate would break writing the feedback)."""
    try:
        text = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    except Exception:  # noqa: BLE001 - str() of an exception holding a 10**5000 can itself raise
        text = type(exc).__name__
    text = without_surrogates(text)
    return text if len(text) <= limit else text[:limit - 3] + "..."
