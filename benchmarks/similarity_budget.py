"""What hostile files cost similarity, against an honest 02_backprop submission timed in the same process.

    python benchmarks/similarity_budget.py [--repeat 3]

The hostile inputs of issue 22: 1 MB of lines that each open a triple-quoted string that never closes
(tokenize re-read the rest of the file from every line), 1 MB of long lines of escaped quotes (quadratic
inside a line), and the same 1.9 MB of one repeated line handed in by two students (each shared fingerprint
was compared with every one of the other's). Prints, best of --repeat runs:
  1. reading (tokens + winnowed fingerprints) each input, per KiB, as a ratio to the honest submission's;
  2. the tokenizer on growing prefixes of each input, per KiB (flat = linear), and the naive baseline: the
     tokenizer before the budget (Python's tokenize, resumed after each error), on smaller prefixes;
  3. comparing the hostile pair against comparing an honest copied pair, and a batch of the six independent
     solutions with three copies, with and without the hostile files.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
import tokenize
from collections.abc import Callable
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from similarity_copies import disguise, rename, reorder  # noqa: E402
from grader.course.manifest import load_course  # noqa: E402
from grader.similarity.budget import SimilarityBudget  # noqa: E402
from grader.similarity import compare as compare_module  # noqa: E402
from grader.similarity.compare import SimilarityOptions, _prepare_one, compare  # noqa: E402
from grader.similarity.fingerprint import boilerplate_grams  # noqa: E402
from grader.similarity import normalise as normalise_module  # noqa: E402
from grader.similarity.normalise import normalise  # noqa: E402
from grader.similarity.sources import Document, given_code  # noqa: E402

EXERCISE = load_course(ROOT / "course.yaml").exercise("02_backprop")
REFERENCE = EXERCISE.reference_path.read_text()
INDEPENDENT = {p.stem: p.read_text() for p in sorted((ROOT / "solutions/02_backprop/independent").glob("*.py"))}
INDEPENDENT["reference"] = REFERENCE
HONEST = {**INDEPENDENT, "copier": disguise(INDEPENDENT["chen"], 3), "renamer": rename(REFERENCE, 1),
          "reorderer": reorder(INDEPENDENT["ana"], 2)}
HOSTILE = {
    "unclosed strings (1 MB)": '\\"""x\n' * 170_000,
    "escaped quotes (1 MB)": ('"\\' * 8000 + "x\n") * 64,
    "one repeated line (1.9 MB)": "y = np.exp(a) + np.tanh(b) * 3 - len(c) / 2 + abs(d) ** 4 % max(e, 5)\n" * 27_000,
}
GIVEN = given_code(EXERCISE)


def best(action: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return min(times)


def naive_raw_tokens(text: str, budget: SimilarityBudget | None = None) -> list:
    """The tokenizer before the budget: Python's tokenize over the whole text, resumed on the line after each
    error, so an unclosed string made it read the rest of the text again (and a long line cost its square)."""
    lines = text.splitlines(keepends=True)
    out: list = []
    first = 0
    while first < len(lines):
        cursor = iter(range(first, len(lines)))   # as it was: O(1) per line handed out

        def reader(cursor=cursor) -> str:
            index = next(cursor, None)
            return "" if index is None else lines[index]

        try:
            for item in tokenize.generate_tokens(reader):
                out.append(normalise_module._Raw(item.type, item.string, item.start[0] + first))
            break
        except tokenize.TokenError as exc:
            first += max(1, exc.args[1][0] if len(exc.args) > 1 and isinstance(exc.args[1], tuple) else len(lines))
        except SyntaxError as exc:
            first += max(1, exc.lineno or 1)
    return out


def naive_normalise(text: str) -> object:
    """`normalise` as it was before the budget: the same steps around the old tokenizer."""
    current = normalise_module._raw_tokens
    normalise_module._raw_tokens = naive_raw_tokens
    try:
        return normalise(text)
    finally:
        normalise_module._raw_tokens = current


def walk_seconds(text: str, mask: np.ndarray, repeat: int, naive: bool) -> float:
    """The time to locate the matching passages of two students who handed in `text`: now (the nearest
    occurrence in the other file by bisection), or as before the budget (by a scan of every occurrence, which
    a repeated line makes every fingerprint times every fingerprint)."""
    options = SimilarityOptions()
    a, _ = _prepare_one(Document("a", text), mask, options)
    b, _ = _prepare_one(Document("b", text), mask, options)
    shared = np.intersect1d(a.prints.hashes, b.prints.hashes)
    current = compare_module._nearest
    if naive:
        compare_module._nearest = lambda positions, target: min(positions, key=lambda c: abs(c - target))
    try:
        return best(lambda: compare_module._matches(a, b, shared, options, (math.inf, ""), time.monotonic),
                    1 if naive else repeat)
    finally:
        compare_module._nearest = current


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    repeat = parser.parse_args().repeat
    budget = SimilarityBudget()
    print(f"budget: {budget.source_bytes // 1024} KiB, {budget.tokens} tokens, {budget.fingerprints} fingerprints per "
          f"submission; Python's tokenize up to {budget.python_tokenize_bytes // 1024} KiB and lines of "
          f"{budget.long_line} characters; {budget.passages} passages, {budget.pair_seconds:g} s per pair, "
          f"{budget.batch_seconds:g} s per batch")

    options = SimilarityOptions()
    mask = boilerplate_grams((normalise(text) for text in GIVEN), options.mask_size)
    honest = best(lambda: _prepare_one(Document("a", REFERENCE), mask, options), repeat * 10)
    honest_kib = len(REFERENCE) / 1024
    print(f"\n1. reading one submission (tokens + fingerprints), best of {repeat}; baseline: the reference solution, "
          f"{len(REFERENCE)} bytes, {honest * 1000:.2f} ms = {honest / honest_kib * 1000:.2f} ms/KiB")
    for name, text in HOSTILE.items():
        seconds = best(lambda text=text: _prepare_one(Document("a", text), mask, options), repeat)
        kib = len(text) / 1024
        print(f"   {name:28} {seconds:7.3f} s = {seconds / kib * 1000:6.3f} ms/KiB of input: "
              f"{seconds / honest:6.0f}x the honest file's time, {(seconds / kib) / (honest / honest_kib):5.2f}x per KiB")

    print("\n2. tokenizing prefixes of each input, ms/KiB (flat = linear)")
    sizes = (32 * 1024, 64 * 1024, 128 * 1024, 256 * 1024)
    naive_sizes = (4 * 1024, 8 * 1024, 16 * 1024)
    print(f"   {'':28} " + "".join(f"{size // 1024:>7} KiB" for size in sizes) + "  | before:"
          + "".join(f"{size // 1024:>7} KiB" for size in naive_sizes))
    for name, text in {"honest (reference repeated)": REFERENCE * 300, **HOSTILE}.items():
        cells = [best(lambda size=size, text=text: normalise(text[:size]), repeat) / (size / 1024) * 1000 for size in sizes]
        naive = [best(lambda size=size, text=text: naive_normalise(text[:size]), 1) / (size / 1024) * 1000 for size in naive_sizes]
        print(f"   {name:28} " + "".join(f"{cell:11.3f}" for cell in cells) + "  |        "
              + "".join(f"{cell:11.3f}" for cell in naive))

    print(f"\n3. comparing, best of {repeat}")
    copied = {"reference": REFERENCE, "renamer": rename(REFERENCE, 1)}
    pair = best(lambda: compare([Document(s, t) for s, t in copied.items()], GIVEN), repeat)
    repeated = HOSTILE["one repeated line (1.9 MB)"]
    hostile_pair = best(lambda: compare([Document("a", repeated), Document("b", repeated)], GIVEN), repeat)
    result = compare([Document("a", repeated), Document("b", repeated)], GIVEN)
    print(f"   an honest copied pair (reference, renamed copy), given code masked: {pair * 1000:8.2f} ms")
    print(f"   the two students with the same 1.9 MB repeated line:                  {hostile_pair * 1000:8.2f} ms = "
          f"{hostile_pair / pair:.1f}x (score {result.pairs[0].score:.2f}, {len(result.pairs[0].matches)} passages)")
    line = repeated.splitlines(keepends=True)[0]
    for count in (250, 500, 1000, 27_000):   # above about 1,400 lines the 50,000 tokens cap applies
        now = walk_seconds(line * count, mask, repeat, naive=False)
        before = f"{walk_seconds(line * count, mask, repeat, naive=True) * 1000:9.1f} ms" if count <= 1000 else "(not run)"
        print(f"   locating the passages of the repeated line {count:6} times in both: {now * 1000:7.1f} ms; "
              f"before (every occurrence scanned): {before}")
    documents = [Document(s, t) for s, t in sorted(HONEST.items())]
    hostile_docs = [Document(f"hostile{i}", t) for i, t in enumerate([*HOSTILE.values(), repeated])]
    alone = best(lambda: compare(documents, GIVEN, SimilarityOptions(threshold=0.3)), repeat)
    among = best(lambda: compare(documents + hostile_docs, GIVEN, SimilarityOptions(threshold=0.3)), repeat)
    print(f"   {len(documents)} honest submissions:                      {alone:8.3f} s")
    print(f"   the same with the 4 hostile files (5.8 MB more):   {among:8.3f} s = {among / alone:.1f}x")


if __name__ == "__main__":
    main()
