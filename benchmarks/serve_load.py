"""Grading on submit under load: `grade serve` against `grade batch` on the same files, in one run.

    python benchmarks/serve_load.py [--students 100] [--seconds 60] [--jobs 2] [--keras-students 10] [--skip-keras]

For 02_backprop, `students` simulated students (each with one file of `grade_throughput.make_submissions`'s mix:
60% correct, 30% a named mistake, 10% hostile techniques that end on their own):
  batch    the real `grade batch`, timed from start to exit, on as many files as the service graded under load
           (the students' files again, each with a new comment), so both pay their start-up over the same work;
  idle     `idle` submissions handed in one at a time to a real `grade serve` over HTTP on 127.0.0.1;
  loaded   every student hands in, waits for the feedback (a status request that waits on the service, as
           `grade submit`'s do) and hands in again, for
           `seconds`; throughput is the gradings finished in that window over its length.
Upload to feedback is the service's own record (the grading's commit time minus the upload's), so the clients'
polling does not blur it. The same runs for 05_keras_regression with fewer students, unless --skip-keras. The last
line reads `serve_load: R x grade batch (X against Y submissions/s); upload to feedback median M s, p95 P s` for
02 under load. Numbers move with the machine's load: compare the ratio of one run.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
sys.path.insert(0, str(ROOT / "tests"))

from grade_throughput import make_submissions  # noqa: E402
from service_process import ServeProcess, call, import_roster  # noqa: E402


@dataclass
class Run:
    exercise: str
    batch_rate: float
    serve_rate: float
    idle: list[float]
    loaded: list[float]

    def line(self) -> str:
        return (f"{self.exercise}: serve {self.serve_rate:.2f}/s against batch {self.batch_rate:.2f}/s "
                f"({self.serve_rate / self.batch_rate:.2f} x); upload to feedback idle median {_median(self.idle):.2f} s, "
                f"p95 {_p95(self.idle):.2f} s; loaded median {_median(self.loaded):.2f} s, p95 {_p95(self.loaded):.2f} s")


def _median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def _p95(values: list[float]) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def batch_rate(folder: Path, exercise: str, jobs: int, out: Path) -> float:
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "grader", "batch", str(folder), "--exercise", exercise, "--out", str(out),
                           "--jobs", str(jobs)], cwd=ROOT, capture_output=True, text=True)
    elapsed = time.monotonic() - started
    if done.returncode not in (0, 3):
        raise SystemExit(f"grade batch failed: {done.stderr[-2000:]}")
    return len(list(folder.iterdir())) / elapsed


def _latencies(data: Path, after_id: int = 0, up_to_id: int | None = None) -> list[float]:
    with sqlite3.connect(data / "service.sqlite") as connection:
        rows = connection.execute("SELECT s.id, s.received_at, g.graded_at FROM submissions s JOIN gradings g "
                                  "ON g.submission = s.id WHERE s.id > ?", (after_id,)).fetchall()
    return [(datetime.fromisoformat(graded) - datetime.fromisoformat(received)).total_seconds()
            for submission, received, graded in rows if up_to_id is None or submission <= up_to_id]


def _graded_between(data: Path, start: str, end: str) -> int:
    with sqlite3.connect(data / "service.sqlite") as connection:
        return connection.execute("SELECT count(*) FROM gradings WHERE graded_at >= ? AND graded_at <= ?",
                                  (start, end)).fetchone()[0]


WAIT = 10   # each status request waits on the service for the grading (?wait=S), as `grade submit`'s do


def _graded(server: ServeProcess, token: str, submission: int) -> bool:
    answer = call(f"{server.url}/api/submissions/{submission}?wait={WAIT}", token)[1]
    return answer["submission"]["status"] in ("graded", "failed")


def _wait(server: ServeProcess, token: str, submission: int) -> None:
    while not _graded(server, token, submission):
        pass


def serve_run(files: list[Path], exercise: str, jobs: int, seconds: float, idle_count: int,
              work: Path) -> tuple[float, int, list[float], list[float]]:
    from grader.service.queue import now_iso

    data = work / f"serve-{exercise}"
    students = [f"s{index:04d}" for index in range(len(files))]
    tokens = import_roster(data, students, work / f"tokens-{exercise}.csv")
    server = ServeProcess(data, "--jobs", str(jobs), "--queue-limit", "5").start()
    upload = f"{server.url}/api/submissions?exercise={exercise}&name={files[0].name}"
    try:
        _wait(server, tokens[students[0]], call(upload, tokens[students[0]], "POST", files[0].read_bytes())[1]["id"])
        first_idle = 1
        for n in range(idle_count):   # one at a time: the service idle but warm
            student = students[(n + 1) % len(students)]
            body = files[(n + 1) % len(files)].read_bytes() + f"\n# idle {n}\n".encode()
            _wait(server, tokens[student], call(upload, tokens[student], "POST", body)[1]["id"])
        idle = _latencies(data, after_id=first_idle)
        last_idle = first_idle + idle_count
        stop = time.monotonic() + seconds
        start_stamp = now_iso()

        def student_loop(student: str, path: Path) -> None:
            attempt = 0
            while time.monotonic() < stop:
                status, answer = call(upload, tokens[student], "POST", path.read_bytes() + f"\n# try {attempt}\n".encode())
                attempt += 1
                if status != 201:
                    time.sleep(1.0)
                    continue
                while time.monotonic() < stop + 600 and not _graded(server, tokens[student], answer["id"]):
                    pass

        threads = [threading.Thread(target=student_loop, args=(s, f), daemon=True) for s, f in zip(students, files)]
        for thread in threads:
            thread.start()
        time.sleep(seconds)
        end_stamp = now_iso()
        graded = _graded_between(data, start_stamp, end_stamp)
        for thread in threads:
            thread.join(timeout=600)
        loaded = _latencies(data, after_id=last_idle)
        return graded / seconds, graded, idle, loaded
    finally:
        server.stop()


def measure(exercise: str, students: int, jobs: int, seconds: float, idle_count: int, work: Path) -> Run:
    folder = work / f"submissions-{exercise}"
    folder.mkdir()
    files = make_submissions(folder, students, exercise_id=exercise)
    serve_rate, graded, idle, loaded = serve_run(files, exercise, jobs, seconds, idle_count, work)
    same_work = work / f"batch-submissions-{exercise}"
    same_work.mkdir()
    for index in range(max(graded, len(files))):
        source = files[index % len(files)]
        target = same_work / f"copy_{index:05d}" / source.name
        target.parent.mkdir()
        target.write_bytes(source.read_bytes() + f"\n# copy {index}\n".encode())
    rate = batch_rate(same_work, exercise, jobs, work / f"batch-{exercise}")
    return Run(exercise, rate, serve_rate, idle, loaded)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--students", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--idle", type=int, default=10, help="submissions handed in one at a time (idle latency)")
    parser.add_argument("--keras-students", type=int, default=10)
    parser.add_argument("--skip-keras", action="store_true")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="serve-load-") as folder:
        work = Path(folder)
        if not options.skip_keras:
            keras = measure("05_keras_regression", options.keras_students, options.jobs, options.seconds,
                            max(2, options.idle // 3), work)
            print(keras.line(), flush=True)
        run = measure("02_backprop", options.students, options.jobs, options.seconds, options.idle, work)
        print(run.line(), flush=True)
    print(f"serve_load: {run.serve_rate / run.batch_rate:.2f} x grade batch ({run.serve_rate:.2f} against "
          f"{run.batch_rate:.2f} submissions/s); upload to feedback median {_median(run.loaded):.2f} s, "
          f"p95 {_p95(run.loaded):.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
