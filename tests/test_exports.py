"""The views and exports read typed feedback: real gradings with a scripted sandbox, projected every way."""

from __future__ import annotations

import csv
import io

import pytest
from rich.console import Console

from conftest import scripted_grading
from grader.views.csv_table import grades_csv
from grader.views.gradescope import to_gradescope
from grader.views.report import build_report
from grader.views.rows import StudentRow
from grader.views.feedback_html import feedback_html
from grader.outcomes import Outcome
from grader.views.terminal import OUTCOME_LOOK, render
from grader.sandbox.fake import compute, grader_bug, times_out


def _uphill(params, grads, learning_rate):
    return {key: params[key] + learning_rate * grads[key] for key in params}


@pytest.fixture(scope="module")
def gradings():
    return {
        "full": scripted_grading(),
        "mistake": scripted_grading(changes={"update": compute(_uphill), "sigmoid": times_out()}),
        "bug": scripted_grading(changes={"gradients": grader_bug("machinery broke")}),
    }


def test_every_outcome_has_one_look():
    assert set(OUTCOME_LOOK) == set(Outcome)


def test_gradescope_is_a_projection_of_the_feedback(gradings):
    for feedback in gradings.values():
        results = to_gradescope(feedback)
        assert results["score"] == feedback.score
        assert [test["number"] for test in results["tests"]] == [check.id for check in feedback.checks]
        assert sum(test["score"] for test in results["tests"]) == pytest.approx(feedback.score)
    mistake = to_gradescope(gradings["mistake"])
    update = next(test for test in mistake["tests"] if test["number"] == "public/update_worked_example")
    assert update["status"] == "failed" and "\nHint: " in update["output"]
    assert "your instructor will regrade" in to_gradescope(gradings["bug"])["output"]


def test_the_csv_has_one_row_per_student_and_a_column_per_check(gradings):
    rows = [StudentRow("ann", "graded", gradings["full"]), StudentRow("bob", "graded", gradings["mistake"]),
            StudentRow("cy", "grader_failed", gradings["bug"]), StudentRow("di", "no_submission", None, "no .py file")]
    table = {row["student"]: row for row in csv.DictReader(io.StringIO(grades_csv(rows)))}
    assert table["ann"]["total"] == "30" and table["ann"]["max"] == "30"
    assert float(table["bob"]["total"]) == gradings["mistake"].score < 30
    assert table["bob"]["public/update_worked_example"] == "0"
    assert table["cy"]["total"] == "0" and "machinery broke" in table["cy"]["note"]
    assert table["di"]["note"] == "no .py file" and table["di"]["max"] == ""


def test_the_report_counts_hints_and_leaves_grader_failures_out_of_the_scores(gradings):
    rows = [StudentRow("ann", "graded", gradings["full"]), StudentRow("bob", "graded", gradings["mistake"]),
            StudentRow("cy", "grader_failed", gradings["bug"])]
    page = build_report("02_backprop", "Backprop", rows)
    assert "3 students</div><div>2 graded" in page
    assert "<code>update-sign</code>" in page and "machinery broke" in page


def test_the_terminal_and_jupyter_show_the_same_labels(gradings):
    console = Console(file=io.StringIO(), width=200, highlight=False)
    render(gradings["mistake"], console)
    text = console.file.getvalue()
    page = feedback_html(gradings["mistake"])
    for outcome in (Outcome.PASSED, Outcome.FAILED, Outcome.TIMEOUT):
        assert OUTCOME_LOOK[outcome].label in text and f">{OUTCOME_LOOK[outcome].label}<" in page
    assert f"Total: {gradings['mistake'].score:g}/30" in text and "Hint:" in text
    bug = Console(file=io.StringIO(), width=200, highlight=False)
    render(gradings["bug"], bug)
    assert "GRADER BUG" in bug.file.getvalue() and "Grader error:" in bug.file.getvalue()
