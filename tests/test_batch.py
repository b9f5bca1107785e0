"""Instructor batch grading, end to end with the real `grade batch` command."""

from __future__ import annotations

import csv
import hashlib
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
from grader.batch.collect import collect, student_id
from grader.labcode.safezip import UnsafeArchive, extract
from grader.errors import UsageError
from grader.feedback.model import schema_errors
from grader.course.manifest import load_course
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
    # A fork loop that runs on import, made reachable from a graded function (slicing leaves out what none needs).
    "trudy": REFERENCE + ("\nimport os\n\ndef _fork_forever():\n    while True:\n        try:\n            os.fork()\n"
                          "        except OSError:\n            pass\n\n_FORKED = _fork_forever()\n_sigmoid = sigmoid\n\n"
                          "def sigmoid(z):\n    return _sigmoid(z) if _FORKED is None else 0\n"),
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
    assert entries["alice"].path.name == "alice.py" and entries["alice"].sha256 == ""   # a file is hashed when planning
    assert entries["bob"].path == tmp_path / "bob" and entries["bob"].sha256   # a folder: backprop.py, notes.py a helper
    assert entries["carol"].path == tmp_path / "carol"                          # its one .py file is the entry
    assert "does not say which file to grade (its .py and .ipynb files: a.py, b.py)" in entries["dave"].problem
    assert "(its .py and .ipynb files: none)" in entries["erin"].problem
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


def test_student_ids_come_from_the_name_alone_and_never_collide(tmp_path):
    names = ["x.py", "x_2.py", "x~.py", "x~", "张伟.py", "José.py", "Josè.py", "Jose\u0301.py", "@SUM(1,1).py",
             "a" * 243 + ".py", "a" * 244 + ".py", "Mary Ann.py", "Mary_Ann.py", "-rf.py", "!!!.py"]
    ids = {name: student_id(name, not name.endswith("~")) for name in names}
    assert ids["x.py"] == "x" and ids["x_2.py"] == "x_2" and ids["x~.py"] not in ("x", "x_2")
    assert ids["x~.py"] == ids["x~"]    # a file and a folder of the same name are the same student
    assert ids["张伟.py"] == "张伟" and ids["José.py"] == "José" and ids["Josè.py"] == "Josè"
    assert ids["Mary_Ann.py"] == "Mary_Ann" and ids["Mary Ann.py"] != "Mary_Ann"
    distinct = [name for name in names if name != "x~"]
    assert len({ids[name] for name in distinct}) == len(distinct)
    for student in ids.values():
        assert 0 < len(student.encode()) <= 100 and "/" not in student and not student.startswith((".", "-"))
    assert ids["a" * 243 + ".py"].startswith("a" * 50)   # long names stay readable


def test_ids_do_not_shift_when_students_are_added(tmp_path):
    first = tmp_path / "first"
    first.mkdir()
    for name in ("x.py", "x~.py", "José.py"):
        (first / name).write_text("x = 1")
    before = {entry.submitted_as: entry.student for entry in collect(first, EXERCISE)}
    for name in ("x_2.py", "x~~.py", "Josè.py", "x~"):
        (first / name).write_text("x = 1") if name.endswith(".py") else (first / name).mkdir()
    after = {entry.submitted_as: entry.student for entry in collect(first, EXERCISE)}
    assert after["x.py"] == before["x.py"] and after["José.py"] == before["José.py"]
    assert after["x~, x~.py"] == before["x~.py"]   # the new folder joined the same student ...
    entry = next(e for e in collect(first, EXERCISE) if e.student == before["x~.py"])
    assert entry.path is None and "several submissions" in entry.problem   # ... who is now reported, not overwritten


def test_a_name_that_is_not_utf8_gets_a_usable_id(tmp_path):
    raw = os.fsdecode(b"caf\xe9.py")
    (tmp_path / raw).write_text("x = 1")
    (entry,) = collect(tmp_path, EXERCISE)
    assert entry.student.encode("utf-8") and entry.path is not None
    assert "\\xe9" in entry.submitted_as and entry.submitted_as.encode("utf-8")


def test_links_are_reported_never_graded_as_the_linkers_work(tmp_path):
    (tmp_path / "alice.py").write_text("x = 1")
    (tmp_path / "mallory.py").symlink_to("alice.py")
    (tmp_path / "bob").mkdir()
    (tmp_path / "bob" / "backprop.py").symlink_to(tmp_path / "alice.py")
    (tmp_path / "carol").symlink_to(tmp_path / "bob")
    entries = {entry.student: entry for entry in collect(tmp_path, EXERCISE)}
    assert entries["alice"].path == tmp_path / "alice.py"
    for student in ("mallory", "bob", "carol"):
        assert entries[student].path is None and "symbolic link" in entries[student].problem, student
    assert "another student's submission" in entries["mallory"].problem


def test_archive_members_that_were_skipped_are_reported_for_their_student(tmp_path):
    (tmp_path / "alice").mkdir()
    (tmp_path / "alice" / "backprop.py").write_text("x = 1")
    (tmp_path / "erin").mkdir()
    skipped = {"erin/backprop.py": "it is damaged", "fay.py": "it is encrypted", "../evil.py": "it leaves",
               "/etc/x.py": "it leaves", "__MACOSX/._a.py": "junk"}
    entries = {entry.student: entry for entry in collect(tmp_path, EXERCISE, skipped)}
    assert set(entries) == {"alice", "erin", "fay"}
    assert entries["alice"].path is not None
    assert "erin/backprop.py in the archive was not extracted: it is damaged" in entries["erin"].problem
    assert "it is encrypted" in entries["fay"].problem and entries["fay"].path is None


def _patch_member(archive: Path, name: str, offsets: dict[bytes, tuple[int, bytes]]) -> None:
    """Overwrite a header field of one member, in its local (PK\\3\\4) and its central (PK\\1\\2) header."""
    import struct

    data = bytearray(archive.read_bytes())
    layouts = {b"PK\x03\x04": (26, 30), b"PK\x01\x02": (28, 46)}   # where the name's length and the name are
    for signature, (length_at, name_at) in layouts.items():
        index = data.find(signature)
        while index >= 0:
            length = struct.unpack("<H", data[index + length_at:index + length_at + 2])[0]
            if data[index + name_at:index + name_at + length] == name.encode():
                offset, value = offsets[signature]
                data[index + offset:index + offset + len(value)] = value
            index = data.find(signature, index + 4)
    archive.write_bytes(bytes(data))


def test_one_bad_archive_member_never_stops_the_others(tmp_path):
    import struct

    archive = tmp_path / "export.zip"
    with zipfile.ZipFile(archive, "w") as bundle:
        bundle.writestr("alice/backprop.py", "x = 1")
        bundle.writestr("carol/" + "c" * 300 + ".py", "x = 1")
        bundle.writestr("dan", "x = 1")
        bundle.writestr("dan/backprop.py", "x = 1")
        bundle.writestr("erin/backprop.py", "def f(): pass\n")
        bundle.writestr("fay/backprop.py", "x = 1")
        bundle.writestr("gus/backprop.py", "x = 1")
        bundle.writestr("zoe/backprop.py", "x = 1")
    with zipfile.ZipFile(archive, "a") as bundle:
        with pytest.warns(UserWarning):
            bundle.writestr("zoe/backprop.py", "x = 2")
    data = bytearray(archive.read_bytes())
    crc_at = data.find(b"def f()")
    data[crc_at] ^= 1                                   # erin: bad CRC
    archive.write_bytes(bytes(data))
    _patch_member(archive, "fay/backprop.py", {b"PK\x03\x04": (6, b"\x01"), b"PK\x01\x02": (8, b"\x01")})   # encrypted flag
    method = struct.pack("<H", 99)
    _patch_member(archive, "gus/backprop.py", {b"PK\x03\x04": (8, method), b"PK\x01\x02": (10, method)})     # unknown method
    target = tmp_path / "out"
    target.mkdir()
    skipped = {item.name: item.reason for item in extract(archive, target)}
    assert (target / "alice" / "backprop.py").read_text() == "x = 1"
    assert (target / "zoe" / "backprop.py").read_text() == "x = 1"
    assert "longer than 255 bytes" in skipped["carol/" + "c" * 300 + ".py"]
    assert "name of one of its folders" in skipped["dan/backprop.py"]
    assert "Bad CRC-32" in skipped["erin/backprop.py"] and not (target / "erin" / "backprop.py").exists()
    assert "encrypted" in skipped["fay/backprop.py"]
    assert "method 99" in skipped["gus/backprop.py"]
    assert "two members of this name" in skipped["zoe/backprop.py"]


def _class_zip_with_mislabelled_names(archive: Path) -> None:
    """alice's name is plain; bob's is marked UTF-8 (bit 11) but is Latin-1 (b\\xf6b, as some zip tools write);
    carl's is not marked and is cp437 (0x81 is u-umlaut there); gus's member needs zip version 7.0; dora has
    a file in a folder whose name is marked UTF-8 but is not, and a file that is fine."""
    with zipfile.ZipFile(archive, "w") as bundle:
        for name, source in [("alice/backprop.py", HONEST["alice"]), ("bXb/backprop.py", HONEST["alice"]),
                             ("carlX/backprop.py", HONEST["bob"]), ("gus/backprop.py", HONEST["alice"]),
                             ("dora/notes/Xa.py", "x = 1"), ("dora/backprop.py", HONEST["alice"])]:
            bundle.writestr(name, source)
    utf8 = {b"PK\x03\x04": (6, b"\x00\x08"), b"PK\x01\x02": (8, b"\x00\x08")}
    _patch_member(archive, "bXb/backprop.py", utf8)
    _patch_member(archive, "dora/notes/Xa.py", utf8)
    _patch_member(archive, "gus/backprop.py", {b"PK\x03\x04": (4, b"\x46"), b"PK\x01\x02": (6, b"\x46")})
    data = archive.read_bytes()
    data = data.replace(b"bXb/", b"b\xf6b/").replace(b"carlX/", b"carl\x81/").replace(b"notes/Xa", b"notes/\xe9a")
    archive.write_bytes(data)
    with pytest.raises(UnicodeDecodeError):   # what Python's zipfile does with it: no one would be graded
        zipfile.ZipFile(archive)


def test_a_name_marked_utf8_that_is_not_is_refused_alone_and_reported_for_its_student(tmp_path):
    archive = tmp_path / "export.zip"
    _class_zip_with_mislabelled_names(archive)
    target = tmp_path / "out"
    target.mkdir()
    skipped = {item.name: item.reason for item in extract(archive, target)}
    assert (target / "alice" / "backprop.py").read_text() == HONEST["alice"]
    assert (target / "carl\u00fc" / "backprop.py").read_text() == HONEST["bob"]   # cp437, as the archive says
    assert (target / "dora" / "backprop.py").is_file() and not (target / "dora" / "notes").exists()
    bob = skipped["b\udcf6b/backprop.py"]
    assert "its name (b\\xf6b/backprop.py) is marked as UTF-8 in the archive but its bytes are not UTF-8" in bob
    assert "version 7.0" in skipped["gus/backprop.py"] and not (target / "gus").exists()
    assert "is marked as UTF-8" in skipped["dora/notes/\udce9a.py"]
    assert len(skipped) == 3

    entries = {entry.student: entry for entry in collect(target, EXERCISE, skipped)}
    assert entries["alice"].path is not None and entries["carl\u00fc"].path is not None
    (bob_id,) = [student for student in entries if student.startswith("b_xf6b~")]
    problem = entries[bob_id].problem
    assert entries[bob_id].path is None and "b\\xf6b/backprop.py in the archive was not extracted" in problem
    assert problem.isprintable() and "marked as UTF-8" in problem
    assert entries["dora"].path is None and "notes" in entries["dora"].problem   # judged on all it handed in, or not at all
    assert entries["gus"].path is None and "version 7.0" in entries["gus"].problem


@pytest.mark.slow
def test_grade_batch_of_a_zip_with_a_mislabelled_name_grades_everyone_else(tmp_path):
    archive = tmp_path / "export.zip"
    _class_zip_with_mislabelled_names(archive)
    out = tmp_path / "out"
    run = run_grade("batch", archive, "--exercise", "02_backprop", "--out", out, "--allow-weak-isolation")
    assert run.returncode == 0, run.stderr
    grades = read_csv(out / "grades.csv")
    assert float(grades["alice"]["total"]) == 30 and float(grades["carl\u00fc"]["total"]) < 30
    (bob_id,) = [student for student in grades if student.startswith("b_xf6b~")]
    assert grades[bob_id]["status"] == "no_submission" and "marked as UTF-8" in grades[bob_id]["note"]
    assert grades["gus"]["status"] == grades["dora"]["status"] == "no_submission"


def test_csv_cells_never_start_a_formula():
    from grader.views.csv_table import grades_csv, students_csv, text_cell

    for text in ("=1+2", "+1", "-1", "@SUM(1,1)", "\tx", "\rx", " =1", "＝1"):
        assert text_cell(text).startswith("'"), text
    assert text_cell("alice") == "alice" and text_cell("x\ud800") == "x\ufffd"
    from grader.views.rows import StudentRow
    from grader.feedback.model import Feedback, OutputTail, SubmissionInfo
    from grader.outcomes import Outcome, Status
    from grader.feedback.results import CheckResult
    from grader.sandbox.fake import SCRIPTED

    checks = (CheckResult("public/a", "a", "public", 3.0, Outcome.PASSED, "correct"),
              CheckResult("public/b", "b", "public", 27.0, Outcome.FAILED, "wrong"))
    feedback = Feedback("02_backprop", "t", Status.GRADED, "m", checks, SubmissionInfo("x.py", "", 0), 1, SCRIPTED,
                        "2024-01-01T00:00:00+00:00", 0.0, OutputTail("", "", 0, 0, False), "0", True)
    rows = [StudentRow("@SUM_1_1", "graded", feedback), StudentRow("eve", "no_submission", None, "=1+2+cmd.txt is not a Python file"),
            StudentRow("-x", "graded", feedback)]
    for text in (grades_csv(rows), students_csv({"@SUM_1_1": "@SUM(1,1).py", "x": "-x.py"})):
        cells = [cell for row in csv.reader(text.splitlines()) for cell in row]
        assert all(not cell or cell[0] not in "=+-@\t\r" for cell in cells), cells
    table = list(csv.DictReader(grades_csv(rows).splitlines()))
    assert table[0]["student"] == "'@SUM_1_1" and table[1]["note"] == "'=1+2+cmd.txt is not a Python file"
    assert table[0]["total"] == "3" and table[0]["max"] == "30" and table[0]["public/a"] == "3"   # numbers stay numbers


def test_a_huge_file_is_refused_by_its_size_and_hashed_in_bounded_memory(tmp_path):
    import tracemalloc

    from grader.labcode.submission import file_sha256, inspect_file

    big = tmp_path / "big.py"
    with open(big, "wb") as stream:
        stream.truncate(1200 * 2**20)   # sparse: costs no disk
    tracemalloc.start()
    try:
        info, refusal = inspect_file(big, 2048)
        digest = file_sha256(big)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert "1200.0 MB" in refusal and "at most 2 MB" in refusal and info.bytes == 1200 * 2**20
    assert peak < 16 * 2**20, f"{peak / 2**20:.0f} MB allocated"
    assert len(digest) == 64
    small = tmp_path / "small.py"
    small.write_bytes(os.urandom(3 * 2**20 + 7))
    assert file_sha256(small) == hashlib.sha256(small.read_bytes()).hexdigest()


def test_the_seed_needs_the_key_and_the_batch_key_is_private_and_kept(tmp_path):
    from grader.batch.runner import SEED_KEY_NAME, seed_key
    from grader.labcode.submission import course_key, seed_for

    sha = hashlib.sha256(b"x = 1").hexdigest()
    key = seed_key(tmp_path)
    assert (tmp_path / SEED_KEY_NAME).stat().st_mode & 0o777 == 0o600 and len(key) == 32
    assert seed_key(tmp_path) == key                                   # a re-run reuses the key
    assert seed_for(key, "02_backprop", sha) == seed_for(key, "02_backprop", sha)
    (tmp_path / "other").mkdir()
    assert seed_for(key, "02_backprop", sha) != seed_for(seed_key(tmp_path / "other"), "02_backprop", sha)
    assert seed_for(key, "02_backprop", sha) != int(sha[:8], 16)
    assert seed_for(course_key(EXERCISE), "02_backprop", sha) != seed_for(b"", "02_backprop", sha)
    (tmp_path / "short").mkdir()
    (tmp_path / "short" / SEED_KEY_NAME).write_bytes(b"12")
    with pytest.raises(UsageError, match="too few"):
        seed_key(tmp_path / "short")


def test_feedback_with_a_lone_surrogate_is_written_as_utf8():
    from grader.feedback.bounds import bounded
    from grader.feedback.model import Feedback, OutputTail, SubmissionInfo
    from grader.outcomes import Outcome, Status
    from grader.feedback.results import CheckResult
    from grader.sandbox.launchers import PlainProcessLauncher

    check = CheckResult("public/a", "a", "public", 1.0, Outcome.ERROR, "`sigmoid` raised ValueError: \ud800")
    feedback = Feedback("02_backprop", "t", Status.GRADED, "m", (check,), SubmissionInfo("caf\udce9.py", "", 0), 1,
                        PlainProcessLauncher(reason="test").isolation, "2024-01-01T00:00:00+00:00", 0.0,
                        OutputTail("out \udcff", "", 4, 0, False), "0", True)
    document = bounded(feedback).to_dict()
    json.dumps(document, ensure_ascii=False).encode("utf-8")
    assert document["checks"][0]["message"].endswith("ValueError: \ufffd") and document["status"] == "graded"
    assert schema_errors(document) == []


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
    assert run_grade("batch", submissions, "--exercise", "02_backprop", "--out", out, "--allow-weak-isolation",
                     "--similarity").returncode == 0
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
    # alice, bob and carol are the reference with one line changed: the similarity section pairs them, side by side
    similar = dom.split('<section id="similarity">')[1].split("</section>")[0]
    assert similar.count("<details") == 3 and similar.count('<mark class="c0">') >= 6 and "dave" not in similar


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
