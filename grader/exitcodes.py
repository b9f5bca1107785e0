"""Exit codes of the `grade` command. A low score is not an error: grading that completed exits 0."""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0                 # grading completed (whatever the score); validation passed
    VALIDATION_FAILED = 1  # `grade validate` found a problem in the course
    USAGE = 2              # bad command line: unknown exercise, missing file, wrong option
    GRADER_FAILED = 3      # the grader itself failed; the feedback says grader_failed
    COURSE_INVALID = 4     # course.yaml is broken; the message names the file, line and key


MEANINGS = {
    ExitCode.OK: "grading completed (whatever the score); validation passed",
    ExitCode.VALIDATION_FAILED: "`grade validate` or `grade notebooks --check` found a problem",
    ExitCode.USAGE: "usage error (unknown exercise, missing file, bad option)",
    ExitCode.GRADER_FAILED: "the grader itself failed (a feedback's status is grader_failed, or a bug: one line on "
                            "stderr; GRADER_DEBUG=1 shows the traceback)",
    ExitCode.COURSE_INVALID: "course.yaml is broken (the message names the file, line and key)",
}


def help_text() -> str:
    """The exit codes as `grade --help` lists them."""
    return "exit codes:\n" + "".join(f"  {code.value}  {MEANINGS[code]}\n" for code in ExitCode)
