"""What one comparison may cost, declared up front: every stage is linear (or n log n) in bounded input.

A submission is compared on at most `source_bytes` of its code, `tokens` normalised tokens and
`fingerprints` winnowed fingerprints; what lies beyond is left out and the report says so for that
student. Python's `tokenize` reads a text of at most `python_tokenize_bytes`, never a line longer than
`long_line` characters (its string scanning is quadratic in a line's length) and never the same line
twice; the rest is read by a regex tokenizer that scans each character once. A pair lists at most
`passages` matching passages. Locating one pair's passages may take `pair_seconds`, and the whole
comparison (reading, fingerprinting, the index, the passages) `batch_seconds`: when either runs out,
what was not done is reported as not compared (submissions, pairs, passages), never dropped silently.
What correct solutions share (dictated.py) is measured from at most `solutions` files of the course's
own, each read up to `source_bytes`.

An honest solution of any exercise of the course is under 20 KiB, 5,000 tokens and 2,000 fingerprints,
so none of these bounds changes its score.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

SOURCE_BYTES = 256 * 1024         # code compared per submission (a notebook: its code cells' text)
PYTHON_TOKENIZE_BYTES = 64 * 1024  # larger texts are read by the regex tokenizer only
LONG_LINE = 400                    # characters: a longer line is read by the regex tokenizer
TOKENS = 50_000                    # normalised tokens per submission
FINGERPRINTS = 20_000              # winnowed fingerprints per submission, in token order
PASSAGES = 100                     # matching passages listed per pair
SOLUTIONS = 200                    # correct solutions read to measure what they share (dictated.py)
PAIR_SECONDS = 2.0                 # to locate one pair's matching passages
BATCH_SECONDS = 300.0              # for the whole comparison of a batch

Clock = Callable[[], float]


@dataclass(frozen=True)
class SimilarityBudget:
    """The bounds of one comparison; tests pass small ones (and a clock of their own) to reach the cut-offs."""

    source_bytes: int = SOURCE_BYTES
    python_tokenize_bytes: int = PYTHON_TOKENIZE_BYTES
    long_line: int = LONG_LINE
    tokens: int = TOKENS
    fingerprints: int = FINGERPRINTS
    passages: int = PASSAGES
    pair_seconds: float = PAIR_SECONDS
    batch_seconds: float = BATCH_SECONDS
    solutions: int = SOLUTIONS

    def __post_init__(self) -> None:
        if min(self.source_bytes, self.python_tokenize_bytes, self.long_line, self.tokens, self.fingerprints,
               self.passages, self.solutions) < 1 or min(self.pair_seconds, self.batch_seconds) < 0:
            raise ValueError("every similarity bound must be at least 1 (the times at least 0)")


DEFAULT = SimilarityBudget()


class Deadline:
    """The batch's time budget, started when the comparison starts; `pair()` gives one pair's deadline."""

    def __init__(self, budget: SimilarityBudget, clock: Clock = time.monotonic) -> None:
        self.budget = budget
        self.clock = clock
        self.ends = clock() + budget.batch_seconds

    def passed(self) -> bool:
        return self.clock() >= self.ends

    def pair(self) -> tuple[float, str]:
        """When locating one pair's passages must stop, and what to say then."""
        own = self.clock() + self.budget.pair_seconds
        if own < self.ends:
            return own, f"the pair's time budget of {self.budget.pair_seconds:g} s ran out"
        return self.ends, self.why()

    def why(self) -> str:
        return f"the comparison's time budget of {self.budget.batch_seconds:g} s ran out"


def size(count: int) -> str:
    """A byte count as people read it: 900 bytes, 12 KiB, 1.9 MiB."""
    if count < 1024:
        return f"{count} bytes"
    if count < 1024 * 1024:
        return f"{count / 1024:.0f} KiB"
    return f"{count / 2**20:.1f} MiB"


def cut_text(text: str, limit: int) -> tuple[str, int]:
    """At most `limit` characters of `text`, ending at a line's end when there is one; and how many were left out."""
    if len(text) <= limit:
        return text, 0
    end = text.rfind("\n", 0, limit) + 1 or limit
    return text[:end], len(text) - end
