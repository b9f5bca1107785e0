"""Compare every pair of a batch's submissions through an index of their fingerprints.

No pair is diffed to find candidates: a sparse submissions-by-fingerprints matrix times its transpose
counts, for all pairs at once, how many fingerprints each pair shares; only the pairs above the threshold
are then walked to find their matching passages. A fingerprint that many submissions share is what many
students write (with a tiny exercise, many will), so like MOSS it is not counted as evidence: it is
dropped when more than `common_share` of the batch (and more than 10 submissions) have it.

Only what two students share beyond what the exercise dictates counts (dictated.py): the given code is
masked, and the K-grams the exercise's correct solutions share are dropped before anything is counted.
Each submission is compared twice, on two token streams (normalise.read_tokens): its structure (names,
comments and layout gone: a renamed, re-commented, reformatted copy is still found) and its code as
written (names and comments kept: where the exercise dictates the structure of every correct solution,
a copy still keeps what no two authors write alike). The score of a pair is the higher of the two, each
the share of the smaller submission's fingerprints found in the other, so a small file pasted into a
larger one scores high. Pairs sharing fewer than `min_shared` fingerprints are never reported, however
high their share: a handful of K-grams is a coincidence, not a copy; a submission with fewer than that
of its own (little more than the stub) is in no pair, and the result counts it. Two submissions whose
code is identical, character for character, score 1.0 whatever the common passages (a batch handed a
base to start from shares most of it), unless they are only the given code.

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

from grader.similarity import DEFAULT_THRESHOLD
from grader.similarity.budget import DEFAULT, SimilarityBudget, Clock, Deadline, cut_text, size
from grader.similarity.dictated import Dictated, Discount, dictated
from grader.similarity.fingerprint import Fingerprints, fingerprint
from grader.similarity.normalise import Tokens, read_tokens
from grader.similarity.sources import Document

COMMON_FLOOR = 10   # a fingerprint only this many submissions share is never "common"
BLOCK_ROWS = 256    # submissions whose pairs are counted between two looks at the clock
CLOCK_EVERY = 256   # fingerprints walked between two looks at the clock
STRUCTURE, VERBATIM = 0, 1   # the two token streams each submission is compared on
EVIDENCE = ("structure", "verbatim")   # what a pair's score was found in; "identical": the whole code


@dataclass(frozen=True)
class SimilarityOptions:
    """How submissions are compared. The defaults are the ones measured against independent correct solutions
    and planted copies (benchmarks/similarity_distributions.py)."""

    threshold: float = DEFAULT_THRESHOLD   # report pairs whose score is at least this
    k: int = 12               # tokens per K-gram: shorter runs are never evidence
    window: int = 4           # winnowing window: runs of k + window - 1 tokens are always found
    mask_size: int = 6        # token runs of given code this long are masked
    min_shared: int = 8       # fewer shared fingerprints than this is never reported
    common_share: float = 0.1
    dictated_by: int = 2      # a K-gram this many correct solutions contain is what the exercise dictates
    measured_from: int = 6    # fewer correct solutions than this (the reference alone): all their K-grams are
                              # dictated, since what correct solutions share cannot be measured from them
    budget: SimilarityBudget = DEFAULT

    def __post_init__(self) -> None:
        if not 0.0 < self.threshold <= 1.0:
            raise ValueError(f"the similarity threshold must be above 0 and at most 1, not {self.threshold}")
        if min(self.window, self.min_shared, self.dictated_by, self.measured_from) < 1 or min(self.k, self.mask_size) < 2:
            raise ValueError("k and mask_size must be at least 2, window, min_shared, dictated_by and measured_from "
                             "at least 1")
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
    shared: int           # fingerprints found in both (of the stream the score was found in)
    fingerprints_a: int   # fingerprints of a (after masking given, dictated and common code)
    fingerprints_b: int
    matches: tuple[Match, ...]
    note: str = ""        # what was not done for this pair (passages not all located or listed)
    evidence: str = "structure"   # "structure", "verbatim" (the code as written) or "identical"


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
    too_little: tuple[str, ...] = ()  # fewer than min_shared fingerprints of their own: in no pair
    solutions: int = 0               # correct solutions that measured what the exercise dictates


@dataclass(frozen=True)
class _Stream:
    tokens: Tokens
    prints: Fingerprints


@dataclass(frozen=True)
class _Prepared:
    document: Document
    streams: tuple[_Stream, _Stream]   # STRUCTURE, VERBATIM
    own: int                           # fingerprints of its code as written beyond the given code

    @property
    def tokens(self) -> Tokens:
        return self.streams[STRUCTURE].tokens

    @property
    def prints(self) -> Fingerprints:
        return self.streams[STRUCTURE].prints


def _lines(text: str) -> int:
    return text.count("\n") + (0 if text.endswith("\n") or not text else 1)


def _prepare_one(document: Document, mask: Dictated | np.ndarray, options: SimilarityOptions) -> tuple[_Prepared, str]:
    """One document's tokens and fingerprints within the budget, and what of it was left out ("" if nothing).
    `mask` is what the exercise dictates (an array: the given code's runs of the structure stream only)."""
    discount = mask if isinstance(mask, Dictated) else Dictated(Discount(given=mask))
    budget = options.budget
    notes = [document.left_out] if document.left_out else []
    text, left_out = cut_text(document.text, budget.source_bytes)
    if left_out:
        notes.append(f"only its first {size(len(text))} of code were compared ({left_out} characters left out)")
    streams, own, cut_tokens, cut_prints = [], 0, 0, 0
    for tokens, channel in zip(read_tokens(text, budget), (discount.structure, discount.verbatim)):
        if len(tokens) > budget.tokens:
            cut_tokens = max(cut_tokens, len(tokens))
            tokens = Tokens(tokens.values[:budget.tokens], tokens.lines[:budget.tokens])
        prints = fingerprint(tokens, options.k, options.window, channel.given, options.mask_size)
        if prints.hashes.size > budget.fingerprints:
            cut_prints = max(cut_prints, prints.hashes.size)
            prints = Fingerprints(prints.hashes[:budget.fingerprints], prints.positions[:budget.fingerprints])
        own = prints.hashes.size   # the last stream's: the code as written beyond the given code
        if channel.dictated.size:
            kept = ~np.isin(prints.hashes, channel.dictated)
            prints = Fingerprints(prints.hashes[kept], prints.positions[kept])
        streams.append(_Stream(tokens, prints))
    if cut_tokens:
        notes.append(f"only its first {budget.tokens} tokens were compared (of {cut_tokens})")
    if cut_prints:
        notes.append(f"only its first {budget.fingerprints} fingerprints were compared (of {cut_prints})")
    return _Prepared(document, (streams[0], streams[1]), own), "; ".join(notes)


def _prepare(documents: list[Document], discount: Dictated, options: SimilarityOptions, deadline: Deadline,
             skipped: dict[str, str], partial: dict[str, str]) -> list[_Prepared]:
    """Each document within the budget; what was left out goes to `partial`, and a document not reached
    before the batch's deadline to `skipped`."""
    prepared = []
    for document in documents:
        if deadline.passed():
            skipped[document.student] = f"not compared: {deadline.why()} before it was read"
            continue
        item, left_out = _prepare_one(document, discount, options)
        if left_out:
            partial[document.student] = left_out
        prepared.append(item)
    return prepared


def _incidence(prepared: list[_Prepared], cutoff: int, stream: int = STRUCTURE) -> tuple[sparse.csr_matrix, np.ndarray, np.ndarray]:
    """Submissions x distinct fingerprints of one stream (1 where a submission has one), without the common ones."""
    uniques = [np.unique(item.streams[stream].prints.hashes) for item in prepared]
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


def _matches(first: _Prepared, second: _Prepared, shared: np.ndarray, options: SimilarityOptions,
             until: tuple[float, str], clock: Clock, stream: int = STRUCTURE) -> tuple[tuple[Match, ...], str]:
    """The passages of a found in b (in one stream): a's shared fingerprints in order, grouped while b's follow
    along; and what was not done when the pair's deadline came first or there were more passages than the
    budget lists."""
    a, b = first.streams[stream], second.streams[stream]
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
            note = f"passages located in the first {step} of {len(walk)} shared fingerprints of {first.document.student}: {until[1]}"
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


def _shared_counts(matrices: list[sparse.csr_matrix], deadline: Deadline) -> tuple[dict[tuple[int, int], list[int]], int | None]:
    """(i, j) -> fingerprints shared in each stream, for every pair i < j sharing any, counted BLOCK_ROWS rows
    at a time (every stream of a block before the next look at the clock); and the first row whose pairs were
    not counted because the batch's deadline came first (None: all were)."""
    transposed = [matrix.T.tocsr() for matrix in matrices]
    counts: dict[tuple[int, int], list[int]] = {}
    for start in range(0, matrices[0].shape[0], BLOCK_ROWS):
        if deadline.passed():
            return counts, start
        for stream, (matrix, other) in enumerate(zip(matrices, transposed)):
            block = (matrix[start:start + BLOCK_ROWS] @ other).tocoo()
            upper = block.col > block.row + start
            for i, j, shared in zip((block.row[upper] + start).tolist(), block.col[upper].tolist(), block.data[upper].tolist()):
                counts.setdefault((i, j), [0] * len(matrices))[stream] = shared
    return counts, None


def _identical(prepared: list[_Prepared]) -> list[int]:
    """For each submission, the index of the first submission whose code is the same text (its own index when
    none before it is): one pass over the batch."""
    first: dict[str, int] = {}
    return [first.setdefault(item.document.text, index) for index, item in enumerate(prepared)]


def compare(documents: list[Document], given: list[str], options: SimilarityOptions = SimilarityOptions(),
            skipped: dict[str, str] | None = None, deadline: Deadline | None = None,
            solutions: list[str] | tuple[str, ...] = ()) -> SimilarityResult:
    """Every pair of `documents` at or above the threshold, with their matching passages, within the budget
    (`deadline` starts it when the caller began earlier; a test passes one with a clock of its own).
    `given` is the code every student was given, `solutions` the exercise's correct solutions (the reference
    and those written independently): what they share is not counted."""
    deadline = deadline or Deadline(options.budget)
    skipped = dict(skipped or {})
    partial: dict[str, str] = {}
    discount = dictated(given, list(solutions[:options.budget.solutions]), options.k, options.mask_size,
                        options.dictated_by, options.budget, options.measured_from)
    prepared = _prepare(documents, discount, options, deadline, skipped, partial)
    cutoff = max(COMMON_FLOOR, math.floor(options.common_share * len(prepared)))
    indexes = [_incidence(prepared, cutoff, stream) for stream in (STRUCTURE, VERBATIM)]
    sizes = [np.asarray(matrix.sum(axis=1)).ravel() for matrix, _, _ in indexes]
    counts, uncounted = _shared_counts([matrix for matrix, _, _ in indexes], deadline)
    # Identical code is reported whatever the common passages, unless it is (almost) only what every student was
    # given: fewer than min_shared fingerprints of it, as written, are its own. m identical files are m - 1 pairs
    # with the first of them (and every pair the index counts): linear in the batch.
    head = _identical(prepared)
    twin = {index for index, first in enumerate(head) if first != index and prepared[index].own >= options.min_shared}
    twin |= {head[index] for index in twin}
    found: dict[tuple[int, int], tuple[float, int, int]] = {}   # (i, j) -> (score, shared, stream; -1: identical)
    for (i, j), per_stream in counts.items():
        if head[i] == head[j]:
            if i in twin:
                found[(i, j)] = (1.0, prepared[i].own, -1)
            continue
        best = max(((per_stream[n] / min(sizes[n][i], sizes[n][j]), per_stream[n], n) for n in (STRUCTURE, VERBATIM)
                    if per_stream[n] >= options.min_shared), default=None)
        if best is not None and best[0] >= options.threshold:
            found[(i, j)] = (round(float(best[0]), 4), int(best[1]), best[2])
    for index in sorted(twin):
        if head[index] != index:
            found.setdefault((head[index], index), (1.0, prepared[index].own, -1))
    ranked = sorted(found.items(), key=lambda item: (-item[1][0], -item[1][1], prepared[item[0][0]].document.student,
                                                     prepared[item[0][1]].document.student))
    pairs = []
    for (i, j), (score, shared, stream) in ranked:   # best first: when time runs out, the pairs left are the least alike
        a, b = prepared[i], prepared[j]
        if stream < 0:   # the same code: one passage, all of it
            lines = _lines(a.document.text)
            pairs.append(Pair(a.document.student, b.document.student, score, shared, a.own, b.own,
                              (Match((1, lines), (1, lines), shared),), "", "identical"))
            continue
        matches: tuple[Match, ...]
        if deadline.passed():
            matches, note = (), f"passages not located: {deadline.why()}"
        else:
            hashes = np.setdiff1d(np.intersect1d(a.streams[stream].prints.hashes, b.streams[stream].prints.hashes),
                                  indexes[stream][1])
            matches, note = _matches(a, b, hashes, options, deadline.pair(), deadline.clock, stream)
        pairs.append(Pair(a.document.student, b.document.student, score, shared, int(sizes[stream][i]),
                          int(sizes[stream][j]), matches, note, EVIDENCE[stream]))
    pairs.sort(key=lambda pair: (-pair.score, -pair.shared, pair.a, pair.b))
    unpaired = tuple(item.document.student for item in prepared[uncounted:]) if uncounted is not None else ()
    too_little = tuple(item.document.student for index, item in enumerate(prepared)
                       if index not in twin and max(sizes[STRUCTURE][index], sizes[VERBATIM][index]) < options.min_shared)
    return SimilarityResult(tuple(pairs), len(prepared), skipped, cutoff, options, partial,
                            unpaired if len(unpaired) > 1 else (), deadline.why() if len(unpaired) > 1 else "",
                            too_little, discount.solutions)
