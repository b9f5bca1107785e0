"""What the exercise dictates, measured, so that two students sharing it is never evidence that one copied.

Three things every student of an exercise may share without copying anyone:
  the code they were given   the stub, its notebook, the README's code: a run of `mask_size` tokens
                             found there is masked wherever it occurs (fingerprint.py);
  what correct solutions share  in a small exercise whose formulas the lecture dictates, correct
                             solutions written independently share much of their code. It is measured
                             from the reference solution and the correct solutions written independently
                             of it and of each other (sources.correct_solutions): a K-gram that at least
                             `at_least` of them contain (the reference counts as one) was written alike
                             by two authors who did not copy, so it is not counted in anyone's score.
                             With fewer than `measured_from` solutions (an exercise with the reference
                             only) that cannot be measured, and every K-gram of the solutions there are
                             is discounted: a copy of the reference is then found only when identical,
                             but no honest student is reported for writing what the reference writes.
  what many in the batch wrote  compare.py drops fingerprints most of the batch shares.

Each of the two token streams (the structure and the code as written, normalise.read_tokens) gets its
own discount.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

from grader.similarity.budget import DEFAULT, SimilarityBudget
from grader.similarity.fingerprint import boilerplate_grams, gram_hashes
from grader.similarity.normalise import Tokens, read_tokens

_EMPTY = np.zeros(0, dtype=np.uint64)


@dataclass(frozen=True, eq=False)
class Discount:
    """One token stream's discount, as sorted unique hashes: runs of given code (masked token by token) and
    dictated K-grams (dropped)."""

    given: np.ndarray = field(default_factory=lambda: _EMPTY)      # every `mask_size`-token run of the given code
    dictated: np.ndarray = field(default_factory=lambda: _EMPTY)   # the K-grams correct solutions share


@dataclass(frozen=True, eq=False)
class Dictated:
    """The discount of both token streams, and how many correct solutions it was measured from."""

    structure: Discount = field(default_factory=Discount)
    verbatim: Discount = field(default_factory=Discount)
    solutions: int = 0


def shared_grams(streams: Iterable[Tokens], k: int, at_least: int) -> np.ndarray:
    """Sorted unique hashes of the K-grams found in at least `at_least` of the token streams."""
    parts = [np.unique(gram_hashes(tokens, k)) for tokens in streams]
    if len(parts) < at_least:
        return _EMPTY
    values, counts = np.unique(np.concatenate(parts), return_counts=True)
    return values[counts >= at_least]


def dictated(given: list[str], solutions: list[str], k: int, mask_size: int, at_least: int,
             budget: SimilarityBudget = DEFAULT, measured_from: int = 1) -> Dictated:
    """The discount for an exercise: `given` is the code students were given, `solutions` its correct
    solutions written independently (the reference among them)."""
    given_tokens = [read_tokens(text, budget) for text in given]
    solution_tokens = [read_tokens(text, budget) for text in solutions]
    needed = at_least if len(solutions) >= measured_from else 1
    channels = [Discount(boilerplate_grams((pair[n] for pair in given_tokens), mask_size),
                         shared_grams((pair[n] for pair in solution_tokens), k, needed)) for n in (0, 1)]
    return Dictated(channels[0], channels[1], len(solutions))
