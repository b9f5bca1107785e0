"""What is graded is exactly the bytes that were hashed and recorded, read once, never through a link.

A student who can write their own file while a batch runs (a synced or shared folder) once swapped in a
correct file while it was graded and put the stub back: the feedback said 30/30, the gradebook recorded
the stub's sha256 and a re-run said "unchanged". A folder whose `backprop.py` linked to another student's
file earned that file's score in single `grade`.
"""

from __future__ import annotations

import hashlib
import json
import os

import pytest

from conftest import ROOT, reference_source, run_grade
from grader.batch.collect import collect
from grader.batch.gradebook import Gradebook
from grader.batch.runner import GRADEBOOK_NAME, in_process_pool, pool_dispatch, run_batch, seed_key
from grader.course.manifest import load_course
from grader.grading.engine import grade
from grader.labcode.folder import FolderRefused
from grader.labcode.snapshot import LinkRefused, snapshot
from grader.labcode.submission import seed_for
from grader.sandbox.launchers import PlainProcessLauncher

EXERCISE = load_course(ROOT / "course.yaml").exercise("02_backprop")
REFERENCE = reference_source("02_backprop")
STUB = (ROOT / "exercises/02_backprop/backprop.py").read_text()


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def test_a_snapshot_copies_a_folder_and_refuses_a_link_at_any_level(tmp_path):
    folder = tmp_path / "work"
    (folder / "pkg").mkdir(parents=True)
    (folder / "backprop.py").write_text(REFERENCE)
    (folder / "pkg" / "helper.py").write_text("X = 1\n")
    (folder / ".venv").mkdir()
    os.symlink("/usr/bin/python3", folder / ".venv" / "python")   # hidden: never read, never refused
    copy = snapshot(folder, tmp_path / "copy", 2048)
    assert (copy / "pkg" / "helper.py").read_text() == "X = 1\n" and not (copy / ".venv").exists()

    alice = tmp_path / "alice.py"
    alice.write_text(REFERENCE)
    for place in ("backprop.py", "pkg/helper.py", "pkg/inner"):
        linked = tmp_path / f"linked-{place.replace('/', '-')}"
        (linked / "pkg").mkdir(parents=True)
        (linked / "backprop.py").write_text(STUB)
        target = linked / place
        target.unlink(missing_ok=True)
        os.symlink(alice if place.endswith(".py") else folder, target)
        with pytest.raises(LinkRefused, match="symbolic link"):
            snapshot(linked, tmp_path / f"copy-{place.replace('/', '-')}", 2048)
    os.symlink(alice, tmp_path / "mallory.py")
    with pytest.raises(LinkRefused):
        snapshot(tmp_path / "mallory.py", tmp_path / "copy-file", 2048)
    os.symlink(folder, tmp_path / "mallory")
    with pytest.raises(LinkRefused):
        snapshot(tmp_path / "mallory", tmp_path / "copy-folder", 2048)


def test_a_snapshot_is_bounded_before_it_reads(tmp_path):
    folder = tmp_path / "many"
    folder.mkdir()
    for index in range(70):
        (folder / f"m{index}.py").write_text("x = 1\n")
    with pytest.raises(FolderRefused, match="more than 64 files"):
        snapshot(folder, tmp_path / "copy", 2048)
    big = tmp_path / "big.py"
    big.write_bytes(b"#" * 5000)
    with pytest.raises(FolderRefused, match="the file is 0.0 MB, and a submission may be at most"):
        snapshot(big, tmp_path / "copy-big", 1)   # by its size, before it is read


def test_single_grade_of_a_folder_with_a_linked_file_earns_nothing(tmp_path):
    alice = tmp_path / "alice" / "backprop.py"
    alice.parent.mkdir()
    alice.write_text(REFERENCE)
    mallory = tmp_path / "mallory"
    mallory.mkdir()
    os.symlink(alice, mallory / "backprop.py")
    run = run_grade("exercises/02_backprop", "--submission", mallory, "--json", "-")
    assert run.returncode == 0, run.stderr
    assert run.document["score"] == 0 and run.document["status"] == "submission_broken"
    assert "symbolic link" in run.document["message"]
    alone = run_grade("exercises/02_backprop", "--submission", alice.parent, "--json", "-")
    assert alone.document["score"] == 30


def test_the_seed_and_sha256_are_those_of_the_bytes_graded(tmp_path):
    path = tmp_path / "backprop.py"
    path.write_text(REFERENCE)
    feedback = grade(EXERCISE, path, launcher=PlainProcessLauncher(), seed_key=b"k" * 32)
    assert feedback.submission.sha256 == _sha(REFERENCE)
    assert feedback.seed == seed_for(b"k" * 32, EXERCISE.id, _sha(REFERENCE))
    assert feedback.submission.path == str(path)


def test_a_file_swapped_while_the_batch_runs_is_recorded_as_what_was_graded(tmp_path):
    folder = tmp_path / "subs"
    folder.mkdir()
    mallory = folder / "mallory.py"
    mallory.write_text(STUB)
    (folder / "alice.py").write_text(REFERENCE)
    out = tmp_path / "out"
    pool = in_process_pool(EXERCISE, PlainProcessLauncher())
    real = pool_dispatch(pool, 1)

    def swapping(todo, recorder):
        mallory.write_text(REFERENCE)   # planned (hashed) as the stub; graded after the swap
        real(todo, recorder)
        mallory.write_text(STUB)        # and put back once graded

    run_batch(ROOT / "course.yaml", EXERCISE.id, collect(folder, EXERCISE), out, jobs=1, strong=False,
              dispatch=swapping)
    document = json.loads((out / "feedback/mallory.json").read_text())
    assert document["score"] == 30 and document["submission"]["sha256"] == _sha(REFERENCE)
    assert document["seed"] == seed_for(seed_key(out), EXERCISE.id, _sha(REFERENCE))
    gradebook = Gradebook(out / GRADEBOOK_NAME)
    try:
        assert gradebook.latest(EXERCISE.id)["mallory"].sha256 == _sha(REFERENCE)
    finally:
        gradebook.close()

    summary = run_batch(ROOT / "course.yaml", EXERCISE.id, collect(folder, EXERCISE), out, jobs=1, strong=False,
                        pool=pool)
    assert summary.unchanged == 1 and summary.graded == 1   # alice unchanged; the stub that came back is graded
    assert json.loads((out / "feedback/mallory.json").read_text())["score"] == 0
    assert json.loads((out / "feedback/alice.json").read_text())["score"] == 30
