"""Compare every pair of a batch's submissions through an index of their fingerprints.

No pair is diffed to find candidates: a sparse submissions-by-fingerprints matrix times its transpose
counts, for all pairs at once, how many fingerprints each pair shares; only the pairs above the threshold
are then walked to find their matching passages. A fingerprint that many submissions share is what many
students write (with a tiny exercise, many will), so like MOSS it is not counted as evidence: it is
dropped when more than `common_share` of the batch (and more than 10 submissions) have it.

The score of a pair is the share of the smaller submission's fingerprints found in the other, so a small
file pasted into a larger one scores high. Pairs sharing fewer than `min_shared` fingerprints are never
reported, however high their share: a handful of K-grams is a coincidence, not a copy.

Every stage is bounded by `options.budget` (grader/similarity/budget.py): each submission's code, tokens
and fingerprints are capped, the pairs are counted a block of submissions at a time, and each pair's
passages are located in n log n with a deadline. When the batch's time runs out, the submissions not yet
read, the pairs not yet counted and the passages not yet located are reported as not compared.
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass, field

import numpy as np
from scipy import sparse

from grader.similarity.budget import DEFAULT, Budget, Clock, Deadline, cut_text, size
from grader.similarity.fingerprint import Fingerprints, boilerplate_grams, fingerprint
from grader.similarity.normalise import Tokens, normalise
from grader.similarity.sources import Document

COMMON_FLOOR = 10   # a fingerprint only this many submissions share is never "common"
BLOCK_ROWS = 256    # submissions whose pairs are counted between two looks at the clock
CLOCK_EVERY = 256   # fingerprints walked between two looks at the clock


@dataclass(frozen=True)
class SimilarityOptions:
    """How submissions are compared. The defaults are the ones tested against independent solutions."""

    threshold: float = 0.5    # report pairs whose score is at least this
    k: int = 12               # tokens per K-gram: shorter runs are never evidence
    window: int = 4           # winnowing window: runs of k + window - 1 tokens are always found
    mask_size: int = 6        # token runs of given code this long are masked
    min_shared: int = 8       # fewer shared fingerprints than this is never reported
    common_share: float = 0.1
    budget: Budget = DEFAULT

    def __post_init__(self) -> None:
        if not 0.0 < self.threshold <= 1.0:
            raise ValueError(f"the similarity threshold must be above 0 and at most 1, not {self.threshold}")
        if self.k < 2 or self.window < 1 or self.mask_size < 2 or self.min_shared < 1:
            raise ValueError("k and mask_size must be at least 2, window and min_shared at least 1")
        if not 0.0 < self.common_share <= 1.0:
            raise ValueError(f"common_share must be above 0 and at most 1, not {self.common_share}")


@dataclass(frozen=True)
class Match:
    """One passage found in both submissions: line ranges in each, and how many fingerprints it holds."""

    lines_a: tuple[int, int]
    lines_b: tuple[int, int]
    fingerprints: int


@dataclass(frozen=True)
class Pair:
    a: str
    b: str
    score: float
    shared: int           # fingerprints found in both
    fingerprints_a: int   # fingerprints of a (after masking given and common code)
    fingerprints_b: int
    matches: tuple[Match, ...]
    note: str = ""        # what was not done for this pair (passages not all located or listed)


@dataclass(frozen=True)
class SimilarityResult:
    pairs: tuple[Pair, ...]          # at or above the threshold, highest score first
    compared: int                    # submissions compared
    skipped: dict[str, str]          # student -> why their submission was not compared
    common_cutoff: int               # fingerprints in more submissions than this were not counted
    options: SimilarityOptions
    partial: dict[str, str] = field(default_factory=dict)   # student -> what of their code was left out
    unpaired: tuple[str, ...] = ()   # no pair of two of these was compared: the time budget ran out
    unpaired_why: str = ""


@dataclass(frozen=True)
class _Prepared:
    document: Document
    tokens: Tokens
    prints: Fingerprints


def _prepare_one(document: Document, mask: np.ndarray, options: SimilarityOptions) -> tuple[_Prepared, str]:
    """One document's tokens and fingerprints within the budget, and what of it was left out ("" if nothing)."""
    budget = options.budget
    notes = [document.left_out] if document.left_out else []
    text, left_out = cut_text(document.text, budget.source_bytes)
    if left_out:
        notes.append(f"only its first {size(len(text))} of code were compared ({left_out} characters left out)")
    tokens = normalise(text, budget)
    if len(tokens) > budget.tokens:
        notes.append(f"only its first {budget.tokens} tokens were compared (of {len(tokens)})")
        tokens = Tokens(tokens.values[:budget.tokens], tokens.lines[:budget.tokens])
    prints = fingerprint(tokens, options.k, options.window, mask, options.mask_size)
    if prints.hashes.size > budget.fingerprints:
        notes.append(f"only its first {budget.fingerprints} fingerprints were compared (of {prints.hashes.size})")
        prints = Fingerprints(prints.hashes[:budget.fingerprints], prints.positions[:budget.fingerprints])
    return _Prepared(document, tokens, prints), "; ".join(notes)


def _prepare(documents: list[Document], given: list[str], options: SimilarityOptions, deadline: Deadline,
             skipped: dict[str, str], partial: dict[str, str]) -> list[_Prepared]:
    """Each document within the budget; what was left out goes to `partial`, and a document not reached
    before the batch's deadline to `skipped`."""
    mask = boilerplate_grams((normalise(text, options.budget) for text in given), options.mask_size)
    prepared = []
    for document in documents:
        if deadline.passed():
            skipped[document.student] = f"not compared: {deadline.why()} before it was read"
            continue
        item, left_out = _prepare_one(document, mask, options)
        if left_out:
            partial[document.student] = left_out
        prepared.append(item)
    return prepared


def _incidence(prepared: list[_Prepared], cutoff: int) -> tuple[sparse.csr_matrix, np.ndarray, np.ndarray]:
    """Submissions x distinct fingerprints (1 where a submission has one), without the common ones."""
    uniques = [np.unique(item.prints.hashes) for item in prepared]
    every = np.concatenate(uniques) if uniques else np.zeros(0, dtype=np.uint64)
    values, columns, counts = np.unique(every, return_inverse=True, return_counts=True)
    rows = np.repeat(np.arange(len(prepared)), [u.size for u in uniques])
    kept = counts[columns] <= cutoff
    matrix = sparse.csr_matrix((np.ones(int(kept.sum()), dtype=np.int32), (rows[kept], columns[kept])),
                               shape=(len(prepared), values.size))
    return matrix, values[counts > cutoff], counts


def _nearest(positions: list[int], target: int) -> int:
    """The position closest to `target` in a sorted list (the earlier one on a tie), by bisection."""
    index = bisect.bisect_left(positions, target)
    if index == 0:
        return positions[0]
    if index == len(positions) or target - positions[index - 1] <= positions[index] - target:
        return positions[index - 1]
    return positions[index]


def _matches(a: _Prepared, b: _Prepared, shared: np.ndarray, options: SimilarityOptions,
             until: tuple[float, str], clock: Clock) -> tuple[tuple[Match, ...], str]:
    """The passages of a found in b: a's shared fingerprints in order, grouped while b's follow along; and
    what was not done when the pair's deadline came first or there were more passages than the budget lists."""
    in_b: dict[int, list[int]] = {}       # each list in increasing order: the nearest one is a bisection away
    b_shared = np.isin(b.prints.hashes, shared)
    for value, position in zip(b.prints.hashes[b_shared].tolist(), b.prints.positions[b_shared].tolist()):
        in_b.setdefault(value, []).append(position)
    a_shared = np.isin(a.prints.hashes, shared)
    blocks: list[list[int]] = []          # [a_first, a_last, b_first, b_last, count]
    reach = options.k + options.window
    note = ""
    walk = list(zip(a.prints.hashes[a_shared].tolist(), a.prints.positions[a_shared].tolist()))
    for step, (value, p) in enumerate(walk):
        if step % CLOCK_EVERY == 0 and clock() >= until[0]:
            note = f"passages located in the first {step} of {len(walk)} shared fingerprints of {a.document.student}: {until[1]}"
            break
        candidates = in_b[value]
        if blocks:
            block = blocks[-1]
            q = _nearest(candidates, block[3] + (p - block[1]))
            if p - block[1] <= reach and q > block[3] and abs((q - block[3]) - (p - block[1])) <= reach:
                block[1], block[3], block[4] = p, q, block[4] + 1
                continue
        q = candidates[0] if not blocks else _nearest(candidates, blocks[-1][3])
        blocks.append([p, p, q, q, 1])
    last = options.k - 1
    merged = _merged([Match((a.tokens.lines[b0], a.tokens.lines[b1 + last]), (b.tokens.lines[c0], b.tokens.lines[c1 + last]), n)
                      for b0, b1, c0, c1, n in blocks])
    limit = options.budget.passages
    if len(merged) > limit:
        note = "; ".join(filter(None, [note, f"only the first {limit} of {len(merged)} matching passages are listed"]))
        merged = merged[:limit]
    return merged, note


def _touch(first: tuple[int, int], second: tuple[int, int]) -> bool:
    return second[0] <= first[1] + 1 and second[1] >= first[0] - 1


def _merged(matches: list[Match]) -> tuple[Match, ...]:
    """Passages whose line ranges touch in both submissions, as one passage (a report shows lines, not tokens)."""
    merged: list[Match] = []
    for match in sorted(matches, key=lambda m: (m.lines_a, m.lines_b)):
        previous = merged[-1] if merged else None
        if previous and _touch(previous.lines_a, match.lines_a) and _touch(previous.lines_b, match.lines_b):
            merged[-1] = Match((previous.lines_a[0], max(previous.lines_a[1], match.lines_a[1])),
                               (min(previous.lines_b[0], match.lines_b[0]), max(previous.lines_b[1], match.lines_b[1])),
                               previous.fingerprints + match.fingerprints)
        else:
            merged.append(match)
    return tuple(merged)


def _shared_counts(matrix: sparse.csr_matrix, deadline: Deadline) -> tuple[list[tuple[int, int, int]], int | None]:
    """(i, j, fingerprints shared) for every pair i < j sharing any, counted BLOCK_ROWS rows at a time; and
    the first row whose pairs were not counted because the batch's deadline came first (None: all were)."""
    transposed = matrix.T.tocsr()
    counts: list[tuple[int, int, int]] = []
    for start in range(0, matrix.shape[0], BLOCK_ROWS):
        if deadline.passed():
            return counts, start
        block = (matrix[start:start + BLOCK_ROWS] @ transposed).tocoo()
        upper = block.col > block.row + start
        counts.extend(zip((block.row[upper] + start).tolist(), block.col[upper].tolist(), block.data[upper].tolist()))
    return counts, None


def compare(documents: list[Document], given: list[str], options: SimilarityOptions = SimilarityOptions(),
            skipped: dict[str, str] | None = None, deadline: Deadline | None = None) -> SimilarityResult:
    """Every pair of `documents` at or above the threshold, with their matching passages, within the budget
    (`deadline` starts it when the caller began earlier; a test passes one with a clock of its own)."""
    deadline = deadline or Deadline(options.budget)
    skipped, partial = dict(skipped or {}), {}
    prepared = _prepare(documents, given, options, deadline, skipped, partial)
    cutoff = max(COMMON_FLOOR, math.floor(options.common_share * len(prepared)))
    matrix, common, _ = _incidence(prepared, cutoff)
    sizes = np.asarray(matrix.sum(axis=1)).ravel()
    counts, uncounted = _shared_counts(matrix, deadline)
    found = []
    for i, j, shared in counts:
        if shared < options.min_shared:
            continue
        score = shared / min(sizes[i], sizes[j])
        if score >= options.threshold:
            found.append((round(float(score), 4), int(shared), i, j))
    found.sort(key=lambda item: (-item[0], -item[1], prepared[item[2]].document.student, prepared[item[3]].document.student))
    pairs = []
    for score, shared, i, j in found:   # best first: when time runs out, the pairs left are the least alike
        a, b = prepared[i], prepared[j]
        if deadline.passed():
            matches, note = (), f"passages not located: {deadline.why()}"
        else:
            hashes = np.setdiff1d(np.intersect1d(a.prints.hashes, b.prints.hashes), common)
            matches, note = _matches(a, b, hashes, options, deadline.pair(), deadline.clock)
        pairs.append(Pair(a.document.student, b.document.student, score, shared, int(sizes[i]), int(sizes[j]),
                          matches, note))
    pairs.sort(key=lambda pair: (-pair.score, -pair.shared, pair.a, pair.b))
    unpaired = tuple(item.document.student for item in prepared[uncounted:]) if uncounted is not None else ()
    return SimilarityResult(tuple(pairs), len(prepared), skipped, cutoff, options, partial,
                            unpaired if len(unpaired) > 1 else (), deadline.why() if len(unpaired) > 1 else "")
