"""Grading throughput: the naive baseline against this engine, measured in one run.

    python benchmarks/grade_throughput.py [--count 200] [--jobs 2] [--exercise 05_keras_regression] [--repeat 1]

Generates `count` submissions of the exercise (60% correct, 30% with a named mistake, 10% hostile
techniques that end on their own), then grades all of them:
  naive      a fresh `python -m pytest` per submission, checks and submission in one process, no sandbox,
             on 1 process and on N processes at once
  cold       this engine, a new bubblewrap sandbox per submission, one worker
  warm       this engine, children forked from a warm template in bubblewrap, one worker
  warm xN    the same with N worker processes (default: all cores)
and prints per-submission medians (the whole grading, and of it the student's own code and the grader's
overhead, from the feedback's timing), throughput, peak memory (PSS) of the whole process tree, and each
mode's throughput as a ratio to the naive baseline on the same number of processes. For a Keras exercise
it also times `import tensorflow, keras` in a fresh process, in the same run, and prints what one
submission costs per core as a share of it, over the whole run and after start-up. Scores of the honest
submissions must agree between the baseline and the engine, or the run fails. Numbers depend on the
machine's load: compare the ratios of one run, and repeat (`--repeat`) to see how much they move.
"""

from __future__ import annotations

import argparse
import functools
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from grader.batch.runner import worker_context  # noqa: E402
from grader.grading.engine import grade  # noqa: E402
from grader.course.manifest import load_course  # noqa: E402
from grader.sandbox.guard import process_tree  # noqa: E402
from grader.sandbox.launchers import BwrapLauncher, scrubbed_environment  # noqa: E402

EXERCISE_ID = "02_backprop"
KERAS_ID = "05_keras_regression"
# The named mistakes and attacks are the exercise's case files (solutions/NN/cases), each with its expected verdict.
from grader.audit.cases import cases_of  # noqa: E402
QUICK_ATTACKS = ("hostile_exits_the_process", "hostile_lying_equality", "hostile_patches_numpy_and_prints_a_pass",
                 "hostile_segfault")   # attacks that end on their own: loops and bombs measure the limits, not speed


@functools.lru_cache(maxsize=None)
def exercise_of(exercise_id: str):
    """The exercise, read once per process as `grade batch`'s workers do (course.yaml costs about 9 ms to check)."""
    return load_course(ROOT / "course.yaml").exercise(exercise_id)


def make_submissions(folder: Path, count: int, seed: int = 7, exercise_id: str = EXERCISE_ID) -> list[Path]:
    exercise = exercise_of(exercise_id)
    reference = exercise.reference_path.read_text()
    mistakes = [case.source() for case in cases_of(exercise, "mistake")]
    hostile = [case.source() for case in cases_of(exercise, "hostile") if case.name in QUICK_ATTACKS]
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
    """Samples the memory of this process's whole tree (workers, sandboxes, pytest runs) every half second: the
    proportional set size, so pages forked children share with their template count once."""

    def __init__(self) -> None:
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        # Reading smaps_rollup walks each process's page tables under its memory lock: sampled every 50 ms it
        # took a fifth of the throughput of two warm workers (their forks and page faults wait for the lock).
        while not self._stop.wait(0.5):
            self.peak = max(self.peak, sum(_proportional_bytes(pid) for pid in process_tree(os.getpid())))

    def __enter__(self) -> "PeakMemory":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


def _proportional_bytes(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


@dataclass(frozen=True)
class Graded:
    """One submission in one mode: wall seconds, and what the feedback says (None for the naive baseline)."""

    seconds: float
    passed: float
    score: float | None = None
    status: str | None = None
    student_s: float | None = None
    grader_s: float | None = None
    finished_at: float = 0.0   # time.perf_counter() when it ended: the same clock in every worker process


@dataclass(frozen=True)
class Row:
    label: str
    processes: int
    wall: float
    graded: list[Graded]
    peak: int
    started: float

    def steady(self) -> tuple[float, float]:
        """Seconds until every process had graded one submission (templates started, checks collected), and
        the throughput after that: what each further submission costs."""
        ends = sorted(item.finished_at for item in self.graded)
        warm = ends[min(self.processes, len(ends)) - 1]
        rest = len(ends) - self.processes
        later = self.started + self.wall - warm
        return warm - self.started, (rest / later if rest > 0 and later > 0 else float("nan"))


def naive_one(path: Path, exercise_id: str) -> Graded:
    exercise = exercise_of(exercise_id)
    env = {**os.environ, "NAIVE_SUBMISSION": str(path), "NAIVE_REFERENCE": str(exercise.reference_path),
           "PYTHONPATH": str(ROOT / "benchmarks"), "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}
    started = time.perf_counter()
    completed = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "naive_plugin", "-p", "no:cacheprovider", "--noconftest",
         "-c", os.devnull, "--rootdir", str(ROOT), str(exercise.public_checks), str(exercise.hidden_checks)],
        env=env, capture_output=True, text=True, timeout=300)
    elapsed = time.perf_counter() - started
    summary = completed.stdout.strip().splitlines()[-1] if completed.stdout.strip() else ""
    words = summary.replace(",", " ").split()
    passed = float(words[words.index("passed") - 1]) if "passed" in words else 0.0
    return Graded(elapsed, passed, finished_at=time.perf_counter())


def naive_parallel(paths: list[Path], exercise_id: str, processes: int) -> list[Graded]:
    """The baseline on `processes` processes at once: as many pytest runs in flight as the engine has workers."""
    with ThreadPoolExecutor(processes) as pool:
        return list(pool.map(lambda path: naive_one(path, exercise_id), paths))


_WORKER_LAUNCHER = None
_WORKER_EXERCISE = EXERCISE_ID


def _preload(exercise_id: str) -> tuple[str, ...]:
    from grader.sandbox.policy import preload_for

    return preload_for(exercise_of(exercise_id).requires)


def _warm_worker_init(exercise_id: str) -> None:
    global _WORKER_LAUNCHER, _WORKER_EXERCISE
    from grader.sandbox.warm_launcher import WarmTemplateLauncher

    from grader.feedback.model import compile_validation
    from grader.grading.engine import collect_checks

    _WORKER_EXERCISE = exercise_id
    _WORKER_LAUNCHER = WarmTemplateLauncher(preload=_preload(exercise_id))
    exercise = exercise_of(exercise_id)
    _WORKER_LAUNCHER.warm_up(exercise.limits)   # as grade batch's workers do
    collect_checks(exercise)
    compile_validation()


def _timed_grade(path: Path, launcher, exercise_id: str) -> Graded:
    exercise = exercise_of(exercise_id)
    started = time.perf_counter()
    feedback = grade(exercise, path, seed=1, launcher=launcher)
    passed = float(sum(1 for check in feedback.checks if check.outcome.value == "passed"))
    ended = time.perf_counter()
    return Graded(ended - started, passed, feedback.score, feedback.status.value, feedback.student_s,
                  feedback.grader_s, ended)


def _warm_worker_grade(path: str) -> Graded:
    return _timed_grade(Path(path), _WORKER_LAUNCHER, _WORKER_EXERCISE)


def engine_sequential(paths: list[Path], launcher, exercise_id: str) -> list[Graded]:
    return [_timed_grade(path, launcher, exercise_id) for path in paths]


def run(label: str, processes: int, work) -> Row:
    with PeakMemory() as memory:
        started = time.perf_counter()
        graded = work()
        wall = time.perf_counter() - started
    return Row(label, processes, wall, graded, memory.peak, started)


def import_seconds(repeat: int = 3) -> float:
    """`import tensorflow, keras` in a fresh process with the sandbox's thread settings, median of `repeat`."""
    env = {**os.environ, **scrubbed_environment(tempfile.gettempdir())}
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", "import tensorflow, keras"], env=env, check=True, capture_output=True)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def measure(paths: list[Path], exercise_id: str, jobs: int) -> list[Row]:
    rows = [run("naive (pytest per submission, no sandbox)", 1, lambda: [naive_one(p, exercise_id) for p in paths])]
    if jobs > 1:
        rows.append(run(f"naive on {jobs} processes", jobs, lambda: naive_parallel(paths, exercise_id, jobs)))
    rows.append(run("engine, cold bwrap sandbox, 1 worker", 1,
                    lambda: engine_sequential(paths, BwrapLauncher(), exercise_id)))

    def warm_sequential():
        from grader.sandbox.warm_launcher import WarmTemplateLauncher
        from grader.feedback.model import compile_validation

        launcher = WarmTemplateLauncher(preload=_preload(exercise_id))
        compile_validation()   # as a batch worker does
        try:
            return engine_sequential(paths, launcher, exercise_id)
        finally:
            launcher.close()

    rows.append(run("engine, warm bwrap template, 1 worker", 1, warm_sequential))

    def warm_parallel():
        context = worker_context()   # as grade batch's workers start
        with context.Pool(jobs, initializer=_warm_worker_init, initargs=(exercise_id,)) as pool:
            return pool.map(_warm_worker_grade, [str(p) for p in paths], chunksize=1)

    if jobs > 1:
        rows.append(run(f"engine, warm bwrap template, {jobs} workers", jobs, warm_parallel))
    return rows


def _median(values: list[float | None]) -> float | None:
    known = [value for value in values if value is not None]
    return statistics.median(known) if known else None


def report(rows: list[Row], count: int, exercise_id: str, tf_import: float | None) -> dict[str, float]:
    """Print the table; return the ratios worth comparing across repeats."""
    naive = {row.processes: count / row.wall for row in rows if row.label.startswith("naive")}
    print(f"\n{count} submissions of {exercise_id} (60% correct, 30% buggy, 10% hostile); {os.cpu_count()} cores")
    print(f"{'mode':45} {'procs':>5} {'median s':>9} {'student':>8} {'grader':>8} {'subs/s':>7} {'per proc':>8} "
          f"{'wall s':>7} {'peak MB':>8} {'vs naive, same procs':>21}")
    ratios: dict[str, float] = {}
    for row in rows:
        throughput = count / row.wall
        median = statistics.median(item.seconds for item in row.graded)
        student, overhead = _median([g.student_s for g in row.graded]), _median([g.grader_s for g in row.graded])
        ratio = throughput / naive[row.processes] if row.processes in naive else float("nan")
        if not row.label.startswith("naive"):
            ratios[row.label] = ratio
        print(f"{row.label:45} {row.processes:5d} {median:9.3f} {_seconds(student):>8} {_seconds(overhead):>8} "
              f"{throughput:7.2f} {throughput / row.processes:8.2f} {row.wall:7.1f} {row.peak / 2**20:8.0f} "
              f"{ratio:20.1f}x")
    naive_steady = {row.processes: row.steady()[1] for row in rows if row.label.startswith("naive")}
    print("\nthe same runs after each process's first submission (start-up: templates, imports, collection):")
    print(f"{'mode':45} {'procs':>5} {'start-up s':>10} {'subs/s':>7} {'vs naive, same procs':>21}")
    for row in rows:
        startup, steady = row.steady()
        ratio = steady / naive_steady[row.processes] if row.processes in naive_steady else float("nan")
        if not row.label.startswith("naive"):
            ratios[f"{row.label}, after start-up"] = ratio
        print(f"{row.label:45} {row.processes:5d} {startup:10.2f} {steady:7.2f} {ratio:20.1f}x")
    if tf_import is not None:
        print(f"\n`import tensorflow, keras` in a fresh process (same run, median of 3): {tf_import:.2f} s")
        for row in rows:
            if not row.label.startswith("naive"):
                per_core = row.wall * row.processes / count
                per_core_steady = row.processes / row.steady()[1]
                ratios[f"{row.label}: per-core cost / import"] = per_core / tf_import
                ratios[f"{row.label}: per-core cost after start-up / import"] = per_core_steady / tf_import
                print(f"  {row.label:45} one submission per core costs {per_core:6.2f} s = "
                      f"{per_core / tf_import:.2f} of the import; after start-up {per_core_steady:6.2f} s = "
                      f"{per_core_steady / tf_import:.2f}")
    return ratios


def _seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def disagreements(rows: list[Row]) -> int:
    """Honest submissions (no hostile code) must pass the same number of checks in every mode."""
    failures = 0
    naive = rows[0]
    for row in rows[1:]:
        for index, (expected, got) in enumerate(zip(naive.graded, row.graded)):
            if index % 10 < 9 and expected.passed != got.passed:
                failures += 1
                print(f"DISAGREE {row.label}: student {index}: naive passed {expected.passed}, got {got.passed}")
        failed = [item for item in row.graded if item.status == "grader_failed"]
        if failed:
            failures += len(failed)
            print(f"GRADER FAILED {row.label}: {len(failed)} submissions")
    return failures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--exercise", default=EXERCISE_ID, choices=[EXERCISE_ID, KERAS_ID])
    parser.add_argument("--repeat", type=int, default=1, help="measure everything this many times")
    options = parser.parse_args()
    exercise_id = options.exercise
    keras = "tensorflow" in exercise_of(exercise_id).requires
    failures, every = 0, []
    for _ in range(options.repeat):
        with tempfile.TemporaryDirectory(prefix="grade-bench-") as folder:
            paths = make_submissions(Path(folder), options.count, exercise_id=exercise_id)
            tf_import = import_seconds() if keras else None
            rows = measure(paths, exercise_id, options.jobs)
        every.append(report(rows, len(paths), exercise_id, tf_import))
        failures += disagreements(rows)
    if options.repeat > 1:
        print(f"\nover {options.repeat} runs (min .. max):")
        for key in every[0]:
            values = [ratios[key] for ratios in every]
            print(f"  {key:70} {min(values):6.2f} .. {max(values):6.2f}")
    print(f"\nhonest submissions graded alike by the baseline and every engine mode: {'yes' if not failures else 'NO'}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
