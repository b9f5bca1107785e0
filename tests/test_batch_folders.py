"""`grade batch` on students who hand in a folder (or their own zip) with helper modules beside the entry file.

A folder is graded as single `grade --submission FOLDER` grades it: the entry file, helpers importable in the
sandbox, bounded in size and count, hashed as a whole for resuming. A hostile student's folder must not reach
outside itself (links, `..` or absolute names in a zip), and a helper of one student must never be importable
in another student's grading, although the batch forks every child from one warm template.
"""

from __future__ import annotations

import csv
import json
import shutil
import sqlite3
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from conftest import ROOT, mutate, reference_source
from grader.batch.collect import collect
from grader.cluster.payload import WorkItem, materialize, submission_files
from grader.course.manifest import load_course
from grader.labcode.folder import MAX_FILES, FolderRefused, open_folder, open_zip
from grader.sandbox.launchers import bwrap_problem

EXERCISE = load_course(ROOT / "course.yaml").exercise("02_backprop")
REFERENCE = reference_source("02_backprop")
SIGMOID = "def sigmoid(z):\n    return 1.0 / (1.0 + np.exp(-z))\n"
HELPER = "import numpy as np\n\n\n" + SIGMOID
USES_HELPER = mutate(REFERENCE, SIGMOID, "from alice_tools import sigmoid\n")
needs_bwrap = pytest.mark.skipif(bwrap_problem() is not None, reason=f"needs bubblewrap: {bwrap_problem()}")


def alice_folder(parent: Path, name: str = "alice") -> Path:
    """The reference with its sigmoid in a helper module beside the entry file."""
    folder = parent / name
    folder.mkdir(parents=True)
    (folder / "backprop.py").write_text(USES_HELPER)
    (folder / "alice_tools.py").write_text(HELPER)
    (folder / "notes.txt").write_text("sigmoid is in alice_tools.py")
    return folder


def entries_of(root: Path) -> dict:
    return {entry.student: entry for entry in collect(root, EXERCISE)}


def batch(submissions: Path, out: Path, *extra: str) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "grader", "batch", str(submissions), "--exercise", EXERCISE.id, "--out", str(out),
               *extra]
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600)


def grades(out: Path) -> dict[str, dict[str, str]]:
    with open(out / "grades.csv", newline="") as stream:
        return {row["student"]: row for row in csv.DictReader(stream)}


def feedback(out: Path, student: str) -> dict:
    return json.loads((out / "feedback" / f"{student}.json").read_text())


def attempts(out: Path) -> dict[str, int]:
    with sqlite3.connect(out / "gradebook.sqlite") as db:
        return dict(db.execute("SELECT student, COUNT(*) FROM attempts GROUP BY student"))


# ---------------------------------------------------------------- collecting folders and zips (no sandbox)

def test_a_folder_is_one_submission_hashed_over_all_its_code(tmp_path):
    alice_folder(tmp_path)
    first = entries_of(tmp_path)["alice"]
    assert first.path == tmp_path / "alice" and first.problem is None
    assert first.sha256 == open_folder(tmp_path / "alice", EXERCISE.entry, EXERCISE.limits.max_file_kib).sha256
    (tmp_path / "alice" / "alice_tools.py").write_text(HELPER + "\n# changed\n")
    changed = entries_of(tmp_path)["alice"].sha256
    assert changed != first.sha256                                     # a changed helper is a new submission
    (tmp_path / "alice" / "notes.txt").write_text("not code: grading never reads it")
    (tmp_path / "alice" / "__pycache__").mkdir()
    (tmp_path / "alice" / "__pycache__" / "alice_tools.cpython-311.pyc").write_bytes(b"\0junk")
    assert entries_of(tmp_path)["alice"].sha256 == changed              # what grading never reads changes nothing


def test_a_students_own_zip_is_graded_as_the_same_folder(tmp_path):
    folder = alice_folder(tmp_path / "source")
    (tmp_path / "subs" / "bob").mkdir(parents=True)
    for archive in (tmp_path / "subs" / "alice.zip", tmp_path / "subs" / "bob" / "submission.zip"):   # an LMS folder
        with zipfile.ZipFile(archive, "w") as bundle:
            for path in sorted(folder.iterdir()):
                bundle.write(path, f"my work/{path.name}")   # a zip of one folder: that folder
    entries = entries_of(tmp_path / "subs")
    expected = open_folder(folder, EXERCISE.entry, EXERCISE.limits.max_file_kib).sha256
    assert entries["alice"].path == tmp_path / "subs" / "alice.zip" and entries["alice"].sha256 == expected
    assert entries["bob"].path == tmp_path / "subs" / "bob" / "submission.zip" and entries["bob"].sha256 == expected


@pytest.mark.parametrize("member, reason", [("../escape.py", "leaves the archive"), ("/etc/cron.d/evil.py", "leaves the archive"),
                                            ("link", "symbolic link")])
def test_a_zip_naming_anything_outside_itself_is_reported(tmp_path, member, reason):
    archive = tmp_path / "subs" / "mallory.zip"
    archive.parent.mkdir()
    with zipfile.ZipFile(archive, "w") as bundle:
        bundle.writestr("backprop.py", REFERENCE)
        if member == "link":
            info = zipfile.ZipInfo("alice_tools.py")
            info.external_attr = 0o120777 << 16
            bundle.writestr(info, "../alice/alice_tools.py")
        else:
            bundle.writestr(member, "x = 1\n")
    entry = entries_of(tmp_path / "subs")["mallory"]
    assert entry.path is None and reason in entry.problem and "cannot be unpacked" in entry.problem
    assert not (tmp_path / "escape.py").exists()
    (tmp_path / "work").mkdir()
    with pytest.raises(FolderRefused, match=reason):   # single `grade --submission mallory.zip` refuses it alike
        open_zip(archive, tmp_path / "work", EXERCISE.entry, EXERCISE.limits.max_file_kib)


def test_a_link_anywhere_in_a_folder_is_reported(tmp_path):
    alice_folder(tmp_path)
    mallory = tmp_path / "mallory"
    (mallory / "deep" / "er").mkdir(parents=True)
    (mallory / "backprop.py").write_text(USES_HELPER)
    (mallory / "deep" / "er" / "alice_tools.py").symlink_to(tmp_path / "alice" / "alice_tools.py")
    (tmp_path / "trent").mkdir()
    (tmp_path / "trent" / "backprop.py").write_text(USES_HELPER)
    (tmp_path / "trent" / "shared").symlink_to(tmp_path / "alice", target_is_directory=True)
    entries = entries_of(tmp_path)
    assert entries["alice"].path is not None
    assert entries["mallory"].path is None and "deep/er/alice_tools.py is a symbolic link to another student's" \
        in entries["mallory"].problem
    assert entries["trent"].path is None and "trent/shared is a symbolic link" in entries["trent"].problem


def test_folders_over_the_bounds_are_reported_for_their_student_only(tmp_path):
    alice_folder(tmp_path)
    big = alice_folder(tmp_path, "olga")
    (big / "weights.bin").write_bytes(b"\0" * (EXERCISE.limits.max_file_kib * 1024))
    many = alice_folder(tmp_path, "pete")
    for number in range(MAX_FILES):
        (many / f"part_{number}.py").write_text("x = 1\n")
    (tmp_path / "dave").mkdir()
    (tmp_path / "dave" / "a.py").write_text("x = 1\n")
    (tmp_path / "dave" / "b.py").write_text("x = 1\n")
    entries = entries_of(tmp_path)
    assert entries["alice"].path is not None
    assert entries["olga"].path is None and "add up to more than 2 MB" in entries["olga"].problem
    assert entries["pete"].path is None and f"more than {MAX_FILES} files" in entries["pete"].problem
    assert entries["dave"].path is None and "name it backprop.py or backprop.ipynb" in entries["dave"].problem


def test_a_folder_reaches_a_cluster_worker_as_the_files_grading_reads(tmp_path):
    folder = alice_folder(tmp_path / "subs")
    (folder / ".git" / "objects").mkdir(parents=True)
    (folder / ".git" / "objects" / "ab").write_bytes(b"x" * 10_000)
    (folder / "__pycache__").mkdir()
    (folder / "__pycache__" / "alice_tools.cpython-311.pyc").write_bytes(b"\0")
    (folder / "pkg").mkdir()
    (folder / "pkg" / "__init__.py").write_text("from alice_tools import sigmoid\n")
    sent = submission_files(folder, budget=4 * EXERCISE.limits.max_file_kib * 1024)
    assert [item.path for item in sent] == ["alice_tools.py", "backprop.py", "notes.txt", "pkg/__init__.py"]
    (tmp_path / "worker").mkdir()
    copy = materialize(WorkItem("c", EXERCISE.id, "alice", sent, 1, True), tmp_path / "worker")
    local = open_folder(folder, EXERCISE.entry, EXERCISE.limits.max_file_kib)
    remote = open_folder(copy, EXERCISE.entry, EXERCISE.limits.max_file_kib)
    assert remote.sha256 == local.sha256 and remote.helpers == local.helpers and set(local.helpers) == {"alice_tools", "pkg"}


# ---------------------------------------------------------------- real batches in the warm sandbox

def write_batch(submissions: Path) -> Path:
    """alice: a folder with a helper; bob: the reference as one file; zoe (graded after alice, by the same warm
    worker) imports alice's helper by name; olga: a folder over the size limit."""
    alice_folder(submissions)
    (submissions / "bob.py").write_text(REFERENCE)
    (submissions / "zoe.py").write_text(USES_HELPER)
    olga = alice_folder(submissions, "olga")
    (olga / "weights.bin").write_bytes(b"\0" * (EXERCISE.limits.max_file_kib * 1024 + 1))
    return submissions


@pytest.mark.slow
@needs_bwrap
def test_a_warm_batch_grades_a_folder_and_keeps_its_helpers_to_it(tmp_path):
    submissions = write_batch(tmp_path / "subs")
    out = tmp_path / "out"
    run = batch(submissions, out, "--jobs", "1", "--similarity")   # one worker: every child from the same template
    assert run.returncode == 0, run.stderr
    assert "4 students: 3 graded" in run.stderr and "1 without a gradable file" in run.stderr
    table = grades(out)
    assert float(table["alice"]["total"]) == 30 and float(table["bob"]["total"]) == 30
    alice = feedback(out, "alice")
    assert alice["isolation"]["strong"] is True and alice["submission"]["path"] == str(submissions / "alice")
    assert "with the helper modules beside it: alice_tools" in alice["message"]

    zoe = feedback(out, "zoe")
    assert zoe["status"] == "submission_broken" and float(table["zoe"]["total"]) == 0
    assert "No module named 'alice_tools'" in zoe["message"], zoe["message"]

    assert table["olga"]["status"] == "no_submission" and "add up to more than 2 MB" in table["olga"]["note"]

    with open(out / "similarity.csv", newline="") as stream:   # alice's entry file is compared, as graded
        pairs = {frozenset((row["student_a"], row["student_b"])) for row in csv.DictReader(stream)}
    assert frozenset(("alice", "bob")) in pairs

    again = batch(submissions, out)
    assert "0 graded, 3 unchanged" in again.stderr, again.stderr
    (submissions / "alice" / "alice_tools.py").write_text(HELPER.replace("np.exp(-z)", "np.exp(z)"))
    third = batch(submissions, out)
    assert "1 graded, 2 unchanged" in third.stderr, third.stderr
    assert attempts(out)["alice"] == 2 and attempts(out)["bob"] == 1
    changed = feedback(out, "alice")
    assert changed["score"] < 30 and changed["submission"]["sha256"] != alice["submission"]["sha256"]
    assert any(check.get("hint_id") == "sigmoid-sign" for check in changed["checks"])


@pytest.mark.slow
@needs_bwrap
def test_a_folder_grades_on_a_dask_cluster_as_it_grades_here(tmp_path):
    from dask_cluster import LocalCluster

    submissions = write_batch(tmp_path / "subs")
    here, there = tmp_path / "here", tmp_path / "there"
    assert batch(submissions, here, "--jobs", "1").returncode == 0
    there.mkdir()
    shutil.copy(here / "seed.key", there / "seed.key")
    cluster = LocalCluster(tmp_path / "dask").start(workers=1)
    try:
        run = batch(submissions, there, "--cluster", cluster.address)
    finally:
        cluster.stop()
    assert run.returncode == 0, run.stderr
    assert "4 students: 3 graded" in run.stderr
    for student in ("alice", "bob", "zoe"):
        local, remote = feedback(here, student), feedback(there, student)
        assert remote["submission"] == local["submission"], student
        assert (remote["score"], remote["status"], remote["seed"]) == (local["score"], local["status"], local["seed"])
        assert [c["outcome"] for c in remote["checks"]] == [c["outcome"] for c in local["checks"]], student
    assert feedback(there, "alice")["score"] == 30 and "No module named 'alice_tools'" in feedback(there, "zoe")["message"]
    assert "the Dask cluster" in (there / "report.html").read_text()
