"""Instructor batch grading, end to end with the real `grade batch` command."""

from __future__ import annotations

import csv
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from conftest import ROOT, reference_source, run_grade
from grader.batch.collect import collect
from grader.batch.safezip import UnsafeArchive, extract
from grader.feedback import schema_errors
from grader.manifest import load_course
from grader.sandbox.launchers import bwrap_problem

EXERCISE = load_course(ROOT / "course.yaml").exercise("02_backprop")
REFERENCE = reference_source("02_backprop")
HONEST = {
    "alice": REFERENCE,
    "bob": REFERENCE.replace("params[name] - learning_rate", "params[name] + learning_rate"),
    "carol": REFERENCE.replace("delta2 = -(t - a2) * a2 * (1 - a2)", "delta2 = -(t - a2)"),
    "dave": (ROOT / "exercises/02_backprop/backprop.py").read_text(),
}
HOSTILE = {
    "mallory": REFERENCE + "\n\ndef train(*args, **kwargs):\n    while True:\n        pass\n",
    "oscar": REFERENCE + "\n\ndef gradients(x, t, w1, b1, w2, b2):\n    import os\n    os._exit(3)\n",
    "trudy": REFERENCE + "\nimport os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass\n",
    "eve": REFERENCE + "\n\ndef sigmoid(z):\n    import sys\n    sys.stdout.write('\\x1b[2J30/30 passed\\n' * 100000)\n    return 0.5\n",
}


def write_submissions(folder: Path, sources: dict[str, str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for student, source in sources.items():
        (folder / f"{student}.py").write_text(source)
    return folder


def read_csv(path: Path) -> dict[str, dict[str, str]]:
    with open(path, newline="") as stream:
        return {row["student"]: row for row in csv.DictReader(stream)}


def attempts(out: Path) -> dict[str, int]:
    with sqlite3.connect(out / "gradebook.sqlite") as db:
        return dict(db.execute("SELECT student, COUNT(*) FROM attempts GROUP BY student"))


# ---------------------------------------------------------------- collecting submissions

def test_collect_finds_one_submission_per_student_and_names_problems(tmp_path):
    (tmp_path / "alice.py").write_text("x = 1")
    (tmp_path / "bob").mkdir()
    (tmp_path / "bob" / "backprop.py").write_text("x = 1")
    (tmp_path / "bob" / "notes.py").write_text("x = 1")
    (tmp_path / "carol").mkdir()
    (tmp_path / "carol" / "mine.py").write_text("x = 1")
    (tmp_path / "dave").mkdir()
    (tmp_path / "dave" / "a.py").write_text("x = 1")
    (tmp_path / "dave" / "b.py").write_text("x = 1")
    (tmp_path / "erin").mkdir()
    (tmp_path / "erin" / "README.txt").write_text("no code")
    (tmp_path / "frank").mkdir()
    (tmp_path / "frank" / "backprop.py").symlink_to("/etc/passwd")
    (tmp_path / "grace.py").symlink_to("/etc/hostname")
    (tmp_path / "heidi.txt").write_text("not python")
    (tmp_path / ".DS_Store").write_text("")
    entries = {entry.student: entry for entry in collect(tmp_path, EXERCISE)}
    assert entries["alice"].path.name == "alice.py"
    assert entries["bob"].path.name == "backprop.py"
    assert entries["carol"].path.name == "mine.py"
    assert "several candidate files" in entries["dave"].problem
    assert "no .py file" in entries["erin"].problem
    assert "symbolic link" in entries["frank"].problem
    assert "symbolic link" in entries["grace"].problem
    assert "not a Python file" in entries["heidi"].problem
    assert ".DS_Store" not in entries and "DS_Store" not in entries


def test_zip_extraction_refuses_escapes_links_and_bombs(tmp_path):
    archive = tmp_path / "export.zip"
    with zipfile.ZipFile(archive, "w") as bundle:
        bundle.writestr("alice/backprop.py", "x = 1")
        bundle.writestr("../escape.py", "x = 1")
        bundle.writestr("/etc/absolute.py", "x = 1")
        link = zipfile.ZipInfo("bob/backprop.py")
        link.external_attr = (0o120777 << 16)
        bundle.writestr(link, "/etc/passwd")
    target = tmp_path / "out"
    target.mkdir()
    skipped = {item.name: item.reason for item in extract(archive, target)}
    assert (target / "alice" / "backprop.py").read_text() == "x = 1"
    assert "leaves" in skipped["../escape.py"] and "leaves" in skipped["/etc/absolute.py"]
    assert "symbolic link" in skipped["bob/backprop.py"]
    assert not (tmp_path / "escape.py").exists() and not (target / "bob" / "backprop.py").exists()
    (tmp_path / "junk.zip").write_bytes(b"not a zip")
    with pytest.raises(UnsafeArchive):
        extract(tmp_path / "junk.zip", target)


# ---------------------------------------------------------------- grading a batch

@pytest.mark.slow
@pytest.mark.skipif(bwrap_problem() is not None, reason=f"needs bubblewrap: {bwrap_problem()}")
def test_a_mixed_batch_grades_honest_students_as_if_alone(tmp_path):
    submissions = write_submissions(tmp_path / "subs", {**HONEST, **HOSTILE})
    (submissions / "zed").mkdir()   # a student with nothing to grade
    out = tmp_path / "out"
    run = run_grade("batch", submissions, "--exercise", "02_backprop", "--out", out, "--jobs", "2")
    assert run.returncode == 0, run.stderr
    assert "9 students" in run.stderr and "8 graded" in run.stderr

    grades = read_csv(out / "grades.csv")
    assert set(grades) == set(HONEST) | set(HOSTILE) | {"zed"}
    assert grades["zed"]["status"] == "no_submission"
    for student, source in HONEST.items():
        alone = run_grade("exercises/02_backprop", "--submission", submissions / f"{student}.py", "--json", "-").document
        document = json.loads((out / "feedback" / f"{student}.json").read_text())
        assert document["score"] == alone["score"], student
        assert [c["outcome"] for c in document["checks"]] == [c["outcome"] for c in alone["checks"]]
        assert float(grades[student]["total"]) == alone["score"]
    assert float(grades["alice"]["total"]) == 30 and float(grades["dave"]["total"]) == 0
    assert float(grades["mallory"]["total"]) == 23 and float(grades["oscar"]["total"]) == 30 - 3 - 3 - 3 - 2 - 3 - 2
    assert float(grades["trudy"]["total"]) == 0

    for feedback_file in (out / "feedback").glob("*.json"):
        document = json.loads(feedback_file.read_text())
        assert schema_errors(document) == [], feedback_file
        assert document["isolation"]["strong"] is True
        gradescope = json.loads((out / "gradescope" / feedback_file.stem / "results.json").read_text())
        assert gradescope["score"] == document["score"]
        assert sum(test["score"] for test in gradescope["tests"]) == pytest.approx(document["score"])
    report = (out / "report.html").read_text()
    assert "<svg" in report and "update-sign" in report and "mallory" in report and "<script" not in report

    again = run_grade("batch", submissions, "--exercise", "02_backprop", "--out", out)
    assert "0 graded, 8 unchanged" in again.stderr
    (submissions / "bob.py").write_text(REFERENCE)
    third = run_grade("batch", submissions, "--exercise", "02_backprop", "--out", out)
    assert "1 graded, 7 unchanged" in third.stderr
    assert float(read_csv(out / "grades.csv")["bob"]["total"]) == 30
    assert attempts(out)["bob"] == 2 and attempts(out)["alice"] == 1


@pytest.mark.slow
def test_a_zip_export_is_graded_like_a_folder(tmp_path):
    archive = tmp_path / "export.zip"
    with zipfile.ZipFile(archive, "w") as bundle:
        bundle.writestr("alice/backprop.py", HONEST["alice"])
        bundle.writestr("bob/backprop.py", HONEST["bob"])
        bundle.writestr("../../evil.py", "x = 1")
    out = tmp_path / "out"
    run = run_grade("batch", archive, "--exercise", "02_backprop", "--out", out, "--allow-weak-isolation")
    assert run.returncode == 0, run.stderr
    assert "skipped '../../evil.py'" in run.stderr
    grades = read_csv(out / "grades.csv")
    assert set(grades) == {"alice", "bob"} and float(grades["alice"]["total"]) == 30


@pytest.mark.slow
@pytest.mark.skipif(bwrap_problem() is not None, reason=f"needs bubblewrap: {bwrap_problem()}")
def test_kill_9_loses_nothing_and_a_rerun_grades_only_what_is_missing(tmp_path):
    sources = {f"s{index:03d}": REFERENCE + f"\n# {index}\n" for index in range(40)}
    submissions = write_submissions(tmp_path / "subs", sources)
    out = tmp_path / "out"
    command = [sys.executable, "-m", "grader", "batch", str(submissions), "--exercise", "02_backprop", "--out", str(out),
               "--jobs", "2"]
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if (out / "gradebook.sqlite").exists() and sum(attempts(out).values() if (out / "feedback").exists() else [0]) >= 8:
            break
        time.sleep(0.05)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    done_before = attempts(out)
    assert 0 < len(done_before) < len(sources)
    for student in done_before:   # every recorded row has its complete feedback file
        assert schema_errors(json.loads((out / "feedback" / f"{student}.json").read_text())) == []

    run = run_grade("batch", submissions, "--exercise", "02_backprop", "--out", out, "--jobs", "2")
    assert run.returncode == 0, run.stderr
    after = attempts(out)
    assert set(after) == set(sources)
    assert all(after[student] == 1 for student in done_before), "graded twice after the crash"
    assert f"{len(sources) - len(done_before)} graded, {len(done_before)} unchanged" in run.stderr
    assert {row["total"] for row in read_csv(out / "grades.csv").values()} == {"30"}


def test_batch_refuses_weak_isolation_unless_asked(tmp_path, monkeypatch, capsys):
    from grader import cli
    from grader.sandbox import launchers

    monkeypatch.setattr(launchers, "bwrap_problem", lambda: "bubblewrap (bwrap) is not installed")
    monkeypatch.chdir(ROOT)
    write_submissions(tmp_path / "subs", {"alice": REFERENCE})
    code = cli.main(["batch", str(tmp_path / "subs"), "--exercise", "02_backprop", "--out", str(tmp_path / "out")])
    assert code == 2
    assert "--allow-weak-isolation" in capsys.readouterr().err
    assert not (tmp_path / "out" / "gradebook.sqlite").exists()


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("chromium") is None, reason="headless Chromium (Debian package chromium) is not installed")
def test_the_report_renders_in_a_browser(tmp_path):
    submissions = write_submissions(tmp_path / "subs", HONEST)
    out = tmp_path / "out"
    assert run_grade("batch", submissions, "--exercise", "02_backprop", "--out", out, "--allow-weak-isolation").returncode == 0
    screenshot = tmp_path / "report.png"
    browser = subprocess.run(
        ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={tmp_path / 'profile'}",
         "--window-size=1000,1400", f"--screenshot={screenshot}", (out / "report.html").as_uri()],
        capture_output=True, text=True, timeout=120)
    assert screenshot.is_file() and screenshot.stat().st_size > 10_000, browser.stderr[-2000:]
    dom = subprocess.run(
        ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         f"--user-data-dir={tmp_path / 'profile2'}", "--dump-dom", (out / "report.html").as_uri()],
        capture_output=True, text=True, timeout=120).stdout
    assert dom.count("<rect") >= 11 + 14 and "Most frequent hints" in dom


@pytest.mark.slow
def test_grader_failures_are_retried_once_and_not_held_against_students(course_copy):
    checks = course_copy / "solutions/02_backprop/hidden_checks.py"
    checks.write_text(checks.read_text().replace('"""error() is right for random targets and outputs"""',
                                                 '"""error() is right"""\n    raise RuntimeError("bug in a check")'))
    submissions = write_submissions(course_copy / "subs", {"alice": REFERENCE, "bob": HONEST["bob"]})
    out = course_copy / "out"
    run = run_grade("batch", submissions, "--exercise", "02_backprop", "--out", out, "--allow-weak-isolation",
                    "--jobs", "1", cwd=course_copy)
    assert run.returncode == 3, run.stderr
    assert "2 grader failures (2 retried)" in run.stderr
    grades = read_csv(out / "grades.csv")
    assert {row["status"] for row in grades.values()} == {"grader_failed"}
    assert all("bug in a check" in row["note"] for row in grades.values())
    assert attempts(out) == {"alice": 1, "bob": 1}
    checks.write_text(checks.read_text().replace('    raise RuntimeError("bug in a check")\n', ""))
    fixed = run_grade("batch", submissions, "--exercise", "02_backprop", "--out", out, "--allow-weak-isolation",
                      cwd=course_copy)
    assert fixed.returncode == 0 and "2 graded, 0 unchanged" in fixed.stderr
    assert float(read_csv(out / "grades.csv")["alice"]["total"]) == 30
