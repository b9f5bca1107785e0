"""Grading on a Dask cluster against the local pool, on the same submissions in one run.

    python benchmarks/cluster_throughput.py [--count 80] [--exercise 02_backprop] [--noop 400]

Grades the same generated submissions (60% correct, 30% with a named mistake, 10% attacks that end on
their own) with the real `grade batch`: locally with --jobs 1 and --jobs 2, then on a real Dask cluster on
127.0.0.1 (`dask scheduler`, `dask worker --nthreads 1 --no-nanny`) with 1 and then 2 workers. Prints
submissions per second, the per-task overhead Dask adds (cluster with one worker against one local
process, per submission), the bytes each task sends and receives, and how many no-op tasks per second this
scheduler hands out when the work costs nothing. On a machine with two cores the "2" rows share those
cores with the scheduler and the client; read them as what two cores give, not two machines.
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "benchmarks"), str(ROOT / "tests")]

from dask_cluster import LocalCluster  # noqa: E402
from grade_throughput import make_submissions  # noqa: E402
from grader.batch.runner import Job  # noqa: E402
from grader.cluster.dispatch import work_item  # noqa: E402
from grader.cluster.payload import course_copy  # noqa: E402
from grader.course.manifest import load_course  # noqa: E402


def grade_batch(submissions: Path, out: Path, exercise_id: str, *extra: str) -> float:
    """Seconds for one `grade batch` (a fresh OUT with the shared seed key)."""
    started = time.perf_counter()
    completed = subprocess.run([sys.executable, "-m", "grader", "batch", str(submissions), "--exercise", exercise_id,
                                "--out", str(out), *extra], capture_output=True, text=True, timeout=3600)
    elapsed = time.perf_counter() - started
    summary = " ".join(completed.stderr.split())
    if completed.returncode not in (0, 3) or "graded" not in summary:
        raise SystemExit(f"grade batch {' '.join(extra)} failed:\n{completed.stderr[-3000:]}")
    return elapsed


def fresh_out(folder: Path, name: str, key: bytes) -> Path:
    out = folder / name
    out.mkdir()
    (out / "seed.key").write_bytes(key)
    return out


def scores(out: Path) -> dict[str, float]:
    return {path.stem: json.loads(path.read_text())["score"] for path in (out / "feedback").glob("*.json")}


def noop(item) -> int:
    return len(item.files)


def noop_rate(address: str, items: list, count: int) -> tuple[float, float]:
    """Tasks per second the scheduler completes for work that costs nothing, and the mean round trip of one."""
    from distributed import Client

    with Client(address, set_as_default=False) as client:
        client.submit(noop, items[0], pure=False).result()
        started = time.perf_counter()
        futures = [client.submit(noop, items[index % len(items)], pure=False) for index in range(count)]
        client.gather(futures)
        rate = count / (time.perf_counter() - started)
        del futures
        started = time.perf_counter()
        for index in range(50):
            client.submit(noop, items[index % len(items)], pure=False).result()
        round_trip = (time.perf_counter() - started) / 50
    return rate, round_trip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=80)
    parser.add_argument("--exercise", default="02_backprop")
    parser.add_argument("--noop", type=int, default=400, help="no-op tasks for the scheduler's own rate")
    options = parser.parse_args()
    course = load_course(ROOT / "course.yaml")
    exercise = course.exercise(options.exercise)
    with tempfile.TemporaryDirectory(prefix="cluster-throughput-") as folder_name:
        folder = Path(folder_name)
        submissions = folder / "submissions"
        submissions.mkdir()
        paths = make_submissions(submissions, options.count, exercise_id=exercise.id)
        key = os.urandom(32)
        digest, files = course_copy(course, exercise)
        items = [work_item(Job(path.parent.name, str(path.parent), "", 1), digest, exercise, True) for path in paths]
        sent = [len(pickle.dumps(item, protocol=5)) for item in items]
        print(f"{options.count} submissions of {exercise.id} (60% correct, 30% buggy, 10% hostile); "
              f"{os.cpu_count()} cores\n")
        runs: dict[str, float] = {}
        outs: dict[str, Path] = {}
        for jobs in (1, 2):
            name = f"local pool, {jobs} process{'es' if jobs > 1 else ''}"
            outs[name] = fresh_out(folder, f"local{jobs}", key)
            runs[name] = grade_batch(submissions, outs[name], exercise.id, "--jobs", str(jobs))
        for workers in (1, 2):   # a fresh cluster each time: every run starts its warm templates, as a local one does
            cluster = LocalCluster(folder / f"dask{workers}")
            try:
                cluster.start(workers=workers)
                name = f"Dask cluster, {workers} worker{'s' if workers > 1 else ''}"
                outs[name] = fresh_out(folder, f"cluster{workers}", key)
                runs[name] = grade_batch(submissions, outs[name], exercise.id, "--cluster", cluster.address)
                if workers == 2:
                    rate, round_trip = noop_rate(cluster.address, items, options.noop)
            finally:
                cluster.stop()
        answers = [len(path.read_bytes()) for path in (outs["Dask cluster, 2 workers"] / "feedback").glob("*.json")]
        print(f"{'':32}{'wall s':>8}{'subm/s':>9}{'s/subm':>9}")
        for name, seconds in runs.items():
            print(f"{name:32}{seconds:8.1f}{options.count / seconds:9.2f}{seconds / options.count:9.3f}")
        overhead = (runs["Dask cluster, 1 worker"] - runs["local pool, 1 process"]) / options.count
        print(f"\nper-task overhead Dask adds (1 worker vs 1 local process): {overhead * 1000:+.0f} ms per submission "
              f"(includes the client's connection and the worker's template start, spread over {options.count})")
        print(f"bytes per task: {statistics.mean(sent):,.0f} sent (pickled work item, median "
              f"{statistics.median(sent):,.0f}), {statistics.mean(answers):,.0f} back (feedback JSON); course copy "
              f"{sum(map(len, files.values())):,} bytes once per worker")
        print(f"scheduler alone, no-op tasks carrying these work items: {rate:,.0f} tasks/s with 2 workers; "
              f"one task's round trip {round_trip * 1000:.1f} ms")
        same = all(scores(out) == scores(outs["local pool, 2 processes"]) for out in outs.values())
        print(f"\nevery run gave every student the same score: {same}")
        return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
