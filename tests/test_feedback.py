"""The feedback schema accepts what the grader writes and rejects what would mislead a student."""

import copy
import json

import pytest

from grader.checklib import Hint
from grader.feedback import Feedback, OutputTail, SubmissionInfo, schema_errors, write_json_atomically
from grader.outcomes import Outcome, Status
from grader.results import CheckResult
from grader.sandbox.launchers import PlainProcessLauncher


def make_feedback(**changes):
    checks = (
        CheckResult("public/a", "first", "public", 2.0, Outcome.PASSED, "correct"),
        CheckResult("hidden/b", "second", "hidden", 3.0, Outcome.FAILED, "wrong", Hint("update-sign", "the sign")),
    )
    values = dict(exercise="02_backprop", exercise_title="Backprop", status=Status.GRADED, message="1 of 2 checks passed.",
                  checks=checks, submission=SubmissionInfo("x.py", "a" * 64, 10), seed=7,
                  isolation=PlainProcessLauncher().isolation, started_at="2026-11-21T10:00:00+00:00", duration_s=0.5,
                  output=OutputTail("", "", 0, 0, False), grader_version="0.1.0", hidden_checks_run=True)
    values.update(changes)
    return Feedback(**values)


def test_a_built_document_is_valid_and_scores_only_passes():
    document = make_feedback().to_dict()
    assert schema_errors(document) == []
    assert document["score"] == 2.0 and document["max_score"] == 5.0
    assert document["checks"][1]["hint_id"] == "update-sign"


def test_a_grader_failure_scores_zero_even_with_passed_checks():
    document = make_feedback(status=Status.GRADER_FAILED, grader_error="boom").to_dict()
    assert document["score"] == 0 and all(check["score"] == 0 for check in document["checks"])
    assert schema_errors(document) == []


def test_an_internal_check_error_earns_nothing():
    check = CheckResult("public/a", "a", "public", 2.0, Outcome.PASSED, "ok", internal_error="TypeError")
    assert check.score == 0


@pytest.mark.parametrize("mutation, complaint", [
    (lambda d: d["checks"][1].update(score=3.0), "checks/1/score"),
    (lambda d: d.update(status="excellent"), "/status"),
    (lambda d: d.pop("seed"), "'seed' is a required property"),
    (lambda d: d.update(status="grader_failed"), "grader_error"),
    (lambda d: d["checks"][0].update(outcome="maybe"), "checks/0/outcome"),
    (lambda d: d["checks"][1].pop("hint_id"), "hint_id"),
    (lambda d: d.update(extra=1), "extra"),
])
def test_misleading_documents_are_rejected(mutation, complaint):
    document = copy.deepcopy(make_feedback().to_dict())
    mutation(document)
    errors = schema_errors(document)
    assert errors and any(complaint in error for error in errors), errors


def test_writing_is_atomic_and_creates_folders(tmp_path):
    target = tmp_path / "a" / "b" / "feedback.json"
    write_json_atomically({"x": 1}, target)
    assert json.loads(target.read_text()) == {"x": 1}
    assert [p.name for p in target.parent.iterdir()] == ["feedback.json"]
