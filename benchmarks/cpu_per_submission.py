"""CPU time per submission: what one grading costs a core, whatever else the machine is doing.

    sudo .venv/bin/python benchmarks/cpu_per_submission.py [--count 200] [--exercise 02_backprop]

Throughput on a shared machine moves with its load; CPU seconds move much less. This grades `count`
generated submissions (the mix of `grade_throughput.py`) in one process with a warm template, as a batch
worker does, and counts the CPU time of every process involved: this one (checks, wire, feedback) and the
whole sandbox tree (template, each submission's child and their short-lived helpers), through a cpuacct
cgroup (v1) or cpu.stat (v2) that all of them inherit, so processes reaped by others still count. The naive
baseline (a fresh `python -m pytest` per submission, no sandbox) is measured in the same run from its
children's rusage. It prints milliseconds of CPU per submission and the ratio. Making a cgroup needs root
(or a delegated cgroup); without one the script says so and exits 2.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from grade_throughput import exercise_of, make_submissions, naive_one  # noqa: E402
from grader.feedback.model import compile_validation  # noqa: E402
from grader.grading.engine import collect_checks, grade  # noqa: E402
from grader.sandbox.warm_launcher import WarmTemplateLauncher  # noqa: E402


class CpuGroup:
    """A cgroup holding this process and everything it starts; its CPU seconds so far."""

    def __init__(self) -> None:
        name = f"grader-cpu-bench-{os.getpid()}"
        for parent, counter in ((Path("/sys/fs/cgroup/cpuacct"), "cpuacct.usage"), (Path("/sys/fs/cgroup"), "cpu.stat")):
            if (parent / "cgroup.procs").is_file() and os.access(parent, os.W_OK):
                self.parent, self.folder, self.counter = parent, parent / name, counter
                break
        else:
            raise PermissionError("no writable cpuacct (v1) or cgroup v2 hierarchy: run as root")
        self.folder.mkdir()
        (self.folder / "cgroup.procs").write_text(str(os.getpid()))

    def seconds(self) -> float:
        text = (self.folder / self.counter).read_text()
        if self.counter == "cpu.stat":
            return int(next(line.split()[1] for line in text.splitlines() if line.startswith("usage_usec"))) / 1e6
        return int(text) / 1e9

    def close(self) -> None:
        (self.parent / "cgroup.procs").write_text(str(os.getpid()))
        for _ in range(50):   # the last sandbox processes may take a moment to leave
            try:
                self.folder.rmdir()
                return
            except OSError:
                time.sleep(0.1)


def own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--naive", type=int, default=30, help="submissions for the naive baseline")
    parser.add_argument("--exercise", default="02_backprop")
    options = parser.parse_args()
    try:
        group = CpuGroup()
    except (PermissionError, OSError) as exc:
        print(f"cannot count the sandbox's CPU time here: {exc}", file=sys.stderr)
        return 2
    exercise = exercise_of(options.exercise)
    try:
        with tempfile.TemporaryDirectory(prefix="grade-cpu-") as folder:
            paths = make_submissions(Path(folder), options.count, exercise_id=options.exercise)
            before = children_cpu()
            for path in paths[:options.naive]:
                naive_one(path, options.exercise)
            naive = (children_cpu() - before) / options.naive

            launcher = WarmTemplateLauncher()
            try:
                collect_checks(exercise)
                compile_validation()   # as a batch worker does
                for path in paths[:3]:   # the template starts and the checks are collected: not per submission
                    grade(exercise, path, seed=1, launcher=launcher)
                own, total = own_cpu(), group.seconds()
                for path in paths:
                    grade(exercise, path, seed=1, launcher=launcher)
                time.sleep(0.3)   # the last child is cleaned up after
                own, total = own_cpu() - own, group.seconds() - total
            finally:
                launcher.close()
    finally:
        group.close()
    count = len(paths)
    engine = total / count
    print(f"{options.exercise}, CPU seconds per submission ({os.cpu_count()} cores; load average "
          f"{os.getloadavg()[0]:.1f} at the end):")
    print(f"  naive (pytest per submission, no sandbox), {options.naive} submissions: {naive * 1000:7.1f} ms")
    print(f"  engine, warm template, {count} submissions:            {engine * 1000:7.1f} ms "
          f"(grader process {own / count * 1000:.1f} ms, sandbox processes {(total - own) / count * 1000:.1f} ms)")
    print(f"  per core, the engine grades {naive / engine:.1f}x as many submissions as the naive baseline")
    return 0


if __name__ == "__main__":
    sys.exit(main())
