"""Hostile batches: one student's file, name or archive member must never cost anyone else their grade.

Every test runs the real `grade batch` (or `grade`) command on real files and checks the students
around the hostile one are graded exactly as they would be alone.
"""

from __future__ import annotations

import csv
import hashlib
import html
import json
import os
import struct
import zipfile
from pathlib import Path

import pytest

from conftest import ROOT, reference_source, run_grade
from grader.feedback.model import schema_errors

REFERENCE = reference_source("02_backprop")
STUB = (ROOT / "exercises/02_backprop/backprop.py").read_text()
SURROGATE = REFERENCE + '\n\ndef sigmoid(z):\n    raise ValueError("\\ud800")\n'
LONG_NAME = "a" * 243 + ".py"          # 246 characters: its feedback file name used to be too long
FORMULA_STARTS = tuple("=+-@\t\r")


def batch(submissions: Path, out: Path, *extra: str):
    return run_grade("batch", submissions, "--exercise", "02_backprop", "--out", out, "--jobs", "1",
                     "--allow-weak-isolation", *extra)


def read_csv(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as stream:
        return list(csv.DictReader(stream))


def by_student(out: Path) -> dict[str, dict[str, str]]:
    return {row["student"]: row for row in read_csv(out / "grades.csv")}


def ids(out: Path) -> dict[str, str]:
    """submitted name -> student id, as students.csv records it (formula-neutralised names unquoted)."""
    return {row["submitted_as"].removeprefix("'"): row["student"].removeprefix("'") for row in read_csv(out / "students.csv")}


def feedback(out: Path, student: str) -> dict:
    return json.loads((out / "feedback" / f"{student}.json").read_text(encoding="utf-8"))


def assert_no_formula_cells(path: Path) -> None:
    with open(path, newline="", encoding="utf-8") as stream:
        for row in csv.reader(stream):
            assert not [cell for cell in row if cell.startswith(FORMULA_STARTS)], row


@pytest.fixture
def hostile_folder(tmp_path) -> Path:
    folder = tmp_path / "subs"
    folder.mkdir()
    sources = {"alice.py": REFERENCE, "x.py": REFERENCE, "x_2.py": REFERENCE, "x~.py": STUB, "张伟.py": REFERENCE,
               "José.py": REFERENCE, "Josè.py": STUB, "@SUM(1,1).py": REFERENCE, "surrogate.py": SURROGATE,
               LONG_NAME: REFERENCE, "=1+2+cmd.txt": "not python"}
    for name, source in sources.items():
        (folder / name).write_text(source, encoding="utf-8")
    (folder / "mallory.py").symlink_to("alice.py")
    with open(folder / "huge.py", "wb") as stream:
        stream.truncate(1200 * 2**20)   # sparse 1.2 GB
    return folder


@pytest.mark.slow
def test_a_batch_survives_every_hostile_file_and_grades_everyone_else(hostile_folder, tmp_path):
    out = tmp_path / "out"
    run = batch(hostile_folder, out)
    assert run.returncode == 0, run.stderr[-3000:]
    names = ids(out)
    grades = by_student(out)
    assert len(set(names.values())) == len(names) == 13          # one id per submitted name, no overwrites
    assert set(grades) == {student if not student.startswith("@") else "'" + student for student in names.values()}
    expect = {"alice.py": 30, "x.py": 30, "x_2.py": 30, "x~.py": 0, "张伟.py": 30, "José.py": 30, "Josè.py": 0,
              "@SUM(1,1).py": 30, LONG_NAME: 30}
    for name, score in expect.items():
        student = names[name]
        row = grades[student if not student.startswith("@") else "'" + student]
        assert row["status"] == "graded" and float(row["total"]) == score, (name, row)
        assert schema_errors(feedback(out, student)) == [], name
    assert names["x.py"] == "x" and names["x_2.py"] == "x_2" and names["张伟.py"] == "张伟" and names["José.py"] == "José"
    assert len(names[LONG_NAME].encode()) <= 100

    surrogate = feedback(out, names["surrogate.py"])
    assert surrogate["status"] == "graded" and 0 < surrogate["score"] < 30
    assert any("ValueError: \ufffd" in check["message"] for check in surrogate["checks"])

    mallory = grades[names["mallory.py"]]
    assert mallory["status"] == "no_submission" and "symbolic link to another student's submission" in mallory["note"]
    assert not (out / "feedback" / f"{names['mallory.py']}.json").exists()
    huge = feedback(out, names["huge.py"])
    assert huge["status"] == "submission_broken" and "1200.0 MB" in huge["message"] and huge["score"] == 0
    assert grades[names["=1+2+cmd.txt"]]["note"] == "'=1+2+cmd.txt is not a Python file (.py), notebook (.ipynb) or zip"
    assert_no_formula_cells(out / "grades.csv")
    assert_no_formula_cells(out / "students.csv")

    seeds = {name: feedback(out, student)["seed"] for name, student in names.items()
             if (out / "feedback" / f"{student}.json").exists()}
    again = batch(hostile_folder, out)
    assert again.returncode == 0 and "0 graded, 11 unchanged" in again.stderr, again.stderr[-2000:]
    (hostile_folder / "x_3.py").write_text(REFERENCE)     # a new student shifts nobody's id
    (hostile_folder / "x~~.py").write_text(REFERENCE)
    (out / "feedback" / f"{names['x~.py']}.json").unlink()   # and a re-graded student keeps their seed
    third = batch(hostile_folder, out)
    assert third.returncode == 0 and "3 graded, 10 unchanged" in third.stderr, third.stderr[-2000:]
    assert {name: ids(out)[name] for name in names} == names
    assert feedback(out, names["x~.py"])["seed"] == seeds["x~.py"] and by_student(out)[names["x~.py"]]["total"] == "0"


def _patch_member(archive: Path, name: str, fields: dict[bytes, tuple[int, bytes]]) -> None:
    """Overwrite a header field of one member in its local (PK\\3\\4) and its central (PK\\1\\2) header."""
    data = bytearray(archive.read_bytes())
    for signature, (length_at, name_at) in {b"PK\x03\x04": (26, 30), b"PK\x01\x02": (28, 46)}.items():
        index = data.find(signature)
        while index >= 0:
            length = struct.unpack("<H", data[index + length_at:index + length_at + 2])[0]
            if data[index + name_at:index + name_at + length] == name.encode():
                offset, value = fields[signature]
                data[index + offset:index + offset + len(value)] = value
            index = data.find(signature, index + 4)
    archive.write_bytes(bytes(data))


def test_a_zip_with_broken_members_grades_everyone_else(tmp_path):
    archive = tmp_path / "export.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as bundle:
        bundle.writestr("alice/backprop.py", REFERENCE)
        bundle.writestr("carol/" + "c" * 300 + ".py", REFERENCE)         # a name longer than a file name may be
        bundle.writestr("dan", "x = 1")                                   # a file ...
        bundle.writestr("dan/backprop.py", REFERENCE)                     # ... and a folder
        bundle.writestr("erin/backprop.py", REFERENCE)
        bundle.writestr("fay/backprop.py", REFERENCE)
        bundle.writestr("gus/backprop.py", REFERENCE)
        bundle.writestr("zed/backprop.py", REFERENCE)
    erin = zipfile.ZipFile(archive).getinfo("erin/backprop.py")
    _patch_member(archive, "erin/backprop.py", {b"PK\x03\x04": (14, struct.pack("<I", erin.CRC ^ 1)),
                                                b"PK\x01\x02": (16, struct.pack("<I", erin.CRC ^ 1))})   # bad CRC
    _patch_member(archive, "fay/backprop.py", {b"PK\x03\x04": (6, b"\x09"), b"PK\x01\x02": (8, b"\x09")})  # encrypted
    method = struct.pack("<H", 99)
    _patch_member(archive, "gus/backprop.py", {b"PK\x03\x04": (8, method), b"PK\x01\x02": (10, method)})   # unknown method
    out = tmp_path / "out"
    run = batch(archive, out)
    assert run.returncode == 0, run.stderr[-3000:]
    grades = by_student(out)
    assert float(grades["alice"]["total"]) == 30 and float(grades["zed"]["total"]) == 30
    reasons = {"carol": "longer than 255 bytes", "dan": "name of one of its folders", "erin": "Bad CRC-32",
               "fay": "encrypted", "gus": "method 99"}
    for student, reason in reasons.items():
        assert grades[student]["status"] == "no_submission" and reason in grades[student]["note"], grades[student]
        assert "in the archive was not extracted" in grades[student]["note"]
    rerun = batch(archive, out)
    assert rerun.returncode == 0 and "0 graded, 2 unchanged" in rerun.stderr, rerun.stderr[-2000:]


def test_a_lone_surrogate_in_an_exception_is_reported_not_fatal(tmp_path):
    path = tmp_path / "backprop.py"
    path.write_text(SURROGATE, encoding="utf-8")
    run = run_grade("exercises/02_backprop", "--submission", path, "--json", "-")
    assert run.returncode == 0, run.stderr[-2000:]
    document = run.document
    assert schema_errors(document) == [] and document["status"] == "graded"
    assert run.check("public/sigmoid_worked_example")["outcome"] == "error"
    assert "ValueError: \ufffd" in run.check("public/sigmoid_worked_example")["message"]
    table = run_grade("exercises/02_backprop", "--submission", path)
    assert table.returncode == 0 and "Total:" in table.stdout, table.stderr[-2000:]


def test_a_huge_file_is_refused_by_its_size_in_a_single_run(tmp_path):
    path = tmp_path / "backprop.py"
    with open(path, "wb") as stream:
        stream.truncate(1200 * 2**20)
    run = run_grade("exercises/02_backprop", "--submission", path, "--json", "-")
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.document["status"] == "submission_broken" and "1200.0 MB" in run.document["message"]
    assert run.document["submission"]["bytes"] == 1200 * 2**20 and schema_errors(run.document) == []


@pytest.mark.slow
def test_the_seed_cannot_be_computed_from_the_file_and_reproduces_a_grade(tmp_path):
    folder = tmp_path / "subs"
    folder.mkdir()
    wrong = REFERENCE.replace("delta2 = -(t - a2) * a2 * (1 - a2)", "delta2 = -(t - a2)")
    (folder / "carol.py").write_text(wrong)
    first, second = tmp_path / "first", tmp_path / "second"
    assert batch(folder, first).returncode == 0 and batch(folder, second).returncode == 0
    sha = hashlib.sha256(wrong.encode()).hexdigest()
    seed_one, seed_two = feedback(first, "carol")["seed"], feedback(second, "carol")["seed"]
    assert seed_one != seed_two                        # two keys, two seeds for the same file
    assert int(sha[:8], 16) not in (seed_one, seed_two)
    assert (first / "seed.key").stat().st_mode & 0o777 == 0o600 and (first / "seed.key").read_bytes() != (second / "seed.key").read_bytes()
    (first / "feedback" / "carol.json").unlink()
    assert batch(folder, first).returncode == 0
    assert feedback(first, "carol")["seed"] == seed_one  # resume keeps the key, so the seed
    alone = run_grade("exercises/02_backprop", "--submission", folder / "carol.py", "--json", "-", "--seed", str(seed_one)).document
    outcome = lambda document: [(c["id"], c["outcome"], c["message"]) for c in document["checks"]]
    assert outcome(alone) == outcome(feedback(first, "carol"))


def test_a_single_runs_seed_depends_on_the_hidden_checks_not_only_the_file(course_copy, tmp_path):
    path = tmp_path / "backprop.py"
    path.write_text(REFERENCE)
    command = ("exercises/02_backprop", "--submission", path, "--json", "-", "--public-only")
    before = run_grade(*command, cwd=course_copy).document["seed"]
    assert run_grade(*command, cwd=course_copy).document["seed"] == before       # the same file, the same seed
    checks = course_copy / "solutions/02_backprop/hidden_checks.py"
    checks.write_text(checks.read_text() + "\n# another course's secret\n")
    after = run_grade(*command, cwd=course_copy).document["seed"]
    assert after != before and int(hashlib.sha256(path.read_bytes()).hexdigest()[:8], 16) not in (before, after)


@pytest.mark.slow
def test_a_sparse_terabyte_holds_up_neither_the_batch_nor_its_similarity(tmp_path):
    """Planning hashed every file whole, and similarity hashed it again, before anyone was graded: a sparse
    terabyte (no disk, one `truncate`) kept `grade batch` reading zeros for most of an hour."""
    folder = tmp_path / "subs"
    folder.mkdir()
    (folder / "alice.py").write_text(REFERENCE)
    (folder / "carol.py").write_text(REFERENCE)        # an identical copy: still reported
    (folder / "bob.py").write_text(STUB)
    try:
        with open(folder / "huge.py", "wb") as stream:
            stream.truncate(2**40)
    except OSError:
        pytest.skip("this file system holds no sparse terabyte")
    out = tmp_path / "out"
    run = run_grade("batch", folder, "--exercise", "02_backprop", "--out", out, "--jobs", "1",
                    "--allow-weak-isolation", "--similarity", timeout=120)
    assert run.returncode == 0, run.stderr[-3000:]
    grades = by_student(out)
    assert {student: (row["status"], row["total"]) for student, row in grades.items()} == {
        "alice": ("graded", "30"), "carol": ("graded", "30"), "bob": ("graded", "0"), "huge": ("submission_broken", "0")}
    assert "1048576.0 MB" in grades["huge"]["note"]
    pairs = read_csv(out / "similarity.csv")
    assert [(pair["student_a"], pair["student_b"], pair["evidence"]) for pair in pairs] == [("alice", "carol", "identical")]
    assert "huge: the file is larger than 2048 KiB, the course's limit; it was not compared" in \
        html.unescape((out / "report.html").read_text(encoding="utf-8"))
    again = run_grade("batch", folder, "--exercise", "02_backprop", "--out", out, "--jobs", "1",
                      "--allow-weak-isolation", timeout=120)
    assert again.returncode == 0 and "0 graded, 4 unchanged" in again.stderr, again.stderr[-2000:]


def _nested(folder: Path, depth: int) -> Path:
    folder.mkdir(exist_ok=True)
    for _ in range(depth):   # one level at a time: Path.mkdir(parents=True) recurses too
        folder = folder / "d"
        folder.mkdir()
    return folder


def _remove_nested(folder: Path) -> None:
    """Empty FOLDER's chain of d/ folders from the bottom (shutil.rmtree recurses too, and pytest's clean-up of
    old temporary folders uses it)."""
    chain = [folder]
    while (chain[-1] / "d").is_dir():
        chain.append(chain[-1] / "d")
    for level in reversed(chain[1:]):
        for path in level.iterdir():
            path.unlink()
        level.rmdir()


@pytest.mark.slow
def test_a_folder_nested_a_thousand_deep_is_the_students_problem_not_the_graders(tmp_path):
    """Path.rglob and os.walk/os.fwalk recurse once per level: a student folder nested 1,000 deep ended
    `grade batch` for the class with RecursionError, and single `grade` (Gradescope's runner) said the grader failed."""
    folder = tmp_path / "subs"
    folder.mkdir()
    handed_in = tmp_path / "handed_in"
    try:
        (folder / "alice.py").write_text(REFERENCE)
        (_nested(folder / "deep", 1000) / "backprop.py").write_text(REFERENCE)
        out = tmp_path / "out"
        run = batch(folder, out)
        assert run.returncode == 0, run.stderr[-3000:]
        grades = by_student(out)
        assert grades["alice"]["status"] == "graded" and grades["alice"]["total"] == "30"
        assert grades["deep"]["status"] == "no_submission" and "does not say which file" in grades["deep"]["note"]
        (_nested(handed_in, 1000) / "x.py").write_text("x = 1\n")
        (handed_in / "backprop.py").write_text(REFERENCE)
        single = run_grade("exercises/02_backprop", "--submission", handed_in, "--json", "-")
        assert single.returncode == 0, single.stderr[-2000:]
        assert single.document["status"] == "submission_broken" and "nested more than 32 deep" in single.document["message"]
    finally:
        _remove_nested(folder / "deep")
        _remove_nested(handed_in)


def test_a_file_name_that_is_not_utf8_is_graded_as_its_code(tmp_path):
    """The name reached the sandbox's set-up, which could not encode it: every check broke as the grader's failure."""
    path = tmp_path / os.fsdecode(b"\xff\xfe.py")
    path.write_text(REFERENCE)
    run = run_grade("exercises/02_backprop", "--submission", path, "--json", "-")
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.document["status"] == "graded" and run.document["score"] == 30 and schema_errors(run.document) == []


def test_a_helper_named_in_bytes_that_are_not_utf8_costs_only_its_student(tmp_path):
    """Hashing the folder encoded each file's name: \\xff.py beside a student's backprop.py ended the whole batch."""
    folder = tmp_path / "subs"
    (folder / "bad").mkdir(parents=True)
    (folder / "alice.py").write_text(REFERENCE)
    (folder / "bad" / "backprop.py").write_text(REFERENCE)
    (folder / "bad" / os.fsdecode(b"\xff.py")).write_text("x = 1\n")
    out = tmp_path / "out"
    run = batch(folder, out)
    assert run.returncode == 0, run.stderr[-3000:]
    grades = by_student(out)
    assert grades["alice"]["status"] == "graded" and grades["alice"]["total"] == "30"
    assert grades["bad"]["status"] == "no_submission" and "\\xff.py is not named in UTF-8" in grades["bad"]["note"]
