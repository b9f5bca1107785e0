"""What one trusted forward pass may cost, and the clock that holds it to its time.

A submitted model is untrusted data: a few numbers in its description can ask for gigabytes or hours, so the
interpreter prices it from the description first and refuses it above these limits, before any large array exists.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from grader.grading.checklib import fail


@dataclass(frozen=True)
class ForwardPassCost:
    """What one trusted forward pass may cost."""

    max_array_mb: float = 64.0         # the largest array any layer makes (output or padded input)
    max_multiply_adds: float = 3e8     # all layers together, on the check's data
    max_seconds: float = 10.0          # wall time, checked between layers, chunks and time steps


FORWARD_PASS_COST = ForwardPassCost()   # the default for every exercise; a check passes its own to forward() if it needs to


class Deadline:
    """The pass's wall-time limit; layers that loop (chunks, time steps) check it as they go."""

    def __init__(self, budget: ForwardPassCost, what: str) -> None:
        self.seconds, self.what = budget.max_seconds, what
        self.end = time.monotonic() + budget.max_seconds

    def check(self) -> None:
        if time.monotonic() > self.end:
            fail(f"your model is too large for this exercise: running {self.what}'s model on the check's data "
                 f"took more than {self.seconds:g} s, at most {self.seconds:g} s")
