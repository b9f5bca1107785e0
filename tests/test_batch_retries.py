"""The batch runner retries a grader failure once and never holds one against a student.

Graded in this process with a scripted sandbox (`in_process_pool`): the runner, the gradebook, the feedback
files and the exports are real; no process starts.
"""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

from conftest import ROOT, reference_script
from grader.batch.collect import StudentEntry
from grader.batch.outputs import write_exports
from grader.batch.gradebook import Gradebook
from grader.batch.runner import GRADEBOOK_NAME, in_process_pool, run_batch
from grader.feedback.model import read_feedback
from grader.course.manifest import load_course
from grader.sandbox.fake import ScriptedLauncher, grader_bug

EXERCISE = load_course(ROOT / "course.yaml").exercise("02_backprop")
REFERENCE = reference_script("02_backprop")
BUG = {**REFERENCE, "gradients": grader_bug("a check's helper broke")}


def entries(folder: Path, *students: str) -> list[StudentEntry]:
    folder.mkdir(exist_ok=True)
    result = []
    for student in students:
        path = folder / f"{student}.py"
        path.write_text(f"# {student}\n")
        result.append(StudentEntry(student, path, None, path.name))
    return result


def batch(tmp_path: Path, scripts: dict[str, list[dict]]):
    """Run a batch where each student's gradings follow their list of scripts, one per attempt."""
    attempts: Counter = Counter()

    def script(path: Path) -> dict:
        attempts[path.stem] += 1
        plan = scripts[path.stem]
        return plan[min(attempts[path.stem], len(plan)) - 1]

    launcher = ScriptedLauncher(script)
    out = tmp_path / "out"
    summary = run_batch(ROOT / "course.yaml", EXERCISE.id,
                        entries(tmp_path / "subs", *scripts), out, jobs=1, strong=True,
                        pool=in_process_pool(EXERCISE, launcher))
    return summary, attempts, out


def test_a_grader_failure_is_retried_once_and_the_retry_counts(tmp_path):
    summary, attempts, out = batch(tmp_path, {"ann": [BUG, REFERENCE], "bob": [REFERENCE]})
    assert attempts == {"ann": 2, "bob": 1}
    assert (summary.graded, summary.grader_failures, summary.retried) == (2, 0, 1)
    book = Gradebook(out / GRADEBOOK_NAME)
    latest = book.latest(EXERCISE.id)
    book.close()
    assert {student: attempt.status for student, attempt in latest.items()} == {"ann": "graded", "bob": "graded"}
    assert read_feedback(out / "feedback" / "ann.json").score == 30


def test_a_second_failure_is_recorded_as_the_graders_and_regraded_next_run(tmp_path):
    summary, attempts, out = batch(tmp_path, {"cy": [BUG]})
    assert attempts == {"cy": 2} and (summary.graded, summary.grader_failures, summary.retried) == (0, 1, 1)
    feedback = read_feedback(out / "feedback" / "cy.json")
    assert feedback.status.value == "grader_failed" and "a check's helper broke" in (feedback.grader_error or "")
    paths = write_exports(out, EXERCISE)
    row = next(csv.DictReader(paths.csv.read_text().splitlines()))
    assert row["status"] == "grader_failed" and row["total"] == "0" and "helper broke" in row["note"]
    again, attempts, _ = batch(tmp_path, {"cy": [REFERENCE]})
    assert again.unchanged == 0 and again.graded == 1 and attempts == {"cy": 1}


def test_an_unchanged_graded_file_is_not_graded_again(tmp_path):
    batch(tmp_path, {"di": [REFERENCE]})
    summary, attempts, _ = batch(tmp_path, {"di": [BUG]})
    assert summary.unchanged == 1 and summary.graded == 0 and attempts == {}



def _alive(pid: int) -> bool:
    """Whether the process runs (a zombie has ended: only its parent's wait is missing)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state != "Z"


def test_a_worker_ends_when_grade_batch_is_killed(tmp_path):
    """`kill -9` of grade batch leaves no worker behind (with its warm template): each worker watches its parent."""
    import os
    import signal
    import subprocess
    import sys
    import time

    worker = ("import sys, time; from grader.batch.runner import exit_with; exit_with(int(sys.argv[1])); "
              "time.sleep(120)")
    parent = ("import os, subprocess, sys, time; "
              f"child = subprocess.Popen([sys.executable, '-c', {worker!r}, str(os.getpid())]); "
              "print(child.pid, flush=True); time.sleep(120)")
    with subprocess.Popen([sys.executable, "-c", parent], stdout=subprocess.PIPE, text=True, cwd=tmp_path,
                          env={**os.environ, "PYTHONPATH": str(ROOT)}) as process:
        child = int(process.stdout.readline())
        os.kill(process.pid, signal.SIGKILL)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and _alive(child):
        time.sleep(0.1)
    if _alive(child):
        os.kill(child, signal.SIGKILL)
        raise AssertionError("the worker outlived its parent")
