"""The grading service's per-exercise policies (issue 27 item 6) as logic: course.yaml's keys with path:line errors,
the window (opens, due, late window), the rate limit and cooldown, which grading counts, and what the hidden checks
show before the due time, all against a fake clock; then the queue's side on SQLite and a real PostgreSQL: the
count is taken in the insert's transaction (two racing uploads cannot both take the last slot), the grader's own
failures are not counted, and a version-1 database is migrated."""

from __future__ import annotations

import dataclasses
import json
import threading
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

import pytest
from sqlalchemy import inspect, text

from conftest import ROOT
from grader.course.manifest import ManifestError, load_course
from grader.course.model import LatePolicy, RateLimit
from grader.feedback.model import Feedback, OutputTail, SubmissionInfo
from grader.feedback.results import CheckResult, Hint
from grader.lms.late import SERVICE, lateness
from grader.outcomes import Isolation, Outcome, Status
from grader.service import accounts, queue
from grader.service.blobs import store_bytes
from grader.service.database import database_url, open_database
from grader.service.policies import (NotOpen, RateLimited, check_open, check_rate, closes_at, describe, next_allowed,
                                     received_lateness, stored_time)
from grader.service.standing import counting_of
from grader.service.visibility import held_back, hidden_view, visible_document
from service_postgres import postgres  # noqa: F401 - the fixture
from test_lms_late import course_with

BASE = load_course(ROOT / "course.yaml").exercise("02_backprop")
DUE = datetime(2026, 12, 1, 23, 59, tzinfo=timezone.utc)
SECRET = "expected 0.7310585786 for inputs [0.31, -1.7]"   # what a hidden check's message must not leak


def exercise(**policy):
    return dataclasses.replace(BASE, **policy)


def minutes(n: float) -> datetime:
    return DUE + timedelta(minutes=n)


# course.yaml -------------------------------------------------------------------------------------------------------

def test_course_yaml_gives_every_policy(tmp_path):
    manifest = course_with(tmp_path, "    opens: 2026-11-20T09:00:00+01:00\n    due: 2026-12-01T23:59:00Z\n"
                                     "    late: {window_days: 2, flat: 0.2}\n"
                                     "    rate_limit: {gradings: 5, per_minutes: 60}\n    cooldown_minutes: 2\n"
                                     "    counts: best\n    hidden_before_due: score_only\n")
    loaded = load_course(manifest).exercise("02_backprop")
    assert loaded.opens == datetime(2026, 11, 20, 8, 0, tzinfo=timezone.utc) and loaded.due == DUE
    assert loaded.rate_limit == RateLimit(5, 60) and loaded.cooldown_minutes == 2
    assert (loaded.counts, loaded.hidden_before_due) == ("best", "score_only")
    assert load_course(ROOT / "course.yaml").exercise("02_backprop").counts == "last", "the defaults"


@pytest.mark.parametrize("extra, words", [
    ("    opens: 2026-12-01\n", "time zone"),
    ("    opens: 2026-12-02T00:00:00Z\n    due: 2026-12-01T23:59:00Z\n", "Make opens earlier than due"),
    ("    hidden_before_due: score_only\n", "due"),
    ("    due: 2026-12-01T23:59:00Z\n    hidden_before_due: secret\n", "outcome_and_hint"),
    ("    rate_limit: {gradings: 5}\n", "per_minutes"),
    ("    rate_limit: {gradings: 0, per_minutes: 60}\n", "minimum"),
    ("    counts: first\n", "best"),
    ("    cooldown_minutes: 0\n", "cooldown_minutes"),
])
def test_a_broken_policy_names_its_line(tmp_path, extra, words):
    manifest = course_with(tmp_path, extra)
    try:   # the exercise is left out of the course, saying why (or the whole course.yaml is refused)
        course = load_course(manifest)
    except ManifestError as refused:
        said = str(refused)
    else:
        assert "02_backprop" not in [exercise.id for exercise in course.exercises]
        said = "\n".join(map(str, course.broken))
    assert f"{manifest}:" in said and words in said


# the window and lateness -------------------------------------------------------------------------------------------

def test_before_opening_and_after_the_late_window_are_refused_saying_when():
    policy = exercise(opens=minutes(-60), due=DUE, late=LatePolicy(window_days=1, penalty_per_day=0.1))
    with pytest.raises(NotOpen, match="opens at 2026-12-01 22:59 UTC") as early:
        check_open(policy, minutes(-61))
    assert early.value.status == 403 and early.value.retry_after_s == 60
    check_open(policy, minutes(-60))
    check_open(policy, minutes(24 * 60))   # the window's last moment
    with pytest.raises(NotOpen, match="closed at 2026-12-02 23:59 UTC .due 2026-12-01 23:59 UTC"):
        check_open(policy, minutes(24 * 60 + 0.01))


def test_the_window_ends_where_the_late_policy_says():
    assert closes_at(exercise(due=DUE)) is None, "no late policy: late work is marked, never refused"
    assert closes_at(exercise(due=DUE, late=LatePolicy(penalty_per_day=0.1))) is None
    no_late_work = exercise(due=DUE, late=LatePolicy(window_days=0))
    assert closes_at(no_late_work) == DUE
    with pytest.raises(NotOpen, match="closed at 2026-12-01 23:59 UTC; nothing"):
        check_open(no_late_work, minutes(0.01))
    check_open(exercise(), minutes(10**6))   # no dates at all


def test_lateness_is_the_exports_arithmetic_on_the_received_time():
    policy = exercise(due=DUE, late=LatePolicy(window_days=3, penalty_per_day=0.1))
    received = stored_time(minutes(25 * 60))
    assert received_lateness(policy, received) == lateness(policy, SERVICE, None, received)
    late = received_lateness(policy, received)
    assert (late.days, late.penalty) == (2, pytest.approx(0.2)) and "received it" in late.note
    assert late.applied(30) == 24
    assert received_lateness(policy, stored_time(minutes(-1))).penalty == 0


def test_a_time_zone_is_shown_as_course_yaml_wrote_it():
    paris = timezone(timedelta(hours=1))
    policy = exercise(opens=datetime(2026, 11, 20, 9, 0, tzinfo=paris))
    with pytest.raises(NotOpen, match=r"opens at 2026-11-20 09:00 \+01:00"):
        check_open(policy, datetime(2026, 11, 20, 7, 0, tzinfo=timezone.utc))


# the rate limit -----------------------------------------------------------------------------------------------------

def test_n_gradings_per_window_free_a_slot_when_the_oldest_leaves_it():
    policy = exercise(rate_limit=RateLimit(3, 60))
    times = [minutes(0), minutes(10), minutes(20)]
    assert next_allowed(policy, times[:2], minutes(21)) is None
    assert next_allowed(policy, times, minutes(21)) == minutes(60)
    assert next_allowed(policy, times, minutes(60)) is None, "the oldest left the window"
    assert next_allowed(policy, [minutes(-90), *times], minutes(21)) == minutes(60), "older ones do not count"
    with pytest.raises(RateLimited) as caught:
        check_rate(policy, times, minutes(21))
    assert caught.value.status == 429 and caught.value.retry_after_s == 39 * 60
    assert "3 gradings per 60 minutes" in caught.value.message and "2026-12-02 00:59 UTC" in caught.value.message


def test_a_cooldown_counts_from_the_last_one_and_combines_with_a_rate():
    policy = exercise(cooldown_minutes=15)
    assert next_allowed(policy, [], minutes(0)) is None
    assert next_allowed(policy, [minutes(0), minutes(-30)], minutes(5)) == minutes(15)
    both = exercise(cooldown_minutes=15, rate_limit=RateLimit(2, 60))
    assert next_allowed(both, [minutes(0), minutes(20)], minutes(40)) == minutes(60), "the later of the two waits"
    with pytest.raises(RateLimited, match="15 minutes between two") as caught:
        check_rate(both, [minutes(0)], minutes(1))
    assert caught.value.retry_after_s == 14 * 60


# which grading counts -------------------------------------------------------------------------------------------------

def attempt(id: int, score: float | None, at: float = -60, status: str = "graded", exercise_id: str = "02_backprop"):
    return SimpleNamespace(id=id, exercise=exercise_id, status=status, score=score, received_at=stored_time(minutes(at)))


def test_the_last_or_the_best_grading_counts_never_a_failed_or_waiting_one():
    found = [attempt(1, 20), attempt(2, 30), attempt(3, 10), attempt(4, None, status="queued"),
             attempt(5, 0, status="failed"), attempt(6, 30, exercise_id="03_activations")]
    assert counting_of(found, exercise()).id == 3
    assert counting_of(found, exercise(counts="best")).id == 2
    assert counting_of([*found, attempt(7, 30)], exercise(counts="best")).id == 7, "a tie: the later one"
    assert counting_of([attempt(5, 0, status="failed")], exercise()) is None


def test_the_best_is_judged_after_the_late_penalty():
    policy = exercise(counts="best", due=DUE, late=LatePolicy(penalty_per_day=0.5))
    assert counting_of([attempt(1, 20), attempt(2, 30, at=60)], policy).id == 1   # 30 late is 15


def test_the_instructors_pages_count_the_grading_the_students_see_counted():
    from grader.service.course_records import CourseSubmission
    from grader.service.dashboard import counting_submissions

    def graded_as(id: int, score: float) -> CourseSubmission:
        return CourseSubmission(id, "ana", "02_backprop", stored_time(minutes(-60 + id)), "backprop.py", "a" * 64,
                                "blobs/aa/a.py", "graded", score, 30.0, f"feedback/{id}.json")

    found = [graded_as(1, 30), graded_as(2, 10)]
    assert counting_submissions(found, exercise(counts="best"))["ana"].id == 1
    assert counting_submissions(found, exercise())["ana"].id == 2


# what the hidden checks show before the due time --------------------------------------------------------------------

def graded(status: Status = Status.GRADED) -> Feedback:
    checks = (
        CheckResult("public/forward", "forward pass", "public", 10.0, Outcome.PASSED, "correct"),
        CheckResult("public/slope", "the slope", "public", 5.0, Outcome.FAILED, "wrong slope"),
        CheckResult("hidden/random_inputs", "random inputs", "hidden", 8.0, Outcome.PASSED, "correct"),
        CheckResult("hidden/update_rule", "the update rule", "hidden", 4.0, Outcome.FAILED, SECRET,
                    Hint("update-sign", "the sign of the update is flipped")),
        CheckResult("hidden/broken", "a broken check", "hidden", 3.0, Outcome.INTERNAL_ERROR, SECRET,
                    internal_error=f"AssertionError: {SECRET}"),
    )
    return Feedback("02_backprop", "Backprop", status, "2 of 5 checks passed.", checks,
                    SubmissionInfo("backprop.py", "a" * 64, 10), 7, Isolation("bwrap", True, "1 GiB", ()),
                    "2026-12-01T10:00:00+00:00", 0.5, OutputTail(f"printed {SECRET}\n", "", 40, 0, False), "test",
                    True, grader_error=SECRET if status is Status.GRADER_FAILED else None)


def shown(view: str, status: Status = Status.GRADED) -> dict:
    document = held_back(graded(status), view, DUE).to_dict()
    assert Feedback.from_dict(document).to_dict() == document, "what is shown is a valid feedback document"
    return document


def test_outcome_and_hint_keeps_names_outcomes_points_and_hints_only():
    document = shown("outcome_and_hint")
    assert SECRET not in json.dumps(document)
    hidden = {check["id"]: check for check in document["checks"] if check["visibility"] == "hidden"}
    assert set(hidden) == {"hidden/random_inputs", "hidden/update_rule", "hidden/broken"}
    assert hidden["hidden/update_rule"]["outcome"] == "failed" and hidden["hidden/update_rule"]["hint_id"] == "update-sign"
    assert "due time" in hidden["hidden/update_rule"]["message"]
    assert document["score"] == graded().score == 18
    assert document["output"]["stdout_tail"] == "" and "2026-12-01 23:59 UTC" in document["message"]
    public = [check for check in document["checks"] if check["visibility"] == "public"]
    assert public[1]["message"] == "wrong slope", "public checks are untouched"


def test_score_only_shows_the_hidden_points_together_without_names_or_count():
    document = shown("score_only")
    text_shown = json.dumps(document)
    assert SECRET not in text_shown and "update_rule" not in text_shown and "random inputs" not in text_shown
    assert "update-sign" not in text_shown and "sign of the update" not in text_shown
    hidden = [check for check in document["checks"] if check["visibility"] == "hidden"]
    assert [(check["score"], check["max_score"]) for check in hidden] == [(8, 8), (0, 7)]
    assert document["score"] == 18 and document["max_score"] == 30
    assert document["message"].startswith("1 of 2 public checks passed.") and "5 checks" not in document["message"]


def test_a_grader_failure_keeps_its_error_text_back_too():
    for view in ("outcome_and_hint", "score_only"):
        document = shown(view, Status.GRADER_FAILED)
        assert SECRET not in json.dumps(document) and document["grader_error"] and document["score"] == 0


def test_the_view_is_full_after_the_due_time_and_fails_closed_on_an_unreadable_document():
    policy = exercise(due=DUE, hidden_before_due="score_only")
    assert hidden_view(policy, minutes(-1)) == "score_only" and hidden_view(policy, minutes(0)) == "full"
    document = graded().to_dict()
    assert visible_document(document, policy, minutes(1)) is document
    assert SECRET not in json.dumps(visible_document(document, policy, minutes(-1)))
    assert visible_document({**document, "score": 99}, policy, minutes(-1)) is None
    assert visible_document(document, exercise(), minutes(-1)) is document, "no policy: full"


def test_the_policies_are_described_for_students():
    lines = describe(exercise(opens=minutes(-600), due=DUE, late=LatePolicy(window_days=2, penalty_per_day=0.1),
                              rate_limit=RateLimit(5, 60), counts="best", hidden_before_due="outcome_and_hint"))
    said = "; ".join(lines)
    for words in ("opens 2026-12-01 13:59 UTC", "late work until 2026-12-03 23:59 UTC, 10% off per started day",
                  "5 gradings per 60 minutes", "best grading counts", "outcome and hint"):
        assert words in said
    assert describe(exercise()) == []


# the queue: counted in the insert's transaction, on SQLite and PostgreSQL ---------------------------------------------

@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request, tmp_path):
    url = database_url(None if request.param == "sqlite" else request.getfixturevalue("postgres").database(), tmp_path)
    engine = open_database(url)
    yield engine
    engine.dispose()


def _accept(engine, data, policy, now, body: str = "x = 1\n") -> int:
    blob = store_bytes(data, body.encode(), ".py", 2048 * 1024)
    return queue.accept(engine, "alice", "02_backprop", blob, "backprop.py", 50, policy=policy, now=now)


def test_two_racing_uploads_cannot_both_take_the_last_slot(engine, tmp_path):
    accounts.add_or_update(engine, "alice", "Alice")
    policy = exercise(rate_limit=RateLimit(2, 60))
    _accept(engine, tmp_path, policy, minutes(0))
    for round_ in range(3):
        start = threading.Barrier(4)
        outcomes: list[str] = []

        def hand_in(n: int) -> None:
            start.wait()
            try:
                _accept(engine, tmp_path, policy, minutes(round_ * 120 + 1), f"x = {round_}{n}\n")
                outcomes.append("accepted")
            except RateLimited:
                outcomes.append("refused")

        threads = [threading.Thread(target=hand_in, args=(n,)) for n in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        expected = 1 if round_ == 0 else 2   # round 0 shares its window with the first upload
        assert sorted(outcomes) == ["accepted"] * expected + ["refused"] * (4 - expected)


def test_what_the_grader_failed_is_not_counted(engine, tmp_path):
    accounts.add_or_update(engine, "alice", "Alice")
    policy = exercise(rate_limit=RateLimit(1, 60))
    for fault in ("failed", "internal_error"):
        _accept(engine, tmp_path, policy, minutes(0), fault)
        claimed = queue.claim(engine)
        queue.finish(engine, claimed, queue.Result("f", 0, 2, "grader_failed" if fault == "failed" else "graded",
                                                   "t", fault == "failed", grader_fault=True))
    _accept(engine, tmp_path, policy, minutes(1))
    with pytest.raises(RateLimited):
        _accept(engine, tmp_path, policy, minutes(2), "y = 2\n")


def test_a_version_1_database_is_migrated_to_mark_the_graders_faults(tmp_path):
    from grader.service.schema import VERSION, migrate

    engine = open_database(database_url(None, tmp_path))
    accounts.add_or_update(engine, "alice", "Alice")
    _accept(engine, tmp_path, None, minutes(0))
    queue.finish(engine, queue.claim(engine), queue.Result("", 0, 0, "grader_failed", "t", True))
    with engine.begin() as connection:   # as version 1 left it
        connection.execute(text("DROP INDEX submissions_by_exercise"))
        connection.execute(text("ALTER TABLE gradings DROP COLUMN grader_fault"))
        connection.execute(text("ALTER TABLE submissions DROP COLUMN claimed_by"))
        connection.execute(text("ALTER TABLE submissions DROP COLUMN lease_until"))
        connection.execute(text("ALTER TABLE submissions DROP COLUMN regrade"))
        connection.execute(text("UPDATE schema_version SET version = 1"))
    assert migrate(engine) == VERSION == 4
    with engine.connect() as connection:
        assert connection.execute(text("SELECT grader_fault FROM gradings")).scalar_one() in (1, True)
        columns = {column["name"] for column in inspect(connection).get_columns("submissions")}
        assert {"claimed_by", "lease_until"} <= columns, "version 3: claims have an owner and a lease"
        assert "regrade" in columns, "version 4: regrades are told apart from new work"
        assert "submissions_by_exercise" in {index["name"] for index in inspect(connection).get_indexes("submissions")}
    engine.dispose()
