"""`grade export canvas|moodle|csv` (issue 26 item 2) on files in the LMSs' own formats (tests/fixtures/lms:
Canvas's gradebook export with its Points Possible line, Moodle's grade export), with non-ASCII names, a student
with no submission, a late one, a resubmission, a submission nobody on the roster handed in, and formula names.

The gradebook is filled as `grade batch` fills it (gather, then a row per graded attempt); grading itself is
tested elsewhere."""

from __future__ import annotations

import csv
import io
import os
import shutil
from datetime import datetime, timezone
from pathlib import Path

import pytest

from conftest import ROOT
from grader.batch.collect import gather
from grader.batch.gradebook import Attempt, Gradebook
from grader.cli import main
from grader.course.manifest import load_course

FIXTURES = Path(__file__).parent / "fixtures" / "lms"
DUE = datetime(2026, 12, 1, 23, 59, tzinfo=timezone.utc)
SOURCE = "def f():\n    return 1\n"


@pytest.fixture()
def course(tmp_path) -> Path:
    folder = tmp_path / "course"
    shutil.copytree(ROOT / "exercises", folder / "exercises")
    text = (ROOT / "course.yaml").read_text().replace(
        "    entry: backprop.py\n", "    entry: backprop.py\n    due: 2026-12-01T23:59:00+00:00\n"
                                   "    late: {window_days: 7, penalty_per_day: 0.1}\n", 1)
    (folder / "course.yaml").write_text(text)
    return folder


def graded(root: Path, out: Path, course: Path, scores: dict[str, float]) -> Path:
    """OUT as grade batch leaves it: every student's identity and one graded attempt each."""
    exercise = load_course(course / "course.yaml").exercise("02_backprop")
    out.mkdir()
    book = Gradebook(out / "gradebook.sqlite")
    for entry in gather(root, exercise).entries:
        book.name(entry.student, entry.submitted_as, entry.record)
        book.record(Attempt(entry.student, "02_backprop", "x", "graded", scores[entry.student], 30.0))
    book.close()
    return out


def touch(path: Path, when: datetime) -> None:
    os.utime(path, (when.timestamp(), when.timestamp()))


def text_of(path: Path) -> str:
    return path.read_bytes().decode("utf-8")   # line endings as written


def export(*argv: str) -> int:
    return main(["export", *map(str, argv)])


def test_canvas_round_trip_fills_only_the_assignments_column(tmp_path, course, capsys):
    root = tmp_path / "canvas"
    root.mkdir()
    for name in ("doejane_12345_100_backprop.py", "doejane_12345_250_backprop-1.py", "núñezjosé_LATE_7_300_backprop.py",
                 "smithbo_9_400_backprop.py", "strangerx_424242_500_backprop.py"):
        (root / name).write_text(SOURCE)
    out = graded(root, tmp_path / "out", course, {"doejane_12345": 30, "núñezjosé_7": 30, "smithbo_9": 12.5,
                                                  "strangerx_424242": 20})
    assert export("canvas", out, "--roster", FIXTURES / "canvas_gradebook.csv", "--course", course) == 0
    roster = text_of(FIXTURES / "canvas_gradebook.csv")
    written = text_of(out / "canvas_import.csv")
    expected = {"12345": "30", "7": "27", "123456789012": "0", "9": "12.5", "55": "0", "99999": "0"}
    for before, after in zip(roster.split("\r\n"), written.split("\r\n"), strict=True):
        row_before = next(csv.reader([before])) if before else []
        row_after = next(csv.reader([after])) if after else []
        if len(row_before) > 1 and row_before[1] in expected:
            assert row_after[6] == expected[row_before[1]], row_before   # 7 is LATE: 30 less one day's 10%
            if row_before[1] == "55":   # the formula name is neutralised; Canvas matches the line by its ID
                assert row_after[0] == "'" + row_before[0] and row_after[5] == "-3"
            else:
                assert row_after[:6] + row_after[7:] == row_before[:6] + row_before[7:]
        else:
            assert after == before                                       # header, Points Possible: byte for byte
    messages = capsys.readouterr().err
    assert "strangerx_424242" in messages and "without a submission, written as 0: \"O'Neil, Anne-Marie\"" in messages
    unmatched = list(csv.DictReader(io.StringIO((out / "unmatched.csv").read_text())))
    assert [row["student"] for row in unmatched] == ["strangerx_424242"]


def test_canvas_lines_other_than_the_column_keep_their_bytes(tmp_path, course):
    root = tmp_path / "canvas"
    root.mkdir()
    (root / "doejane_12345_100_backprop.py").write_text(SOURCE)
    out = graded(root, tmp_path / "out", course, {"doejane_12345": 30})
    assert export("canvas", out, "--roster", FIXTURES / "canvas_gradebook.csv", "--course", course) == 0
    roster = text_of(FIXTURES / "canvas_gradebook.csv").split("\r\n")
    written = text_of(out / "canvas_import.csv").split("\r\n")
    assert written[2] == '"Doe, Jane",12345,S001,jdoe,Section A,8.00,30,80.00,80.00'
    assert written[:2] == roster[:2] and written[3] == roster[3].replace("9.50,,", "9.50,0,")


def test_moodle_import_by_the_chosen_identifier(tmp_path, course, capsys):
    root = tmp_path / "moodle"
    for folder, when in (("José Núñez_11_assignsubmission_file_", DUE.replace(hour=10)),
                         ("Anne-Marie O'Neil_12_assignsubmission_file_", DUE.replace(hour=11)),
                         ("Li  Wei_13_assignsubmission_file_", DUE.replace(day=3, hour=1)),   # 2 started days late
                         ("Ghost Person_14_assignsubmission_file_", DUE)):
        (root / folder).mkdir(parents=True)
        (root / folder / "backprop.py").write_text(SOURCE)
        touch(root / folder / "backprop.py", when)
    out = graded(root, tmp_path / "out", course, {"José_Núñez_11": 30, "Anne-Marie_O_Neil_12": 25, "Li_Wei_13": 30,
                                                  "Ghost_Person_14": 10})
    assert export("moodle", out, "--roster", FIXTURES / "moodle_grades.csv", "--identifier", "email",
                  "--course", course) == 0
    rows = list(csv.reader(io.StringIO((out / "moodle_import.csv").read_text(encoding="utf-8"))))
    assert rows[0] == ["Email address", "Full name", "02_backprop", "Feedback: 02_backprop"]
    by_email = {row[0]: row for row in rows[1:]}
    assert by_email["jose.nunez@example.edu"][1:3] == ["José Núñez", "30"]
    assert by_email["anne-marie.oneil@example.edu"][2] == "25"
    assert by_email["li.wei@example.edu"][2] == "24" and "penalty 20%" in by_email["li.wei@example.edu"][3]
    assert "Moodle's download holds no submission time" in by_email["li.wei@example.edu"][3]
    evil = by_email["'@evil@example.edu"]
    assert evil[1].startswith("'=cmd") and evil[2:] == ["0", "no submission: 0"]
    assert "Ghost_Person_14" in capsys.readouterr().err


def test_two_submissions_claiming_one_roster_line_fill_neither(tmp_path, course):
    root = tmp_path / "moodle"
    for folder in ("José Núñez_11_assignsubmission_file_", "Jose Nunez_21_assignsubmission_file_", "JOSÉ NÚÑEZ_22_assignsubmission_file_"):
        (root / folder).mkdir(parents=True)
        (root / folder / "backprop.py").write_text(SOURCE)
    out = graded(root, tmp_path / "out", course, {"José_Núñez_11": 30, "Jose_Nunez_21": 1, "JOSÉ_NÚÑEZ_22": 2})
    assert export("moodle", out, "--roster", FIXTURES / "moodle_grades.csv", "--course", course) == 0
    emails = [row[0] for row in csv.reader(io.StringIO((out / "moodle_import.csv").read_text()))]
    assert "jose.nunez@example.edu" not in emails
    unmatched = {row["student"]: row["why"] for row in csv.DictReader(io.StringIO((out / "unmatched.csv").read_text()))}
    assert "José_Núñez_11" in unmatched and "JOSÉ_NÚÑEZ_22" in unmatched and "none was written" in unmatched["José_Núñez_11"]


def test_generic_csv_with_bom_separates_score_penalty_and_result(tmp_path, course):
    root = tmp_path / "canvas"
    root.mkdir()
    for name in ("núñezjosé_LATE_7_300_backprop.py", "doejane_12345_100_backprop.py"):
        (root / name).write_text(SOURCE)
    out = graded(root, tmp_path / "out", course, {"núñezjosé_7": 20, "doejane_12345": 30})
    assert export("csv", out, "--bom", "--roster", FIXTURES / "canvas_gradebook.csv", "--course", course) == 0
    raw = (out / "csv_import.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = {row["student"]: row for row in csv.DictReader(io.StringIO(raw.decode("utf-8-sig")))}
    jose = rows["núñezjosé_7"]
    assert (jose["score"], jose["penalty"], jose["score_after_penalty"], jose["days_late"]) == ("20", "0.1", "18", "1")
    assert "Canvas marks it LATE" in jose["note"]
    oneil = rows["123456789012"]   # on the roster without a submission: its Canvas ID, 0 and the note
    assert (oneil["name"], oneil["status"], oneil["score_after_penalty"], oneil["note"]) == (
        "O'Neil, Anne-Marie", "no_submission", "0", "no submission: 0")
    assert all(not value.startswith(("=", "+", "@")) for row in rows.values() for value in row.values())


def test_misuse_is_refused_with_the_reason(tmp_path, course, capsys):
    assert export("csv", tmp_path / "nothing", "--course", course) == 2
    assert "no graded batch" in capsys.readouterr().err
    root = tmp_path / "canvas"
    root.mkdir()
    (root / "doejane_12345_100_backprop.py").write_text(SOURCE)
    out = graded(root, tmp_path / "out", course, {"doejane_12345": 30})
    assert export("canvas", out, "--course", course) == 2                       # no roster
    assert export("canvas", out, "--roster", FIXTURES / "moodle_grades.csv", "--course", course) == 2
    assert export("canvas", out, "--roster", FIXTURES / "canvas_gradebook.csv", "--column", "Quiz 9",
                  "--course", course) == 2
    assert export("csv", out, "--out", tmp_path / "no" / "such" / "f.csv", "--course", course) == 2
    assert not (tmp_path / "no").exists()
    errors = capsys.readouterr().err
    assert "needs --roster" in errors and "Moodle's export, not Canvas's" in errors and "does not exist" in errors


def test_a_plain_folder_matches_the_rosters_identifiers_and_two_claims_fill_nothing(tmp_path, course, capsys):
    root = tmp_path / "plain"
    root.mkdir()
    for name in ("jdoe.py", "S002.py", "9.py", "bsmith.py"):   # SIS login, SIS user id, Canvas ID; 9 and bsmith: one student
        (root / name).write_text(SOURCE)
        touch(root / name, DUE.replace(hour=9))   # on time by its modification time
    out = graded(root, tmp_path / "out", course, {"jdoe": 30, "S002": 20, "9": 30, "bsmith": 1})
    assert export("canvas", out, "--roster", FIXTURES / "canvas_gradebook.csv", "--course", course) == 0
    rows = {row[1]: row for row in csv.reader(io.StringIO(text_of(out / "canvas_import.csv")))}
    assert rows["12345"][6] == "30" and rows["7"][6] == "20"
    assert rows["9"][6] == "" and rows["9"] == next(csv.reader([text_of(FIXTURES / "canvas_gradebook.csv").split("\r\n")[5]]))
    unmatched = {row["student"]: row["why"] for row in csv.DictReader(io.StringIO(text_of(out / "unmatched.csv")))}
    assert set(unmatched) == {"9", "bsmith"} and "none was written" in unmatched["bsmith"]


def test_other_assignments_cells_are_never_touched(tmp_path, course):
    roster = tmp_path / "roster.csv"
    roster.write_bytes(text_of(FIXTURES / "canvas_gradebook.csv").replace("Section A,8.00,", "Section A,-,", 1).encode())
    root = tmp_path / "canvas"
    root.mkdir()
    (root / "doejane_12345_100_backprop.py").write_text(SOURCE)
    out = graded(root, tmp_path / "out", course, {"doejane_12345": 30})
    assert export("canvas", out, "--roster", roster, "--course", course) == 0
    assert text_of(out / "canvas_import.csv").split("\r\n")[2] == '"Doe, Jane",12345,S001,jdoe,Section A,-,30,80.00,80.00'
