"""Hostile submissions against `grade nbgrader-grade`, and nbgrader's own `nbgrader autograde` on the export.

One student folder must never stop the class or earn another student's grade: a notebook whose nbgrader
metadata is not an object, a timestamp.txt that is not a date (text, a folder, a FIFO, 2 MB, a zone that
names a file), a folder name that is not UTF-8 or carries terminal escapes, and links at every level
(the student folder, the assignment folder, the notebook, anything inside the submission). Everyone
else's grade is compared with the grade they get when graded alone, with the same seed key.
"""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT, mutate, reference_source, run_grade
from grader.notebooks import nbgrader_export
from grader.notebooks.nbgrader_grade import (
    Unreadable,
    display_name,
    first_link,
    parse_timestamp,
    read_below,
    without_test_cells,
)

BIN = Path(sys.executable).parent
STUB = (ROOT / "exercises/02_backprop/backprop.py").read_text()
MONKEYPATCH = "import grader.notebooks.nbgrader_export as e\ne.run_check = lambda *a: print('passed')\n"
ASSIGNMENT = "02_backprop"
ESCAPED = "\x1b]52;c;aGFja2Vk\x07eve\x1b[2J\u202e\x9b31m"    # OSC 52 clipboard write, clear screen, bidi, C1 CSI
NOT_UTF8 = os.fsdecode(b"\xff\xfe")
TERMINAL_CONTROLS = ("\x1b", "\x07", "\u202e", "\x9b")


def nbgrader(*args, cwd):
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    return subprocess.run([str(BIN / "nbgrader"), *args], cwd=cwd, capture_output=True, text=True, env=env, timeout=300)


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    """An exported, generated nbgrader course with nobody submitted yet."""
    out = tmp_path_factory.mktemp("nbgrader-base")
    assert run_grade("nbgrader", ASSIGNMENT, "--out", out).returncode == 0
    generated = nbgrader("generate_assignment", ASSIGNMENT, "--force", cwd=out)
    assert generated.returncode == 0, generated.stdout + generated.stderr
    return out


def course_copy(base, where):
    """A copy of the base course whose nbgrader_config.py names the copy (nbgrader's own commands read it)."""
    shutil.copytree(base, where)
    config = where / "nbgrader_config.py"
    config.write_text(config.read_text().replace(repr(str(base.resolve())), repr(str(where.resolve()))))
    return where


KEEP = object()


def notebook_with(course, code, metadata=KEEP):
    """The released notebook with CODE in its solution cell; METADATA replaces every code cell's nbgrader metadata."""
    document = json.loads((course / "release" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").read_text())
    for cell in document["cells"]:
        if "YOUR CODE HERE" in "".join(cell["source"]):
            cell["source"] = code
        if metadata is not KEEP and cell["cell_type"] == "code":
            cell["metadata"]["nbgrader"] = metadata
    return json.dumps(document)


def submit(course, student, code, *, metadata=KEEP, timestamp="2025-03-01 12:00:00.000000 UTC"):
    folder = course / "submitted" / student / ASSIGNMENT
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{ASSIGNMENT}.ipynb").write_text(notebook_with(course, code, metadata))
    if timestamp is not None:
        (folder / "timestamp.txt").write_text(timestamp)
    return folder


def grade(course):
    return run_grade("nbgrader-grade", ASSIGNMENT, "--course-dir", course, "--jobs", "2", timeout=900)


def lines(run):
    return {line.split(": ", 1)[0]: line.split(": ", 1)[1] for line in run.stdout.splitlines()
            if ": " in line and not line.startswith(tuple("0123456789"))}


def recorded(course):
    """{student: ({cell: auto_score}, timestamp)} from nbgrader's gradebook, through nbgrader's own API."""
    from nbgrader.api import Gradebook

    from grader.notebooks.nbgrader_grade import course_directory

    coursedir = course_directory(course)
    found = {}
    with Gradebook(coursedir.db_url, coursedir.course_id) as gradebook:
        for student in gradebook.students:
            try:
                submission = gradebook.find_submission(ASSIGNMENT, student.id)
            except Exception:  # noqa: BLE001 - a student without a submission of this assignment
                continue
            notebook = gradebook.find_submission_notebook(ASSIGNMENT, ASSIGNMENT, student.id)
            found[student.id] = ({g.name: g.auto_score for g in notebook.grades}, submission.timestamp)
    return found


def feedback(course, student):
    document = json.loads((course / "sandbox_grades" / ASSIGNMENT / "feedback" / f"{student}.json").read_text())
    return document["score"], {check["id"]: (check["score"], check["outcome"]) for check in document["checks"]}


HONEST = {"alice": reference_source(ASSIGNMENT),
          "bob": mutate(reference_source(ASSIGNMENT), "params[name] - learning_rate", "params[name] + learning_rate")}


@pytest.fixture(scope="module")
def alone(base, tmp_path_factory):
    """alice and bob graded with nobody else: the grades the hostile class must leave exactly as they are."""
    course = course_copy(base, tmp_path_factory.mktemp("alone") / "course")
    for student, code in HONEST.items():
        submit(course, student, code)
    run = grade(course)
    assert run.returncode == 0, run.stdout + run.stderr
    return course


@pytest.fixture(scope="module")
def hostile(base, alone, tmp_path_factory):
    """The same alice and bob in a class where every other folder is hostile, graded with the same seed key."""
    course = course_copy(base, tmp_path_factory.mktemp("hostile") / "course")
    (course / "sandbox_grades" / ASSIGNMENT).mkdir(parents=True)
    shutil.copy2(alone / "sandbox_grades" / ASSIGNMENT / "seed.key", course / "sandbox_grades" / ASSIGNMENT)
    for student, code in HONEST.items():
        submit(course, student, code)
    reference = reference_source(ASSIGNMENT)
    # nbgrader metadata that is not an object, on every code cell (solution and test cells alike)
    submit(course, "meta_yes", reference, metadata="yes")
    submit(course, "meta_null", STUB, metadata=None)
    submit(course, "meta_list", MONKEYPATCH + STUB, metadata=["grade", True])
    # timestamps that are not dates
    submit(course, "ts_text", reference, timestamp="not a date \x1b[2J")
    (submit(course, "ts_folder", reference, timestamp=None) / "timestamp.txt").mkdir()
    os.mkfifo(submit(course, "ts_fifo", reference, timestamp=None) / "timestamp.txt")
    submit(course, "ts_huge", reference, timestamp="2025-03-01 12:00:00 UTC" + " " * 2_000_000)
    submit(course, "ts_zone_path", reference, timestamp="2025-03-01 12:00:00 ../../../../../../dev/zero")
    # folder names nbgrader's gradebook cannot hold as they are
    submit(course, NOT_UTF8, reference)
    submit(course, ESCAPED, reference)
    # links at every level
    (course / "submitted" / "mallory").symlink_to("alice")
    (course / "submitted" / "trudy").mkdir()
    (course / "submitted" / "trudy" / ASSIGNMENT).symlink_to(f"../alice/{ASSIGNMENT}")
    oscar = submit(course, "oscar", STUB)
    (oscar / f"{ASSIGNMENT}.ipynb").unlink()
    (oscar / f"{ASSIGNMENT}.ipynb").symlink_to(f"../../alice/{ASSIGNMENT}/{ASSIGNMENT}.ipynb")
    peggy = submit(course, "peggy", STUB)
    (peggy / "data").mkdir()
    (peggy / "data" / "alice").symlink_to("../../../alice")
    # notebooks that are not notebooks
    victor = submit(course, "victor", STUB)
    (victor / f"{ASSIGNMENT}.ipynb").unlink()
    os.mkfifo(victor / f"{ASSIGNMENT}.ipynb")
    with open(submit(course, "walter", STUB) / f"{ASSIGNMENT}.ipynb", "r+b") as stream:
        stream.truncate(3 * 1024 * 1024)   # past the exercise's 2048 KiB
    (submit(course, "broken", STUB) / f"{ASSIGNMENT}.ipynb").write_text('{"cells": [')
    # the launcher's own set-up exit code from the student's code, and a feedback document of 16 MB once
    submit(course, "forger", "import os\n" + reference.replace("def sigmoid(z):", "def sigmoid(z):\n    os._exit(97)", 1))
    submit(course, "bigkeys", 'def sigmoid(z):\n    return {"a" * 1_000_000: 0.5, "b" * 1_000_000: 0.5}\n')
    run = grade(course)
    return course, run


@pytest.mark.slow
def test_a_students_exit_code_is_never_the_graders_failure_and_feedback_stays_small(hostile):
    """os._exit(97) (the launcher's "could not join its cgroup") once left the cells for manual grading as the
    grader's failure; a dict with huge keys made a 16 MB document."""
    course, run = hostile
    shown, scores = lines(run), recorded(course)
    assert " graded" in shown["forger"] and "grader" not in shown["forger"], shown["forger"]
    assert all(score is not None for score in scores["forger"][0].values())
    assert 0 < sum(scores["forger"][0].values()) < 30
    assert shown["bigkeys"].startswith("0/30 graded"), shown["bigkeys"]
    path = course / "sandbox_grades" / ASSIGNMENT / "feedback" / "bigkeys.json"
    assert path.stat().st_size < 100_000


@pytest.mark.slow
def test_the_hostile_class_is_graded_to_the_end_and_alice_and_bob_keep_their_grades_exactly(alone, hostile):
    course, run = hostile
    assert run.returncode == 0, run.stdout + run.stderr    # no student's folder is the grader's failure
    before, after = recorded(alone), recorded(course)
    for student in HONEST:
        assert after[student] == before[student]            # every cell's auto_score and the timestamp
        assert feedback(course, student) == feedback(alone, student)
    assert sum(before["alice"][0].values()) == 30 and 0 < sum(before["bob"][0].values()) < 30
    shown = lines(run)
    assert shown["alice"].startswith("30/30 graded") and shown["bob"].startswith(f"{sum(before['bob'][0].values()):g}/30")


@pytest.mark.slow
def test_links_at_every_level_earn_nothing_and_say_why(hostile):
    course, run = hostile
    shown, scores = lines(run), recorded(course)
    for linker in ("mallory", "trudy", "oscar", "peggy"):
        assert shown[linker].startswith("0/30 no_submission (") and "symbolic link" in shown[linker], shown[linker]
        assert set(scores[linker][0].values()) == {0.0}
        assert not (course / "sandbox_grades" / ASSIGNMENT / "feedback" / f"{linker}.json").exists()
    assert "another student's submission" in shown["mallory"] and "another student's submission" in shown["trudy"]


@pytest.mark.slow
def test_malformed_nbgrader_metadata_is_graded_as_the_students_code_with_a_note(hostile):
    course, run = hostile
    shown, scores = lines(run), recorded(course)
    assert shown["meta_yes"].startswith("30/30 graded (the nbgrader metadata of")      # the reference's own 30
    assert shown["meta_null"].startswith("0/30 graded") and shown["meta_list"].startswith("0/30 graded")
    assert "nbgrader's own tools would refuse" in shown["meta_list"]
    assert sum(scores["meta_yes"][0].values()) == 30 and sum(scores["meta_list"][0].values()) == 0


@pytest.mark.slow
def test_timestamps_that_are_not_dates_are_ignored_with_a_note(hostile):
    course, run = hostile
    shown, scores = lines(run), recorded(course)
    for student in ("ts_text", "ts_folder", "ts_fifo", "ts_huge", "ts_zone_path"):
        assert shown[student].startswith("30/30 graded (timestamp.txt ignored"), shown[student]
        assert scores[student][1] is None and sum(scores[student][0].values()) == 30
    assert "not a regular file" in shown["ts_folder"] and "not a regular file" in shown["ts_fifo"]
    assert scores["alice"][1] is not None


@pytest.mark.slow
def test_notebooks_that_are_not_notebooks_are_graded_as_broken_or_missing(hostile):
    _, run = hostile
    shown = lines(run)
    assert shown["victor"].startswith("0/30 no_submission (") and "not a regular file" in shown["victor"]
    assert shown["walter"].startswith("0/30 submission_broken") and shown["broken"].startswith("0/30 submission_broken")


@pytest.mark.slow
def test_folder_names_are_printed_clean_and_names_nbgrader_cannot_hold_are_reported_not_recorded(hostile):
    course, run = hostile
    assert not any(control in run.stdout + run.stderr for control in TERMINAL_CONTROLS)
    unreadable = [line for line in run.stdout.splitlines() if line.startswith("\\xff\\xfe (id ")]
    escaped = [line for line in run.stdout.splitlines() if line.startswith("eve (id ")]
    for line in unreadable + escaped:
        assert "0/30 no_submission (the folder's name" in line and "rename the folder" in line
    assert len(unreadable) == 1 and len(escaped) == 1
    assert set(recorded(course)) == {"alice", "bob", "meta_yes", "meta_null", "meta_list", "ts_text", "ts_folder",
                                     "ts_fifo", "ts_huge", "ts_zone_path", "mallory", "trudy", "oscar", "peggy",
                                     "victor", "walter", "broken", "forger", "bigkeys"}


@pytest.mark.slow
def test_a_rerun_changes_nothing(hostile):
    course, run = hostile
    scores = recorded(course)
    again = grade(course)
    assert again.returncode == 0, again.stdout + again.stderr
    assert recorded(course) == scores and again.stdout == run.stdout


# ---------------------------------------------------------------- nbgrader's own autograde on the export


@pytest.mark.slow
def test_nbgrader_autograde_scores_every_test_cell_0_and_says_to_use_nbgrader_grade(base, tmp_path):
    """Real `nbgrader autograde` (a real kernel): the honest reference and the red team's monkeypatch of
    run_check both score 0 on every cell, each cell's output says why; `grade nbgrader-grade` then writes
    the sandbox's grades over them."""
    course = course_copy(base, tmp_path / "course")
    submit(course, "alice", reference_source(ASSIGNMENT))
    submit(course, "mallory", MONKEYPATCH + STUB)
    autograded = nbgrader("autograde", ASSIGNMENT, cwd=course)
    assert autograded.returncode == 0, autograded.stdout + autograded.stderr
    scores = recorded(course)
    for student in ("alice", "mallory"):
        assert len(scores[student][0]) == 14 and set(scores[student][0].values()) == {0.0}, scores[student]
        cells = json.loads((course / "autograded" / student / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").read_text())["cells"]
        tests = [cell for cell in cells if cell["metadata"].get("nbgrader", {}).get("grade")]
        assert len(tests) == 14
        for cell in tests:
            errors = [output for output in cell["outputs"] if output["output_type"] == "error"]
            assert errors and errors[0]["ename"] == "RuntimeError"
            assert "grade nbgrader-grade 02_backprop" in errors[0]["evalue"]
            assert "nbgrader autograde does not grade this notebook" in errors[0]["evalue"]
    graded = grade(course)
    assert graded.returncode == 0, graded.stdout + graded.stderr
    scores = recorded(course)
    assert sum(scores["alice"][0].values()) == 30 and sum(scores["mallory"][0].values()) == 0


def _exercise():
    from grader.course.manifest import load_course

    return load_course(ROOT / "course.yaml").exercise(ASSIGNMENT)


@pytest.mark.parametrize(("environment", "folder", "refused"), [
    ({"NBGRADER_EXECUTION": "autograde"}, "anywhere/at/all", True),    # what nbgrader autograde sets for the kernel
    ({}, "autograded/alice/02_backprop", True),                         # where nbgrader autograde runs the notebook
    ({"NBGRADER_EXECUTION": "validate"}, "anywhere/at/all", False),     # the student's Validate button
    ({}, "home/student/02_backprop", False),                            # the student's own Jupyter
])
def test_the_test_cells_own_text_refuses_autograde_and_nothing_else(environment, folder, refused, tmp_path, monkeypatch):
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    for key, value in environment.items():
        monkeypatch.setenv(key, value)
    (tmp_path / folder).mkdir(parents=True)
    monkeypatch.chdir(tmp_path / folder)
    guard = nbgrader_export._guard(ASSIGNMENT)
    tests = [cell.source for cell in nbgrader_export.build_source_notebook(_exercise()).cells
             if cell.metadata["nbgrader"].get("grade")]
    assert len(tests) == 14 and all(guard in source for source in tests)   # public and hidden cells alike
    if refused:
        with pytest.raises(RuntimeError, match="grade nbgrader-grade 02_backprop"):
            exec(compile(guard, "<test cell>", "exec"), {})
        with pytest.raises(RuntimeError, match="nbgrader autograde does not grade"):
            nbgrader_export.run_check(ASSIGNMENT, "public/sigmoid_worked_example", {})
    else:
        exec(compile(guard, "<test cell>", "exec"), {})


# ---------------------------------------------------------------- the pieces, without the sandbox


def test_reading_below_the_course_never_follows_a_link(tmp_path):
    (tmp_path / "submitted/alice/a").mkdir(parents=True)
    (tmp_path / "submitted/alice/a/n.ipynb").write_text("{}")
    (tmp_path / "submitted/mallory").symlink_to("alice")
    (tmp_path / "submitted/trudy").mkdir()
    (tmp_path / "submitted/trudy/a").symlink_to("../alice/a")
    (tmp_path / "submitted/oscar/a").mkdir(parents=True)
    (tmp_path / "submitted/oscar/a/n.ipynb").symlink_to("../../alice/a/n.ipynb")
    assert read_below(tmp_path, ("submitted", "alice", "a", "n.ipynb"), 100) == (b"{}", 2)
    for student in ("mallory", "trudy", "oscar"):
        with pytest.raises(Unreadable, match="symbolic link"):
            read_below(tmp_path, ("submitted", student, "a", "n.ipynb"), 100)
    with pytest.raises(FileNotFoundError):
        read_below(tmp_path, ("submitted", "nobody", "a", "n.ipynb"), 100)
    assert read_below(tmp_path, ("submitted", "alice", "a", "n.ipynb"), 1) == (None, 2)
    os.mkfifo(tmp_path / "submitted/alice/a/fifo")
    with pytest.raises(Unreadable, match="not a regular file"):
        read_below(tmp_path, ("submitted", "alice", "a", "fifo"), 100)
    assert first_link(tmp_path / "submitted/alice") is None
    assert first_link(tmp_path / "submitted/oscar") == tmp_path / "submitted/oscar/a/n.ipynb"


@pytest.mark.parametrize("text", [b"not a date", b"", b"2025-13-45 99:99:99 UTC", b"2025-03-01 12:00:00 /dev/stdin",
                                  b"2025-03-01 12:00:00 ../../etc/localtime", b"\xff\xfe", b"9" * 60,
                                  b"2025-03-01 12:00:00 \x1b]52;c;aGk=\x07", b"[1, 2]"])
def test_timestamps_that_are_not_dates_give_a_note_never_an_exception(text):
    value, note = parse_timestamp(text)
    assert value is None and note.startswith("timestamp.txt ignored") and not any(c in note for c in TERMINAL_CONTROLS)


def test_nbgraders_own_timestamps_are_read_as_nbgrader_reads_them():
    from nbgrader.utils import parse_utc

    for text in ("2025-03-01 12:00:00.000000 UTC", "2025-03-01 12:00:00 -0500", "2025-03-01 12:00:00 America/New_York",
                 "2025-03-01T12:00:00+01:00"):
        assert parse_timestamp(text.encode()) == (parse_utc(text), None)


@pytest.mark.parametrize("value", ["yes", None, ["grade"], 3, {}, {"grade": False, "solution": "yes"}])
def test_cells_whose_nbgrader_metadata_is_not_an_object_are_kept_and_noted(value):
    document = {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [
        {"cell_type": "code", "metadata": {"nbgrader": value}, "source": "def f(): return 1", "outputs": [],
         "execution_count": None},
        {"cell_type": "code", "metadata": {"nbgrader": {"grade": True, "solution": False, "grade_id": "check-x"}},
         "source": "run_check()", "outputs": [], "execution_count": None},
        "not a cell", {"cell_type": "code", "metadata": "not an object"}]}
    copy, note = without_test_cells(json.dumps(document).encode())
    cells = json.loads(copy)["cells"]
    assert cells[0]["source"] == "def f(): return 1" and "run_check()" not in copy.decode()
    assert (note is not None) == (not isinstance(value, dict) and value is not None)


def test_printed_names_are_one_clean_line():
    assert display_name("alice", "alice") == "alice"
    assert display_name(NOT_UTF8, "xff_xfe~1") == "\\xff\\xfe (id xff_xfe~1)"
    shown = display_name(ESCAPED + "\n" + "x" * 500, "eve~2")
    assert not any(c in shown for c in (*TERMINAL_CONTROLS, "\n")) and len(shown) < 260 and shown.endswith("(id eve~2)")


def test_a_notebook_is_copied_for_grading_at_about_its_own_size():
    """The copy without test cells was written indented: 1,000 arrays nested 900 deep (1.8 MB, within the limit)
    became 817 MB, built whole in the trusted process, and the student read that their notebook was 779 MB."""
    code = {"cell_type": "code", "metadata": {}, "source": "def f(): return 'é 中 😀'", "outputs": [],
            "execution_count": None}
    test = {"cell_type": "code", "metadata": {"nbgrader": {"grade": True, "solution": False, "grade_id": "check-x"}},
            "source": "run_check()", "outputs": [], "execution_count": None}
    nested = "[" + ",".join(["[" * 900 + "]" * 900] * 300) + "]"   # 540 KB, indented 245 MB
    for text in ("é 中 😀", "\ud800"):   # a lone surrogate is valid JSON but not UTF-8
        data = json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {"text": text, "x": "NESTED"},
                           "cells": [code, test]}, indent=1).replace('"NESTED"', nested).encode()
        copy, _ = without_test_cells(data)
        assert len(copy) <= len(data)
        document = json.loads(copy)
        assert document["cells"] == [code] and document["metadata"]["text"] == text
        assert len(document["metadata"]["x"]) == 300
