"""The closed sets every layer speaks in (sandbox, grading, feedback): a check's verdict, a grading's status, the limit that stopped a call.

The feedback schema lists the same values; a test keeps the two in step.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Limit(str, Enum):
    """A resource limit of the sandbox that can stop a submission's call; named in the check's feedback."""

    WALL_TIME = "wall_time"          # one call's wall-clock time
    GRADING_TIME = "grading_time"    # the whole grading's wall-clock time
    CPU_TIME = "cpu_time"
    MEMORY = "memory"
    PROCESSES = "processes"          # processes and threads of the child's tree
    FILE_SIZE = "file_size"          # the largest file the child may write
    SCRATCH_SPACE = "scratch_space"  # the child's private writable space


class Outcome(str, Enum):
    """What happened to one check. Only PASSED earns points."""

    PASSED = "passed"      # the trusted side saw the right result
    FAILED = "failed"      # the submission answered, and the answer is wrong
    ERROR = "error"        # the submission raised, was missing a function, or returned an unsupported type
    TIMEOUT = "timeout"    # a call ran past its time limit and was killed
    MEMORY = "memory"      # a call ran out of its memory allowance
    CRASHED = "crashed"    # the submission's process died (segfault, os._exit, killed)
    INTERNAL_ERROR = "internal_error"   # the check itself broke (DMOJ's IE): a grader bug, never the student's


class Status(str, Enum):
    """What happened to the grading as a whole."""

    GRADED = "graded"                        # every check ran; the score stands
    SUBMISSION_BROKEN = "submission_broken"  # the file could not be loaded (syntax error, not UTF-8, too large ...)
    TIMED_OUT = "timed_out"                  # the whole grading hit its wall-clock limit
    GRADER_FAILED = "grader_failed"          # our fault, not the student's: score 0, please report


@dataclass(frozen=True)
class Isolation:
    """How strongly the child was isolated: the sandbox says it, the feedback carries it as is."""

    mode: str
    strong: bool
    memory_limit: str
    notes: tuple[str, ...] = ()
