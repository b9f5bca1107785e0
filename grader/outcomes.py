"""The closed set of verdicts a check can reach, and the statuses of a whole grading."""

from __future__ import annotations

from enum import Enum


class Outcome(str, Enum):
    """What happened to one check. Only PASSED earns points."""

    PASSED = "passed"      # the trusted side saw the right result
    FAILED = "failed"      # the submission answered, and the answer is wrong
    ERROR = "error"        # the submission raised, was missing a function, or returned an unsupported type
    TIMEOUT = "timeout"    # a call ran past its time limit and was killed
    MEMORY = "memory"      # a call ran out of its memory allowance
    CRASHED = "crashed"    # the submission's process died (segfault, os._exit, killed)


class Status(str, Enum):
    """What happened to the grading as a whole."""

    GRADED = "graded"                        # every check ran; the score stands
    SUBMISSION_BROKEN = "submission_broken"  # the file could not be loaded (syntax error, not UTF-8, too large ...)
    TIMED_OUT = "timed_out"                  # the whole grading hit its wall-clock limit
    GRADER_FAILED = "grader_failed"          # our fault, not the student's: score 0, please report
