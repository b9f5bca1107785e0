"""What the grader shows or writes is bounded and clean, whatever the submission returns, raises, prints or is named.

A 77-byte file returning a dict with a million-character key once made a 16 MB feedback document and
printed 2 MB to the terminal; C1 controls (the one-byte CSI U+009B), OSC 52 clipboard writes and bidi
overrides (U+202E) reached the terminal table and grades.csv.
"""

from __future__ import annotations

import csv
import json
import shutil

import pytest

from conftest import ROOT, reference_source, run_grade
from grader.feedback.bounds import MAX_DOCUMENT_BYTES, MAX_MESSAGE_CHARS, bounded
from grader.feedback.model import Feedback, OutputTail, SubmissionInfo, schema_errors
from grader.outcomes import Isolation, Outcome, Status
from grader.feedback.results import CheckResult, Hint
from grader.grading.checklib import SHOW_CHARS, show

REFERENCE = reference_source("02_backprop")
BIG_KEYS = 'def sigmoid(z):\n    return {"a" * 1_000_000: 0.5, "b" * 1_000_000: 0.5}\n'
FORBIDDEN = ("\x1b", "\x9b", "\x9c", "\x9d", "\x07", "\u202e", "\u2066")
NASTY = "\x9b2J\x1b]52;c;aGVsbG8=\x07\u202ereversed\x9c\x9d\u2066"


def test_show_bounds_every_part_of_a_value():
    assert len(show({"a" * 1_000_000: 0.5, "b": ["c" * 1_000_000] * 8})) <= SHOW_CHARS
    assert len(show(["x" * 10_000] * 8)) <= SHOW_CHARS
    assert show({"a": 0.5}) == "{'a': 0.5}"


def _feedback(size: int) -> Feedback:
    check = CheckResult("public/x" * 1, "n" * size, "public", 1.0, Outcome.FAILED, "m\ud800" * size,
                        Hint("h", "t" * size))
    return Feedback("02_backprop", "t", Status.GRADED, "g" * size, (check,) * 14,
                    SubmissionInfo("p" * size, "0" * 64, 1), 1, Isolation("bwrap", True, "cgroup", ("note",)),
                    "2026-01-01T00:00:00+00:00", 1.0, OutputTail("o" * size, "e" * size, size, size, False), "1", True)


def test_a_document_of_any_size_is_bounded_and_stays_valid():
    document = bounded(_feedback(5_000_000)).to_dict()
    assert len(json.dumps(document).encode()) < MAX_DOCUMENT_BYTES
    assert not schema_errors(document)
    check = document["checks"][0]
    assert len(check["message"]) <= MAX_MESSAGE_CHARS and "more characters" in check["message"]
    assert "\ud800" not in json.dumps(document, ensure_ascii=False)
    assert document["output"]["truncated"] is True
    small = bounded(_feedback(10)).to_dict()
    assert small["checks"][0]["message"] == ("m\ufffd" * 10) and small["output"]["stdout_tail"] == "o" * 10


def test_a_tiny_file_cannot_make_a_huge_document_or_terminal(tmp_path):
    path = tmp_path / "backprop.py"
    path.write_text(BIG_KEYS)
    out = tmp_path / "feedback.json"
    run = run_grade("exercises/02_backprop", "--submission", path, "--json", out)
    assert run.returncode == 0, run.stderr
    assert out.stat().st_size < 100_000
    assert len(run.stdout) < 20_000
    shown = run_grade("exercises/02_backprop", "--submission", path)
    assert len(shown.stdout) < 20_000 and "aaaa" in shown.stdout


def test_control_characters_never_reach_the_terminal(tmp_path):
    path = tmp_path / "backprop.py"
    path.write_text(REFERENCE + f"\nprint({NASTY!r})\ndef sigmoid(z):\n    raise ValueError({NASTY!r})\n")
    run = run_grade("exercises/02_backprop", "--submission", path)
    assert run.returncode == 0, run.stderr
    assert "reversed" in run.stdout
    for character in FORBIDDEN:
        assert character not in run.stdout, repr(character)


@pytest.mark.skipif(shutil.which("bwrap") is None, reason="needs bubblewrap")
def test_control_characters_never_reach_grades_csv(tmp_path):
    submissions = tmp_path / "submissions"
    submissions.mkdir()
    (submissions / f"mallory{NASTY.replace('/', '')}.py").write_text(REFERENCE.replace("def sigmoid(z):", "def sigmoid(z):\n    raise ValueError({!r})".format(NASTY), 1))
    (submissions / "alice.py").write_text(REFERENCE)
    out = tmp_path / "out"
    run = run_grade("batch", submissions, "--exercise", "02_backprop", "--out", out, "--jobs", "1")
    assert run.returncode == 0, run.stderr
    for name in ("grades.csv", "students.csv"):
        text = (out / name).read_text(encoding="utf-8-sig")
        for character in FORBIDDEN:
            assert character not in text, (name, repr(character))
    for character in FORBIDDEN:
        assert character not in run.stdout
    with open(out / "grades.csv", newline="", encoding="utf-8-sig") as stream:
        rows = {row["student"]: row for row in csv.DictReader(stream)}
    assert rows["alice"]["total"] == "30"
    assert ROOT.exists()
