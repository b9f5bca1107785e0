"""Grading throughput: the naive baseline against this engine, measured in one run.

    python benchmarks/grade_throughput.py [--count 200] [--jobs 2] [--exercise 05_keras_regression]

Generates `count` submissions of 02_backprop (60% correct, 30% with a named mistake, 10% hostile
techniques that end on their own), then grades all of them:
  naive      a fresh `python -m pytest` per submission, checks and submission in one process, no sandbox
  cold       this engine, a new bubblewrap sandbox per submission, one worker
  warm       this engine, children forked from a warm template in bubblewrap, one worker
  warm xN    the same with N worker processes (default: all cores)
and prints per-submission medians, throughput, peak memory of the whole process tree, and each
mode's throughput as a ratio to the naive baseline. Scores of the honest submissions must agree
between the baseline and the engine, or the run fails.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from grader.grading.engine import grade  # noqa: E402
from grader.course.manifest import load_course  # noqa: E402
from grader.sandbox.guard import process_tree  # noqa: E402
from grader.sandbox.launchers import BwrapLauncher  # noqa: E402

EXERCISE_ID = "02_backprop"
KERAS_ID = "05_keras_regression"
KERAS_MISTAKES = [
    ('model.add(Dense(1))', 'model.add(Dense(1, activation="sigmoid"))'),
    ('validation_split=0.3, ', ''),
    ('loss="mean_squared_error"', 'loss="categorical_crossentropy"'),
]
KERAS_HOSTILE = [
    "\n\ndef fit_regression_model(*args, **kwargs):\n    import os\n    os._exit(0)\n",
    "\n\ndef normalize(predictors):\n    import ctypes\n    ctypes.string_at(0)\n",
]
# 02's named mistakes and attacks are its case files (solutions/02_backprop/cases), each with its expected verdict.
from grader.cases import cases_of  # noqa: E402
QUICK_ATTACKS = ("hostile_exits_the_process", "hostile_lying_equality", "hostile_patches_numpy_and_prints_a_pass",
                 "hostile_segfault")   # attacks that end on their own: loops and bombs measure the limits, not speed


def make_submissions(folder: Path, count: int, seed: int = 7, exercise_id: str = EXERCISE_ID) -> list[Path]:
    exercise = load_course(ROOT / "course.yaml").exercise(exercise_id)
    reference = exercise.reference_path.read_text()
    if exercise_id == EXERCISE_ID:
        mistakes = [case.source() for case in cases_of(exercise, "mistake")]
        hostile = [case.source() for case in cases_of(exercise, "hostile") if case.name in QUICK_ATTACKS]
    else:
        mistakes = [reference.replace(old, new, 1) for old, new in KERAS_MISTAKES]
        hostile = [reference + code for code in KERAS_HOSTILE]
    chooser = random.Random(seed)
    paths = []
    for index in range(count):
        roll = index % 10
        if roll < 6:
            source = reference + f"\n# student {index}\n"
        elif roll < 9:
            source = chooser.choice(mistakes) + f"\n# student {index}\n"
        else:
            source = chooser.choice(hostile) + f"\n# student {index}\n"
        path = folder / f"student_{index:04d}" / exercise.entry
        path.parent.mkdir()
        path.write_text(source)
        paths.append(path)
    return paths


class PeakMemory:
    """Samples the resident memory of this process's whole tree (workers, sandboxes, pytest runs)."""

    def __init__(self) -> None:
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        page = os.sysconf("SC_PAGE_SIZE")
        while not self._stop.wait(0.02):
            total = 0
            for pid in process_tree(os.getpid()):
                try:
                    total += int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * page
                except (OSError, ValueError, IndexError):
                    pass
            self.peak = max(self.peak, total)

    def __enter__(self) -> "PeakMemory":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


def naive_one(path: Path, exercise_id: str) -> tuple[float, float | None]:
    exercise = load_course(ROOT / "course.yaml").exercise(exercise_id)
    env = {**os.environ, "NAIVE_SUBMISSION": str(path), "NAIVE_REFERENCE": str(exercise.reference_path),
           "PYTHONPATH": str(ROOT / "benchmarks"), "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}
    started = time.perf_counter()
    completed = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "naive_plugin", "-p", "no:cacheprovider", "--noconftest",
         "-c", os.devnull, "--rootdir", str(ROOT), str(exercise.public_checks), str(exercise.hidden_checks)],
        env=env, capture_output=True, text=True, timeout=120)
    elapsed = time.perf_counter() - started
    summary = completed.stdout.strip().splitlines()[-1] if completed.stdout.strip() else ""
    words = summary.replace(",", " ").split()
    passed = float(words[words.index("passed") - 1]) if "passed" in words else 0.0
    return elapsed, passed


_WORKER_LAUNCHER = None


_WORKER_EXERCISE = EXERCISE_ID


def _preload(exercise_id: str) -> str:
    exercise = load_course(ROOT / "course.yaml").exercise(exercise_id)
    return "numpy,tensorflow" if "tensorflow" in exercise.requires else "numpy"


def _warm_worker_init(exercise_id: str) -> None:
    global _WORKER_LAUNCHER, _WORKER_EXERCISE
    from grader.sandbox.warm import ZygoteLauncher

    _WORKER_EXERCISE = exercise_id
    _WORKER_LAUNCHER = ZygoteLauncher(preload=_preload(exercise_id))


def _timed_grade(path: Path, launcher, exercise_id: str) -> tuple[float, float, str, float]:
    exercise = load_course(ROOT / "course.yaml").exercise(exercise_id)
    started = time.perf_counter()
    feedback = grade(exercise, path, seed=1, launcher=launcher)
    passed = float(sum(1 for check in feedback.checks if check.outcome.value == "passed"))
    return time.perf_counter() - started, feedback.score, feedback.status.value, passed


def _warm_worker_grade(path: str) -> tuple[float, float, str, float]:
    return _timed_grade(Path(path), _WORKER_LAUNCHER, _WORKER_EXERCISE)


def engine_sequential(paths: list[Path], launcher, exercise_id: str) -> list[tuple[float, float, str, float]]:
    return [_timed_grade(path, launcher, exercise_id) for path in paths]


def run(label: str, work) -> dict:
    with PeakMemory() as memory:
        started = time.perf_counter()
        per_submission = work()
        wall = time.perf_counter() - started
    return {"label": label, "wall": wall, "per": per_submission, "peak": memory.peak}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--exercise", default=EXERCISE_ID, choices=[EXERCISE_ID, KERAS_ID])
    options = parser.parse_args()
    exercise_id = options.exercise

    with tempfile.TemporaryDirectory(prefix="grade-bench-") as folder:
        paths = make_submissions(Path(folder), options.count, exercise_id=exercise_id)
        rows = []
        naive = run("naive (pytest per submission, no sandbox)", lambda: [naive_one(p, exercise_id) for p in paths])
        rows.append(naive)
        rows.append(run("engine, cold bwrap sandbox, 1 worker",
                        lambda: engine_sequential(paths, BwrapLauncher(), exercise_id)))

        def warm_sequential():
            from grader.sandbox.warm import ZygoteLauncher
            launcher = ZygoteLauncher(preload=_preload(exercise_id))
            try:
                return engine_sequential(paths, launcher, exercise_id)
            finally:
                launcher.close()

        rows.append(run("engine, warm bwrap template, 1 worker", warm_sequential))

        def warm_parallel():
            context = multiprocessing.get_context("forkserver")
            with context.Pool(options.jobs, initializer=_warm_worker_init, initargs=(exercise_id,)) as pool:
                return pool.map(_warm_worker_grade, [str(p) for p in paths], chunksize=1)

        rows.append(run(f"engine, warm bwrap template, {options.jobs} workers", warm_parallel))

    baseline_throughput = len(paths) / naive["wall"]
    print(f"\n{len(paths)} submissions of {exercise_id} (60% correct, 30% buggy, 10% hostile); {os.cpu_count()} cores\n")
    print(f"{'mode':52} {'median s/sub':>12} {'subs/s':>8} {'wall s':>8} {'peak MB':>8} {'vs naive':>9}")
    for row in rows:
        median = statistics.median(item[0] for item in row["per"])
        throughput = len(paths) / row["wall"]
        print(f"{row['label']:52} {median:12.3f} {throughput:8.2f} {row['wall']:8.1f} "
              f"{row['peak'] / 2**20:8.0f} {throughput / baseline_throughput:8.1f}x")

    # Correctness: honest submissions (no hostile code) must pass the same number of checks both ways.
    failures = 0
    for row in rows[1:]:
        for index, (naive_item, engine_item) in enumerate(zip(naive["per"], row["per"])):
            if index % 10 < 9 and naive_item[1] != engine_item[3]:
                failures += 1
                print(f"DISAGREE {row['label']}: student {index}: naive passed {naive_item[1]}, engine passed {engine_item[3]}")
        failed = [item for item in row["per"] if item[2] == "grader_failed"]
        if failed:
            failures += len(failed)
            print(f"GRADER FAILED {row['label']}: {len(failed)} submissions")
    print(f"\nhonest submissions graded alike by the baseline and every engine mode: {'yes' if not failures else 'NO'}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
