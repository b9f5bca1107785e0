"""Similarity at course scale: N generated submissions of 02_backprop compared pair by pair.

    python benchmarks/similarity_scale.py [--count 1000] [--copies 20]

Each submission takes every function from one of six independently written correct solutions (the test
fixtures and the reference), chosen at random, renames its variables, maybe reorders the functions, and
adds a helper of its own (what makes two students' files differ beyond the exercise). `--copies` of them
are handed in again by another student, renamed, reformatted and reordered. The files are written to a
folder and read back as `grade similarity` reads them. Prints the time of each stage, the naive baseline
(the same fingerprints, every pair's sets intersected as copydetect's loop does, timed on 200 and
extrapolated), and which planted pairs were found.
"""

from __future__ import annotations

import argparse
import ast
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from similarity_copies import disguise, rename, reorder  # noqa: E402
from grader.course.manifest import load_course  # noqa: E402
from grader.similarity.compare import SimilarityOptions, compare  # noqa: E402
from grader.similarity.fingerprint import boilerplate_grams, fingerprint  # noqa: E402
from grader.similarity.normalise import normalise  # noqa: E402
from grader.similarity.export import similarity_csv  # noqa: E402
from grader.similarity.report import similarity_section  # noqa: E402
from grader.similarity.sources import given_code, read_document  # noqa: E402

EXERCISE = load_course(ROOT / "course.yaml").exercise("02_backprop")
# The students draw their functions from six solutions (five written independently, and the reference): with
# more, each variant is rarer in the batch than the filter for what many students share expects of a class.
SOLUTIONS = [(ROOT / "solutions/02_backprop/independent" / f"{name}.py").read_text()
             for name in ("ana", "ben", "chen", "dara", "emil")] + [EXERCISE.reference_path.read_text()]


def _functions(source: str) -> dict[str, str]:
    lines = source.splitlines()
    return {node.name: "\n".join(lines[node.lineno - 1:node.end_lineno])
            for node in ast.parse(source).body if isinstance(node, ast.FunctionDef)}


VARIANTS = [_functions(source) for source in SOLUTIONS]
NAMES = ["sigmoid", "forward", "error", "gradients", "update", "train"]


def _helper(rng: random.Random) -> str:
    """A function of the student's own: a few random statements (a check, a plot helper, a debug print)."""
    operators = ["+", "-", "*", "/", "%", "**"]
    body = [f"    acc = {rng.randint(0, 9)}"]
    for _ in range(rng.randint(5, 12)):
        kind = rng.random()
        if kind < 0.4:
            body.append(f"    acc = acc {rng.choice(operators)} values[{rng.randint(0, 5)}] {rng.choice(operators)} {rng.randint(1, 99)}")
        elif kind < 0.7:
            body.append(f"    if acc > {rng.randint(1, 50)}:\n        acc = {rng.choice(['min', 'max', 'abs'])}(acc, {rng.randint(0, 9)})")
        else:
            body.append(f"    print('step', {rng.randint(0, 9)}, acc {rng.choice(operators)} {rng.random():.3f})")
    return f"def helper_{rng.randint(0, 999)}(values):\n" + "\n".join(body) + "\n    return acc\n"


def _submission(rng: random.Random) -> str:
    source = "import math\nimport numpy as np\n\n\n" + "\n\n\n".join(
        rng.choice(VARIANTS)[name] for name in NAMES) + "\n\n\n" + _helper(rng)
    source = rename(source, rng.randrange(10**6))
    return reorder(source, rng.randrange(10**6)) if rng.random() < 0.3 else source


def naive_seconds(documents: list, options: SimilarityOptions, sample: int) -> float:
    """The baseline: fingerprint as the index does, then intersect every pair of a sample (copydetect's loop);
    the time of all pairs of the batch, extrapolated from the sample."""
    mask = boilerplate_grams((normalise(text) for text in given_code(EXERCISE)), options.mask_size)
    started = time.perf_counter()
    prints = [set(fingerprint(normalise(d.text), options.k, options.window, mask, options.mask_size).hashes.tolist())
              for d in documents]
    fingerprinted = time.perf_counter()
    part = prints[:sample]
    for i, first in enumerate(part):
        for second in part[i + 1:]:
            len(first & second) / max(1, min(len(first), len(second)))
    pairs_seconds = (time.perf_counter() - fingerprinted) * (len(prints) * (len(prints) - 1)) / (sample * (sample - 1))
    return fingerprinted - started + pairs_seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--copies", type=int, default=20)
    parser.add_argument("--seed", type=int, default=15)
    options = parser.parse_args()
    rng = random.Random(options.seed)
    with tempfile.TemporaryDirectory() as folder:
        sources = {f"s{i:04d}": _submission(rng) for i in range(options.count - options.copies)}
        originals = rng.sample(sorted(sources), options.copies)
        planted = set()
        for index, original in enumerate(originals):
            copier = f"c{index:04d}"
            sources[copier] = disguise(sources[original], index)
            planted.add(frozenset((original, copier)))
        for student, source in sources.items():
            (Path(folder) / f"{student}.py").write_text(source)

        started = time.perf_counter()
        documents = [read_document(p.stem, p, 1 << 21) for p in sorted(Path(folder).iterdir())]
        read = time.perf_counter()
        result = compare(documents, given_code(EXERCISE), SimilarityOptions())
        compared = time.perf_counter()
        by_student = {document.student: document for document in documents}
        similarity_csv(result, by_student)
        similarity_section(result, by_student)
        written = time.perf_counter()

    naive = naive_seconds(documents, SimilarityOptions(), min(200, len(documents)))
    loose = compare(documents, given_code(EXERCISE), SimilarityOptions(common_share=1.0))
    found = {frozenset((pair.a, pair.b)) for pair in result.pairs}
    print(f"{len(documents)} submissions of {EXERCISE.id}, {options.copies} planted copies "
          f"({len(documents) * (len(documents) - 1) // 2} pairs)")
    print(f"read {read - started:.2f} s, fingerprint + index + compare {compared - read:.2f} s, "
          f"CSV + report section {written - compared:.2f} s: total {written - started:.2f} s")
    print(f"pairs at or above {result.options.threshold}: {len(result.pairs)}; planted found {len(found & planted)}"
          f"/{len(planted)}; flagged but not planted {len(found - planted)}; common cutoff {result.common_cutoff}")
    print(f"naive all-pairs baseline (set intersections, extrapolated from 200 submissions): {naive:.2f} s, "
          f"{naive / (compared - read):.1f}x the index")
    print(f"without the common-passage cutoff: {len(loose.pairs)} pairs at or above {loose.options.threshold}")
    scores = sorted((pair.score for pair in result.pairs if frozenset((pair.a, pair.b)) in planted))
    if scores:
        print(f"planted scores: min {scores[0]:.2f}, median {scores[len(scores) // 2]:.2f}")


if __name__ == "__main__":
    main()
