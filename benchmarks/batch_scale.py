"""Batch grading at course scale: N generated submissions of 02_backprop through the real `grade batch`.

    python benchmarks/batch_scale.py [--count 500] [--jobs 2]

10% of the submissions are hostile (crashes, lying objects, patched numpy, segfaults, endless loops,
memory bombs, fork storms, output floods), 30% carry a named mistake, the rest are correct. Prints
the wall time, throughput and peak resident memory of the whole process tree, the statuses, and
checks that every correct submission earned full marks and every feedback file is schema-valid.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from grade_throughput import PeakMemory  # noqa: E402
from grader.audit.cases import cases_of  # noqa: E402
from grader.course.manifest import load_course  # noqa: E402
from grader.feedback.model import schema_errors  # noqa: E402

EXERCISE_ID = "02_backprop"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=500)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    options = parser.parse_args()
    exercise = load_course(ROOT / "course.yaml").exercise(EXERCISE_ID)
    reference = exercise.reference_path.read_text()
    mistakes = [case.source() for case in cases_of(exercise, "mistake")]   # solutions/02_backprop/cases
    hostile = [case.source() for case in cases_of(exercise, "hostile")]
    with tempfile.TemporaryDirectory(prefix="batch-scale-") as folder:
        submissions = Path(folder) / "submissions"
        submissions.mkdir()
        kinds = {}
        for index in range(options.count):
            roll = index % 10
            if roll < 6:
                source, kind = reference + f"\n# {index}\n", "correct"
            elif roll < 9:
                source, kind = mistakes[index % len(mistakes)] + f"\n# {index}\n", "buggy"
            else:
                source, kind = hostile[(index // 10) % len(hostile)] + f"\n# {index}\n", "hostile"
            student = f"student{index:04d}"
            (submissions / f"{student}.py").write_text(source)
            kinds[student] = kind
        out = Path(folder) / "out"
        command = [sys.executable, "-m", "grader", "batch", str(submissions), "--exercise", "02_backprop",
                   "--out", str(out), "--jobs", str(options.jobs)]
        with PeakMemory() as memory:
            started = time.perf_counter()
            completed = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
            wall = time.perf_counter() - started
        print(completed.stderr.strip().splitlines()[-6] if completed.stderr.strip() else "")
        statuses, wrong, invalid = Counter(), [], []
        for student, kind in kinds.items():
            document = json.loads((out / "feedback" / f"{student}.json").read_text())
            statuses[(kind, document["status"])] += 1
            invalid += [student] if schema_errors(document) else []
            if kind == "correct" and document["score"] != 30:
                wrong.append(student)
            if kind == "buggy" and document["score"] >= 30:
                wrong.append(student)
    print(f"\n{options.count} submissions (60% correct, 30% buggy, 10% hostile), {options.jobs} workers, "
          f"{os.cpu_count()} cores")
    print(f"wall time {wall:.1f} s, throughput {options.count / wall:.1f} submissions/s, "
          f"peak memory of the process tree {memory.peak / 2**20:.0f} MB, exit code {completed.returncode}")
    for (kind, status), count in sorted(statuses.items()):
        print(f"  {kind:8} {status:18} {count}")
    print(f"wrong grades: {len(wrong)} {wrong[:5]}; schema-invalid feedback: {len(invalid)}")
    return 0 if completed.returncode == 0 and not wrong and not invalid else 1


if __name__ == "__main__":
    sys.exit(main())
