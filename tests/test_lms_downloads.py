"""Canvas's and Moodle's submission downloads, read by their names (issue 26 item 1).

The names are the LMSs' own (see grader/lms/canvas.py and moodle.py for where the formats come from). A hostile
student controls only the original file name at the end of an LMS's name, never the prefix: a file named like
another student's download must not claim that student, nor hide LATE. Honest names (accents, apostrophes,
hyphens, two spaces; Canvas ids of any length; resubmissions) must be read, not refused.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import ROOT
from grader.batch.collect import gather
from grader.course.manifest import load_course
from grader.lms import canvas, moodle
from grader.lms.download import PLAIN, read_names

EXERCISE = load_course(ROOT / "course.yaml").exercise("02_backprop")
SOURCE = "def f():\n    return 1\n"


@pytest.mark.parametrize("name, expected", [
    ("doejane_12345_678901_backprop.py", ("12345", "doejane", False, 678901, "backprop.py")),
    ("núñezjosé_LATE_7_8_backprop.py", ("7", "núñezjosé", True, 8, "backprop.py")),
    ("obrienseán_123456789012_5_backprop-2.py", ("123456789012", "obrienseán", False, 5, "backprop.py")),
    ("anon_Xy12_44_backprop.ipynb", ("anon_Xy12", "", False, 44, "backprop.ipynb")),
    ("LATE_anon_Xy12_45_backprop.py", ("anon_Xy12", "", True, 45, "backprop.py")),
    # the original name is the student's: a Canvas-looking one there claims nothing, and cannot add or hide LATE
    ("bob_22_55_alice_LATE_11_99_backprop.py", ("22", "bob", False, 55, "alice_LATE_11_99_backprop.py")),
])
def test_canvas_names_are_read_from_the_left(name, expected):
    parsed = canvas.parse(name)
    assert parsed is not None
    assert (parsed.lms_id, parsed.name, parsed.late, parsed.order, parsed.original) == expected


@pytest.mark.parametrize("name", ["backprop.py", "Doe_12_34_x.py", "doe_12_x.py", "doe__x.py", "José Núñez.py"])
def test_names_canvas_never_writes_are_not_canvas(name):
    assert canvas.parse(name) is None


@pytest.mark.parametrize("name, is_dir, expected", [
    ("José Núñez_123456_assignsubmission_file_", True, ("123456", "José Núñez")),
    ("Anne-Marie O'Neil_7_assignsubmission_file_", True, ("7", "Anne-Marie O'Neil")),
    ("Li  Wei_42_assignsubmission_file_backprop.py", False, ("42", "Li Wei")),
    ("Participant_99_assignsubmission_file_", True, ("99", "Participant")),
])
def test_moodle_names_are_read(name, is_dir, expected):
    parsed = moodle.parse(name, is_dir)
    assert parsed is not None and (parsed.lms_id, parsed.name) == expected and parsed.late is None


def test_the_format_is_the_one_nearly_every_name_carries_and_a_few_strays_are_listed():
    canvas_names = [(f"student{i}_{100 + i}_{900 + i}_backprop.py", False) for i in range(20)]
    reading = read_names([*canvas_names, ("README.txt", False)])
    assert reading.lms == "canvas" and reading.unmatched == ("README.txt",)
    assert read_names([*canvas_names[:5], *[(f"s{i}.py", False) for i in range(5)]]).lms == PLAIN
    # one student naming a file like Canvas in a plain folder does not make it a Canvas download
    assert read_names([("alice_1_2_backprop.py", False), ("bob.py", False)]).lms == PLAIN


def write(folder: Path, names: list[str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        (folder / name).write_text(SOURCE)
    return folder


def test_a_canvas_download_keeps_ids_lateness_and_the_latest_resubmission(tmp_path):
    root = write(tmp_path / "canvas", ["núñezjosé_LATE_7_8_backprop.py", "doejane_12345_100_backprop.py",
                                       "doejane_12345_250_backprop-1.py", "smithbo_9_3_backprop.py",
                                       "smithbo_9_4_helpers.py"])
    collected = gather(root, EXERCISE)
    entries = {entry.student: entry for entry in collected.entries}
    assert collected.reading.lms == "canvas" and collected.reading.unmatched == ()
    jane = entries["doejane_12345"]
    assert jane.path == root / "doejane_12345_250_backprop-1.py" and jane.superseded == ("doejane_12345_100_backprop.py",)
    assert jane.lms.late is False and jane.submitted_at
    assert entries["núñezjosé_7"].lms.late is True and entries["núñezjosé_7"].path is not None
    assert entries["smithbo_9"].path is None and "several submissions" in entries["smithbo_9"].problem   # two files


def test_a_moodle_download_in_folders_and_flat(tmp_path):
    root = tmp_path / "moodle"
    write(root / "José Núñez_123456_assignsubmission_file_", ["backprop.py"])
    write(root / "Anne-Marie O'Neil_7_assignsubmission_file_", ["backprop.py", "helpers.py"])
    write(root / "Anne-Marie O'Neil_7_assignsubmission_onlinetext_", ["onlinetext.html"])
    write(root, ["Li  Wei_42_assignsubmission_file_backprop.py"])
    collected = gather(root, EXERCISE)
    entries = {entry.student: entry for entry in collected.entries}
    assert collected.reading.lms == "moodle"
    assert set(entries) == {"José_Núñez_123456", "Anne-Marie_O_Neil_7", "Li_Wei_42"}
    assert entries["Anne-Marie_O_Neil_7"].path == root / "Anne-Marie O'Neil_7_assignsubmission_file_"
    assert collected.not_submissions == ("Anne-Marie O'Neil_7_assignsubmission_onlinetext_",)
    assert entries["José_Núñez_123456"].lms.name == "José Núñez" and entries["José_Núñez_123456"].lms.late is None


def test_a_plain_folder_is_read_as_today(tmp_path):
    root = write(tmp_path / "plain", ["alice.py", "José Núñez.py"])
    collected = gather(root, EXERCISE)
    assert collected.reading.lms == PLAIN and {e.student for e in collected.entries} >= {"alice"}
    assert all(entry.lms is None for entry in collected.entries)


def test_hostile_names_in_a_canvas_download_stay_bounded_and_their_own(tmp_path):
    long_original = "x" * 60 + ".py"
    root = write(tmp_path / "c", ["doejane_1_2_backprop.py", f"{'a' * 150}_3_4_{long_original}",
                                  "evil_5_6_..py", "mallory_5_7_doejane_1_2_backprop.py"])
    entries = {entry.student: entry for entry in gather(root, EXERCISE).entries}
    assert all(len(student.encode()) <= 100 for student in entries)
    assert entries["doejane_1"].path == root / "doejane_1_2_backprop.py"   # mallory's file does not become jane's
    assert entries["mallory_5"].path is None and entries["evil_5"].path is None   # one Canvas user id, two names
    assert "gives canvas id 5 to 2 names" in entries["mallory_5"].problem


def test_long_and_control_character_names_are_read_in_bounded_time_and_give_clean_ids():
    import time

    started = time.monotonic()
    for name in ("a" * 10_000 + "_1_2_x.py", "a_" * 5_000 + "x.py", "1_" * 5_000, "x" * 10_000 + "_5_assignsubmission_file_"):
        canvas.parse(name)
        moodle.parse(name, True)
        moodle.parse(name, False)
    assert time.monotonic() - started < 2
    hostile = moodle.parse("Eve\u202e\x1b[31m Red\n_77_assignsubmission_file_", True)
    assert hostile is not None and hostile.lms_id == "77"
    assert hostile.student.isprintable() and "\u202e" not in hostile.student and "\x1b" not in hostile.student
    assert len(canvas.parse("a" * 10_000 + "_1_2_x.py").student.encode()) <= 100


def test_a_canvas_member_that_was_not_extracted_is_reported_for_its_canvas_student(tmp_path):
    root = write(tmp_path / "c", ["doejane_12345_100_backprop.py", "smithbo_9_3_backprop.py"])
    entries = {e.student: e for e in gather(root, EXERCISE, {"núñezjosé_LATE_7_8_backprop.py": "it is encrypted"}).entries}
    assert "it is encrypted" in entries["núñezjosé_7"].problem and entries["núñezjosé_7"].lms.lms_id == "7"


def test_several_files_of_one_lms_student_are_graded_as_their_folder_when_staged(tmp_path):
    root = write(tmp_path / "c", ["smithbo_9_3_backprop.py", "smithbo_9_4_helpers.py", "smithbo_9_5_helpers-1.py",
                                  "doejane_12345_100_backprop.py"])
    staging = tmp_path / "out" / "lms-folders"
    entries = {e.student: e for e in gather(root, EXERCISE, staging=staging).entries}
    bo = entries["smithbo_9"]
    assert bo.path == staging / "smithbo_9" and bo.problem is None and bo.sha256
    assert sorted(p.name for p in bo.path.iterdir()) == ["backprop.py", "helpers.py"]     # the latest helpers.py
    assert (bo.path / "helpers.py").read_text() == SOURCE and bo.superseded == ("smithbo_9_4_helpers.py",)
    assert entries["doejane_12345"].path == root / "doejane_12345_100_backprop.py"        # one file stays a file
    again = {e.student: e for e in gather(root, EXERCISE, staging=staging).entries}
    assert again["smithbo_9"].sha256 == bo.sha256                                          # resumable
