"""Winnowed fingerprints of a token stream (Schleimer, Wilkerson and Aiken, SIGMOD 2003; what MOSS uses).

Every run of K normalised tokens is hashed; in each window of W consecutive hashes the smallest is kept.
A passage shared by two files is then found if it is at least K + W - 1 tokens long, wherever it sits in
either file (fingerprints carry no position in their value, so reordered functions still match), and a
run shorter than K tokens never is (noise such as `return V . sum ( V )`). The hashes are computed
from fixed token codes, not Python's salted `hash()`, so a pair gets the same score in every run.

Code every student was given (the stub, the README's examples) is masked before winnowing: a K-gram
at least half made of token runs found in that code is not the author's.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import lru_cache
from typing import Iterable

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from grader.similarity.normalise import Tokens

_BASE = np.uint64(1_000_003)


@dataclass(frozen=True)
class Fingerprints:
    """The winnowed K-gram hashes of one text, in token order, and the token index each K-gram starts at."""

    hashes: np.ndarray      # uint64
    positions: np.ndarray   # int64


@lru_cache(maxsize=65536)
def _code(value: str) -> int:
    return int.from_bytes(hashlib.blake2b(value.encode("utf-8", "surrogatepass"), digest_size=8).digest(), "little")


def gram_hashes(tokens: Tokens, size: int) -> np.ndarray:
    """The hash of every run of `size` consecutive tokens (empty when there are fewer tokens)."""
    count = len(tokens) - size + 1
    if count <= 0:
        return np.zeros(0, dtype=np.uint64)
    codes = np.fromiter((_code(value) for value in tokens.values), dtype=np.uint64, count=len(tokens))
    hashes = np.zeros(count, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for offset in range(size):
            hashes = hashes * _BASE + codes[offset:offset + count]
    return hashes


def boilerplate_grams(texts: Iterable[Tokens], size: int) -> np.ndarray:
    """Sorted unique hashes of every `size`-token run in the code all students were given."""
    parts = [gram_hashes(tokens, size) for tokens in texts]
    return np.unique(np.concatenate(parts)) if parts else np.zeros(0, dtype=np.uint64)


def _own_tokens(tokens: Tokens, boilerplate: np.ndarray, size: int) -> np.ndarray:
    """1 for each token the author wrote, 0 for tokens inside a run that also occurs in the given code."""
    own = np.ones(len(tokens), dtype=np.int64)
    if boilerplate.size == 0 or len(tokens) < size:
        return own
    starts = np.flatnonzero(np.isin(gram_hashes(tokens, size), boilerplate, assume_unique=False))
    if starts.size:
        cover = np.zeros(len(tokens) + 1, dtype=np.int64)
        np.add.at(cover, starts, 1)
        np.add.at(cover, starts + size, -1)
        own[np.cumsum(cover)[:-1] > 0] = 0
    return own


def _winnow(hashes: np.ndarray, window: int) -> np.ndarray:
    """Indexes of the rightmost minimum of every window of `window` hashes (robust winnowing), unique, sorted."""
    if hashes.size == 0:
        return np.zeros(0, dtype=np.int64)
    window = min(window, hashes.size)
    windows = sliding_window_view(hashes, window)
    rightmost = window - 1 - np.argmin(windows[:, ::-1], axis=1)
    return np.unique(np.arange(windows.shape[0]) + rightmost)


def fingerprint(tokens: Tokens, k: int, window: int, boilerplate: np.ndarray, mask_size: int) -> Fingerprints:
    """The winnowed fingerprints of the K-grams the author wrote (at least half of each K-gram is theirs)."""
    hashes = gram_hashes(tokens, k)
    if hashes.size == 0:
        return Fingerprints(hashes, np.zeros(0, dtype=np.int64))
    own = np.concatenate([[0], np.cumsum(_own_tokens(tokens, boilerplate, mask_size))])
    owned = (own[k:] - own[:-k]) * 2 >= k
    positions = np.flatnonzero(owned)
    chosen = positions[_winnow(hashes[positions], window)]
    return Fingerprints(hashes[chosen], chosen.astype(np.int64))
