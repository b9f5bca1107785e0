"""One student's `grade EXERCISE_DIR`, as they type it: wall time repeated, min and median.

    python benchmarks/single_grade.py [--runs 10] [--exercise 02_backprop] [--exercise 05_keras_regression]

For a Keras exercise it also grades the reference solution (which fits its model) and compares, in the same
run, that grading's wall time with `import tensorflow, keras` in a fresh process plus the student's own
fitting (the fitting checks' durations in the feedback). `hyperfine -N -w 2 '.venv/bin/grade
exercises/02_backprop'` measures the first number the same way. Numbers depend on the machine's load.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from grade_throughput import import_seconds  # noqa: E402
from grader.course.manifest import load_course  # noqa: E402

GRADE = [sys.executable, "-m", "grader"]


def timed(command: list[str], runs: int) -> tuple[float, float, float]:
    """Min, median and max wall seconds of `runs` runs (after one unmeasured run)."""
    subprocess.run(command, cwd=ROOT, capture_output=True)
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(command, cwd=ROOT, capture_output=True)
        times.append(time.perf_counter() - started)
    return min(times), statistics.median(times), max(times)


def feedback_of(command: list[str]) -> dict:
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "feedback.json"
        subprocess.run([*command, "--json", str(out)], cwd=ROOT, capture_output=True)
        return json.loads(out.read_text())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--exercise", action="append", help="exercise id (repeatable); default 02_backprop")
    options = parser.parse_args()
    course = load_course(ROOT / "course.yaml")
    print(f"{os.cpu_count()} cores; load average {os.getloadavg()[0]:.1f} at the start")
    for exercise_id in options.exercise or ["02_backprop"]:
        exercise = course.exercise(exercise_id)
        command = [*GRADE, str(exercise.exercise_dir.relative_to(ROOT))]
        low, median, high = timed(command, options.runs)
        timing = feedback_of(command)["timing"]
        print(f"grade {command[-1]}: min {low:.3f} s, median {median:.3f} s, max {high:.3f} s over {options.runs} runs "
              f"(student's code {timing.get('student_s', 0):.3f} s, grader {timing.get('grader_s', 0):.3f} s)")
        if "tensorflow" not in exercise.requires:
            continue
        tf_import = import_seconds()
        reference = [*command, "--submission", str(exercise.reference_path.relative_to(ROOT))]
        low, median, high = timed(reference, max(1, options.runs // 3))
        document = feedback_of(reference)
        fitting = sum(check["duration_s"] for check in document["checks"] if "fit" in check["id"])
        budget = tf_import + fitting
        print(f"grade {command[-1]} --submission (the reference, which fits): min {low:.2f} s, median {median:.2f} s; "
              f"`import tensorflow, keras` {tf_import:.2f} s + its fitting {fitting:.2f} s = {budget:.2f} s; "
              f"median / that = {median / budget:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
