"""The grader's own exceptions: each kind carries the exit code `grade` ends with.

A submission's failures are data in the feedback, never exceptions; these are for misuse (a wrong
path, a broken course.yaml) and for what the grader cannot do. Anything else reaching `cli.main`
is a bug of the grader and exits with GRADER_FAILED.
"""

from __future__ import annotations

from typing import ClassVar

from grader.exitcodes import ExitCode

__all__ = ["DEBUG_VARIABLE", "CourseInvalid", "GraderError", "UsageError", "debugging"]

DEBUG_VARIABLE = "GRADER_DEBUG"   # set (to anything): a failure of ours shows its traceback on stderr


def debugging() -> bool:
    """Whether the instructor asked for the traceback of the grader's own failures (GRADER_DEBUG=1)."""
    import os

    return bool(os.environ.get(DEBUG_VARIABLE))


class GraderError(Exception):
    """An expected failure of the grader itself, explained in one message."""

    exit_code: ClassVar[ExitCode] = ExitCode.GRADER_FAILED

    def report(self) -> str:
        """What `grade` prints on stderr."""
        return f"grade: error: {self}"


class UsageError(GraderError):
    """The command cannot run as asked: an unknown exercise, a missing file, a bad option or folder."""

    exit_code = ExitCode.USAGE


class CourseInvalid(GraderError):
    """course.yaml is broken; the message names the file, line and key."""

    exit_code = ExitCode.COURSE_INVALID

    def report(self) -> str:
        return f"grade: course.yaml is broken:\n{self}"
