"""grade batch --preview / --apply (issue 26 item 4), with the real grade batch and sandbox on a course copy whose
check is then changed: the preview shows whose score changes and which check changed its verdict without touching
OUT's gradebook or exports; --apply publishes; a plain re-run after a check file changed regrades everyone."""

from __future__ import annotations

import csv
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT
from grader.sandbox.launchers import bwrap_problem

CHECK = "def test_sigmoid_worked_example(submission):\n    \"\"\"sigmoid(0.415) is 0.6023, as in the lecture\"\"\"\n"


def batch(course: Path, submissions: Path, out: Path, *extra: str) -> subprocess.CompletedProcess:
    weak = ["--allow-weak-isolation"] if bwrap_problem() is not None else []
    command = [sys.executable, "-m", "grader", "batch", str(submissions), "--exercise", "02_backprop", "--out", str(out),
               "--course", str(course), "--jobs", "1", *weak, *extra]
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600)


def totals(out: Path) -> dict[str, str]:
    with open(out / "grades.csv", newline="") as stream:
        return {row["student"]: row["total"] for row in csv.DictReader(stream)}


def attempts(out: Path) -> int:
    with sqlite3.connect(out / "gradebook.sqlite") as db:
        return db.execute("SELECT COUNT(*) FROM attempts").fetchone()[0]


@pytest.mark.slow
def test_preview_shows_the_change_apply_publishes_it_and_a_changed_check_regrades(tmp_path, course_copy):
    submissions, out = tmp_path / "class", tmp_path / "out"
    submissions.mkdir()
    reference = (ROOT / "solutions" / "02_backprop" / "backprop.py").read_text()
    (submissions / "alice.py").write_text(reference)
    (submissions / "bob.py").write_text(reference)
    first = batch(course_copy, submissions, out)
    assert first.returncode == 0, first.stderr
    assert totals(out) == {"alice": "30", "bob": "30"}

    checks = course_copy / "exercises" / "02_backprop" / "public_checks.py"
    original = checks.read_text()
    assert CHECK in original
    checks.write_text(original.replace(CHECK, CHECK + "    fail('the fixed check fails everyone')\n"))
    graded_before = attempts(out)
    preview = batch(course_copy, submissions, out, "--preview")
    assert preview.returncode == 0, preview.stderr
    assert "alice: 30 -> 29 (-1)" in preview.stderr and "public/sigmoid_worked_example: passed 1/1 -> failed 0/1" in preview.stderr
    assert "Nothing was published" in preview.stderr
    assert totals(out) == {"alice": "30", "bob": "30"} and attempts(out) == graded_before   # OUT untouched
    with open(out / "preview.csv", newline="") as stream:
        rows = {row["student"]: row for row in csv.DictReader(stream)}
    assert rows["bob"]["change"] == "-1" and "passed 1/1 -> failed 0/1" in rows["bob"]["checks_changed"]

    applied = batch(course_copy, submissions, out, "--apply")
    assert applied.returncode == 0, applied.stderr
    assert totals(out) == {"alice": "29", "bob": "29"} and not (out / "preview").exists()
    again = batch(course_copy, submissions, out)
    assert "2 unchanged since the last run" in again.stderr and totals(out) == {"alice": "29", "bob": "29"}

    checks.write_text(original)   # the check fixed back: a plain re-run regrades everyone
    rerun = batch(course_copy, submissions, out)
    assert rerun.returncode == 0, rerun.stderr
    assert "The checks changed since OUT was graded" in rerun.stderr
    assert totals(out) == {"alice": "30", "bob": "30"}
