"""The instructor's page of the grading service (issue 27 item 8), with a fake grader (no sandbox): the numbers as
pure functions over made-up records, separate credentials (no student token or session opens any instructor
route), CSRF on every form, exports that read back (grade batch's folder, the generic CSV, Canvas's gradebook),
a regrade previewed then applied in the service, similarity on demand, and student text escaped."""

from __future__ import annotations

import csv
import dataclasses
import io
import re
import sqlite3
import time
import zipfile
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from grader.course.manifest import load_course
from grader.course.model import LatePolicy
from grader.feedback.results import Hint
from grader.service import accounts, instructor, instructor_auth
from grader.service.app import build_app
from grader.service.config import ServiceConfig
from grader.service.course_records import CourseSubmission, RosterEntry
from grader.service.dashboard import (counting_submissions, exercise_lines, late_submissions, queue_numbers,
                                      student_rows, without_submission)
from grader.service.database import database_url
from grader.service.service import open_service
from grader.views.report import report_page
from service_fakes import FakeGrader, made_up_feedback

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures" / "lms"
EXERCISE = "02_backprop"
NOW = datetime(2026, 12, 6, 12, 0, tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def course():
    return load_course(ROOT / "course.yaml")


# --- the numbers, over made-up records -------------------------------------------------------------------------

def submission(id: int, student: str, status: str = "graded", score: float | None = 2.0, exercise: str = EXERCISE,
               received: datetime = NOW - timedelta(hours=1), graded: datetime | None = None) -> CourseSubmission:
    finished = status in ("graded", "failed")
    return CourseSubmission(id, student, exercise, received.isoformat(), "backprop.py", "ab" * 32, "blobs/x.py", status,
                            score if finished else None, 2.0 if finished else None,
                            f"feedback/{id}.json" if status == "graded" else ("" if finished else None),
                            (graded or received + timedelta(seconds=5)).isoformat() if finished else None)


def test_the_queue_counts_what_waits_and_what_was_graded_in_the_last_ten_minutes():
    found = [submission(1, "a", "queued"), submission(2, "b", "queued"), submission(3, "c", "grading"),
             submission(4, "d", graded=NOW - timedelta(minutes=3)), submission(5, "e", "failed", graded=NOW - timedelta(minutes=9)),
             submission(6, "f", graded=NOW - timedelta(minutes=11))]
    numbers = queue_numbers(found, NOW)
    assert (numbers.queued, numbers.grading, numbers.graded_recently, numbers.failed_recently) == (2, 1, 2, 1)
    assert numbers.per_minute == pytest.approx(0.2)


def test_the_counting_grading_is_each_students_latest_graded_one_never_a_failure_or_one_still_waiting():
    found = [submission(1, "a", score=1.0), submission(2, "a", score=2.0), submission(3, "a", "failed", 0.0),
             submission(4, "a", "queued"), submission(5, "b", score=0.5), submission(6, "b", exercise="05_other"),
             submission(7, "c", "failed", 0.0)]
    counting = counting_submissions(found, EXERCISE)
    assert {student: s.id for student, s in counting.items()} == {"a": 2, "b": 5}


def test_students_without_a_submission_and_late_submissions(course):
    exercise = dataclasses.replace(course.exercise(EXERCISE), due=NOW - timedelta(days=1),
                                   late=LatePolicy(window_days=7, penalty_per_day=0.1))
    roster = [RosterEntry("a", "A", False), RosterEntry("b", "B", False), RosterEntry("gone", "G", True),
              RosterEntry("z", "Z", False)]
    found = [submission(1, "a", received=NOW - timedelta(days=2)), submission(2, "a", received=NOW - timedelta(hours=20)),
             submission(3, "b", "queued", received=NOW - timedelta(hours=2))]
    assert [s.id for s in without_submission(roster, found, EXERCISE)] == ["z"]   # revoked students are not listed
    counting = counting_submissions(found, EXERCISE)
    late = late_submissions(exercise, found, counting)
    assert [(line.submission, line.days, line.counts) for line in late] == [(3, 1, False), (2, 1, True)]
    assert late[1].penalty == pytest.approx(0.1) and "received" in late[1].note   # the service's time, said so
    line, = exercise_lines([exercise], found, roster)
    assert (line.handed_in, line.counted, line.missing, line.late, line.mean) == (2, 1, 1, 1, 1.0)


def test_the_report_is_grade_batchs_own_over_the_counting_gradings(course):
    exercise = course.exercise(EXERCISE)
    found = [submission(1, "a"), submission(2, "b"), submission(3, "c")]
    from grader.batch.runner import Job

    passed = made_up_feedback(exercise, Job("a", "a.py", "x", 0))
    failed = made_up_feedback(exercise, Job("b", "b.py", "x", 0), passed=False)
    check = dataclasses.replace(failed.checks[0], hint=Hint("sign-of-update", "the update goes uphill"))
    hinted = dataclasses.replace(failed, checks=(check,))
    rows = student_rows(exercise, counting_submissions(found, EXERCISE), {1: passed, 2: hinted, 3: None},
                        [RosterEntry("d", "D", False)])
    page = report_page(exercise.id, exercise.title, rows)
    assert [(line.student, line.score) for line in page.students] == [("a", "2/2"), ("b", "0/2"), ("c", "–"), ("d", "–")]
    assert page.graded == 2 and page.pass_rates.bars[0].rate == 0.5
    assert [(hint.id, hint.students) for hint in page.hints] == [("sign-of-update", 1)]
    assert rows[-1].status == "no_submission"


# --- the pages, over a live app with a fake grader ------------------------------------------------------------

@pytest.fixture
def service(tmp_path, course):
    (tmp_path / "data").mkdir()
    config = ServiceConfig(course, tmp_path / "data", database_url(None, tmp_path / "data"), jobs=2)
    return open_service(config, FakeGrader())


@pytest.fixture
def client(service):
    with TestClient(build_app(service), base_url="http://testserver") as client:
        yield client


def csrf_of(page: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', page).group(1)


def sign_in(client, token: str, path: str = "/instructor"):
    form = client.get(path)
    return client.post(f"{path.rstrip('/')}/signin" if path != "/" else "/signin",
                       data={"csrf": csrf_of(form.text), "token": token})


def hand_in(client, token: str, data: bytes = b"x = 1\n") -> int:
    answer = client.post(f"/api/submissions?exercise={EXERCISE}&name=backprop.py", content=data,
                         headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 201, answer.text
    return answer.json()["id"]


def wait_until(condition, seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "the service did not get there in time"
        time.sleep(0.01)


def graded(service, submission_id: int) -> bool:
    with service.engine.connect() as connection:
        return connection.exec_driver_sql("SELECT status FROM submissions WHERE id = ?",
                                          (submission_id,)).scalar() in ("graded", "failed")


def score_of(service, submission_id: int):
    with service.engine.connect() as connection:
        return connection.exec_driver_sql("SELECT score FROM gradings WHERE submission = ?", (submission_id,)).scalar()


def instructor_paths():
    """Every instructor route with its method, as the module declares them."""
    for route in instructor.routes:
        path = route.path.replace("{exercise}", EXERCISE).replace("{name}", "grades.csv").replace("{key}", "k" * 22)
        for method in sorted(route.methods - {"HEAD"}):
            yield method, path


def test_every_instructor_route_refuses_anonymous_requests_student_sessions_and_student_tokens(client, service):
    token = accounts.add_or_update(service.engine, "alice", "Alice")
    instructor_auth.issue(service.data_dir)
    hand_in(client, token)
    paths = list(instructor_paths())
    assert len(paths) == 10

    def refused_everywhere(headers: dict | None = None):
        for method, path in paths:
            answer = client.request(method, path, headers=headers, data={"csrf": "x"} if method == "POST" else None)
            if (method, path) == ("GET", "/instructor"):   # the sign-in form, nothing else
                assert answer.status_code == 200 and "Instructor sign in" in answer.text
                assert "Queue" not in answer.text and "alice" not in answer.text.lower()
            else:
                assert answer.status_code in (403, 404), (method, path, answer.status_code)
                assert "alice" not in answer.text.lower()

    refused_everywhere()
    refused_everywhere({"Authorization": f"Bearer {token}"})
    assert sign_in(client, token, "/").status_code == 200 and "alice" in client.get("/home").text   # a student session
    refused_everywhere()
    assert sign_in(client, token).status_code == 401   # a student's token is no instructor's


def test_the_instructor_token_is_stored_hashed_opens_the_dashboard_and_a_new_one_ends_the_session(client, service):
    token = instructor_auth.issue(service.data_dir)
    stored = (service.data_dir / instructor_auth.HASH_FILE)
    assert token not in stored.read_text() and stored.stat().st_mode & 0o777 == 0o600
    assert sign_in(client, token + "x").status_code == 401
    assert sign_in(client, "gt_" + token[3:]).status_code == 401
    assert sign_in(client, token).status_code == 200
    page = client.get("/instructor")
    assert "Queue" in page.text and EXERCISE in page.text
    assert client.get("/home", follow_redirects=False).status_code == 303   # an instructor is no student
    instructor_auth.issue(service.data_dir)
    assert "Instructor sign in" in client.get("/instructor").text
    assert client.get(f"/instructor/exercises/{EXERCISE}").status_code == 403


def test_forms_without_the_sessions_csrf_token_change_nothing(client, service):
    token = accounts.add_or_update(service.engine, "alice", "Alice")
    first = hand_in(client, token)
    wait_until(lambda: graded(service, first))
    assert sign_in(client, instructor_auth.issue(service.data_dir)).status_code == 200
    base = f"/instructor/exercises/{EXERCISE}"
    for path, data in ((f"{base}/regrade/apply", {"submissions": str(first)}), (f"{base}/regrade", {}),
                       (f"{base}/similarity", {}), (f"{base}/lms", {"format": "csv"}), ("/instructor/signout", {})):
        for csrf in (None, "x" * 43):
            sent = dict(data, **({"csrf": csrf} if csrf else {}))
            assert client.post(path, data=sent).status_code == 403, path
    assert score_of(service, first) == 2.0 and graded(service, first)   # nothing was requeued
    assert "Queue" in client.get("/instructor").text                     # still signed in


def test_student_ids_and_names_are_escaped_on_every_page(client, service):
    token = accounts.add_or_update(service.engine, "mallory", "<script>alert(1)</script>")
    accounts.add_or_update(service.engine, "nobody", "<b>Nobody</b>")
    wait_until(lambda: graded(service, hand_in(client, token)))
    sign_in(client, instructor_auth.issue(service.data_dir))
    for path in ("/instructor", f"/instructor/exercises/{EXERCISE}"):
        page = client.get(path).text
        assert "<script>" not in page and "<b>Nobody</b>" not in page
    assert "&lt;b&gt;Nobody&lt;/b&gt;" in client.get(f"/instructor/exercises/{EXERCISE}").text


def test_the_dashboard_and_exercise_page_show_the_new_grade_missing_students_and_the_queue(client, service):
    alice = accounts.add_or_update(service.engine, "alice", "Alice")
    accounts.add_or_update(service.engine, "bob", "Bob")
    first = hand_in(client, alice)
    wait_until(lambda: graded(service, first))
    sign_in(client, instructor_auth.issue(service.data_dir))
    page = client.get("/instructor").text
    recent = page[page.index('id="recent"'):]
    assert "alice" in recent and "2/2" in recent
    exercise = client.get(f"/instructor/exercises/{EXERCISE}").text
    students = exercise[exercise.index('id="students"'):exercise.index("</table>", exercise.index('id="students"'))]
    assert "alice" in students and "2/2" in students and "no_submission" in students
    assert re.search(r'id="missing">.*bob \(Bob\)', exercise, re.S)
    assert "hidden/made_up" in exercise   # the pass rate per check


def test_exports_read_back_as_grade_batchs_folder_the_generic_csv_and_canvass_gradebook(client, service, tmp_path):
    jdoe = accounts.add_or_update(service.engine, "jdoe", "Jane Doe")
    accounts.add_or_update(service.engine, "jnunez", "José Núñez")
    accounts.add_or_update(service.engine, "stranger", "Not On The Roster")
    stranger = accounts.rotate(service.engine, "stranger")
    ids = [hand_in(client, jdoe), hand_in(client, stranger)]
    wait_until(lambda: all(graded(service, i) for i in ids))
    sign_in(client, instructor_auth.issue(service.data_dir))
    base = f"/instructor/exercises/{EXERCISE}"

    folder = client.get(f"{base}/download/batch.zip")
    assert folder.status_code == 200 and "attachment" in folder.headers["content-disposition"]
    archive = zipfile.ZipFile(io.BytesIO(folder.content))
    top = f"{EXERCISE}-grade-serve"
    names = set(archive.namelist())
    assert {f"{top}/gradebook.sqlite", f"{top}/grades.csv", f"{top}/students.csv", f"{top}/report.html",
            f"{top}/feedback/jdoe.json", f"{top}/gradescope/jdoe/results.json"} <= names
    archive.extractall(tmp_path / "unzipped")
    book = sqlite3.connect(tmp_path / "unzipped" / top / "gradebook.sqlite")
    assert dict(book.execute("SELECT student, score FROM attempts")) == {"jdoe": 2.0, "stranger": 2.0, "jnunez": 0.0}
    book.close()
    grades = {row["student"]: row for row in csv.DictReader(io.StringIO(client.get(f"{base}/download/grades.csv").text))}
    assert grades["jdoe"]["total"] == "2" and grades["jnunez"]["status"] == "no_submission"

    scores = list(csv.DictReader(io.StringIO(client.get(f"{base}/download/scores.csv").text)))
    assert {row["student"]: row["score_after_penalty"] for row in scores} == {"jdoe": "2", "jnunez": "0", "stranger": "2"}

    roster = (FIXTURES / "canvas_gradebook.csv").read_bytes()
    answer = client.post(f"{base}/lms", data={"csrf": csrf_of(client.get(base).text), "format": "canvas",
                                              "identifier": "email"},
                         files={"roster": ("gradebook.csv", roster, "text/csv")})
    assert answer.status_code == 200, answer.text[-500:]
    files = zipfile.ZipFile(io.BytesIO(answer.content))
    written = files.read(f"{EXERCISE}-canvas/canvas_import.csv").decode("utf-8")
    rows = {row["SIS Login ID"]: row for row in csv.DictReader(io.StringIO(written)) if row["SIS Login ID"]}
    assert rows["jdoe"]["02_backprop Backpropagation (7788)"] == "2"
    assert rows["jnunez"]["02_backprop Backpropagation (7788)"] == "0"
    assert rows["jdoe"]["Quiz 1 (101)"] == "8.00"   # other assignments as exported
    assert "stranger" in files.read(f"{EXERCISE}-canvas/unmatched.csv").decode()
    assert "not on the roster" in files.read(f"{EXERCISE}-canvas/notes.txt").decode()

    next((service.data_dir / "feedback").glob(f"{ids[1]}-*.json")).unlink()   # a damaged data folder: the exports still come
    grades = {row["student"]: row for row in csv.DictReader(io.StringIO(client.get(f"{base}/download/grades.csv").text))}
    assert "feedback file stranger.json is missing" in grades["stranger"]["note"] and grades["jdoe"]["total"] == "2"

    wrong = client.post(f"{base}/lms", data={"csrf": csrf_of(client.get(base).text), "format": "moodle"},
                        files={"roster": ("gradebook.csv", roster, "text/csv")})
    assert wrong.status_code == 400 and "Canvas" in wrong.text and "not Moodle" in wrong.text


def previewed(client, started):
    """The preview's page once its grading is done (it refreshes itself until then)."""
    assert started.status_code == 200 and "/regrade/" in str(started.url), started.text[-500:]
    wait_until(lambda: "graded again with the checks" in client.get(started.url).text)
    return client.get(started.url)


class FixedChecks(FakeGrader):
    """The checks after a fix: the made-up check now fails every submission."""

    def _answer(self, future, exercise, job):
        future.set_result((job, made_up_feedback(exercise, job, passed=False)))


def test_a_regrade_is_previewed_then_applied_by_requeueing_in_the_service(client, service):
    alice = accounts.add_or_update(service.engine, "alice", "Alice")
    bob = accounts.add_or_update(service.engine, "bob", "Bob")
    ids = {"alice": hand_in(client, alice), "bob": hand_in(client, bob)}
    wait_until(lambda: all(graded(service, i) for i in ids.values()))
    sign_in(client, instructor_auth.issue(service.data_dir))
    client.app.state.preview_grader = lambda service: FixedChecks()
    base = f"/instructor/exercises/{EXERCISE}"

    preview = previewed(client, client.post(f"{base}/regrade", data={"csrf": csrf_of(client.get(base).text),
                                                                      "student": "alice"}))
    changes = preview.text[preview.text.index('id="changes"'):]
    assert "alice" in changes and "bob" not in changes and "+2" not in changes and "-2" in changes
    assert "hidden/made_up: passed 2/2 -&gt; failed 0/2" in changes
    assert score_of(service, ids["alice"]) == 2.0   # a preview changes nothing

    everyone = previewed(client, client.post(f"{base}/regrade", data={"csrf": csrf_of(client.get(base).text),
                                                                       "student": ""}))
    assert "2 submissions graded again" in everyone.text and "bob" in everyone.text

    service.loop.grader = FixedChecks()   # the service grades with the fixed checks from now on
    apply = client.post(f"{base}/regrade/apply", data={"csrf": csrf_of(preview.text), "submissions": str(ids["alice"])})
    assert apply.status_code == 200 and "1 submission queued" in apply.text
    wait_until(lambda: graded(service, ids["alice"]) and score_of(service, ids["alice"]) == 0.0)
    assert score_of(service, ids["bob"]) == 2.0   # only what was applied
    history = client.get("/api/submissions", headers={"Authorization": f"Bearer {alice}"}).json()["submissions"]
    assert [(s["id"], s["score"]) for s in history] == [(ids["alice"], 0.0)]   # regraded, not a new submission

    bogus = client.post(f"{base}/regrade/apply", data={"csrf": csrf_of(preview.text), "submissions": "1;drop"})
    assert bogus.status_code == 400


def test_similarity_on_demand_pairs_identical_latest_submissions(service, tmp_path):
    from grader.commands.serve import _similarity_runner

    runner = _similarity_runner()
    if runner is None:
        pytest.skip("the [similarity] extra is not installed")
    source = (ROOT / "solutions" / EXERCISE / "backprop.py").read_bytes()
    with TestClient(build_app(service, similarity=runner), base_url="http://testserver") as client:
        tokens = [accounts.add_or_update(service.engine, name, name.title()) for name in ("ann", "ben", "cy")]
        ids = [hand_in(client, tokens[0], source), hand_in(client, tokens[1], source),
               hand_in(client, tokens[2], b"def sigmoid(z):\n    return z\n")]
        wait_until(lambda: all(graded(service, i) for i in ids))
        sign_in(client, instructor_auth.issue(service.data_dir))
        base = f"/instructor/exercises/{EXERCISE}"
        answer = client.post(f"{base}/similarity", data={"csrf": csrf_of(client.get(base).text)})
    assert answer.status_code == 200, answer.text[-800:]
    section = answer.text[answer.text.index('id="similarity"'):]
    assert "ann" in section and "ben" in section and "100%" in section
    assert str(service.data_dir) not in answer.text   # the stored files' paths stay on the server


def test_grade_serve_instructor_writes_a_new_token_readable_by_its_owner_and_never_overwrites_a_file(tmp_path):
    from service_process import grade

    def main(argv: list[str]) -> int:   # the real command, in a process of its own
        return grade(*argv).returncode

    data, out = tmp_path / "data", tmp_path / "instructor.txt"
    assert main(["serve", "instructor", "--course", str(ROOT), "--data", str(data), "--out", str(out)]) == 0
    token = out.read_text().strip()
    assert out.stat().st_mode & 0o777 == 0o600 and instructor_auth.is_instructor(data, token)
    assert main(["serve", "instructor", "--course", str(ROOT), "--data", str(data), "--out", str(out)]) != 0
    assert out.read_text().strip() == token                      # refused: the file was not overwritten
    again = tmp_path / "again.txt"
    assert main(["serve", "instructor", "--course", str(ROOT), "--data", str(data), "--out", str(again)]) == 0
    assert instructor_auth.is_instructor(data, again.read_text().strip()) and not instructor_auth.is_instructor(data, token)


def test_one_regrade_preview_grades_at_a_time_and_a_failed_one_says_so():
    import threading

    from grader.service.instructor_regrade import PreviewRuns, RegradePreview

    runs, release = PreviewRuns(keep=2), threading.Event()

    def slow(run):
        release.wait(10)
        return RegradePreview(EXERCISE, 0, (), {})

    first = runs.start(EXERCISE, None, slow)
    assert first is not None and runs.start(EXERCISE, None, slow) is None   # refused while the first grades
    release.set()
    wait_until(lambda: runs.get(first).finished)
    assert runs.get(first).result.regraded == 0

    def broken(run):
        raise RuntimeError("boom")

    second = runs.start(EXERCISE, "alice", broken)
    wait_until(lambda: runs.get(second).finished)
    assert "failed (RuntimeError)" in runs.get(second).failure and runs.get(second).result is None
    third = runs.start(EXERCISE, None, slow)
    wait_until(lambda: runs.get(third).finished)
    assert runs.get(first) is None and runs.get(second) is not None   # the latest two are kept


def test_with_a_cluster_the_preview_grades_on_the_services_own_grader_and_leaves_it_open(client, service):
    alice = accounts.add_or_update(service.engine, "alice", "Alice")
    first = hand_in(client, alice)
    wait_until(lambda: graded(service, first))

    class Owned(FixedChecks):
        closed = False

        def close(self):
            self.closed = True

    service.loop.grader = owned = Owned()
    client.app.state.preview_grader = instructor.shared_grader   # as grade serve --cluster sets it
    sign_in(client, instructor_auth.issue(service.data_dir))
    base = f"/instructor/exercises/{EXERCISE}"
    page = previewed(client, client.post(f"{base}/regrade", data={"csrf": csrf_of(client.get(base).text), "student": ""}))
    assert "alice" in page.text[page.text.index('id="changes"'):]
    assert owned.order == ["alice"] and not owned.closed


def test_a_late_submission_is_listed_and_exported_with_the_penalty_counted_from_its_receipt(tmp_path, course):
    late_02 = dataclasses.replace(course.exercise(EXERCISE), due=datetime.now(timezone.utc) - timedelta(hours=5),
                                  late=LatePolicy(window_days=7, penalty_per_day=0.25))
    late_course = dataclasses.replace(course, exercises=tuple(late_02 if e.id == EXERCISE else e for e in course.exercises))
    (tmp_path / "data").mkdir()
    service = open_service(ServiceConfig(late_course, tmp_path / "data", database_url(None, tmp_path / "data")),
                           FakeGrader())
    with TestClient(build_app(service), base_url="http://testserver") as client:
        first = hand_in(client, accounts.add_or_update(service.engine, "jdoe", "Jane Doe"))
        wait_until(lambda: graded(service, first))
        sign_in(client, instructor_auth.issue(service.data_dir))
        base = f"/instructor/exercises/{EXERCISE}"
        page = client.get(base).text
        late = page[page.index('id="late"'):page.index("</table>", page.index('id="late"'))]
        assert "jdoe" in late and "25%" in late and "received it" in late
        students = {row["student"]: row for row in csv.DictReader(io.StringIO(client.get(f"{base}/download/students.csv").text))}
        assert students["jdoe"]["days_late"] == "1" and "the time the grading service received it" in students["jdoe"]["late_note"]
        scores = {row["student"]: row for row in csv.DictReader(io.StringIO(client.get(f"{base}/download/scores.csv").text))}
        assert (scores["jdoe"]["score"], scores["jdoe"]["score_after_penalty"]) == ("2", "1.5")
        roster = (FIXTURES / "canvas_gradebook.csv").read_bytes()
        answer = client.post(f"{base}/lms", data={"csrf": csrf_of(page), "format": "canvas"},
                             files={"roster": ("gradebook.csv", roster, "text/csv")})
        written = zipfile.ZipFile(io.BytesIO(answer.content)).read(f"{EXERCISE}-canvas/canvas_import.csv").decode()
        rows = {row["SIS Login ID"]: row for row in csv.DictReader(io.StringIO(written)) if row["SIS Login ID"]}
        assert rows["jdoe"]["02_backprop Backpropagation (7788)"] == "1.5"   # matched by id, the penalty applied
        lines = client.get("/instructor").text
        assert re.search(r">02_backprop</a>.*?<td>1</td><td>1</td>\s*<td>100%</td>\s*<td>1</td>", lines, re.S)
