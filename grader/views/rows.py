"""One student's line in a batch's exports (CSV, report): built by the batch, read by the views.

`note` is the one sentence both exports give as the reason behind a student's score: why there is no
feedback, why the submission could not be loaded (a syntax error, with the cell and line), that grading
stopped at its time limit, that the grader failed, and which checks a limit stopped (a call's time, the
CPU time, memory, processes, file size, scratch space) or the printed output overflowed. A graded
submission whose checks merely failed has no note: its points say it.
"""

from __future__ import annotations

from dataclasses import dataclass

from grader.feedback.model import Feedback
from grader.outcomes import Limit, Outcome, Status
from grader.feedback.results import CheckResult
from grader.text import one_line

MAX_NOTE_CHARS = 600     # what the CSV cell and the report's reason column show of a note
MAX_STATUS_CHARS = 300   # of that, the status message (the rest names the checks a limit stopped)
MAX_LISTED_CHECKS = 3

_STOPPED = {Outcome.TIMEOUT: "timeout", Outcome.MEMORY: "out of memory", Outcome.CRASHED: "crashed",
            Outcome.ERROR: "stopped"}
_LIMIT_WORDS = {
    Limit.WALL_TIME: "the time limit of one call", Limit.GRADING_TIME: "the time limit of the whole grading",
    Limit.CPU_TIME: "the CPU time limit", Limit.MEMORY: "the memory limit", Limit.PROCESSES: "the process limit",
    Limit.FILE_SIZE: "the file size limit", Limit.SCRATCH_SPACE: "the scratch space limit",
}


@dataclass(frozen=True)
class StudentRow:
    student: str
    status: str                  # a Status value, or the gradebook's no_submission
    feedback: Feedback | None    # the latest feedback, when there is a readable one
    problem: str | None = None   # why there is no feedback, or why it cannot be used
    late: str = ""               # the late policy's note (grader.lms.late): how late, by whose word, the penalty

    @property
    def note(self) -> str:
        """What an instructor should know about this row, on one line and bounded (see the module)."""
        if self.problem:
            return one_line(self.problem, MAX_NOTE_CHARS)
        if self.feedback is None:
            return ""
        return one_line("; ".join(filter(None, (_status_reason(self.feedback), *_stopped_checks(self.feedback),
                                                _output_reason(self.feedback)))), MAX_NOTE_CHARS)


def _status_reason(feedback: Feedback) -> str:
    if feedback.status is Status.GRADER_FAILED:
        return one_line(f"the grader failed, not the student: {feedback.grader_error or 'no details'}", MAX_STATUS_CHARS)
    if feedback.status in (Status.SUBMISSION_BROKEN, Status.TIMED_OUT):
        return one_line(feedback.message, MAX_STATUS_CHARS).rstrip(". ")
    return ""


def _label(check: CheckResult) -> str | None:
    """How a limit or a timeout stopped this check, or None when none did."""
    if check.limit is not None:
        return f"{_STOPPED.get(check.outcome, check.outcome.value)} at {_LIMIT_WORDS.get(check.limit, check.limit.value)}"
    if check.outcome in (Outcome.TIMEOUT, Outcome.MEMORY, Outcome.CRASHED):
        return _STOPPED[check.outcome]
    return None


def _stopped_checks(feedback: Feedback) -> list[str]:
    """'timeout at the time limit of one call in 2 checks: public/a, hidden/b', one part per kind of stop."""
    if feedback.status is Status.GRADER_FAILED:
        return []
    stopped: dict[str, list[str]] = {}
    for check in feedback.checks:
        label = _label(check)
        if label is not None:
            stopped.setdefault(label, []).append(check.id)
    parts = []
    for label, ids in stopped.items():
        if len(ids) == len(feedback.checks) and len(ids) > 1:
            parts.append(f"{label} in every check")
            continue
        listed = ", ".join(ids[:MAX_LISTED_CHECKS]) + (f" and {len(ids) - MAX_LISTED_CHECKS} more"
                                                       if len(ids) > MAX_LISTED_CHECKS else "")
        parts.append(f"{label} in {len(ids)} check{'s' if len(ids) != 1 else ''}: {listed}")
    return parts


def _output_reason(feedback: Feedback) -> str:
    output = feedback.output
    if not output.truncated:
        return ""
    printed = output.stdout_bytes + output.stderr_bytes
    return f"printed {printed:,} bytes, more than the output limit keeps (only the end was kept)"
