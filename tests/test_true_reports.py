"""What report.html and grades.csv say about a student is so (issue 23, item 5).

Real batches: the fast ones grade in this process with a scripted sandbox (`in_process_pool`), so the runner,
the gradebook, the feedback files and the exports are real and no process starts; one runs the real
`grade batch` end to end. Each test reads the exports as an instructor would.
"""

from __future__ import annotations

import csv
import dataclasses
import html
import io
import json
import re
import shutil
import subprocess
from datetime import datetime, timezone
from pathlib import Path

import pytest
from rich.console import Console

from conftest import ROOT, reference_script, reference_source, run_grade
from grader.batch.collect import StudentEntry
from grader.batch.outputs import write_exports
from grader.batch.runner import in_process_pool, run_batch
from grader.course.manifest import load_course
from grader.commands.similarity import similarity_sections
from grader.course.model import LatePolicy
from grader.feedback.model import Feedback, read_feedback
from grader.feedback.results import Hint
from grader.outcomes import Outcome
from grader.similarity import DEFAULT_THRESHOLD
from grader.views.report import build_report
from grader.views.rows import StudentRow
from grader.outcomes import Limit
from grader.sandbox.fake import ScriptedLauncher, compute, not_importable, stopped_by, times_out
from grader.sandbox.launchers import bwrap_problem
from grader.sandbox.session import CallStatus, ErrorInfo

EXERCISE = load_course(ROOT / "course.yaml").exercise("02_backprop")
REFERENCE = reference_script("02_backprop")
FUNCTIONS = ("sigmoid", "forward", "error", "gradients", "update", "train")
HOSTILE_TEXT = "<script>alert(1)</script>\u202e\x1b[2J\x9b31m"


def _uphill(params, grads, learning_rate):
    return {key: params[key] + learning_rate * grads[key] for key in params}


def _everywhere(answer) -> dict:
    return {name: answer for name in FUNCTIONS}


SCRIPTS = {
    "ann": REFERENCE,
    # three students with the same mistake: the update-sign hint, on several checks each
    "bob": {**REFERENCE, "update": compute(_uphill)},
    "cy": {**REFERENCE, "update": compute(_uphill)},
    "di": {**REFERENCE, "update": compute(_uphill)},
    "ed": {**REFERENCE, "sigmoid": times_out(5)},
    "fay": {**REFERENCE, "train": stopped_by(Limit.MEMORY)},
    "gus": {**REFERENCE, "gradients": stopped_by(Limit.PROCESSES)},
    "hal": {**REFERENCE, "update": stopped_by(Limit.FILE_SIZE)},
    "ivy": _everywhere(not_importable(CallStatus.TIMEOUT, detail="the call did not finish within 5 s")),
    "jo": _everywhere(not_importable(CallStatus.RAISED, error=ErrorInfo("SyntaxError", HOSTILE_TEXT, 4))),
}


def _batch(tmp_path: Path, scripts: dict, files: dict[str, str] | None = None, exercise=EXERCISE,
           submitted_at: dict[str, str] | None = None) -> Path:
    folder = tmp_path / "subs"
    folder.mkdir()
    entries = []
    for student in scripts:
        path = folder / f"{student}.py"
        path.write_text((files or {}).get(student, f"# {student}\n"))
        entries.append(StudentEntry(student, path, None, path.name, submitted_at=(submitted_at or {}).get(student)))
    entries.append(StudentEntry("kim", None, "kim/ holds no .py file or notebook", "kim"))
    launcher = ScriptedLauncher(lambda path: scripts[path.stem])
    out = tmp_path / "out"
    run_batch(ROOT / "course.yaml", EXERCISE.id, entries, out, jobs=1, strong=True,
              pool=in_process_pool(EXERCISE, launcher))
    write_exports(out, exercise)
    return out


def _csv(out: Path) -> dict[str, dict[str, str]]:
    return {row["student"]: row for row in csv.DictReader(io.StringIO((out / "grades.csv").read_text()))}


def _table(page: str, heading: str) -> list[list[str]]:
    """The rows (cells as text) of the first table after the heading."""
    part = page.split(f"<h2>{heading}</h2>", 1)[1]
    table = part[part.index("<table"):part.index("</table>")]
    return [[html.unescape(re.sub(r"<[^>]+>", "", cell)) for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
            for row in re.findall(r"<tr>(.*?)</tr>", table, re.S)[1:]]


STUDENT_COLUMNS = ["student", "score", "late", "status", "reason"]


def _students(page: str) -> dict[str, dict[str, str]]:
    """The students table, by student and column."""
    return {row[0]: dict(zip(STUDENT_COLUMNS, row)) for row in _table(page, "Students")}


def _reasons(page: str) -> dict[str, str]:
    return {student: row["reason"] for student, row in _students(page).items()}


@pytest.fixture(scope="module")
def out(tmp_path_factory) -> Path:
    return _batch(tmp_path_factory.mktemp("true-reports"), SCRIPTS)


def test_hints_count_students_not_failing_checks(out):
    page = (out / "report.html").read_text()
    hints = {row[1]: int(row[0]) for row in _table(page, "Most frequent hints")}
    feedback = [path.read_text() for path in (out / "feedback").glob("*.json")]
    checks_with_hint = sum(text.count('"hint_id": "update-sign"') for text in feedback)
    assert checks_with_hint > 3   # the mistake is hinted on more than one check per student ...
    assert hints["update-sign"] == 3   # ... and the report counts the three students who made it


def test_the_students_table_comes_first_with_id_score_late_status_and_reason(out):
    page = (out / "report.html").read_text()
    students = page.index("<h2>Students</h2>")
    assert students < page.index("<svg") and students < page.index("<h2>Most frequent hints</h2>")
    assert '</div></div>\n<h2>Students</h2>\n<table id="students">' in page   # right after the summary line
    assert '<th>student</th><th class="score">score</th><th>late</th><th>status</th><th>reason</th>' in page
    rows = _students(page)
    assert set(rows) == set(SCRIPTS) | {"kim"}
    assert rows["ann"] == {"student": "ann", "score": "30/30", "late": "", "status": "graded", "reason": ""}
    assert rows["kim"] == {"student": "kim", "score": "–", "late": "", "status": "no_submission",
                           "reason": "kim/ holds no .py file or notebook"}
    assert re.search(r"td\.score, th\.score \{[^}]*white-space: nowrap", page)
    assert '<td class="score">30/30</td>' in page   # the score's cell is the one that never wraps


def test_the_late_column_shows_the_late_policys_note(tmp_path, monkeypatch):
    """A student's recorded time after the exercise's due time: the note students.csv gives, in the report's row."""
    exercise = dataclasses.replace(EXERCISE, due=datetime(2026, 1, 10, tzinfo=timezone.utc),
                                   late=LatePolicy(window_days=7, penalty_per_day=0.1))
    out = _batch(tmp_path, {"ann": REFERENCE, "bob": REFERENCE}, exercise=exercise,
                 submitted_at={"bob": "2026-01-11T12:00:00+00:00"})
    rows = _students((out / "report.html").read_text())
    assert rows["ann"]["late"] == ""
    late = rows["bob"]["late"]
    assert late.startswith("late: 36.0 hours after the due time") and "penalty 20% (10% a day x 2)" in late
    with open(out / "students.csv", newline="") as stream:
        assert {row["student"]: row["late_note"] for row in csv.DictReader(stream)}["bob"] == late


@pytest.mark.parametrize("student, words", [
    ("ed", ["timeout at the time limit of one call", "2 checks", "public/sigmoid_worked_example"]),
    ("fay", ["out of memory at the memory limit", "public/train_worked_example"]),
    ("gus", ["crashed at the process limit", "public/gradients_worked_example"]),
    ("hal", ["stopped at the file size limit", "public/update_worked_example"]),
    ("ivy", ["could not be loaded", "did not finish within 5 s", "timeout in every check"]),
    ("jo", ["could not be loaded", "SyntaxError", "line 4"]),
    ("kim", ["holds no .py file"]),
])
def test_timeouts_syntax_errors_and_limits_are_named_in_the_csv_and_the_report(out, student, words):
    note = _csv(out)[student]["note"]
    reason = _reasons((out / "report.html").read_text())[student]
    for word in words:
        assert word in note, (word, note)
        assert word in reason, (word, reason)


def test_a_students_text_is_escaped_and_stripped_of_controls_in_both_exports(out):
    page = (out / "report.html").read_text()
    assert "<script" not in page and "\u202e" not in page and "\x1b" not in page and "\x9b" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    note = _csv(out)["jo"]["note"]
    assert "<script>alert(1)</script>" in note and not re.search("[\x00-\x1f\x7f-\x9f\u202e]", note)


def test_a_graded_student_with_wrong_answers_has_no_reason(out):
    assert _csv(out)["bob"]["note"] == ""
    assert float(_csv(out)["bob"]["total"]) < 30


def test_a_long_reason_is_bounded_and_on_one_line(tmp_path):
    many = {name: times_out() for name in FUNCTIONS if name != "error"}
    scripts = {"lou": {**REFERENCE, **many},
               "max": _everywhere(not_importable(CallStatus.RAISED, error=ErrorInfo("SyntaxError", "x\n" * 5000, 1)))}
    out = _batch(tmp_path, scripts)
    notes = _csv(out)
    assert re.search(r"in \d+ checks: .* and \d+ more", notes["lou"]["note"]) and "timeout" in notes["lou"]["note"]
    for row in notes.values():
        assert len(row["note"]) <= 600 and "\n" not in row["note"]


def test_a_graded_row_whose_feedback_file_is_gone_says_so_instead_of_looking_empty(tmp_path):
    out = _batch(tmp_path, {"ann": REFERENCE, "bob": REFERENCE})
    (out / "feedback" / "bob.json").unlink()
    write_exports(out, EXERCISE)
    note = _csv(out)["bob"]["note"]
    assert "bob.json is missing" in note and "run the batch again" in note
    assert _reasons((out / "report.html").read_text())["bob"] == note
    assert _csv(out)["ann"]["note"] == ""


@pytest.mark.slow
@pytest.mark.skipif(bwrap_problem() is not None, reason=f"needs bubblewrap: {bwrap_problem()}")
def test_grade_batch_names_what_stopped_each_student(tmp_path):
    reference = reference_source("02_backprop")
    sources = {
        "alice": reference,
        "bob": reference.replace("params[name] - learning_rate", "params[name] + learning_rate"),
        "carl": reference.replace("params[name] - learning_rate", "params[name] + learning_rate"),
        "mallory": reference + "\n\ndef train(*args, **kwargs):\n    while True:\n        pass\n",
        "syd": reference.replace("def sigmoid(z):", "def sigmoid(z:"),
        "eve": reference + "\n\ndef sigmoid(z):\n    import sys\n    sys.stdout.write('x' * 2_000_000)\n    return 1 / (1 + np.exp(-z))\n",
    }
    subs = tmp_path / "subs"
    subs.mkdir()
    for student, source in sources.items():
        (subs / f"{student}.py").write_text(source)
    out = tmp_path / "out"
    run = run_grade("batch", subs, "--exercise", "02_backprop", "--out", out, "--jobs", "2")
    assert run.returncode == 0, run.stderr
    notes = {student: row["note"] for student, row in _csv(out).items()}
    page = (out / "report.html").read_text()
    reasons = _reasons(page)
    assert notes == reasons
    assert notes["alice"] == "" and notes["bob"] == ""
    assert "timeout at the time limit of one call" in notes["mallory"] and "train" in notes["mallory"]
    assert "SyntaxError on line" in notes["syd"] and "was never closed" in notes["syd"]
    assert "backprop.py, line" not in notes["syd"]
    assert "output limit" in notes["eve"]
    hints = {row[1]: int(row[0]) for row in _table(page, "Most frequent hints")}
    assert hints["update-sign"] == 2


# Measures the page as a browser lays it out, at the viewport's size: where the students table's first row is, and
# how many lines each score cell's text takes. Added to a copy of the report only: report.html itself has no script.
LAYOUT_PROBE = """<script>
const rows = document.querySelectorAll('#students tr');
const first = rows[1].getBoundingClientRect();
const lines = [...document.querySelectorAll('#students td.score')].map(cell => {
  const range = document.createRange(); range.selectNodeContents(cell);
  return [cell.textContent, new Set([...range.getClientRects()].map(rect => Math.round(rect.top))).size];
});
const names = [...document.querySelectorAll('h2')].map(h => h.textContent);
document.body.setAttribute('data-layout', JSON.stringify({width: innerWidth, height: innerHeight,
  scrolled: scrollY, top: first.top, bottom: first.bottom, lines: lines, headings: names}));
</script>"""


def _layout(page: Path, profile: Path, width: int, height: int) -> dict:
    probe = page.with_name("probe.html")
    probe.write_text(page.read_text().replace("</body>", LAYOUT_PROBE + "</body>"))
    dom = subprocess.run(
        ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={profile}",
         f"--window-size={width},{height}", "--dump-dom", probe.as_uri()],
        capture_output=True, text=True, timeout=120)
    found = re.search(r'data-layout="([^"]*)"', dom.stdout)
    assert found, dom.stderr[-2000:]
    return json.loads(html.unescape(found.group(1)))


def _hinted(feedback: Feedback, number: int) -> Feedback:
    """The feedback with its first check failed and given hint number `number` (a long one)."""
    first, *rest = feedback.checks
    hint = Hint(f"made-up-hint-{number:02}", f"Hint {number}: " + "a long sentence about a common mistake " * 4)
    failed = dataclasses.replace(first, outcome=Outcome.FAILED, hint=hint)
    return dataclasses.replace(feedback, checks=(failed, *rest))


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("chromium") is None, reason="headless Chromium (Debian package chromium) is not installed")
def test_at_a_laptops_size_the_students_come_first_and_no_score_wraps(tmp_path):
    """1280x800, a similarity section with pairs side by side, 30 students each given a hint of their own, 30 more
    with full marks and late notes: the first student's row is in view without scrolling, and every score
    ("30/30", "29/30", "–") is on one line."""
    reference = reference_source("02_backprop")
    files = {"ann": reference, "bob": reference.replace("params[name] - learning_rate", "params[name] + learning_rate"),
             "cy": reference.replace("delta2 = -(t - a2) * a2 * (1 - a2)", "delta2 = -(t - a2)"),
             "dot": (ROOT / "exercises/02_backprop/backprop.py").read_text()}
    out = _batch(tmp_path, {student: REFERENCE for student in files}, files)
    sections = similarity_sections(out, EXERCISE, DEFAULT_THRESHOLD, Console(file=io.StringIO()))
    assert "<details" in str(sections[0])
    full = read_feedback(out / "feedback" / "ann.json")
    rows = [StudentRow(f"student-with-a-long-name-{n:02}", "graded", _hinted(full, n)) for n in range(30)]
    rows += [StudentRow(f"late-{n:02}", "graded", full, late=f"late: {n + 1}.0 hours after the due time, by the "
                        f"file's modification time 2026-01-10T{n % 24:02}:00+00:00; penalty 10% (10% a day x 1)")
             for n in range(30)]
    rows.append(StudentRow("nobody", "no_submission", None, "nobody/ holds no .py file or notebook"))
    report = tmp_path / "report.html"
    report.write_text(build_report(EXERCISE.id, EXERCISE.title, rows, sections))
    page = report.read_text()
    assert len(_table(page, "Most frequent hints")) == 10   # 30 hints given, the 10 most frequent listed

    layout = _layout(report, tmp_path / "profile", 1280, 800)
    # a window of 1280x800 leaves a viewport of 1280 by about 660, as a laptop's browser window does
    assert layout["width"] == 1280 and 500 < layout["height"] <= 800 and layout["scrolled"] == 0
    assert layout["headings"][0] == "Students" and "Similar submissions" in layout["headings"]
    assert 0 <= layout["top"] < layout["bottom"] <= layout["height"], layout
    assert {text for text, _ in layout["lines"]} == {"30/30", "29/30", "–"}
    assert [cell for cell in layout["lines"] if cell[1] != 1] == []
