"""The small things of issue 26 item 7 that are misuse: refused with the reason (exit 2), nothing created silently.

`.txt`: `grade batch` refuses a .txt file (it is a student's notes far more often than their code), so `grade`
refuses it alike, naming .py and .ipynb; a student whose work is Python renames it."""

from __future__ import annotations

from conftest import ROOT
from grader.cli import main

EXERCISE_DIR = ROOT / "exercises" / "02_backprop"


def test_an_empty_batch_says_so_and_exits_2(tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / ".DS_Store").write_text("")
    code = main(["batch", str(tmp_path / "empty"), "--exercise", "02_backprop", "--out", str(tmp_path / "out"),
                 "--allow-weak-isolation", "--course", str(ROOT)])
    assert code == 2 and "holds no submissions" in capsys.readouterr().err
    assert not (tmp_path / "out" / "grades.csv").exists()


def test_batch_out_needs_its_parent_but_is_created_itself(tmp_path, capsys):
    (tmp_path / "class").mkdir()
    code = main(["batch", str(tmp_path / "class"), "--exercise", "02_backprop", "--out", str(tmp_path / "no" / "out"),
                 "--allow-weak-isolation", "--course", str(ROOT)])
    assert code == 2 and "does not exist" in capsys.readouterr().err and not (tmp_path / "no").exists()


def test_grade_refuses_a_txt_file_as_grade_batch_does(tmp_path, capsys):
    notes = tmp_path / "backprop.txt"
    notes.write_text((ROOT / "solutions" / "02_backprop" / "backprop.py").read_text())
    assert main([str(EXERCISE_DIR), "--submission", str(notes)]) == 2
    error = capsys.readouterr().err
    assert ".py" in error and ".ipynb" in error


def test_grade_json_into_a_missing_folder_is_refused_not_created(tmp_path, capsys):
    solution = ROOT / "solutions" / "02_backprop" / "backprop.py"
    for option in ("--json", "--gradescope"):
        target = tmp_path / "no" / "such" / "f.json"
        assert main([str(EXERCISE_DIR), "--submission", str(solution), option, str(target)]) == 2
        assert "does not exist" in capsys.readouterr().err and not (tmp_path / "no").exists()
