"""Compare every pair of a batch's submissions through an index of their fingerprints.

No pair is diffed to find candidates: a sparse submissions-by-fingerprints matrix times its transpose
counts, for all pairs at once, how many fingerprints each pair shares; only the pairs above the threshold
are then walked to find their matching passages. A fingerprint that many submissions share is what many
students write (with a tiny exercise, many will), so like MOSS it is not counted as evidence: it is
dropped when more than `common_share` of the batch (and more than 10 submissions) have it.

The score of a pair is the share of the smaller submission's fingerprints found in the other, so a small
file pasted into a larger one scores high. Pairs sharing fewer than `min_shared` fingerprints are never
reported, however high their share: a handful of K-grams is a coincidence, not a copy.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import sparse

from grader.similarity.fingerprint import Fingerprints, boilerplate_grams, fingerprint
from grader.similarity.normalise import Tokens, normalise
from grader.similarity.sources import Document

COMMON_FLOOR = 10   # a fingerprint only this many submissions share is never "common"


@dataclass(frozen=True)
class SimilarityOptions:
    """How submissions are compared. The defaults are the ones tested against independent solutions."""

    threshold: float = 0.5    # report pairs whose score is at least this
    k: int = 12               # tokens per K-gram: shorter runs are never evidence
    window: int = 4           # winnowing window: runs of k + window - 1 tokens are always found
    mask_size: int = 6        # token runs of given code this long are masked
    min_shared: int = 8       # fewer shared fingerprints than this is never reported
    common_share: float = 0.1

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


@dataclass(frozen=True)
class SimilarityResult:
    pairs: tuple[Pair, ...]          # at or above the threshold, highest score first
    compared: int                    # submissions compared
    skipped: dict[str, str]          # student -> why their submission was not compared
    common_cutoff: int               # fingerprints in more submissions than this were not counted
    options: SimilarityOptions


@dataclass(frozen=True)
class _Prepared:
    document: Document
    tokens: Tokens
    prints: Fingerprints


def _prepare(documents: list[Document], given: list[str], options: SimilarityOptions) -> list[_Prepared]:
    mask = boilerplate_grams((normalise(text) for text in given), options.mask_size)
    prepared = []
    for document in documents:
        tokens = normalise(document.text)
        prepared.append(_Prepared(document, tokens, fingerprint(tokens, options.k, options.window, mask,
                                                                options.mask_size)))
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


def _matches(a: _Prepared, b: _Prepared, shared: np.ndarray, options: SimilarityOptions) -> tuple[Match, ...]:
    """The passages of a found in b: a's shared fingerprints in order, grouped while b's follow along."""
    in_b: dict[int, list[int]] = {}
    b_shared = np.isin(b.prints.hashes, shared)
    for value, position in zip(b.prints.hashes[b_shared].tolist(), b.prints.positions[b_shared].tolist()):
        in_b.setdefault(value, []).append(position)
    a_shared = np.isin(a.prints.hashes, shared)
    blocks: list[list[int]] = []          # [a_first, a_last, b_first, b_last, count]
    reach = options.k + options.window
    for value, p in zip(a.prints.hashes[a_shared].tolist(), a.prints.positions[a_shared].tolist()):
        candidates = in_b[value]
        if blocks:
            block = blocks[-1]
            expected = block[3] + (p - block[1])
            q = min(candidates, key=lambda c: abs(c - expected))
            if p - block[1] <= reach and q > block[3] and abs((q - block[3]) - (p - block[1])) <= reach:
                block[1], block[3], block[4] = p, q, block[4] + 1
                continue
        q = candidates[0] if not blocks else min(candidates, key=lambda c: abs(c - blocks[-1][3]))
        blocks.append([p, p, q, q, 1])
    last = options.k - 1
    return _merged([Match((a.tokens.lines[b0], a.tokens.lines[b1 + last]), (b.tokens.lines[c0], b.tokens.lines[c1 + last]), n)
                    for b0, b1, c0, c1, n in blocks])


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


def compare(documents: list[Document], given: list[str], options: SimilarityOptions = SimilarityOptions(),
            skipped: dict[str, str] | None = None) -> SimilarityResult:
    """Every pair of `documents` at or above the threshold, with their matching passages."""
    prepared = _prepare(documents, given, options)
    cutoff = max(COMMON_FLOOR, math.floor(options.common_share * len(prepared)))
    matrix, common, _ = _incidence(prepared, cutoff)
    sizes = np.asarray(matrix.sum(axis=1)).ravel()
    shared_counts = sparse.triu(matrix @ matrix.T, k=1).tocoo()
    pairs = []
    for i, j, shared in zip(shared_counts.row.tolist(), shared_counts.col.tolist(), shared_counts.data.tolist()):
        if shared < options.min_shared:
            continue
        score = shared / min(sizes[i], sizes[j])
        if score < options.threshold:
            continue
        a, b = prepared[i], prepared[j]
        hashes = np.setdiff1d(np.intersect1d(a.prints.hashes, b.prints.hashes), common)
        pairs.append(Pair(a.document.student, b.document.student, round(float(score), 4), int(shared),
                          int(sizes[i]), int(sizes[j]), _matches(a, b, hashes, options)))
    pairs.sort(key=lambda pair: (-pair.score, -pair.shared, pair.a, pair.b))
    return SimilarityResult(tuple(pairs), len(prepared), dict(skipped or {}), cutoff, options)
