"""Exit codes of the `grade` command. A low score is not an error: grading that completed exits 0."""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0                 # grading completed (whatever the score); validation passed
    VALIDATION_FAILED = 1  # `grade validate` found a problem in the course
    USAGE = 2              # bad command line: unknown exercise, missing file, wrong option
    GRADER_FAILED = 3      # the grader itself failed; the feedback says grader_failed
    COURSE_INVALID = 4     # course.yaml is broken; the message names the file, line and key
