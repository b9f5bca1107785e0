"""Similarity scores of independent correct solutions and of planted copies, per exercise: where the threshold goes.

    python benchmarks/similarity_distributions.py [--exercise ID ...] [--threshold SHARE] [--reference-only]

For every exercise with correct solutions written independently (solutions/ID/independent/*.py, each
earning full marks) the two distributions are measured with `compare` as `grade similarity` runs it:
- independent: every pair of those solutions and the reference. What correct solutions share is measured
  without the pair's own two files (leave-two-out; the reference always stays, as at run time), so each
  pair is scored as two new students would be, not against a corpus that already holds their code;
- copies: every solution and the reference, copied (identical), with its variables renamed, its functions
  reordered, re-commented, with dead code added, and all four at once (tests/similarity_copies.py), scored
  against its original, with the original left out of the correct solutions (the reference stays).
A pair is scored alone (no batch whose common passages are dropped): the harder case for both. A score of 0
means the pair would never be reported (fewer than min_shared fingerprints shared beyond what the exercise
dictates). Prints min / median / max and a histogram of each, the copies no threshold can find and why, the
largest independent score and the share of copies found at each threshold, and the threshold chosen: half way
between the highest independent score and the lowest score of a copy found at all, rounded up to 0.05 (wrongly
reporting an honest student costs more than missing a disguised copy).

--reference-only measures what an exercise without independently written solutions would get (every exercise
has some now: 02, 05 and 06 eight or more, 01, 03, 04 and 07-09 two or three): the correct solutions are the
reference alone, too few to measure what they share, so all of it is discounted (SimilarityOptions.measured_from).
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
from itertools import combinations
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from similarity_copies import add_dead_code, disguise, recomment, rename, reorder  # noqa: E402
from grader.course.manifest import load_course  # noqa: E402
from grader.similarity import DEFAULT_THRESHOLD  # noqa: E402
from grader.similarity.compare import SimilarityOptions, compare  # noqa: E402
from grader.similarity.sources import INDEPENDENT_DIR, Document, given_code  # noqa: E402

COPIES = {
    "identical": lambda source, seed: source,
    "renamed": lambda source, seed: rename(source, seed),
    "reordered": lambda source, seed: reorder(source, seed),
    "re-commented": lambda source, seed: recomment(source, seed),
    "dead code": lambda source, seed: add_dead_code(source, seed),
    "all four": lambda source, seed: add_dead_code(recomment(disguise(source, seed), seed), seed),
}
EVERY = SimilarityOptions(threshold=1e-9)   # every pair that would be reported at some threshold


def solutions_of(exercise_id: str) -> dict[str, str]:
    """The exercise's correct solutions written independently, and its reference, by name."""
    course = load_course(ROOT / "course.yaml")
    folder = ROOT / "solutions" / exercise_id / INDEPENDENT_DIR
    found = {path.stem: path.read_text() for path in sorted(folder.glob("*.py"))}
    found["reference"] = course.exercise(exercise_id).reference_path.read_text()
    return found


def score(a: str, b: str, given: list[str], corpus: list[str]) -> tuple[float, str]:
    result = compare([Document("a", a), Document("b", b)], given, EVERY, solutions=corpus)
    if result.pairs:
        return result.pairs[0].score, result.pairs[0].evidence
    return 0.0, "too little of its own" if result.too_little else "shares too little"


REFERENCE_ONLY = False


def corpus_without(solutions: dict[str, str], *left_out: str) -> list[str]:
    """The reference first (as sources.correct_solutions reads it), then every other solution not left out."""
    if REFERENCE_ONLY:
        return [solutions["reference"]]
    return [solutions["reference"]] + [text for name, text in solutions.items()
                                       if name != "reference" and name not in left_out]


def measure(exercise_id: str) -> tuple[list[tuple[float, str, str, str]], list[tuple[float, str, str, str]]]:
    exercise = load_course(ROOT / "course.yaml").exercise(exercise_id)
    given = given_code(exercise)
    solutions = solutions_of(exercise_id)
    independent = []
    for a, b in combinations(sorted(solutions), 2):
        value, evidence = score(solutions[a], solutions[b], given, corpus_without(solutions, a, b))
        independent.append((value, a, b, evidence))
    copies = []
    for seed, name in enumerate(sorted(solutions)):
        corpus = corpus_without(solutions, name)
        for kind, make in COPIES.items():
            value, evidence = score(solutions[name], make(solutions[name], seed), given, corpus)
            copies.append((value, name, kind, evidence))
    return independent, copies


def histogram(values: list[float], bins: int = 10) -> str:
    counts = [0] * bins
    for value in values:
        counts[min(bins - 1, int(value * bins))] += 1
    return "  ".join(f"{n / bins:.1f}-{(n + 1) / bins:.1f}:{count:>3}" for n, count in enumerate(counts))


def summary(values: list[float]) -> str:
    return f"min {min(values):.2f}  median {statistics.median(values):.2f}  max {max(values):.2f}"


def report(ids: list[str], threshold: float) -> tuple[float, float]:
    """Print both distributions per exercise and over all; the highest independent score and the lowest score
    of a copy found at all."""
    every_independent, every_copy = [], []
    for exercise_id in ids:
        independent, copies = measure(exercise_id)
        every_independent += independent
        every_copy += copies
        solutions = len({name for _, name, _, _ in copies})
        print(f"{exercise_id}: {solutions} correct solutions ({solutions - 1} written independently and the reference)")
        print(f"  independent pairs  {len(independent):>4}: {summary([v for v, *_ in independent])}")
        print(f"    {histogram([v for v, *_ in independent])}")
        print(f"  planted copies     {len(copies):>4}: {summary([v for v, *_ in copies])}")
        print(f"    {histogram([v for v, *_ in copies])}")
        top = sorted(independent, reverse=True)[:3]
        print("  highest independent: " + ", ".join(f"{a}/{b} {v:.2f} ({e})" for v, a, b, e in top))
        for kind in COPIES:
            values = [v for v, _, k, _ in copies if k == kind]
            print(f"    copies {kind:<13} {summary(values)}")
        lost = [(v, name, kind, why) for v, name, kind, why in copies if v < threshold]
        print(f"  copies below {threshold:g}: {len(lost)} of {len(copies)}"
              + "".join(f"\n    {name} {kind}: {v:.2f} ({why})" for v, name, kind, why in sorted(lost)))
    highest = max(v for v, *_ in every_independent)
    lowest = min((item for item in every_copy if item[0] > 0), default=(1.0, "-", "-", "-"))
    print(f"all exercises: {len(every_independent)} independent pairs, {len(every_copy)} planted copies")
    print(f"  independent: {summary([v for v, *_ in every_independent])}")
    print(f"    {histogram([v for v, *_ in every_independent])}")
    print(f"  copies:      {summary([v for v, *_ in every_copy])}")
    print(f"    {histogram([v for v, *_ in every_copy])}")
    print(f"  independent pairs with any score (sharing at least min_shared fingerprints beyond what is dictated): "
          f"{sum(1 for v, *_ in every_independent if v > 0)}")
    print("  threshold  independent at or above  copies at or above")
    for step in range(4, 20):
        value = step / 20
        above = sum(1 for v, *_ in every_independent if v >= value)
        found = sum(1 for v, *_ in every_copy if v >= value)
        print(f"    {value:.2f}     {above:>4} of {len(every_independent)}"
              f"              {found:>4} of {len(every_copy)} ({found / len(every_copy):.0%})")
    never = sum(1 for v, *_ in every_copy if v == 0)
    print(f"  highest independent score {highest:.2f}; lowest score of a copy found at all {lowest[0]:.2f} "
          f"({lowest[1]}, {lowest[2]}); {never} copies score 0 (never reported: too little of the original is its own "
          f"beyond what the exercise dictates)")
    found = sum(1 for v, *_ in every_copy if v >= threshold)
    print(f"  the default {threshold:g} reports {sum(1 for v, *_ in every_independent if v >= threshold)} of "
          f"{len(every_independent)} independent pairs and {found} of {len(every_copy)} copies ({found / len(every_copy):.0%})")
    return highest, lowest[0]


def main() -> None:
    global REFERENCE_ONLY
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--exercise", action="append", help="an exercise id (default: every one with fixtures)")
    parser.add_argument("--threshold", type=float, default=DEFAULT_THRESHOLD, help="the threshold to report on")
    parser.add_argument("--reference-only", action="store_true",
                        help="only the reference as the correct solutions, as for an exercise without fixtures")
    options = parser.parse_args()
    ids = options.exercise or sorted(path.parent.name for path in (ROOT / "solutions").glob(f"*/{INDEPENDENT_DIR}") if path.is_dir())
    REFERENCE_ONLY = options.reference_only
    print(f"== correct solutions: {'the reference alone' if REFERENCE_ONLY else 'the reference and the fixtures'}")
    highest, lowest = report(ids, options.threshold)
    if options.reference_only or options.exercise:
        return
    REFERENCE_ONLY = True
    print("\n== correct solutions: the reference alone (what an exercise without fixtures gets)")
    alone, _ = report(ids, options.threshold)
    chosen = math.floor(lowest * 20 + 1e-9) / 20
    print(f"\nchosen threshold: {chosen:.2f}, the highest step of 0.05 that still reports every copy found at all with "
          f"the fixtures (lowest {lowest:.2f}); above every independent score with them ({highest:.2f}) and with the "
          f"reference alone ({alone:.2f}), so no honest pair here is reported: "
          f"{'separates' if chosen > max(highest, alone) else 'DOES NOT SEPARATE'}")


if __name__ == "__main__":
    main()
