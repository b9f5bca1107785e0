"""Flakiness audit: right answers graded under many seeds must never lose a point.

    python benchmarks/flakiness.py [--exercise 02_backprop ...] [--seeds N] [--keras-seeds N] [--rewrites N]
                                    [--first-seed N] [--first-source N] [--progress]

Grades each exercise's reference and its equivalent rewrites (`grader.audit.rewrite`: the reference in
students' styles) under many seeds (200 for numpy exercises and 20 for Keras ones by default) in one warm
sandbox, and prints per exercise the gradings, how many lost any point (must be 0), and the margin of the
tolerances: every numeric comparison the checks make (`close`, `close_values`, `expect_close`) is watched, and its use of the
allowed error is |got - want| / (atol + rtol * |want|), so 1.0 is a right answer on the edge of failing; so is
every learning threshold of the Keras checks (`checklib.below`: the error reached over its limit;
`checklib.accuracy_at_least`: the error rate over the one the floor allows). The largest use per exercise is
listed, with the seed and rewrite that came closest.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from grader.audit.rewrite import rewrites  # noqa: E402
from grader.course.manifest import load_course  # noqa: E402
from grader.grading import checklib  # noqa: E402
from grader.grading.engine import grade  # noqa: E402
from grader.sandbox.policy import preload_for  # noqa: E402
from grader.sandbox.warm_launcher import WarmTemplateLauncher  # noqa: E402


class Margins:
    """Watches checklib.close: the largest share of the allowed error any comparison used, per check."""

    def __init__(self) -> None:
        self.check = ""
        self.where = ""
        self.worst: dict[str, tuple[float, str]] = defaultdict(lambda: (0.0, ""))
        self._close = checklib.close
        self._close_values = checklib.close_values
        self._below = checklib.below
        self._accuracy_at_least = checklib.accuracy_at_least

    def install(self) -> None:
        margins = self

        def watching(compare):
            def watched(got, want, rtol=1e-6, atol=1e-9):
                result = compare(got, want, rtol, atol)
                if result:
                    margins.record(got, want, rtol, atol)
                return result
            return watched

        watched, watched_values = watching(margins._close), watching(margins._close_values)

        def watched_below(value, limit):
            result = margins._below(value, limit)
            if result and limit > 0:
                margins.note(float(value) / float(limit))
            return result

        def watched_accuracy(accuracy, floor):
            result = margins._accuracy_at_least(accuracy, floor)
            if result and floor < 1:
                margins.note((1 - float(accuracy)) / (1 - float(floor)))
            return result

        import grader.authoring as author_api
        from grader.grading import expectations
        expectations.close_values = watched_values      # expect_close's comparison
        for module in (checklib, author_api):
            module.close = watched
            module.close_values = watched_values
            module.below = watched_below
            module.accuracy_at_least = watched_accuracy

    def record(self, got, want, rtol: float, atol: float) -> None:
        try:
            got_array = np.asarray(got, dtype=float)
            want_array = np.asarray(want, dtype=float)
            with np.errstate(all="ignore"):
                used = np.abs(got_array - want_array) / (atol + rtol * np.abs(want_array))
            share = float(np.nanmax(used)) if used.size else 0.0
        except (TypeError, ValueError):
            return
        self.note(share)

    def note(self, share: float) -> None:
        key = self.check or "?"
        if share > self.worst[key][0]:
            self.worst[key] = (share, self.where)


def run(exercise, launcher, seeds: range, rewrite_limit: int | None, margins: Margins, progress: bool,
        first_source: int = 1) -> dict:
    sources = [("reference", exercise.reference_path.read_text())]
    sources += [(f"{r.id} {r.style}", r.source) for r in rewrites(sources[0][1])[:rewrite_limit]]
    total, sources = len(sources), sources[first_source - 1:]
    gradings = losses = 0
    lost: list[str] = []
    started = time.monotonic()
    with tempfile.TemporaryDirectory() as folder:
        for index, (name, source) in enumerate(sources, start=first_source - 1):
            path = Path(folder) / str(index) / exercise.entry
            path.parent.mkdir()
            path.write_text(source)
            for seed in seeds:
                margins.where = f"{name}, seed {seed}"
                margins.check = exercise.id
                feedback = grade(exercise, path, seed=seed, launcher=launcher)
                gradings += 1
                if feedback.score < feedback.max_score:
                    losses += 1
                    failing = [c.id for c in feedback.checks if c.score < c.max_score]
                    lost.append(f"{name}, seed {seed}: {', '.join(failing) or feedback.status.value}")
            if progress:   # a long run's partial numbers survive its interruption
                print(f"  {exercise.id} source {index + 1}/{total} ({name}): {gradings} gradings, {losses} "
                      f"lost, {time.monotonic() - started:.0f} s", file=sys.stderr, flush=True)
    return {"gradings": gradings, "losses": losses, "lost": lost, "sources": len(sources),
            "seconds": time.monotonic() - started}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--exercise", action="append", help="exercise ids (default: all)")
    parser.add_argument("--seeds", type=int, default=200, help="seeds per source for numpy exercises (200)")
    parser.add_argument("--keras-seeds", type=int, default=20, help="seeds per source for Keras exercises (20)")
    parser.add_argument("--rewrites", type=int, default=None, help="rewrites per exercise (default: all, up to 40)")
    parser.add_argument("--first-seed", type=int, default=1,
                        help="the first seed (1): runs of seeds 1-10 and 11-20 together are one run of 20")
    parser.add_argument("--progress", action="store_true", help="a line on stderr after each source")
    parser.add_argument("--first-source", type=int, default=1,
                        help="start at this source (1 is the reference): finishes a run --progress shows stopped")
    options = parser.parse_args()
    course = load_course(ROOT / "course.yaml")
    chosen = [course.exercise(name) for name in options.exercise] if options.exercise else list(course.exercises)
    margins = Margins()
    margins.install()
    failed = False
    print(f"{'exercise':26} {'sources':>7} {'seeds':>5} {'gradings':>8} {'losses':>6} {'worst margin':>12}  seconds")
    for exercise in chosen:
        keras = "tensorflow" in exercise.requires
        launcher = WarmTemplateLauncher(preload=preload_for(exercise.requires))
        margins.worst.clear()
        try:
            count = options.keras_seeds if keras else options.seeds
            seeds = range(options.first_seed, options.first_seed + count)
            result = run(exercise, launcher, seeds, options.rewrites, margins, options.progress, options.first_source)
        finally:
            launcher.close()
        worst = max(margins.worst.values(), default=(0.0, ""))
        print(f"{exercise.id:26} {result['sources']:>7} {f'{seeds.start}-{seeds.stop - 1}':>5} "
              f"{result['gradings']:>8} {result['losses']:>6} {worst[0]:>12.3g}  {result['seconds']:.0f}")
        if worst[1]:
            print(f"  closest to failing: {worst[1]} used {worst[0]:.3g} of its tolerance")
        for line in result["lost"][:10]:
            print(f"  LOST: {line}")
        failed = failed or result["losses"] > 0
    print("flakiness: " + ("some right answer lost points" if failed else "no right answer lost a point"))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
