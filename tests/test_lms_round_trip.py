"""The instructor's round trip end to end (issue 26): the LMS's download in, the real `grade batch` (real sandbox),
then `grade export` writing the LMS's import file from the instructor's roster export."""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
import zipfile
from datetime import datetime, timezone
from pathlib import Path

import pytest

from conftest import ROOT
from grader.sandbox.launchers import bwrap_problem

FIXTURES = Path(__file__).parent / "fixtures" / "lms"
LATE_POLICY = "    due: 2026-12-01T23:59:00+00:00\n    late: {window_days: 7, penalty_per_day: 0.1}\n"


def grade(course: Path, *argv: str) -> subprocess.CompletedProcess:
    weak = ["--allow-weak-isolation"] if argv[0] == "batch" and bwrap_problem() is not None else []
    command = [sys.executable, "-m", "grader", *argv, "--course", str(course), *weak]
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600)


@pytest.fixture()
def late_course(course_copy) -> Path:
    manifest = course_copy / "course.yaml"
    manifest.write_text(manifest.read_text().replace("    entry: backprop.py\n", "    entry: backprop.py\n" + LATE_POLICY, 1))
    return course_copy


@pytest.mark.slow
def test_canvas_zip_in_canvas_gradebook_out(tmp_path, late_course):
    reference = (ROOT / "solutions" / "02_backprop" / "backprop.py").read_text()
    broken = reference.replace("def sigmoid(", "def sigmoid_unused(", 1)
    download = tmp_path / "submissions.zip"
    with zipfile.ZipFile(download, "w") as archive:   # as Canvas's Download Submissions names them
        archive.writestr("doejane_12345_100_backprop.py", broken)
        archive.writestr("doejane_12345_250_backprop-1.py", reference)          # her resubmission
        archive.writestr("núñezjosé_LATE_7_300_backprop.py", reference)         # late
        archive.writestr("strangerx_424242_500_backprop.py", reference)         # not on the roster
        sigmoid = "def sigmoid(z):\n    return 1.0 / (1.0 + np.exp(-z))\n"
        assert sigmoid in reference
        archive.writestr("smithbo_9_600_backprop.py", reference.replace(sigmoid, "from bo_tools import sigmoid\n"))
        archive.writestr("smithbo_9_601_bo_tools.py", "import numpy as np\n\n\n" + sigmoid)   # a helper module
    out = tmp_path / "out"
    batch = grade(late_course, "batch", str(download), "--exercise", "02_backprop", "--out", str(out), "--jobs", "1")
    assert batch.returncode == 0, batch.stderr
    assert "from Canvas's submission download" in batch.stderr and "not the earlier" in batch.stderr
    with open(out / "students.csv", newline="", encoding="utf-8") as stream:
        students = {row["student"]: row for row in csv.DictReader(stream)}
    assert students["núñezjosé_7"]["late"] == "yes" and students["núñezjosé_7"]["penalty"] == "0.1"
    assert students["doejane_12345"]["submitted_as"] == "doejane_12345_250_backprop-1.py"

    exported = grade(late_course, "export", "canvas", str(out), "--roster", str(FIXTURES / "canvas_gradebook.csv"))
    assert exported.returncode == 0, exported.stderr
    rows = {row[1]: row for row in csv.reader(io.StringIO((out / "canvas_import.csv").read_bytes().decode()))}
    assert rows["12345"][6] == "30" and rows["7"][6] == "27" and rows["123456789012"][6] == "0"
    assert rows["9"][6] == "30"   # graded as the folder of its two uploads
    assert rows["ID"] == next(csv.reader([(FIXTURES / "canvas_gradebook.csv").read_text().splitlines()[0]]))
    assert "strangerx_424242" in (out / "unmatched.csv").read_text()


@pytest.mark.slow
def test_moodle_folders_in_moodle_import_out(tmp_path, late_course):
    reference = (ROOT / "solutions" / "02_backprop" / "backprop.py").read_text()
    download = tmp_path / "moodle"
    due = datetime(2026, 12, 1, 23, 59, tzinfo=timezone.utc).timestamp()
    for folder, hours_after_due in (("José Núñez_11_assignsubmission_file_", -5),
                                    ("Li  Wei_13_assignsubmission_file_", 26)):
        (download / folder).mkdir(parents=True)
        (download / folder / "backprop.py").write_text(reference)
        stamp = due + hours_after_due * 3600
        os.utime(download / folder / "backprop.py", (stamp, stamp))
    out = tmp_path / "out"
    batch = grade(late_course, "batch", str(download), "--exercise", "02_backprop", "--out", str(out), "--jobs", "1")
    assert batch.returncode == 0, batch.stderr
    assert "from Moodle's submission download" in batch.stderr
    exported = grade(late_course, "export", "moodle", str(out), "--roster", str(FIXTURES / "moodle_grades.csv"),
                     "--identifier", "idnumber")
    assert exported.returncode == 0, exported.stderr
    rows = {row[0]: row for row in csv.reader(io.StringIO((out / "moodle_import.csv").read_bytes().decode()))}
    assert rows["ID number"][2] == "02_backprop"
    assert rows["S002"][1:3] == ["José Núñez", "30"] and rows["S006"][2] == "24"   # Li Wei: 2 started days late
    assert rows["S003"][2:] == ["0", "no submission: 0"]
