"""The feedback schema accepts what the grader writes and rejects what would mislead a student."""

import copy
import json

import pytest

from conftest import scripted_grading
from grader.feedback.results import Hint
from grader.atomic import write_json_atomically
from grader.feedback.model import (SCHEMA_VERSION, Feedback, FeedbackError, OutputTail, SubmissionInfo, feedback_schema,
                             read_feedback, schema_errors)
from grader.outcomes import Limit, Outcome, Status
from grader.feedback.results import CheckResult
from grader.sandbox.fake import compute, crashes, grader_bug, not_importable, out_of_memory, stopped_by, times_out
from grader.sandbox.launchers import PlainProcessLauncher
from grader.sandbox.session import CallStatus, ErrorInfo


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


def _uphill(params, grads, learning_rate):
    return {key: params[key] + learning_rate * grads[key] for key in params}


REAL_GRADINGS = {
    "full marks": {},
    "mistakes, hints and limits": {"update": _uphill, "sigmoid": [times_out()], "forward": out_of_memory(),
                                   "error": stopped_by(Limit.PROCESSES), "train": crashes()},
    "grader bug": {"gradients": grader_bug("the session's machinery broke")},
}


@pytest.fixture(params=list(REAL_GRADINGS) + ["broken submission"])
def real_feedback(request):
    if request.param == "broken submission":
        return scripted_grading(import_failure=not_importable(CallStatus.RAISED, error=ErrorInfo("SyntaxError", "bad", 3)))
    changes = dict(REAL_GRADINGS[request.param])
    if "update" in changes:
        changes["update"] = compute(changes["update"])
    return scripted_grading(changes=changes)


def test_real_feedback_round_trips(real_feedback, tmp_path):
    document = real_feedback.to_dict()
    assert schema_errors(document) == []
    assert Feedback.from_dict(document) == real_feedback
    write_json_atomically(document, tmp_path / "f.json")
    assert read_feedback(tmp_path / "f.json") == real_feedback


def test_the_real_gradings_are_what_their_names_say():
    full = scripted_grading()
    assert full.status is Status.GRADED and full.score == full.max_score == 30
    mixed = scripted_grading(changes={"sigmoid": times_out(), "error": stopped_by(Limit.PROCESSES),
                                      "update": compute(_uphill)})
    assert "update-sign" in {check.hint.id for check in mixed.checks if check.hint}
    limits = {check.id: check.limit for check in mixed.checks if check.limit}
    assert limits["public/sigmoid_worked_example"] is Limit.WALL_TIME
    assert limits["public/error_worked_example"] is Limit.PROCESSES
    broken = scripted_grading(import_failure=not_importable(CallStatus.RAISED, error=ErrorInfo("SyntaxError", "bad", 3)))
    assert broken.status is Status.SUBMISSION_BROKEN and "SyntaxError on line 3" in broken.message


def test_a_check_broken_by_the_grader_is_an_internal_error_not_the_students():
    feedback = scripted_grading(changes={"gradients": grader_bug("the session's machinery broke")})
    assert feedback.status is Status.GRADER_FAILED and feedback.score == 0
    broken = [check for check in feedback.checks if check.outcome is Outcome.INTERNAL_ERROR]
    assert broken and all("machinery broke" in (check.internal_error or "") for check in broken)
    assert all("RuntimeError" not in check.message for check in broken)   # never shown as the student's exception
    entry = next(c for c in feedback.to_dict()["checks"] if c["outcome"] == "internal_error")
    assert "machinery broke" in entry["internal_error"] and entry["score"] == 0


@pytest.mark.parametrize("version, words", [
    ("2.0", "schema_version 2.0, newer than " + SCHEMA_VERSION),
    ("1.9", "schema_version 1.9, newer than " + SCHEMA_VERSION),
    ("0.9", "schema_version 0.9, older than 1.0"),
    (None, "no schema_version"),
])
def test_another_schema_version_is_a_clear_error(version, words):
    document = make_feedback().to_dict()
    if version is None:
        document.pop("schema_version")
    else:
        document["schema_version"] = version
    with pytest.raises(FeedbackError, match=words.replace(".", r"\.")):
        Feedback.from_dict(document)


def test_a_version_1_0_document_is_still_read():
    document = make_feedback().to_dict()
    document["schema_version"] = "1.0"
    assert Feedback.from_dict(document) == make_feedback()


def test_a_document_whose_score_was_edited_is_refused():
    document = make_feedback().to_dict()
    document["score"] = 5.0
    with pytest.raises(FeedbackError, match="says 5/5 but its checks add up to 2/5"):
        Feedback.from_dict(document)


def test_the_schema_lists_exactly_the_outcomes_statuses_and_limits():
    schema = feedback_schema()
    check = schema["$defs"]["check"]["properties"]
    assert check["outcome"]["enum"] == [outcome.value for outcome in Outcome]
    assert sorted(check["limit"]["enum"]) == sorted(limit.value for limit in Limit)
    assert schema["properties"]["status"]["enum"] == [status.value for status in Status]
    assert SCHEMA_VERSION in schema["properties"]["schema_version"]["enum"]


def test_internal_error_text_only_with_its_outcome():
    document = make_feedback().to_dict()
    document["checks"][1]["internal_error"] = "NameError"
    assert any("checks/1" in error for error in schema_errors(document))


def _mutants(document, rng, count):
    """`count` copies of the document, each with one node replaced, removed or added (nested anywhere)."""
    hostile = [None, True, False, 0, -1, 0.5, 1e308, -0.0, "", "x", "passed", "failed", "graded", "grader_failed",
               "2026-13-45T99:99:99", "2026-11-21T10:00:00+00:00", "2026-11-21T10:00:00+0000",
               "2026-11-21T10:00:00.5+0000", "2026-11-21 10:00:00Z", "2026-11-21T10:00:00", [], {}, [1], {"id": "x"},
               10**20]

    def nodes(value, path=()):
        yield path
        if isinstance(value, dict):
            for key, item in value.items():
                yield from nodes(item, (*path, key))
        elif isinstance(value, list):
            for index, item in enumerate(value):
                yield from nodes(item, (*path, index))

    places = [path for path in nodes(document) if path]
    for _ in range(count):
        mutant = copy.deepcopy(document)
        path = places[rng.randrange(len(places))]
        parent = mutant
        for part in path[:-1]:
            parent = parent[part]
        roll = rng.random()
        if roll < 0.15 and isinstance(parent, dict):
            del parent[path[-1]]
        elif roll < 0.25 and isinstance(parent, dict):
            parent[rng.choice(["extra", "hint", "hint_id", "internal_error", "grader_error", "student_s"])] = \
                rng.choice(hostile)
        else:
            parent[path[-1]] = rng.choice(hostile)
        yield mutant


def test_compiled_validation_never_accepts_what_jsonschema_refuses(monkeypatch):
    import random

    from grader.feedback import model

    documents = [make_feedback().to_dict(), make_feedback(status=Status.GRADER_FAILED, grader_error="boom").to_dict()]
    documents += [scripted_grading(changes={"update": compute(_uphill)}).to_dict(),
                  scripted_grading(import_failure=not_importable(CallStatus.RAISED, error=ErrorInfo("SyntaxError", "bad", 3))).to_dict()]
    monkeypatch.setattr(model, "_COMPILED", [])   # this test's compiled check ends with it
    model.compile_validation()
    compiled = model._COMPILED[0]
    rng, refused = random.Random(5), 0
    for document in documents:
        assert schema_errors(document) == []
        for mutant in _mutants(document, rng, 400):
            full = list(model._validator().iter_errors(mutant))
            try:
                compiled(mutant)
                accepted = True
            except Exception:   # noqa: BLE001 - fastjsonschema's refusal
                accepted = False
            assert not (accepted and full), f"compiled check accepted a document jsonschema refuses: {full[0].message}"
            refused += bool(full)
    assert refused > 600   # most mutants break the schema: the comparison above was put to the test
    for stamp in ("2026-11-21T10:00:00+0000", "2026-11-21T10:00:00.5+0000", "2026-11-21"):   # date-time as jsonschema reads it
        dated = copy.deepcopy(documents[0])
        dated["timing"]["started_at"] = stamp
        assert schema_errors(dated), stamp
    # With the compiled check on, a broken document still gets jsonschema's explanation.
    broken = copy.deepcopy(documents[0])
    broken["checks"][1]["score"] = 3.0
    assert any("checks/1/score" in error for error in schema_errors(broken))
